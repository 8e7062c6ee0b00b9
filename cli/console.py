"""A local chat that behaves like the Discord channel, for trying newsbot without a token.

On a terminal it has line editing and history (readline); otherwise it reads commands line
by line until EOF, so it can be scripted.
"""

from __future__ import annotations

import contextlib
import re
import sys
from collections.abc import Callable
from typing import Any, TextIO

from cli.commands import nothing_ingested, parse_disease
from cli.render_answer import answer_text
from newsbot.answering import answer_question, latest
from newsbot.errors import NewsbotError
from newsbot.library import Library

HELP = """Commands (as in the Discord channel):
  ask QUESTION        answer from the stored news (a bare question works too)
  latest [DISEASE] [N] newest stories, one line each
  digest              digest of the last 24 hours
  status              what is stored, last ingest, mode
  sources             followed feeds and their state
  reingest [full]     fetch the followed feeds now (in the demo: the sample feeds)
  help | quit"""


MAX_LATEST = 25


def _history_file(library: Library) -> str:
    return str(library.settings.storage.data_dir / ".console_history")


def _setup_readline(library: Library) -> Callable[[], None]:
    try:
        import readline
    except ImportError:  # pragma: no cover - platforms without readline
        return lambda: None
    path = _history_file(library)
    with contextlib.suppress(OSError):
        readline.read_history_file(path)
    readline.set_history_length(500)
    return lambda: readline.write_history_file(path)


def handle(library: Library, line: str, chat_model: Any, turns: list[tuple[str, str]]) -> str:
    """One console command → the text the channel would show."""
    line = line.strip()
    if not line:
        return ""
    command, _, rest = line.partition(" ")
    command = command.lower()
    if command in {"help", "?"}:
        return HELP
    if command == "latest":
        disease, count = parse_latest(rest)
        items = latest(library, disease=disease, count=count)
        if not items:
            if disease:
                return "No recent stories on that."
            return nothing_ingested(library) or "No stories stored yet."
        return "\n".join(
            f"- {a.title} — {a.source}, {(a.published or a.ingested_at):%d %b} {a.url}"
            for a in items
        )
    if command == "digest":
        from cli.render_digest import digest_text
        from newsbot.digest import build_digest

        return digest_text(build_digest(library))
    if command == "status":
        from cli.render_status import status_text
        from newsbot.status import status

        return status_text(status(library))
    if command in {"sources", "feeds"}:
        from newsbot.feeds import feed_line

        feeds = library.store.feeds.list()
        return "\n".join(feed_line(f) for f in feeds) or "No feeds followed."
    if command == "reingest":
        from ingest.pipeline import run_ingest

        report = run_ingest(library, None, full=rest.strip().lower() == "full")
        return "\n".join([*report.problem_lines(), report.summary_line()])
    empty = nothing_ingested(library)
    if empty:
        return empty
    question = rest if command == "ask" else line
    # the whole conversation: the core decides what of it a follow-up carries
    answer = answer_question(library, question, history=turns, chat_model=chat_model)
    text = answer_text(answer)
    turns.append((question, text))
    return text


def parse_latest(rest: str) -> tuple[str | None, int]:
    """`latest [DISEASE] [N]` → (disease key, count); NewsbotError for what it cannot read."""
    words = rest.split()
    count = 5
    if words and re.fullmatch(r"[+-]?\d+", words[-1]):
        count = int(words.pop())
        if not 1 <= count <= MAX_LATEST:
            raise NewsbotError(f"The number of stories must be between 1 and {MAX_LATEST}.")
    return parse_disease(" ".join(words)) if words else None, count


def run_console(library: Library, chat_model: Any = None, stdin: TextIO | None = None,
                stdout: TextIO | None = None) -> int:
    stdin = stdin or sys.stdin
    stdout = stdout or sys.stdout
    interactive = stdin.isatty() and stdout.isatty()
    save_history = _setup_readline(library) if interactive else (lambda: None)
    turns: list[tuple[str, str]] = []
    if interactive:
        print("newsbot console — ask about immune-reprogramming therapies for autoimmune "
              "disease.\nType 'help' for commands, 'quit' to leave.", file=stdout)
    try:
        while True:
            try:
                line = input("newsbot> ") if interactive else stdin.readline()
            except EOFError:
                break
            if not interactive and line == "":
                break
            if re.fullmatch(r"\s*(quit|exit)\s*", line):
                break
            try:
                out = handle(library, line, chat_model, turns)
            except NewsbotError as exc:
                out = f"Sorry — {exc}"
            if out:
                print(out + "\n", file=stdout, flush=True)
    except KeyboardInterrupt:
        pass
    finally:
        save_history()
    return 0
