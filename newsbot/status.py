"""What /status and /sources report: store counts, last run, mode, feeds."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from newsbot import __version__
from newsbot.feeds import FeedState
from newsbot.library import Library


@dataclass(frozen=True)
class Status:
    version: str
    articles: int
    stories: int
    skipped: int
    duplicates: int
    chunks: int
    last_ingest: datetime | None
    last_result: str | None
    mode: str
    store: str
    failing_feeds: int


def status(library: Library) -> Status:
    counts = library.store.articles.counts()
    run = library.store.runs.last()
    result = None
    if run and run["report"].get("error"):
        result = f"{run['status']}: {run['report']['error']}"
    elif run:
        totals = run["report"].get("totals", {})
        result = (f"{run['status']}: {totals.get('new', 0)} new, {totals.get('updated', 0)} "
                  f"updated, {totals.get('errors', 0)} entry errors, "
                  f"{len([f for f in run['report'].get('feeds', []) if f['status'] == 'error'])}"
                  " feed(s) failed")
    feeds = library.store.feeds.list()
    return Status(
        version=__version__, articles=counts["articles"], stories=counts["stories"],
        skipped=counts["skipped"], duplicates=counts["duplicates"], chunks=counts["chunks"],
        last_ingest=run["finished_at"] if run else None, last_result=result,
        mode=library.settings.describe_llm(), store=library.store.description,
        failing_feeds=sum(1 for f in feeds if f.consecutive_errors),
    )


def status_text(s: Status) -> str:
    when = f"{s.last_ingest:%Y-%m-%d %H:%M} UTC" if s.last_ingest else "never"
    return "\n".join([
        f"newsbot {s.version} — {s.mode}",
        f"Stored: {s.articles} articles in {s.stories} stories ({s.chunks} chunks); "
        f"{s.skipped} skipped as off-topic, {s.duplicates} duplicate(s) collapsed.",
        f"Last ingest: {when}" + (f" ({s.last_result})" if s.last_result else ""),
        f"Store: {s.store}; feeds failing: {s.failing_feeds}",
    ])


def feed_state(feed: FeedState) -> str:
    """"never fetched", "ok", or "failing since … (N times): reason"."""
    if feed.consecutive_errors:
        since = feed.failing_since or feed.last_attempt
        when = f" since {since:%Y-%m-%d %H:%M} UTC" if since else ""
        times = "once" if feed.consecutive_errors == 1 else f"{feed.consecutive_errors} times"
        return f"failing{when} ({times}): {feed.last_error}"
    return "ok" if feed.last_success else "never fetched"


def feed_line(feed: FeedState) -> str:
    ok = f"{feed.last_success:%Y-%m-%d %H:%M}" if feed.last_success else "never"
    name = f"{feed.name} — " if feed.name else ""
    return (f"{name}{feed.url} | last success {ok} | {feed.article_count} articles | "
            f"{feed_state(feed)}")
