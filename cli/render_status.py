"""Status and followed feeds as terminal text (`newsbot status`, `feeds list`, the console)."""

from __future__ import annotations

from newsbot.status import Status


def status_text(s: Status) -> str:
    when = f"{s.last_ingest:%Y-%m-%d %H:%M} UTC" if s.last_ingest else "never"
    return "\n".join([
        f"newsbot {s.version} — {s.mode}",
        f"Stored: {s.articles} articles in {s.stories} stories ({s.chunks} chunks); "
        f"{s.skipped} skipped as off-topic, {s.duplicates} duplicate(s) collapsed.",
        f"Last ingest: {when}" + (f" ({s.last_result})" if s.last_result else ""),
        f"Store: {s.store}; feeds failing: {s.failing_feeds}",
    ])


