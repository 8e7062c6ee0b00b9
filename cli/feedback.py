"""`newsbot feedback export`: readers' feedback as evaluation-question JSONL."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from newsbot.errors import NewsbotError
from newsbot.settings import Settings


def add_parser(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser("feedback", help="readers' feedback on answers given in Discord")
    actions = p.add_subparsers(dest="feedback_command", required=True, metavar="ACTION")
    export = actions.add_parser(
        "export", help="write answers that got feedback as evaluation questions (JSONL)")
    export.add_argument("-o", "--output", type=Path, help="file to write (default: stdout)")


def run(args: argparse.Namespace, settings: Settings) -> int:
    """Reads SQLite only, so it works while the bot holds the vector store."""
    if not settings.storage.sqlite_path.exists():
        raise NewsbotError(f"Nothing recorded yet: no database in {settings.storage.data_dir}.")
    from newsbot.store import Store

    with Store.open(settings, vectors=False) as store:
        rows = store.feedback.export_questions()
    lines = "".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows)
    if args.output is None:
        sys.stdout.write(lines)
    else:
        try:
            args.output.write_text(lines, encoding="utf-8")
        except OSError as exc:
            raise NewsbotError(f"Cannot write {args.output}: {exc.strerror or exc}.") from None
    print(f"{len(rows)} answer(s) with feedback exported.", file=sys.stderr)
    return 0
