"""What an ingestion run did, per feed and in total."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime

COUNTERS = ("new", "updated", "unchanged", "off_topic", "duplicates", "errors")


@dataclass
class FeedReport:
    feed: str
    name: str = ""
    status: str = "ok"  # ok | not_modified | error
    error: str | None = None
    warning: str | None = None
    entries: int = 0
    new: int = 0
    updated: int = 0
    unchanged: int = 0
    off_topic: int = 0
    duplicates: int = 0
    errors: int = 0
    entry_errors: list[str] = field(default_factory=list)


@dataclass
class IngestReport:
    started_at: datetime
    finished_at: datetime | None = None
    feeds: list[FeedReport] = field(default_factory=list)
    chunks_embedded: int = 0
    repaired: int = 0
    trials: dict[str, object] | None = None  # the registry refresh after the run

    def total(self, counter: str) -> int:
        return sum(getattr(f, counter) for f in self.feeds)

    @property
    def failed_feeds(self) -> list[FeedReport]:
        return [f for f in self.feeds if f.status == "error"]

    @property
    def status(self) -> str:
        if self.feeds and len(self.failed_feeds) == len(self.feeds):
            return "failed"
        return "partial" if self.failed_feeds else "ok"

    def to_json(self) -> dict[str, object]:
        return {
            "started_at": self.started_at.isoformat(),
            "finished_at": self.finished_at.isoformat() if self.finished_at else None,
            "status": self.status,
            "totals": {c: self.total(c) for c in COUNTERS},
            "chunks_embedded": self.chunks_embedded,
            "repaired": self.repaired,
            "feeds": [asdict(f) for f in self.feeds],
            "trials": self.trials,
        }

    def problem_lines(self, items_per_feed: int = 5) -> list[str]:
        """One line per failed feed, per feed read with a warning, and per failed item (the
        first few of each feed)."""
        lines = [f"failed: {f.name or f.feed}: {f.error}" for f in self.failed_feeds]
        lines += [f"warning: {f.name or f.feed}: {f.warning}" for f in self.feeds if f.warning]
        for f in self.feeds:
            lines += [f"item failed in {f.name or f.feed}: {e}"
                      for e in f.entry_errors[:items_per_feed]]
            if len(f.entry_errors) > items_per_feed:
                lines.append(f"… and {len(f.entry_errors) - items_per_feed} more failed "
                             f"item(s) in {f.name or f.feed}")
        return lines

    def summary_line(self) -> str:
        totals = ", ".join(f"{self.total(c)} {c.replace('_', '-')}" for c in COUNTERS)
        failed = len(self.failed_feeds)
        tail = f"; {failed} feed(s) failed" if failed else ""
        return f"{len(self.feeds)} feed(s): {totals}{tail}."
