"""What `ask`, `search`, `digest` and the console say when nothing has been ingested yet."""

from __future__ import annotations

from datetime import UTC, datetime

from newsbot.library import Library

SAMPLE_FEEDS_NOW = datetime(2026, 11, 26, 12, tzinfo=UTC)  # the sample feeds' "today"


def nothing_ingested(library: Library) -> str | None:
    """Instead of "no coverage": the store has never had an article, and where to get some."""
    counts = library.store.articles.counts()
    if counts["articles"] or counts["skipped"] or counts["duplicates"]:
        return None
    data_dir = library.settings.storage.data_dir
    demo = data_dir / "demo"
    lines = [f"Nothing has been ingested into {data_dir} yet. `newsbot ingest` fetches the "
             "followed feeds (`newsbot feeds list`; they need internet)."]
    if (demo / "newsbot.sqlite3").exists():
        lines.append(f"The demo's sample news is stored apart, in {demo}: "
                     f"NEWSBOT_DATA_DIR={demo} NEWSBOT_NOW={SAMPLE_FEEDS_NOW:%Y-%m-%dT%H:%MZ} "
                     "newsbot ask \"…\", or `newsbot demo` for its console.")
    else:
        lines.append("To try newsbot on the bundled sample feeds instead: `make run` or "
                     f"`newsbot demo` (stored apart, in {demo}).")
    return " ".join(lines)
