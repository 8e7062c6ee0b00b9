"""Logging for the command line: newsbot's own warnings, not the libraries' chatter.

Without --verbose only warnings and errors reach the terminal (the bot keeps its own INFO
lines), libraries' INFO lines (onnxruntime's graph fusions, httpx's requests) are dropped,
and a failed feed or item is not logged because the ingest report already names it.
"""

from __future__ import annotations

import logging
import sys

OWN_PACKAGES = frozenset({"newsbot", "ingest", "cli", "bot"})
# ingest/pipeline.py logs every failed feed and item; the report carries the same lines
_FEED_FAILED = ("feed %s failed", "item %s failed")


class _Quiet(logging.Filter):
    def __init__(self, own_level: int, reported: bool) -> None:
        super().__init__()
        self.own_level = own_level
        self.reported = reported  # failures reach the user in a report, not only the log

    def filter(self, record: logging.LogRecord) -> bool:
        own = record.name.partition(".")[0] in OWN_PACKAGES
        if (self.reported and record.name == "ingest.pipeline"
                and str(record.msg).startswith(_FEED_FAILED)):
            return False
        return record.levelno >= (self.own_level if own else logging.WARNING)


def configure(level: str, *, verbose: bool, long_running: bool) -> None:
    """`level` is NEWSBOT_LOG_LEVEL; a long-running process (the bot) keeps its INFO lines
    and its log of failed feeds. Like logging.basicConfig, it leaves a logging set up
    already (by an embedding program, or pytest) alone."""
    root = logging.getLogger()
    if root.handlers:
        return
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    configured = logging.getLevelName(level.upper())
    if not isinstance(configured, int):
        configured = logging.INFO
    if not verbose:
        own_level = configured if long_running else max(configured, logging.WARNING)
        handler.addFilter(_Quiet(own_level, reported=not long_running))
    root.addHandler(handler)
    root.setLevel(min(configured, logging.INFO) if verbose else configured)
