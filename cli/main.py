"""`newsbot` command line: ingest, articles, feeds, ask, search, digest, console, bot,
follow (watchlists)."""

from __future__ import annotations

import argparse
import json
import logging
import os
import signal
import sys
import threading
from datetime import UTC, datetime
from typing import Any

from cli import logs
from newsbot.errors import NewsbotError
from newsbot.settings import ConfigError, Settings, load_settings

log = logging.getLogger("newsbot")


def _iso(value: str) -> datetime:
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an ISO date/time: {value!r}") from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _count(low: int, high: int, what: str):  # type: ignore[no-untyped-def]
    """An argparse type: a whole number in [low, high], with a one-line error otherwise."""
    def parse(value: str) -> int:
        try:
            number = int(value)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{what} must be a whole number") from None
        if not low <= number <= high:
            raise argparse.ArgumentTypeError(f"{what} must be between {low} and {high:,}")
        return number
    return parse


DAYS = _count(1, 36_500, "--days")  # up to a hundred years back


def build_parser() -> argparse.ArgumentParser:
    from cli import stories

    parser = argparse.ArgumentParser(
        prog="newsbot",
        description="Autoimmune immune-reprogramming therapy news: ingest, ask, digest, Discord.",
    )
    parser.add_argument("-v", "--verbose", action="store_true",
                        help="show informational log lines, the libraries' included")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    clock = argparse.ArgumentParser(add_help=False)
    clock.add_argument("--now", type=_iso, help="read 'this week' and recency as of this ISO "
                       "time (default: NEWSBOT_NOW, else the real time)")

    p = sub.add_parser("ingest", parents=[clock],
                       help="fetch feeds and store new on-topic articles")
    p.add_argument("feeds", nargs="*", metavar="FEED", help="feed URLs or files (default: "
                   "the configured feeds)")
    p.add_argument("--json", action="store_true", help="print the report as JSON")
    p.add_argument("--full", action="store_true", help="ignore caches and re-check every item")
    p.add_argument("--watch", action="store_true",
                   help="keep running, ingesting every NEWSBOT_INGEST_INTERVAL")

    p = sub.add_parser("articles", help="list stored articles")
    p.add_argument("--json", action="store_true")
    p.add_argument("--all", action="store_true", help="include off-topic and duplicate items")

    p = sub.add_parser("feeds", help="list, add or remove followed feeds")
    feeds_sub = p.add_subparsers(dest="feeds_command", required=True, metavar="ACTION")
    feeds_sub.add_parser("list", help="list followed feeds")
    add = feeds_sub.add_parser("add", help="follow a feed (checked first)")
    add.add_argument("url")
    add.add_argument("--name", default="")
    remove = feeds_sub.add_parser("remove", help="stop following a feed")
    remove.add_argument("url")

    p = sub.add_parser("ask", parents=[clock], help="answer a question from the stored news")
    p.add_argument("question")
    p.add_argument("--json", action="store_true")
    p.add_argument("--days", type=DAYS, help="only news from the last N days")
    p.add_argument("--since", type=_iso, help="only news since this ISO date")
    p.add_argument("--disease", help="e.g. lupus, 'myasthenia gravis', MS")

    p = sub.add_parser("search", parents=[clock], help="list the articles that best match a query")
    p.add_argument("query")
    p.add_argument("--json", action="store_true")
    p.add_argument("-k", type=_count(1, 100, "-k"), default=10, help="how many articles")
    p.add_argument("--days", type=DAYS)
    p.add_argument("--disease")

    p = sub.add_parser("digest", parents=[clock], help="print the digest of recent stories")
    p.add_argument("--since", type=_iso, help="start of the period (default: 24 h ago)")
    p.add_argument("--json", action="store_true")

    stories.add_parser(sub)
    from cli import trials

    trials.add_parser(sub)
    sub.add_parser("status", help="what is stored and how the last ingest went")
    sub.add_parser("console", parents=[clock],
                   help="a local chat that behaves like the Discord channel")
    sub.add_parser("demo", help="ingest the bundled sample feeds and open the console")
    sub.add_parser("bot", help="run the Discord bot (needs DISCORD_TOKEN)")
    sub.add_parser("start", help="the bot when DISCORD_TOKEN is set, otherwise the demo")
    from cli import feedback, watchlist

    feedback.add_parser(sub)
    watchlist.add_parsers(sub, _iso)
    return parser


LONG_RUNNING = frozenset({"bot", "start"})  # they keep their INFO log lines


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        settings = load_settings()
    except ConfigError as exc:
        print(f"newsbot: configuration error: {exc}", file=sys.stderr)
        return 2
    if getattr(args, "now", None):
        settings = settings.replace(now=args.now)
    # `start` without a token is the demo console: a newcomer's terminal, not a bot's log
    long_running = args.command in LONG_RUNNING and not (
        args.command == "start" and settings.discord.token is None)
    logs.configure(settings.log_level, verbose=args.verbose, long_running=long_running)
    try:
        code = int(_dispatch(args, settings) or 0)
        sys.stdout.flush()  # a closed pipe shows here, not at interpreter exit
        return code
    except BrokenPipeError:
        return _reader_went_away()
    except NewsbotError as exc:
        print(f"newsbot: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


def _reader_went_away() -> int:
    """`newsbot articles | head`: end as `git log | head` does, killed quietly by SIGPIPE."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())  # nothing left to flush at exit
    if hasattr(signal, "SIGPIPE") and threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGPIPE, signal.SIG_DFL)
        os.kill(os.getpid(), signal.SIGPIPE)
    return 128 + 13  # what a shell reports for a process ended by SIGPIPE


def _dispatch(args: argparse.Namespace, settings: Settings) -> int | None:
    from cli import commands, feed_commands, feedback, stories, trials, watchlist

    handlers: dict[str, Any] = {
        "ingest": commands.ingest, "articles": commands.articles, "feeds": feed_commands.feeds,
        "ask": commands.ask, "search": commands.search, "digest": commands.digest,
        "status": commands.show_status, "console": commands.console, "demo": commands.demo,
        "bot": commands.bot, "start": commands.start, "feedback": feedback.run,
        "stories": stories.run, "follow": watchlist.run, "following": watchlist.run,
        "unfollow": watchlist.run, "alerts": watchlist.run,
        "trial": trials.run,
    }
    return handlers[args.command](args, settings)


def print_json(data: Any) -> None:
    json.dump(data, sys.stdout, indent=2, ensure_ascii=False, default=str)
    sys.stdout.write("\n")


if __name__ == "__main__":
    raise SystemExit(main())
