"""One ingestion run: feeds → entries → clean on-topic articles → chunks → Chroma + SQLite."""

from __future__ import annotations

import errno
import hashlib
import json
import logging
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import numpy as np

from ingest.chunking import embedding_text, make_chunks
from ingest.extract import html_to_text, is_safe_link, page_to_text
from ingest.fetch import FetchResult, HostBudget, fetch, make_client
from ingest.parse import ParsedFeed, RawEntry, parse_feed
from ingest.report import FeedReport, IngestReport
from ingest.stories import Neighbour, Placement, followed_codes, load_neighbours, place
from ingest.urls import article_id, normalise_url
from newsbot.errors import DiskFull, FeedError, NewsbotError, StoreUnavailable
from newsbot.library import Library
from newsbot.models import ArticleRecord, Chunk
from newsbot.retrieval import common_words
from newsbot.sentences import content_hash, truncate
from newsbot.store import ArticleWrite, RecordsError, StoryLink
from newsbot.topics import TopicDecision, classify, find_trial_ids

log = logging.getLogger(__name__)
Progress = Callable[[int, int, str], None]
FUTURE_TOLERANCE = timedelta(hours=24)
READ_AHEAD = True  # read the next feed while this one is embedded (False: one at a time)


@dataclass(frozen=True)
class FeedSource:
    url: str  # http(s) URL or local file path
    trusted: bool  # operator-given (CLI): skip the private-address guard


@dataclass
class _Prepared:
    record: ArticleRecord
    entry_hash: str
    status: str  # new | updated


@dataclass
class _Fetching:
    """What one run's fetches share: the HTTP client, the timeouts per host, and the budget
    for article pages (time and count), after which items keep the feed's own text."""

    client: httpx.Client
    hosts: HostBudget
    pages_left: int
    page_seconds_left: float
    notices: list[str] = field(default_factory=list)
    _page_budget_noted: bool = False

    def page_deadline(self, link: str) -> float | None:
        """When the fetch of this page must end; None when it is not to be fetched: its host
        timed out too often, or the budget is spent (noted once)."""
        if self.hosts.exhausted(urlsplit(link).hostname or ""):
            return None
        if self.pages_left > 0 and self.page_seconds_left > 0:
            return time.monotonic() + self.page_seconds_left
        if not self._page_budget_noted:
            self._page_budget_noted = True
            self.notices.append("the run's budget for article pages is spent; later items "
                                "keep the feed's own text")
            log.warning(self.notices[-1])
        return None

    def spent(self, seconds: float) -> None:
        self.pages_left -= 1
        self.page_seconds_left -= seconds

    def take_notices(self) -> list[str]:
        notices = self.notices + self.hosts.take_notices()
        self.notices = []
        return notices


@dataclass
class _ReadAhead:
    """A feed fetched and parsed ahead of its turn, while the feed before it is embedded,
    with the text and topic of its full-text entries: pure functions of an entry, used only
    where the feed's own turn would compute the same (so results match a serial run)."""

    result: FetchResult | None = None  # None for a feed file
    parsed: ParsedFeed | None = None
    error: Exception | None = None
    notices: list[str] = field(default_factory=list)
    texts: dict[int, tuple[str, TopicDecision]] = field(default_factory=dict)  # id(entry)


class _Reader:
    """One worker thread that reads the next feed while the current one is embedded. Only
    network and CPU work (and reads of the records) happens there; every decision and write
    stays in the run's thread, in feed order. The next feed is started once the current one's
    items are prepared, so fetches still happen one at a time and in the serial order (the
    hosts' timeout budget sees the same sequence)."""

    def __init__(self, library: Library, fetching: _Fetching, full: bool) -> None:
        self.library, self.fetching, self.full = library, fetching, full
        self._pool = ThreadPoolExecutor(1, thread_name_prefix="ingest-read-ahead")

    def start(self, source: FeedSource, seen: set[str]) -> Future[_ReadAhead]:
        return self._pool.submit(self._read, source, frozenset(seen))

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)

    def _read(self, source: FeedSource, seen: frozenset[str]) -> _ReadAhead:
        ahead = _ReadAhead()
        try:
            ahead.result, ahead.parsed = _fetch_source(self.library, self.fetching, source,
                                                       self.full)
            if ahead.parsed is not None:
                ahead.texts = _texts_ahead(self.library, source, ahead.parsed, self.full,
                                           seen)
        except Exception as exc:  # raised in the run's thread, where a serial run raises it
            ahead.error = exc
        finally:
            ahead.notices = self.fetching.take_notices()
        return ahead


def _texts_ahead(library: Library, source: FeedSource, parsed: ParsedFeed, full: bool,
                 seen: frozenset[str]) -> dict[int, tuple[str, TopicDecision]]:
    """Text and topic of the entries the feed's turn will most likely extract: new or changed
    ones whose feed carries the full text (no page fetch, which stays in the run's turn)."""
    out: dict[int, tuple[str, TopicDecision]] = {}
    local: set[str] = set()
    articles = library.store.articles
    for entry in parsed.entries:
        link = normalise_url(entry.link) if is_safe_link(entry.link) else ""
        aid = article_id(entry.guid, link, source.url, entry.title)
        if aid in seen or aid in local:
            continue
        local.add(aid)
        if not full and articles.get(aid) and articles.entry_hash(aid) == _entry_hash(entry):
            continue
        text = html_to_text(entry.content_html)
        if len(text) >= library.settings.fetch.full_text_chars:
            out[id(entry)] = (text, classify(entry.title, text, library.settings.topics.threshold))
    return out


def configured_sources(library: Library) -> list[FeedSource]:
    library.store.feeds.seed_once(library.settings.storage.feeds_file)
    return [FeedSource(f.url, trusted=False) for f in library.store.feeds.list()]


def sources_from_args(args: list[str]) -> list[FeedSource]:
    out = []
    for arg in args:
        if arg.startswith(("http://", "https://")):
            out.append(FeedSource(arg, trusted=True))
        else:
            out.append(FeedSource(str(Path(arg).expanduser().resolve()), trusted=True))
    return out


def run_ingest(
    library: Library,
    sources: list[FeedSource] | None = None,
    *,
    full: bool = False,
    progress: Progress | None = None,
    now: datetime | None = None,
) -> IngestReport:
    library.store.check_writable()  # a read-only store says so before any fetch
    report = IngestReport(started_at=datetime.now(UTC))
    now = now or library.settings.now
    try:
        library.store.journal.repair()
        report.repaired = library.store.journal.take_repaired()  # here or when it opened
    except StoreUnavailable as exc:
        _record_run(library, report, "failed", str(exc))
        raise
    sources = configured_sources(library) if sources is None else sources
    settings = library.settings
    with make_client(settings) as client:
        fetching = _Fetching(client, HostBudget(settings.fetch.host_max_timeouts),
                             settings.fetch.max_article_pages, settings.fetch.article_pages_seconds)
        reader = _Reader(library, fetching, full) if READ_AHEAD else None
        try:
            _ingest_sources(library, fetching, reader, sources, full, report, now, progress)
        finally:
            if reader is not None:
                reader.close()
        _refresh_trials(library, client, report, now)
    if progress:
        progress(len(sources), len(sources), "done")
    _record_run(library, report, report.status)
    return report


def _refresh_trials(library: Library, client: httpx.Client, report: IngestReport,
                    now: datetime | None) -> None:
    """The registry records of the trials the news names, within the registry's own time
    budget; the registry failing never fails the run."""
    from ingest.registry import refresh_trials

    try:
        report.trials = refresh_trials(library.store, library.settings, client=client,
                                       now=now).to_json()
    except (RecordsError, NewsbotError) as exc:
        log.warning("trial registry refresh skipped: %s", exc)


def _ingest_sources(library: Library, fetching: _Fetching, reader: _Reader | None,
                    sources: list[FeedSource], full: bool, report: IngestReport,
                    now: datetime | None, progress: Progress | None) -> None:
    """The feeds in order; with a reader, each next feed is read while this one embeds."""
    seen: set[str] = set()  # the same item in two feeds of one run is a duplicate
    ahead: dict[int, Future[_ReadAhead]] = {}
    urls = [s.url for s in sources]

    def read_next(index: int) -> list[str]:
        """Start reading feed `index` (not a repeat of an earlier one, whose turn depends on
        what this run stores); returns the notices so far, which belong to the current feed."""
        notices = fetching.take_notices()
        if (reader is not None and index < len(sources) and index not in ahead
                and urls[index] not in urls[:index]):
            ahead[index] = reader.start(sources[index], seen)
        return notices

    for index, source in enumerate(sources):
        if progress:
            progress(index, len(sources), source.url)
        if index == 0:
            read_next(0)
        read = ahead.pop(index).result() if index in ahead else None
        notices: list[str] = read.notices if read else []
        turn = _Turn(read, lambda after=index + 1: read_next(after))
        try:
            fr = _ingest_feed(library, fetching, source, full, report, now, seen, turn)
        except StoreUnavailable as exc:  # no point trying the other feeds
            report.feeds.append(FeedReport(feed=source.url, status="error", error=str(exc)))
            _record_run(library, report, "failed", str(exc))
            raise
        except Exception as exc:  # one broken feed fails, not the run
            fr = FeedReport(feed=source.url, status="error", error=describe(exc))
            log.warning("feed %s failed: %s", source.url, fr.error,
                        exc_info=not isinstance(exc, NewsbotError | RecordsError))
            _record_feed_error(library, source.url, fr.error or "")
        notices += turn.next_started()
        for notice in notices:  # each reported once, where it happened
            fr.warning = f"{fr.warning}; {notice}" if fr.warning else notice
        report.feeds.append(fr)


class _Turn:
    """One feed's turn: what was read ahead for it, and the start of the next feed's read
    (once this feed's items are prepared; at the end of the turn at the latest)."""

    def __init__(self, read: _ReadAhead | None, start_next: Callable[[], list[str]]) -> None:
        self.read = read
        self._start_next = start_next
        self._notices: list[str] | None = None

    def start_next(self) -> None:
        if self._notices is None:
            self._notices = self._start_next()

    def next_started(self) -> list[str]:
        """The current feed's notices: taken when the next read started, or now."""
        self.start_next()
        return self._notices or []


def _record_run(library: Library, report: IngestReport, status: str,
                error: str | None = None) -> None:
    report.finished_at = datetime.now(UTC)
    data = report.to_json()
    if error:
        data["error"] = error
    try:
        library.store.runs.record(report.started_at, status, data)
    except RecordsError as exc:
        log.warning("could not record the run: %s", describe(exc))


def _fetch_source(library: Library, fetching: _Fetching, source: FeedSource, full: bool
                  ) -> tuple[FetchResult | None, ParsedFeed | None]:
    """The feed's bytes (a conditional GET for a URL) and, unless not modified, parsed;
    reads the feed's validators, writes nothing."""
    settings = library.settings
    if not source.url.startswith(("http://", "https://")):
        path = Path(source.url)
        if not path.is_file():
            raise FeedError(f"No feed file at {path}.")
        if path.stat().st_size > settings.fetch.max_feed_bytes:
            raise FeedError(f"{path} is larger than the {settings.fetch.max_feed_bytes:,}-byte "
                            "limit.")
        return None, parse_feed(path.read_bytes(), max_entries=settings.fetch.max_entries_per_feed)
    state = library.store.feeds.get(source.url)
    result = fetch(
        fetching.client, source.url, settings, max_bytes=settings.fetch.max_feed_bytes,
        trusted=source.trusted, hosts=fetching.hosts,
        etag=None if full or not state else state.etag,
        last_modified=None if full or not state else state.last_modified,
        accept="application/rss+xml, application/atom+xml, application/xml;q=0.9, */*;q=0.5",
    )
    if result.not_modified:
        return result, None
    return result, parse_feed(result.content, result.content_type,
                              settings.fetch.max_entries_per_feed, base_url=result.final_url)


def _read_source(library: Library, fetching: _Fetching, source: FeedSource, full: bool,
                 fr: FeedReport, read: _ReadAhead | None = None) -> ParsedFeed | None:
    if read is not None:
        if read.error is not None:
            raise read.error
        result, parsed = read.result, read.parsed
    else:
        result, parsed = _fetch_source(library, fetching, source, full)
    if result is None:  # a feed file
        return parsed
    if result.not_modified:
        fr.status = "not_modified"
        library.store.feeds.record_success(source.url, result.etag, result.last_modified)
        return None
    assert parsed is not None
    library.store.feeds.record_success(source.url, result.etag, result.last_modified,
                                       parsed.title or None)
    return parsed


def _ingest_feed(library: Library, fetching: _Fetching, source: FeedSource, full: bool,
                 report: IngestReport, now: datetime | None, seen: set[str],
                 turn: _Turn | None = None) -> FeedReport:
    fr = FeedReport(feed=source.url)
    library.store.feeds.ensure(source.url)
    read = turn.read if turn else None
    try:
        parsed = _read_source(library, fetching, source, full, fr, read)
    except FeedError as exc:
        fr.status, fr.error = "error", str(exc)
        library.store.feeds.record_error(source.url, str(exc))
        log.warning("feed %s failed: %s", source.url, exc)
        return fr
    if parsed is None:
        return fr
    if not source.url.startswith(("http://", "https://")):
        library.store.feeds.record_success(source.url, None, None, parsed.title or None)
    fr.name, fr.warning, fr.entries = parsed.title, parsed.problem, len(parsed.entries)
    prepared: list[_Prepared] = []
    texts = read.texts if read else {}
    for entry in parsed.entries:
        try:
            item = _prepare(library, fetching, source, parsed.title, entry, full, fr, seen, now,
                            texts.get(id(entry)))
        except StoreUnavailable:
            raise
        except Exception as exc:  # one bad entry must not sink the feed
            _entry_failed(fr, entry.link or entry.guid or entry.title, exc)
            continue
        if item:
            prepared.append(item)
    if turn:
        turn.start_next()  # the next feed is read while this one is embedded
    report.chunks_embedded += _store_batch(library, prepared, fr)
    return fr


def describe(exc: BaseException) -> str:
    """A reason a moderator can act on, for errors that are not already worded for users."""
    if isinstance(exc, DiskFull):
        return "the data disk is full; nothing was stored for this item"
    if isinstance(exc, RecordsError) and "full" in str(exc):
        return "the data disk is full; nothing was stored for this item"
    if isinstance(exc, OSError) and exc.errno == errno.ENOSPC:
        return "the data disk is full; nothing was stored for this item"
    return str(exc) or type(exc).__name__


def _record_feed_error(library: Library, url: str, error: str) -> None:
    try:
        library.store.feeds.record_error(url, error)
    except RecordsError:
        log.warning("could not record the error of %s", url)


def _entry_failed(fr: FeedReport, what: str, exc: BaseException) -> None:
    fr.errors += 1
    fr.entry_errors.append(f"{what}: {describe(exc)}"[:300])
    log.warning("item %s failed in %s: %s", what, fr.feed, describe(exc),
                exc_info=not isinstance(exc, NewsbotError | RecordsError))


def _entry_hash(entry: RawEntry) -> str:
    raw = json.dumps([entry.title, entry.link, entry.content_html, entry.summary_html,
                      entry.published.isoformat() if entry.published else None])
    return hashlib.sha256(raw.encode()).hexdigest()[:32]


def _extract_text(library: Library, fetching: _Fetching, entry: RawEntry) -> str:
    text = html_to_text(entry.content_html)
    if len(text) >= library.settings.fetch.full_text_chars:
        return text
    summary = html_to_text(entry.summary_html)
    settings = library.settings
    deadline = None
    if settings.fetch.article_pages and is_safe_link(entry.link):
        deadline = fetching.page_deadline(entry.link)
    if deadline is not None:
        started = time.monotonic()
        try:
            page = fetch(fetching.client, entry.link, settings,
                         max_bytes=settings.fetch.max_page_bytes, trusted=False,
                         accept="text/html,application/xhtml+xml", hosts=fetching.hosts,
                         deadline=deadline)
            page_text = page_to_text(page.content, page.final_url)
            if len(page_text) > max(len(text), len(summary)):
                return page_text
        except FeedError as exc:
            log.debug("article page %s not used: %s", entry.link, exc)
        finally:
            fetching.spent(time.monotonic() - started)
    return text if len(text) >= len(summary) else summary


def _prepare(library: Library, fetching: _Fetching, source: FeedSource, outlet: str,
             entry: RawEntry, full: bool, fr: FeedReport, seen: set[str],
             now: datetime | None,
             ahead: tuple[str, TopicDecision] | None = None) -> _Prepared | None:
    articles = library.store.articles
    settings = library.settings
    link = normalise_url(entry.link) if is_safe_link(entry.link) else ""
    aid = article_id(entry.guid, link, source.url, entry.title)
    if aid in seen:
        fr.duplicates += 1
        return None
    seen.add(aid)
    entry_hash = _entry_hash(entry)
    existing = articles.get(aid)
    if existing and articles.entry_hash(aid) == entry_hash and not full:
        fr.unchanged += 1
        return None
    if not existing and link:
        same_link = _find_by_link(library, normalise_url(link), aid)
        if same_link:
            fr.duplicates += 1
            return None

    if ahead is not None:  # read ahead: the same text and topic this turn would compute
        text, decision = ahead
    else:
        text = _extract_text(library, fetching, entry) or entry.title
        decision = classify(entry.title, text, settings.topics.threshold)
    clock = now or datetime.now(UTC)
    published = entry.published
    if published and published > clock + FUTURE_TOLERANCE:
        published = clock  # a date in the future would pin the item to the top forever
    if not decision.on_topic and "oncology" not in decision.reason:
        codes = followed_codes(library.store, f"{entry.title}\n{text}")
        if codes:
            decision = replace(decision, on_topic=True, reason=f"names {', '.join(codes)}, "
                               f"followed in stored articles; {decision.reason}")
    chash = content_hash(f"{entry.title}\n{text}")
    record = ArticleRecord(
        id=aid, guid=entry.guid or link or aid, url=link, title=entry.title or truncate(text, 120),
        source=outlet or _host(source.url), feed_url=source.url, published=published,
        ingested_at=existing.ingested_at if existing else clock, text=text, content_hash=chash,
        on_topic=decision.on_topic, relevance=decision.score, reason=decision.reason,
        diseases=decision.diseases, therapies=decision.therapies,
        trial_ids=find_trial_ids(text), story_id=existing.story_id if existing else None,
    )
    if existing and existing.content_hash == chash and not full:
        articles.set_entry_hash(aid, entry_hash)
        fr.unchanged += 1
        return None
    status = "updated" if existing else "new"
    if not decision.on_topic:
        fr.off_topic += 1
        _save_without_vectors(library, record, entry_hash)
        return None
    original = articles.original_of(chash, aid)
    if original:
        fr.duplicates += 1
        dup = replace(record, duplicate_of=original.id, story_id=original.story_id)
        _save_without_vectors(library, dup, entry_hash,
                              Placement(original.story_id or original.id, original.id,
                                        1.0, original.id, "syndicated copy (same text)"))
        return None
    return _Prepared(record, entry_hash, status)


def _host(url: str) -> str:
    return urlsplit(url).hostname or Path(url).stem


def _find_by_link(library: Library, link: str, aid: str) -> str | None:
    for other, url in library.store.articles.urls_starting(link.split("?")[0], aid):
        if normalise_url(url) == link:
            return other
    return None


def _save_without_vectors(library: Library, record: ArticleRecord, entry_hash: str,
                          link: Placement | None = None) -> None:
    """Off-topic items and duplicates are recorded (with why) but not embedded; chunks an
    earlier version of the article had are removed through the same journalled write."""
    _write_all(library, [_Write(record, entry_hash, "", [], None, None, link)])


def _store_batch(library: Library, items: list[_Prepared], fr: FeedReport) -> int:
    """Embed all chunks of the batch at once, place each article (seeing those placed before
    it in the batch), then write the batch with one journal, Chroma and SQLite write each.

    Per-article Chroma writes cost ~33 ms each whatever their size (bench/RESULTS.md); if
    the batch write fails (a full disk, say), the articles are written one by one so each
    succeeds or fails alone, as before.
    """
    if not items:
        return 0
    settings = library.settings
    chunk_lists = [make_chunks(item.record, settings.embedding.chunk_chars) for item in items]
    texts = [embedding_text(item.record.title, c.index, c.text)
             for item, chunks in zip(items, chunk_lists, strict=True) for c in chunks]
    vectors = library.embedder.encode(texts)
    placed: list[Neighbour] = []  # this batch's articles are not in SQLite yet
    writes: list[_Write] = []
    offset = 0
    for item, chunks in zip(items, chunk_lists, strict=True):
        chunk_vectors = vectors[offset : offset + len(chunks)]
        offset += len(chunks)
        article_vector = chunk_vectors.mean(axis=0)
        article_vector /= np.linalg.norm(article_vector) or 1.0
        try:
            write = _place(library, item, chunks, chunk_vectors, article_vector, placed, fr)
        except StoreUnavailable:
            raise
        except Exception as exc:  # the journal lets the next run repair a half-write
            _entry_failed(fr, item.record.url or item.record.guid, exc)
            continue
        if write:
            writes.append(write)
            placed.append(Neighbour(write.record.id, write.record.story_id or write.record.id,
                                    write.record.published or write.record.ingested_at,
                                    article_vector, write.record.text, write.record.title,
                                    write.record.published is not None))
    stored = writes
    try:
        _write_all(library, writes)
    except StoreUnavailable:
        raise
    except Exception as exc:
        log.warning("batch write failed (%s); writing the %d articles one by one",
                    describe(exc), len(writes))
        stored = []
        for write in writes:
            try:
                _write_all(library, [write])
                stored.append(write)
            except StoreUnavailable:
                raise
            except Exception as exc_one:
                _entry_failed(fr, write.record.url or write.record.guid, exc_one)
    for write in stored:
        setattr(fr, write.status, getattr(fr, write.status) + 1)
    return len(texts)


@dataclass
class _Write:
    record: ArticleRecord
    entry_hash: str
    status: str  # the report counter it adds to: new | updated
    chunks: list[Chunk]
    chunk_vectors: np.ndarray | None
    article_vector: np.ndarray | None
    link: Placement | None = None  # why the article is in its story


def _place(library: Library, item: _Prepared, chunks: list[Chunk], chunk_vectors: np.ndarray,
           article_vector: np.ndarray, placed: list[Neighbour],
           fr: FeedReport) -> _Write | None:
    """The article's story (or the original it duplicates, saved at once without vectors)."""
    settings = library.settings
    record = item.record
    when = record.published or record.ingested_at
    window = timedelta(days=settings.topics.story_window_days)
    neighbours = load_neighbours(library.store, when, settings.topics.story_window_days) + [
        n for n in placed if abs(n.published - when) <= window]
    placement = place(record.id, record.text, article_vector, neighbours,
                      settings.topics.story_similarity, settings.topics.near_duplicate_jaccard,
                      title=record.title, when=when, dated=record.published is not None,
                      window_days=settings.topics.story_window_days,
                      common=common_words(settings.embedding.model))
    if placement.duplicate_of:
        fr.duplicates += 1
        dup = replace(record, duplicate_of=placement.duplicate_of, story_id=placement.story_id)
        _save_without_vectors(library, dup, item.entry_hash, placement)
        return None
    story_id = record.story_id if record.story_id and placement.story_id == record.id \
        else placement.story_id
    record = replace(record, story_id=story_id, chunk_count=len(chunks))
    return _Write(record, item.entry_hash, item.status, chunks, chunk_vectors, article_vector,
                  replace(placement, story_id=story_id))


def _write_all(library: Library, writes: list[_Write]) -> None:
    """All at once through the store's journal: a run killed in between leaves every article
    of the batch in it, and the next run repairs them."""
    library.store.journal.write([
        ArticleWrite(w.record, w.entry_hash, w.chunks, w.chunk_vectors, w.article_vector,
                     StoryLink(w.record.id, w.link.story_id, w.link.linked_to, w.link.reason,
                               w.link.similarity) if w.link is not None else None)
        for w in writes])
