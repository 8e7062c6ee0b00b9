"""The ingest report as terminal text: a table at the terminal's width, then each failed
feed, warning and failed item once."""

from __future__ import annotations

from rich import box
from rich.console import Console
from rich.table import Table

from ingest.report import COUNTERS, FeedReport, IngestReport


def print_report(report: IngestReport) -> None:
    table = Table(title="Ingest report", box=box.SIMPLE_HEAD, pad_edge=False)
    table.add_column("feed", overflow="fold", ratio=3)
    table.add_column("status", no_wrap=True)
    table.add_column("articles", ratio=2)
    for f in report.feeds:
        status = {"error": "FAILED", "not_modified": "unchanged"}.get(f.status, f.status)
        table.add_row(f.name or f.feed, status + (" (!)" if f.warning else ""), _counts(f))
    console = Console(highlight=False)  # width: the terminal's, or $COLUMNS, or 80
    console.print(table)
    for line in report.problem_lines():
        console.print(line, markup=False)
    console.print(f"Total: {report.summary_line()} {report.chunks_embedded} chunks embedded.",
                  markup=False)


def _counts(f: FeedReport) -> str:
    """'5 new, 1 off-topic': the counters that are not zero."""
    parts = []
    for counter in COUNTERS:
        number = getattr(f, counter)
        if number:
            label = counter.replace("_", "-")
            parts.append(f"{number} {label.removesuffix('s') if number == 1 else label}")
    return ", ".join(parts) or ("—" if f.status == "error" else "nothing new")
