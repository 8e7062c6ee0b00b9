"""Handlers of the `newsbot` sub-commands: parse → core call → print."""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from cli.main import print_json
from cli.model_step import prepare_embedder
from ingest.report import COUNTERS
from newsbot import db
from newsbot.library import Library
from newsbot.settings import Settings


@contextmanager
def opened(settings: Settings) -> Iterator[Library]:
    library = Library.open(settings)
    try:
        yield library
    finally:
        library.close()


def chat_model_for(settings: Settings) -> Any | None:
    """The configured chat model; None (extractive answers, with a one-line notice) when it
    cannot be built, e.g. an OpenAI model with no API key."""
    if not settings.llm_model:
        return None
    from newsbot.errors import LLMUnavailable
    from newsbot.llm import make_chat_model

    try:
        return make_chat_model(settings)
    except LLMUnavailable as exc:
        print(f"newsbot: {exc} — answering with extractive summaries instead.",
              file=sys.stderr)
        return None


def nothing_ingested(library: Library) -> str | None:
    """What to say instead of "no coverage" when the store has never had an article."""
    counts = db.counts(library.db)
    if counts["articles"] or counts["skipped"] or counts["duplicates"]:
        return None
    data_dir = library.settings.data_dir
    demo = data_dir / "demo"
    lines = [f"Nothing has been ingested into {data_dir} yet. `newsbot ingest` fetches the "
             "followed feeds (`newsbot feeds list`; they need internet)."]
    if (demo / "newsbot.sqlite3").exists():
        lines.append(f"The demo's sample news is stored apart, in {demo}: "
                     f"NEWSBOT_DATA_DIR={demo} NEWSBOT_NOW={SAMPLE_FEEDS_NOW:%Y-%m-%dT%H:%MZ} "
                     "newsbot ask \"…\", or `newsbot demo` for its console.")
    else:
        lines.append("To try newsbot on the bundled sample feeds instead: `make run` or "
                     "`newsbot demo` (stored apart, in " + str(demo) + ").")
    return " ".join(lines)


def parse_disease(value: str | None) -> str | None:
    if not value:
        return None
    from newsbot.errors import NewsbotError
    from newsbot.topics import DISEASES, disease_key

    key = disease_key(value)
    if key is None:
        known = ", ".join(d for d, _ in DISEASES.values())
        raise NewsbotError(f"Unknown disease {value!r}. Try one of: {known}.")
    return key


def run_ingest_with_progress(library: Library, feeds: list[str] | None, full: bool,
                             as_json: bool) -> Any:
    from ingest.pipeline import run_ingest, sources_from_args

    sources = sources_from_args(feeds) if feeds else None
    prepare_embedder(library)
    if as_json or not sys.stderr.isatty():
        return run_ingest(library, sources, full=full)
    from rich.progress import Progress

    with Progress(transient=True) as bar:
        task = bar.add_task("Ingesting", total=None)

        def progress(done: int, total: int, current: str) -> None:
            bar.update(task, completed=done, total=total, description=f"Ingesting {current[:60]}")

        return run_ingest(library, sources, full=full, progress=progress)


def print_report(report: Any) -> None:
    """The per-feed table at the terminal's width; each failure and warning once, below it."""
    from rich import box
    from rich.console import Console
    from rich.table import Table

    table = Table(title="Ingest report", box=box.SIMPLE_HEAD, pad_edge=False)
    table.add_column("feed", overflow="fold", ratio=3)
    table.add_column("status", no_wrap=True)
    table.add_column("articles", ratio=2)
    for f in report.feeds:
        status = {"error": "FAILED", "not_modified": "unchanged"}.get(f.status, f.status)
        counts = ", ".join(_counted(getattr(f, c), c) for c in COUNTERS if getattr(f, c))
        table.add_row(f.name or f.feed, status + (" (!)" if f.warning else ""),
                      counts or ("—" if f.status == "error" else "nothing new"))
    console = Console(highlight=False)  # width: the terminal's, or $COLUMNS, or 80
    console.print(table)
    for line in report.problem_lines():
        console.print(line, markup=False)
    console.print(f"Total: {report.summary_line()} {report.chunks_embedded} chunks embedded.",
                  markup=False)


def _counted(number: int, counter: str) -> str:
    label = counter.replace("_", "-")
    return f"{number} {label.removesuffix('s') if number == 1 else label}"


def ingest(args: argparse.Namespace, settings: Settings) -> int:
    with opened(settings) as library:
        locations = _followed_locations(library, args.feeds) if args.feeds else []
        while True:
            report = run_ingest_with_progress(library, locations, args.full, args.json)
            if args.json:
                print_json(report.to_json())
            else:
                print_report(report)
            if not args.watch:
                return 1 if report.status == "failed" else 0
            time.sleep(settings.ingest_interval.total_seconds())


def _followed_locations(library: Library, given: list[str]) -> list[str]:
    """Feeds named on the command line, read as `feeds add` reads them: a spelling of a
    followed feed is that feed; a new one is followed from now on, and said so."""
    from newsbot import feeds as feed_store

    locations = [feed_store.feed_location(value, must_exist=not _is_url(value))
                 for value in given]  # every one checked before anything is followed
    out = []
    for location in locations:
        followed = feed_store.find_feed(library.db, location)
        if followed is None:
            print(f"Now following {location}.", file=sys.stderr)
        out.append(followed.url if followed else location)
    return list(dict.fromkeys(out))


def _is_url(value: str) -> bool:
    return "://" in value


def articles(args: argparse.Namespace, settings: Settings) -> int:
    with opened(settings) as library:
        rows = db.list_articles(library.db, include_skipped=args.all)
        data = [{
            "guid": a.guid, "url": a.url, "title": a.title, "source": a.source,
            "published": a.published.isoformat() if a.published else None,
            "on_topic": a.on_topic, "relevance": a.relevance, "reason": a.reason,
            "story_id": a.story_id, "duplicate_of": a.duplicate_of,
        } for a in rows]
        if args.json:
            print_json(data)
            return 0
        for a in data:
            flag = "on " if a["on_topic"] else "off"
            dup = f" duplicate of {a['duplicate_of'][:8]}" if a["duplicate_of"] else ""
            date = (a["published"] or "")[:10]
            print(f"[{flag} {a['relevance']:.2f}] {date} {a['source']}: {a['title']}{dup}")
            print(f"        {a['url']}  ({a['reason']})")
        print(f"{len(data)} article(s).")
    return 0


def feeds(args: argparse.Namespace, settings: Settings) -> int:
    from newsbot import feeds as feed_store
    from newsbot.status import feed_line

    conn = db.connect(settings.sqlite_path)
    feed_store.seed_once(conn, settings.feeds_file)
    if args.feeds_command == "list":
        for feed in feed_store.list_feeds(conn):
            print(feed_line(feed))
        return 0
    location = feed_store.feed_location(
        args.url, must_exist=args.feeds_command == "add" and not _is_url(args.url))
    followed = feed_store.find_feed(conn, location)
    if args.feeds_command == "remove":
        if followed and feed_store.remove_feed(conn, followed.url):
            print(f"No longer following {followed.url}.")
            return 0
        print(f"Not following {args.url}.", file=sys.stderr)
        return 1
    if followed is not None:  # nothing to check: no fetch, no retries while offline
        print(f"Already following {followed.name or followed.url} ({followed.url}).")
        return 0
    title = _check_feed_location(location, settings)
    feed_store.add_feed(conn, location, args.name or title, "command line")
    print(f"Now following {title or location}.")
    return 0


def _check_feed_location(location: str, settings: Settings) -> str:
    """The feed's title; a FeedError with the reason when it is no readable feed."""
    if _is_url(location):
        from ingest.checks import check_feed

        return check_feed(location, settings, trusted=True)
    from ingest.parse import parse_feed
    from newsbot.errors import FeedError

    path = Path(location)
    if path.stat().st_size > settings.max_feed_bytes:
        raise FeedError(f"{path} is larger than the {settings.max_feed_bytes:,}-byte limit.")
    parsed = parse_feed(path.read_bytes(), max_entries=settings.max_entries_per_feed)
    if not parsed.entries and not parsed.title:
        raise FeedError(f"{path} is not an RSS or Atom feed.")
    return parsed.title


def ask(args: argparse.Namespace, settings: Settings) -> int:
    from newsbot.answering import answer_question
    from newsbot.render import answer_text

    disease = parse_disease(args.disease)
    with opened(settings) as library:
        if _say_nothing_ingested(library):
            return 1
        prepare_embedder(library)
        answer = answer_question(library, args.question, disease=disease,
                                 days=args.days, since=args.since,
                                 chat_model=chat_model_for(settings))
    if args.json:
        print_json(answer.to_json())
    else:
        print(answer_text(answer))
    return 0


def search(args: argparse.Namespace, settings: Settings) -> int:
    from newsbot.search import search_articles

    with opened(settings) as library:
        if _say_nothing_ingested(library):
            return 1
        prepare_embedder(library)
        hits = search_articles(library, args.query, k=args.k, days=args.days,
                               disease=parse_disease(args.disease))
    if args.json:
        print_json([h.to_json() for h in hits])
        return 0
    for i, h in enumerate(hits, 1):
        date = f"{h.published:%Y-%m-%d}" if h.published else "undated"
        print(f"{i:2}. {h.score:.3f} {date} {h.source}: {h.title}\n    {h.url}")
    if not hits:
        print("No matching articles.")
    return 0


def digest(args: argparse.Namespace, settings: Settings) -> int:
    from newsbot.digest import build_digest, digest_text

    with opened(settings) as library:
        if _say_nothing_ingested(library):
            return 1
        result = build_digest(library, since=args.since)
    if args.json:
        print_json(result.to_json())
    else:
        print(digest_text(result))
    return 0


def _say_nothing_ingested(library: Library) -> bool:
    message = nothing_ingested(library)
    if message:
        print(f"newsbot: {message}", file=sys.stderr)
    return message is not None


def show_status(args: argparse.Namespace, settings: Settings) -> int:
    from newsbot.status import status, status_text

    with opened(settings) as library:
        print(status_text(status(library)))
    return 0


def console(args: argparse.Namespace, settings: Settings) -> int:
    from cli.console import run_console

    with opened(settings) as library:
        prepare_embedder(library)
        return run_console(library, chat_model_for(settings))


SAMPLE_FEEDS_NOW = datetime(2026, 11, 26, 12, tzinfo=UTC)  # data/sample_feeds' "today"
NO_FEEDS_FILE = Path("/nonexistent/newsbot-demo-feeds.toml")  # seeds no feed


def _follow_only(library: Library, files: list[str]) -> None:
    """The demo store follows the sample feeds and nothing else (older demo stores were
    seeded from feeds.toml by `reingest`)."""
    from newsbot import feeds as feed_store

    feed_store.seed_once(library.db, library.settings.feeds_file)  # marks it seeded
    for feed in feed_store.list_feeds(library.db):
        if feed.url not in files:
            feed_store.remove_feed(library.db, feed.url)


def demo(args: argparse.Namespace, settings: Settings) -> int:
    """Sample feeds into a separate demo data dir, so real data never mixes with fiction."""
    from ingest.pipeline import run_ingest, sources_from_args

    # the sample feeds are fixed in time: read "this week" against their own today; the
    # demo follows only them, never feeds.toml's real feeds (`reingest` re-reads them)
    demo_settings = settings.model_copy(
        update={"data_dir": settings.data_dir / "demo", "fetch_article_pages": False,
                "now": settings.now or SAMPLE_FEEDS_NOW, "feeds_file": NO_FEEDS_FILE})
    files = sorted(str(p) for p in settings.sample_feeds_dir.glob("*.xml"))
    with opened(demo_settings) as library:
        _follow_only(library, files)
        prepare_embedder(library)
        print(f"Ingesting {len(files)} bundled sample feeds (fictional outlets) …",
              file=sys.stderr)
        report = run_ingest(library, sources_from_args(files))
        print(report.summary_line(), file=sys.stderr)
        print(f"Demo clock: {demo_settings.now:%d %b %Y} (the sample feeds' today), so "
              "'this week' means the week before it.", file=sys.stderr)
        from cli.console import run_console

        return run_console(library, chat_model_for(demo_settings))


def bot(args: argparse.Namespace, settings: Settings) -> int:
    if settings.discord_token is None:
        print(
            "DISCORD_TOKEN is not set. Create a bot at https://discord.com/developers/applications"
            " (see README: 'Running the Discord bot'), put DISCORD_TOKEN=... in .env, and run "
            "again. To try newsbot without Discord: `newsbot console` or `make run`.",
            file=sys.stderr,
        )
        return 2
    from bot.main import run_bot

    return run_bot(settings)


def start(args: argparse.Namespace, settings: Settings) -> int:
    if settings.discord_token is not None:
        return bot(args, settings)
    print("No DISCORD_TOKEN set: starting the local console over the bundled sample feeds.",
          file=sys.stderr)
    return demo(args, settings)
