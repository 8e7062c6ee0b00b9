"""The followed feeds and their fetch state, kept in SQLite and seeded from feeds.toml."""

from __future__ import annotations

import re
import sqlite3
import tomllib
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from urllib.parse import urlsplit

from newsbot.db import from_ts, now_ts
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


def find_feed(conn: sqlite3.Connection, location: str) -> FeedState | None:
    """The followed feed `location` is another spelling of, if any."""
    key = feed_key(location)
    for row in conn.execute("SELECT * FROM feeds ORDER BY added_at, url"):
        if feed_key(row["url"]) == key:
            return _row(row)
    return None


def read_feeds_file(path: Path) -> list[tuple[str, str]]:
    if not path.exists():
        return []
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    return [(f["url"], f.get("name", "")) for f in data.get("feeds", [])]


def seed_once(conn: sqlite3.Connection, feeds_file: Path) -> None:
    """Load feeds.toml into the table the first time; later edits go through `feeds add`."""
    if conn.execute("SELECT 1 FROM meta WHERE key = 'feeds_seeded'").fetchone():
        return
    for url, name in read_feeds_file(feeds_file):
        add_feed(conn, url, name, "feeds.toml")
    conn.execute("INSERT OR REPLACE INTO meta (key, value) VALUES ('feeds_seeded', '1')")


def add_feed(conn: sqlite3.Connection, url: str, name: str = "", added_by: str = "") -> bool:
    """Returns False when the feed was already followed, however it was spelled."""
    url = canonical_url(url) if is_url(url) else url.strip()
    if find_feed(conn, url) is not None:
        return False
    cur = conn.execute(
        "INSERT OR IGNORE INTO feeds (url, name, added_at, added_by) VALUES (?,?,?,?)",
        (url, name, now_ts(), added_by),
    )
    return cur.rowcount == 1


def remove_feed(conn: sqlite3.Connection, url: str) -> bool:
    feed = find_feed(conn, url.strip())
    if feed is None:
        return False
    return conn.execute("DELETE FROM feeds WHERE url = ?", (feed.url,)).rowcount == 1


def _row(row: sqlite3.Row) -> FeedState:
    return FeedState(
        url=row["url"],
        name=row["name"],
        etag=row["etag"],
        last_modified=row["last_modified"],
        last_attempt=from_ts(row["last_attempt"]),
        last_success=from_ts(row["last_success"]),
        last_error=row["last_error"],
        error_count=row["error_count"],
        consecutive_errors=row["consecutive_errors"],
        article_count=row["article_count"] if "article_count" in row.keys() else 0,
        failing_since=from_ts(row["failing_since"]),
    )


def list_feeds(conn: sqlite3.Connection) -> list[FeedState]:
    rows = conn.execute(
        """SELECT f.*, (SELECT COUNT(*) FROM articles a WHERE a.feed_url = f.url
                        AND a.on_topic = 1) AS article_count
           FROM feeds f ORDER BY f.added_at, f.url"""
    )
    return [_row(r) for r in rows]


def get_feed(conn: sqlite3.Connection, url: str) -> FeedState | None:
    row = conn.execute("SELECT * FROM feeds WHERE url = ?", (url,)).fetchone()
    return _row(row) if row else None


def ensure_feed(conn: sqlite3.Connection, url: str) -> None:
    add_feed(conn, url, "", "command line")


def record_success(
    conn: sqlite3.Connection, url: str, etag: str | None, last_modified: str | None,
    name: str | None = None,
) -> None:
    ts = now_ts()
    conn.execute(
        """UPDATE feeds SET etag = ?, last_modified = ?, last_attempt = ?, last_success = ?,
           last_error = NULL, consecutive_errors = 0, failing_since = NULL,
           name = CASE WHEN name = '' AND ? IS NOT NULL THEN ? ELSE name END
           WHERE url = ?""",
        (etag, last_modified, ts, ts, name, name, url),
    )


def record_error(conn: sqlite3.Connection, url: str, error: str) -> None:
    ts = now_ts()
    conn.execute(
        """UPDATE feeds SET last_attempt = ?, last_error = ?, error_count = error_count + 1,
           consecutive_errors = consecutive_errors + 1,
           failing_since = COALESCE(failing_since, ?) WHERE url = ?""",
        (ts, error[:500], ts, url),
    )
