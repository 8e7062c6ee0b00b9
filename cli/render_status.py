"""Status and followed feeds as terminal text (`newsbot status`, `feeds list`, the console)."""

from __future__ import annotations

from newsbot.feeds import FeedState
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


def feed_state(feed: FeedState) -> str:
    """"never fetched", "ok", or "failing since … (N times): reason"."""
    if feed.consecutive_errors:
        since = feed.failing_since or feed.last_attempt
        when = f" since {since:%Y-%m-%d %H:%M} UTC" if since else ""
        times = "once" if feed.consecutive_errors == 1 else f"{feed.consecutive_errors} times"
        return f"failing{when} ({times}): {feed.last_error}"
    return "ok" if feed.last_success else "never fetched"


def feed_line(feed: FeedState) -> str:
    ok = f"{feed.last_success:%Y-%m-%d %H:%M}" if feed.last_success else "never"
    name = f"{feed.name} — " if feed.name else ""
    return (f"{name}{feed.url} | last success {ok} | {feed.article_count} articles | "
            f"{feed_state(feed)}")
