"""Logging for the command line: newsbot's own warnings, not the libraries' chatter.

Without --verbose only warnings and errors reach the terminal (the bot keeps its own INFO
lines), libraries' INFO lines (onnxruntime's graph fusions, httpx's requests) are dropped,
and a failed feed is not logged because the ingest report already names it.
"""

from __future__ import annotations

import logging
import sys

OWN_PACKAGES = frozenset({"newsbot", "ingest", "cli", "bot"})
# ingest/pipeline.py logs every failed feed; the report carries the same line
_FEED_FAILED = ("feed %s failed",)


class _Quiet(logging.Filter):
    def __init__(self, own_level: int) -> None:
        super().__init__()
        self.own_level = own_level

    def filter(self, record: logging.LogRecord) -> bool:
        own = record.name.partition(".")[0] in OWN_PACKAGES
        if own and record.name == "ingest.pipeline" and str(record.msg).startswith(_FEED_FAILED):
            return False
        return record.levelno >= (self.own_level if own else logging.WARNING)


def configure(level: str, *, verbose: bool, long_running: bool) -> None:
    """`level` is NEWSBOT_LOG_LEVEL; a long-running process (the bot) keeps its INFO lines."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    configured = logging.getLevelName(level.upper())
    if not isinstance(configured, int):
        configured = logging.INFO
    if not verbose:
        handler.addFilter(_Quiet(configured if long_running else max(configured,
                                                                      logging.WARNING)))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(min(configured, logging.INFO) if verbose else configured)
