"""What /status and /sources report: store counts, last run, mode, feeds."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from newsbot import __version__
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

