"""The followed feeds: their state as stored, and how a typed feed location is read.

The records are kept by the store (`store.feeds`), seeded from feeds.toml."""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from urllib.parse import urlsplit

from newsbot.errors import InvalidFeedURL
from newsbot.links import canonical_url

_HAS_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*://")


@dataclass(frozen=True)
class FeedState:
    url: str
    name: str
    etag: str | None
    last_modified: str | None
    last_attempt: datetime | None
    last_success: datetime | None
    last_error: str | None
    error_count: int
    consecutive_errors: int
    article_count: int = 0
    failing_since: datetime | None = None  # first failure since the last success


def is_url(value: str) -> bool:
    """An address with a scheme (http, https, or one refused later), not a file path."""
    return bool(_HAS_SCHEME.match(value.strip()))


def validate_feed_url(url: str) -> str:
    url = url.strip()
    parts = urlsplit(url)
    if parts.scheme not in {"http", "https"} or not parts.netloc:
        raise InvalidFeedURL(f"Feeds must be http:// or https:// URLs, not {url[:200]!r}.")
    return url


def feed_location(value: str, *, must_exist: bool = False) -> str:
    """What someone typed → the feed as stored: a canonical http(s) URL, or a feed file's
    absolute path (`feeds add`, `feeds remove` and `ingest` all read it this way)."""
    value = value.strip()
    if is_url(value):
        return canonical_url(validate_feed_url(value))
    path = Path(value).expanduser().resolve()
    if must_exist and not path.is_file():
        raise InvalidFeedURL(f"No feed file at {path} (feed URLs start with http:// or "
                             "https://).")
    return str(path)


def feed_key(location: str) -> str:
    """Two spellings of one feed have one key (host case, port, slash, tracking tags)."""
    if is_url(location):
        return canonical_url(location, for_comparison=True)
    return location


def read_feeds_file(path: Path) -> list[tuple[str, str]]:
    if not path.exists():
        return []
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    return [(f["url"], f.get("name", "")) for f in data.get("feeds", [])]


def feed_state(feed: FeedState) -> str:
    """"never fetched", "ok", or "failing since … (N times): reason" (plain text, the same
    in the terminal and in Discord, where the card escapes it)."""
    if feed.consecutive_errors:
        since = feed.failing_since or feed.last_attempt
        when = f" since {since:%Y-%m-%d %H:%M} UTC" if since else ""
        times = "once" if feed.consecutive_errors == 1 else f"{feed.consecutive_errors} times"
        return f"failing{when} ({times}): {feed.last_error}"
    return "ok" if feed.last_success else "never fetched"


def feed_line(feed: FeedState) -> str:
    """One followed feed on one line: name, URL, last success, articles, state."""
    ok = f"{feed.last_success:%Y-%m-%d %H:%M}" if feed.last_success else "never"
    name = f"{feed.name} — " if feed.name else ""
    return (f"{name}{feed.url} | last success {ok} | {feed.article_count} articles | "
            f"{feed_state(feed)}")
