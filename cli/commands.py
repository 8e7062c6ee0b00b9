"""Handlers of the `newsbot` sub-commands: parse → core call → print."""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

from cli.main import print_json
from newsbot import db
from newsbot.library import Library
from newsbot.settings import Settings


@contextmanager
def opened(settings: Settings, *, store_optional: bool = False) -> Iterator[Library]:
    library = Library.open(settings, tolerate_store_down=store_optional)
    try:
        yield library
    finally:
        library.close()


def chat_model_for(settings: Settings) -> Any | None:
    if not settings.llm_model:
        return None
    from newsbot.llm import make_chat_model

    return make_chat_model(settings)


def _disease(value: str | None) -> str | None:
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
    if as_json or not sys.stderr.isatty():
        return run_ingest(library, sources, full=full)
    from rich.progress import Progress

    with Progress(transient=True) as bar:
        task = bar.add_task("Ingesting", total=None)

        def progress(done: int, total: int, current: str) -> None:
            bar.update(task, completed=done, total=total, description=f"Ingesting {current[:60]}")

        return run_ingest(library, sources, full=full, progress=progress)


def print_report(report: Any) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title="Ingest report")
    for column in ("feed", "status", "new", "updated", "unchanged", "off-topic", "duplicates",
                   "errors"):
        table.add_column(column)
    for f in report.feeds:
        status = f.status if not f.error else f"error: {f.error}"
        if f.warning:
            status += f" (warning: {f.warning})"
        table.add_row(f.name or f.feed, status, *(str(getattr(f, c)) for c in (
            "new", "updated", "unchanged", "off_topic", "duplicates", "errors")))
    console = Console(width=160)
    console.print(table)
    console.print(f"Total: {report.summary_line()} {report.chunks_embedded} chunks embedded.")


def ingest(args: argparse.Namespace, settings: Settings) -> int:
    from newsbot.errors import NewsbotError

    try:
        return _ingest(args, settings)
    except NewsbotError as exc:
        if not args.json:
            raise
        from ingest.report import IngestReport

        failed = {**IngestReport(started_at=datetime.now(UTC)).to_json(), "status": "failed",
                  "error": str(exc)}
        print_json(failed)  # --json always prints JSON, whatever stopped the run
        return 2


def _ingest(args: argparse.Namespace, settings: Settings) -> int:
    if not db.writable(settings.data_dir):  # say so before copying a read-only store
        from newsbot.errors import StoreReadOnly

        raise StoreReadOnly(settings.data_dir)
    with opened(settings) as library:
        while True:
            report = run_ingest_with_progress(library, args.feeds, args.full, args.json)
            if args.json:
                print_json(report.to_json())
            else:
                print_report(report)
            if not args.watch:
                return 1 if report.status == "failed" else 0
            time.sleep(settings.ingest_interval.total_seconds())


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
    if args.feeds_command == "remove":
        if feed_store.remove_feed(conn, args.url.strip()):
            print(f"No longer following {args.url}.")
            return 0
        print(f"Not following {args.url}.", file=sys.stderr)
        return 1
    from ingest.checks import check_feed

    title = check_feed(args.url, settings, trusted=True)
    added = feed_store.add_feed(conn, args.url.strip(), args.name or title, "command line")
    print(f"{'Now following' if added else 'Already following'} {title or args.url}.")
    return 0


def ask(args: argparse.Namespace, settings: Settings) -> int:
    from newsbot.answering import answer_question
    from newsbot.render import answer_text

    with opened(settings) as library:
        answer = answer_question(library, args.question, disease=_disease(args.disease),
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
        hits = search_articles(library, args.query, k=args.k, days=args.days,
                               disease=_disease(args.disease))
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
        result = build_digest(library, since=args.since)
    if args.json:
        print_json(result.to_json())
    else:
        print(digest_text(result))
    return 0


def show_status(args: argparse.Namespace, settings: Settings) -> int:
    from newsbot.status import status, status_text

    with opened(settings, store_optional=True) as library:  # SQLite is all status reads
        print(status_text(status(library)))
    return 0


def console(args: argparse.Namespace, settings: Settings) -> int:
    from cli.console import run_console

    with opened(settings) as library:
        return run_console(library, chat_model_for(settings))


SAMPLE_FEEDS_NOW = datetime(2026, 11, 26, 12, tzinfo=UTC)  # data/sample_feeds' "today"


def demo(args: argparse.Namespace, settings: Settings) -> int:
    """Sample feeds into a separate demo data dir, so real data never mixes with fiction."""
    from ingest.pipeline import run_ingest, sources_from_args

    # the sample feeds are fixed in time: read "this week" against their own today
    demo_settings = settings.model_copy(
        update={"data_dir": settings.data_dir / "demo", "fetch_article_pages": False,
                "now": settings.now or SAMPLE_FEEDS_NOW})
    files = sorted(str(p) for p in settings.sample_feeds_dir.glob("*.xml"))
    with opened(demo_settings) as library:
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
