"""Shared helpers for the benchmarks: settings, timing, tables, memory, machine facts."""

from __future__ import annotations

import json
import os
import platform
import resource
import statistics
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

from newsbot.data import data_path
from newsbot.offline import offline_env as offline_env  # the benchmarks call it first

ROOT = Path(__file__).resolve().parent.parent
SAMPLE_FEEDS = data_path("sample_feeds")
QUESTIONS_FILE = ROOT / "tests" / "fixtures" / "questions.json"
OUT_DIR = ROOT / "bench" / "out"  # git-ignored: results JSON, cached pools
SAMPLE_NOW = datetime(2026, 11, 26, 12, tzinfo=UTC)  # the sample feeds' "today"
T = TypeVar("T")


def bench_settings(data_dir: Path, **overrides: Any) -> Any:
    """Settings for a benchmark store: explicit, never read from `.env`.

    Article pages are not fetched (every generated item carries its full text, and the
    tutorial pipeline does not fetch pages either).
    """
    from newsbot.settings import Settings

    base: dict[str, Any] = {
        "data_dir": data_dir,
        "feeds_file": data_dir / "feeds.toml",
        "allow_hosts": "127.0.0.1,localhost",
        "fetch_article_pages": False,
        "chroma_collection": "bench",
        "chroma_host": None,
        "embedding_backend": default_backend(),
        "log_level": "WARNING",
    }
    base.update(overrides)
    return Settings(_env_file=None, **base)  # type: ignore[call-arg]


def default_backend() -> str:
    """The embedding backend newsbot uses by default (settings): the figures follow it."""
    from newsbot.settings import EmbeddingSettings

    return str(EmbeddingSettings.model_fields["backend"].default)


def timed(fn: Callable[[], T]) -> tuple[float, T]:
    start = time.perf_counter()
    result = fn()
    return time.perf_counter() - start, result


def median(values: Sequence[float]) -> float:
    return statistics.median(values) if values else float("nan")


def percentile(values: Sequence[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..100) — no interpolation between samples."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    rank = max(1, min(len(ordered), round(q / 100 * len(ordered) + 0.5)))
    return ordered[rank - 1]


def peak_rss_mb() -> float:
    """Peak resident set size of this process so far.

    Linux's VmHWM, not getrusage: ru_maxrss survives exec, so a child started by a big
    parent would report the parent's peak (the builder's, here) as its own.
    """
    value = _proc_status_mb("VmHWM:")
    if value == value:  # not NaN
        return value
    kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return kib / 1024 if sys.platform != "darwin" else kib / 1024 / 1024


def current_rss_mb() -> float:
    return _proc_status_mb("VmRSS:")


def _proc_status_mb(key: str) -> float:
    try:
        with open("/proc/self/status") as handle:
            for line in handle:
                if line.startswith(key):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return float("nan")


def machine() -> dict[str, str]:
    cpu = platform.processor() or "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    ram = "unknown"
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                ram = f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
                break
    except OSError:
        pass
    return {"nproc": str(os.cpu_count()), "cpu": cpu, "ram": ram,
            "python": platform.python_version(), "date": datetime.now(UTC).isoformat()[:19]}


def table(title: str, headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    """A Markdown table (readable in a terminal, pasteable into RESULTS.md)."""
    cells = [[_fmt(v) for v in row] for row in rows]
    widths = [max(len(h), *(len(r[i]) for r in cells)) if cells else len(h)
              for i, h in enumerate(headers)]
    lines = [f"\n\n### {title}\n",
             "| " + " | ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True)) + " |",
             "|" + "|".join("-" * (w + 2) for w in widths) + "|"]
    for row in cells:
        lines.append("| " + " | ".join(c.ljust(w) for c, w in zip(row, widths, strict=True))
                     + " |")
    return "\n".join(lines)


def _fmt(value: Any) -> str:
    if isinstance(value, float):
        if value != value:  # NaN
            return "–"
        if abs(value) >= 100:
            return f"{value:,.0f}"
        if abs(value) >= 10:
            return f"{value:.1f}"
        return f"{value:.3f}" if abs(value) < 1 else f"{value:.2f}"
    return str(value)


@contextmanager
def quiet_logs(level: int = 40) -> Iterator[None]:
    """Chroma, httpx and the pipeline log per request; a benchmark prints tables only."""
    import logging

    names = ("", "httpx", "chromadb", "ingest", "newsbot")
    old = {name: logging.getLogger(name).level for name in names}
    for name in names:
        logging.getLogger(name).setLevel(level)
    try:
        yield
    finally:  # the levels as they were: a test run after a bench still sees its warnings
        for name, was in old.items():
            logging.getLogger(name).setLevel(was)


def progress(message: str) -> None:
    """One status line on stderr (stdout carries the tables)."""
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def publish(text: str, figures: Any, json_path: Path | None) -> None:
    """Print a benchmark's tables and, when asked, write its figures as JSON."""
    print(text)
    if json_path:
        json_path.parent.mkdir(parents=True, exist_ok=True)
        json_path.write_text(json.dumps(figures, indent=2))
