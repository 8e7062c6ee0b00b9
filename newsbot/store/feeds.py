"""The followed feeds and their fetch state (conditional-GET validators, failures)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from newsbot.feeds import FeedState, feed_key, is_url, read_feeds_file
from newsbot.links import canonical_url
from newsbot.store.sqlite import Database, from_ts, now_ts


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


class Feeds:
    def __init__(self, db: Database) -> None:
        self._db = db

    def find(self, location: str) -> FeedState | None:
        """The followed feed `location` is another spelling of, if any."""
        key = feed_key(location)
        for row in self._db.conn.execute("SELECT * FROM feeds ORDER BY added_at, url"):
            if feed_key(row["url"]) == key:
                return _row(row)
        return None

    def seed_once(self, feeds_file: Path) -> None:
        """Load feeds.toml into the table the first time; later edits go through `feeds add`."""
        conn = self._db.conn
        if conn.execute("SELECT 1 FROM meta WHERE key = 'feeds_seeded'").fetchone():
            return
        for url, name in read_feeds_file(feeds_file):
            self.add(url, name, "feeds.toml")
        conn.execute("INSERT OR REPLACE INTO meta (key, value) VALUES ('feeds_seeded', '1')")

    def add(self, url: str, name: str = "", added_by: str = "") -> bool:
        """Returns False when the feed was already followed, however it was spelled."""
        url = canonical_url(url) if is_url(url) else url.strip()
        if self.find(url) is not None:
            return False
        cur = self._db.conn.execute(
            "INSERT OR IGNORE INTO feeds (url, name, added_at, added_by) VALUES (?,?,?,?)",
            (url, name, now_ts(), added_by),
        )
        return cur.rowcount == 1

    def ensure(self, url: str) -> None:
        self.add(url, "", "command line")

    def remove(self, url: str) -> bool:
        feed = self.find(url.strip())
        if feed is None:
            return False
        return self._db.conn.execute("DELETE FROM feeds WHERE url = ?",
                                     (feed.url,)).rowcount == 1

    def list(self) -> list[FeedState]:
        """Every followed feed, oldest first, with its count of stored on-topic articles."""
        rows = self._db.conn.execute(
            """SELECT f.*, (SELECT COUNT(*) FROM articles a WHERE a.feed_url = f.url
                            AND a.on_topic = 1) AS article_count
               FROM feeds f ORDER BY f.added_at, f.url"""
        )
        return [_row(r) for r in rows]

    def get(self, url: str) -> FeedState | None:
        row = self._db.conn.execute("SELECT * FROM feeds WHERE url = ?", (url,)).fetchone()
        return _row(row) if row else None

    def record_success(self, url: str, etag: str | None, last_modified: str | None,
                       name: str | None = None) -> None:
        ts = now_ts()
        self._db.conn.execute(
            """UPDATE feeds SET etag = ?, last_modified = ?, last_attempt = ?, last_success = ?,
               last_error = NULL, consecutive_errors = 0, failing_since = NULL,
               name = CASE WHEN name = '' AND ? IS NOT NULL THEN ? ELSE name END
               WHERE url = ?""",
            (etag, last_modified, ts, ts, name, name, url),
        )

    def record_error(self, url: str, error: str) -> None:
        ts = now_ts()
        self._db.conn.execute(
            """UPDATE feeds SET last_attempt = ?, last_error = ?, error_count = error_count + 1,
               consecutive_errors = consecutive_errors + 1,
               failing_since = COALESCE(failing_since, ?) WHERE url = ?""",
            (ts, error[:500], ts, url),
        )
