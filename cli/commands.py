"""Handlers of the `newsbot` sub-commands: parse → core call → print."""

from __future__ import annotations

import argparse
import shutil
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from cli.empty_store import SAMPLE_FEEDS_NOW, nothing_ingested
from cli.feed_commands import followed_locations
from cli.main import print_json
from cli.model_step import prepare_embedder
from cli.report_table import print_report
from newsbot.errors import EmbeddingMismatch
from newsbot.library import Library
from newsbot.settings import Settings
from newsbot.store.vectors import forget_clients


@contextmanager
def opened(settings: Settings, *, store_optional: bool = False) -> Iterator[Library]:
    library = Library.open(settings, tolerate_store_down=store_optional)
    try:
        yield library
    finally:
        library.close()


def chat_model_for(settings: Settings) -> Any | None:
    """The configured chat model; None (extractive answers, with a one-line notice) when it
    cannot be built, e.g. an OpenAI model with no API key."""
    if not settings.llm.model:
        return None
    from newsbot.errors import LLMUnavailable
    from newsbot.llm import make_chat_model

    try:
        return make_chat_model(settings)
    except LLMUnavailable as exc:
        print(f"newsbot: {exc} — answering with extractive summaries instead.",
              file=sys.stderr)
        return None


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
    from newsbot.store import writable

    if not writable(settings.storage.data_dir):  # say so before copying a read-only store
        from newsbot.errors import StoreReadOnly

        raise StoreReadOnly(settings.storage.data_dir)
    with opened(settings) as library:
        locations = followed_locations(library, args.feeds) if args.feeds else []
        while True:
            report = run_ingest_with_progress(library, locations, args.full, args.json)
            if args.json:
                print_json(report.to_json())
            else:
                print_report(report)
            if not args.watch:
                return 1 if report.status == "failed" else 0
            time.sleep(settings.schedule.ingest_interval.total_seconds())


def articles(args: argparse.Namespace, settings: Settings) -> int:
    with opened(settings) as library:
        rows = library.store.articles.list(include_skipped=args.all)
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


def ask(args: argparse.Namespace, settings: Settings) -> int:
    from cli.render_answer import answer_text
    from newsbot.answering import answer_question

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
    from cli.render_digest import digest_text
    from newsbot.digest import build_digest

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
    from cli.render_status import status_text
    from newsbot.status import status

    with opened(settings, store_optional=True) as library:  # SQLite is all status reads
        print(status_text(status(library)))
    return 0


def console(args: argparse.Namespace, settings: Settings) -> int:
    from cli.console import run_console

    with opened(settings) as library:
        prepare_embedder(library)
        return run_console(library, chat_model_for(settings))


NO_FEEDS_FILE = Path("/nonexistent/newsbot-demo-feeds.toml")  # seeds no feed


def _follow_only(library: Library, files: list[str]) -> None:
    """The demo store follows the sample feeds and nothing else (older demo stores were
    seeded from feeds.toml by `reingest`)."""
    feeds = library.store.feeds
    feeds.seed_once(library.settings.storage.feeds_file)  # marks it seeded
    for feed in feeds.list():
        if feed.url not in files:
            feeds.remove(feed.url)


def demo(args: argparse.Namespace, settings: Settings) -> int:
    """Sample feeds into a separate demo data dir, so real data never mixes with fiction."""
    # the sample feeds are fixed in time: read "this week" against their own today; the
    # demo follows only them, never feeds.toml's real feeds (`reingest` re-reads them)
    demo_settings = settings.replace(
        data_dir=settings.storage.data_dir / "demo", fetch_article_pages=False,
        now=settings.now or SAMPLE_FEEDS_NOW, feeds_file=NO_FEEDS_FILE)
    files = sorted(str(p) for p in settings.storage.sample_feeds_dir.glob("*.xml"))
    try:
        return _demo(demo_settings, files)
    except EmbeddingMismatch:  # made by an older version: it is only the sample feeds, redo it
        print("The demo store was embedded by another embedding backend; rebuilding it from "
              "the bundled sample feeds.", file=sys.stderr)
        shutil.rmtree(demo_settings.storage.data_dir)
        forget_clients()
        return _demo(demo_settings, files)


def _demo(demo_settings: Settings, files: list[str]) -> int:
    from ingest.pipeline import run_ingest, sources_from_args

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
    if settings.discord.token is None:
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
    if settings.discord.token is not None:
        return bot(args, settings)
    print("No DISCORD_TOKEN set: starting the local console over the bundled sample feeds.",
          file=sys.stderr)
    return demo(args, settings)
