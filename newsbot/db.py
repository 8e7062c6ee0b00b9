"""SQLite in the data dir (WAL): article records, chunk text (with FTS5), feed state, runs.

Chroma holds the vectors; SQLite is the system of record. The `pending` table is an intent
journal that lets a run killed between the two stores be repaired by the next one.
"""

from __future__ import annotations

import json
import os
import sqlite3
from collections.abc import Iterable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from newsbot.errors import DiskFull, NewsbotError, StoreReadOnly
from newsbot.models import ArticleRecord, Chunk

SCHEMA = """
CREATE TABLE IF NOT EXISTS feeds (
    url TEXT PRIMARY KEY,
    name TEXT NOT NULL DEFAULT '',
    added_at INTEGER NOT NULL,
    added_by TEXT NOT NULL DEFAULT '',
    etag TEXT,
    last_modified TEXT,
    last_attempt INTEGER,
    last_success INTEGER,
    last_error TEXT,
    error_count INTEGER NOT NULL DEFAULT 0,
    consecutive_errors INTEGER NOT NULL DEFAULT 0,
    failing_since INTEGER
);
CREATE TABLE IF NOT EXISTS articles (
    id TEXT PRIMARY KEY,
    guid TEXT NOT NULL,
    url TEXT NOT NULL,
    title TEXT NOT NULL,
    source TEXT NOT NULL,
    feed_url TEXT NOT NULL,
    published INTEGER,
    ingested_at INTEGER NOT NULL,
    entry_hash TEXT NOT NULL DEFAULT '',
    text TEXT NOT NULL,
    content_hash TEXT NOT NULL,
    on_topic INTEGER NOT NULL,
    relevance REAL NOT NULL,
    reason TEXT NOT NULL,
    diseases TEXT NOT NULL DEFAULT '',
    therapies TEXT NOT NULL DEFAULT '',
    trial_ids TEXT NOT NULL DEFAULT '',
    story_id TEXT,
    duplicate_of TEXT,
    chunk_count INTEGER NOT NULL DEFAULT 0,
    vector BLOB
);
CREATE INDEX IF NOT EXISTS articles_published ON articles(published);
CREATE INDEX IF NOT EXISTS articles_ingested ON articles(ingested_at);
CREATE INDEX IF NOT EXISTS articles_hash ON articles(content_hash);
CREATE INDEX IF NOT EXISTS articles_story ON articles(story_id);
CREATE INDEX IF NOT EXISTS articles_duplicate ON articles(duplicate_of);
CREATE INDEX IF NOT EXISTS articles_coverage ON articles(on_topic, duplicate_of, diseases);
CREATE TABLE IF NOT EXISTS chunks (
    rowid INTEGER PRIMARY KEY,
    id TEXT UNIQUE NOT NULL,
    article_id TEXT NOT NULL,
    idx INTEGER NOT NULL,
    text TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS chunks_article ON chunks(article_id);
CREATE VIRTUAL TABLE IF NOT EXISTS chunks_fts USING fts5(
    text, content='chunks', content_rowid='rowid', tokenize='porter unicode61'
);
CREATE TRIGGER IF NOT EXISTS chunks_ai AFTER INSERT ON chunks BEGIN
    INSERT INTO chunks_fts(rowid, text) VALUES (new.rowid, new.text);
END;
CREATE TRIGGER IF NOT EXISTS chunks_ad AFTER DELETE ON chunks BEGIN
    INSERT INTO chunks_fts(chunks_fts, rowid, text) VALUES ('delete', old.rowid, old.text);
END;
-- Article-level keyword index (title weighted apart from the body) over stored articles:
-- on-topic originals only. Its rowid is the article's rowid; the BEFORE INSERT trigger drops
-- the old entry because INSERT OR REPLACE deletes the old row without firing DELETE triggers.
CREATE VIRTUAL TABLE IF NOT EXISTS articles_fts USING fts5(
    title, body, tokenize='porter unicode61'
);
CREATE TRIGGER IF NOT EXISTS articles_fts_bi BEFORE INSERT ON articles BEGIN
    DELETE FROM articles_fts WHERE rowid = (SELECT rowid FROM articles WHERE id = new.id);
END;
CREATE TRIGGER IF NOT EXISTS articles_fts_ai AFTER INSERT ON articles
WHEN new.on_topic = 1 AND new.duplicate_of IS NULL BEGIN
    INSERT INTO articles_fts(rowid, title, body) VALUES (new.rowid, new.title, new.text);
END;
CREATE TRIGGER IF NOT EXISTS articles_fts_ad AFTER DELETE ON articles BEGIN
    DELETE FROM articles_fts WHERE rowid = old.rowid;
END;
CREATE TRIGGER IF NOT EXISTS articles_fts_au AFTER UPDATE OF title, text, on_topic, duplicate_of
ON articles BEGIN
    DELETE FROM articles_fts WHERE rowid = old.rowid;
    INSERT INTO articles_fts(rowid, title, body) SELECT new.rowid, new.title, new.text
    WHERE new.on_topic = 1 AND new.duplicate_of IS NULL;
END;
CREATE TABLE IF NOT EXISTS pending (
    article_id TEXT PRIMARY KEY,
    content_hash TEXT NOT NULL,
    chunk_ids TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS runs (
    id INTEGER PRIMARY KEY,
    started_at INTEGER NOT NULL,
    finished_at INTEGER,
    status TEXT NOT NULL,
    report TEXT
);
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
-- Why each article is in its story: the article it was linked to and the evidence.
CREATE TABLE IF NOT EXISTS story_links (
    article_id TEXT PRIMARY KEY,
    story_id TEXT NOT NULL,
    linked_to TEXT,
    reason TEXT NOT NULL,
    similarity REAL NOT NULL DEFAULT 0
);
"""


def now_ts() -> int:
    return int(datetime.now(UTC).timestamp())


def to_ts(value: datetime | None) -> int | None:
    return int(value.timestamp()) if value else None


def from_ts(value: int | None) -> datetime | None:
    return datetime.fromtimestamp(value, UTC) if value is not None else None


class ReadOnlyConnection(sqlite3.Connection):
    """A connection to a store that cannot be written; a write says so in one line."""

    refusal: NewsbotError  # what a write raises: read-only, or the disk is full

    def execute(self, sql: str, parameters: Any = (), /) -> sqlite3.Cursor:
        try:
            return super().execute(sql, parameters)
        except sqlite3.OperationalError as exc:
            if "readonly" in str(exc) or "read-only" in str(exc):
                raise self.refusal from None
            raise

    def executemany(self, sql: str, parameters: Any, /) -> sqlite3.Cursor:
        raise self.refusal

    def executescript(self, script: str, /) -> sqlite3.Cursor:
        raise self.refusal


def writable(directory: Path) -> bool:
    """Whether the data dir can be written (false on a read-only mount, even for root)."""
    return not directory.exists() or os.access(directory, os.W_OK)


def connect(path: Path, *, read_only: bool = False) -> sqlite3.Connection:
    if read_only or (path.exists() and not writable(path.parent)):
        return connect_read_only(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(path, timeout=30, isolation_level=None, check_same_thread=False)
    try:
        conn.row_factory = sqlite3.Row
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=NORMAL")
        conn.execute("PRAGMA foreign_keys=ON")
        conn.executescript(SCHEMA)
        _add_missing_columns(conn)
        _backfill_article_index(conn)
    except sqlite3.OperationalError:
        conn.close()
        if not path.exists() or not _disk_full(path.parent):
            raise
        # No room even for SQLite's shared-memory index: what is stored can still be read.
        return connect_read_only(path, refusal=DiskFull(
            f"The data disk holding {path.parent} is full: nothing can be stored until space "
            "is freed (ask, search and status still work)."))
    return conn


def _disk_full(directory: Path) -> bool:
    return low_on_space(directory)


def low_on_space(directory: Path, margin: int = 16 * 1024 * 1024) -> bool:
    """Whether a write that just failed there most likely failed for want of space."""
    try:
        stats = os.statvfs(directory)
    except OSError:
        return False
    return stats.f_bavail * stats.f_frsize < margin


def connect_read_only(path: Path, where: Path | None = None, *,
                      refusal: NewsbotError | None = None) -> ReadOnlyConnection:
    """Read-only: `mode=ro` where SQLite can keep its shared-memory file beside the database,
    else `immutable=1` (a read-only mount: nothing can change the file under us)."""
    conn: ReadOnlyConnection | None = None
    for flags in ("mode=ro", "immutable=1"):
        try:
            candidate = sqlite3.connect(f"file:{path}?{flags}", uri=True, timeout=30,
                                        isolation_level=None, check_same_thread=False,
                                        factory=ReadOnlyConnection)
            candidate.execute("SELECT COUNT(*) FROM sqlite_master").fetchone()
        except sqlite3.OperationalError:
            continue
        conn = candidate
        break
    refusal = refusal or StoreReadOnly(where or path.parent)
    if conn is None:
        raise refusal
    conn.refusal = refusal
    conn.row_factory = sqlite3.Row
    return conn


_ADDED_COLUMNS = {"feeds": {"failing_since": "INTEGER"}}  # columns newer than some stores


def _add_missing_columns(conn: sqlite3.Connection) -> None:
    for table, columns in _ADDED_COLUMNS.items():
        have = {row["name"] for row in conn.execute(f"PRAGMA table_info({table})")}
        for name, kind in columns.items():
            if name not in have:
                with suppress(sqlite3.OperationalError):  # a racing process added it
                    conn.execute(f"ALTER TABLE {table} ADD COLUMN {name} {kind}")


def _backfill_article_index(conn: sqlite3.Connection) -> None:
    """Stores written before the article index existed get it filled once."""
    if conn.execute("SELECT 1 FROM meta WHERE key = 'articles_fts'").fetchone():
        return
    with transaction(conn):
        if not conn.execute("SELECT 1 FROM meta WHERE key = 'articles_fts'").fetchone():
            conn.execute("DELETE FROM articles_fts")
            conn.execute("INSERT INTO articles_fts(rowid, title, body) SELECT rowid, title, text "
                         "FROM articles WHERE on_topic = 1 AND duplicate_of IS NULL")
            conn.execute("INSERT INTO meta (key, value) VALUES ('articles_fts', '1')")


@contextmanager
def transaction(conn: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    if isinstance(conn, ReadOnlyConnection):
        raise conn.refusal
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield conn
    except BaseException:
        if conn.in_transaction:  # SQLite rolls back by itself on some errors (disk full)
            conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")


def _join(values: Iterable[str]) -> str:
    return ",".join(values)


def _split(value: str) -> tuple[str, ...]:
    return tuple(v for v in value.split(",") if v)


def row_to_article(row: sqlite3.Row) -> ArticleRecord:
    return ArticleRecord(
        id=row["id"],
        guid=row["guid"],
        url=row["url"],
        title=row["title"],
        source=row["source"],
        feed_url=row["feed_url"],
        published=from_ts(row["published"]),
        ingested_at=from_ts(row["ingested_at"]) or datetime.now(UTC),
        text=row["text"],
        content_hash=row["content_hash"],
        on_topic=bool(row["on_topic"]),
        relevance=row["relevance"],
        reason=row["reason"],
        diseases=_split(row["diseases"]),
        therapies=_split(row["therapies"]),
        trial_ids=_split(row["trial_ids"]),
        story_id=row["story_id"],
        duplicate_of=row["duplicate_of"],
        chunk_count=row["chunk_count"],
    )


def save_article(
    conn: sqlite3.Connection,
    article: ArticleRecord,
    *,
    entry_hash: str,
    chunks: list[Chunk],
    vector: bytes | None,
) -> None:
    """Replace the article's record and chunk text; the caller holds the transaction."""
    conn.execute("DELETE FROM chunks WHERE article_id = ?", (article.id,))
    conn.execute(
        """INSERT OR REPLACE INTO articles (id, guid, url, title, source, feed_url, published,
        ingested_at, entry_hash, text, content_hash, on_topic, relevance, reason, diseases,
        therapies, trial_ids, story_id, duplicate_of, chunk_count, vector)
        VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)""",
        (
            article.id, article.guid, article.url, article.title, article.source,
            article.feed_url, to_ts(article.published), to_ts(article.ingested_at), entry_hash,
            article.text, article.content_hash, int(article.on_topic), article.relevance,
            article.reason, _join(article.diseases), _join(article.therapies),
            _join(article.trial_ids), article.story_id, article.duplicate_of, len(chunks),
            vector,
        ),
    )
    conn.executemany(
        "INSERT INTO chunks (id, article_id, idx, text) VALUES (?,?,?,?)",
        [(c.id, c.article_id, c.index, c.text) for c in chunks],
    )


def get_article(conn: sqlite3.Connection, article_id: str) -> ArticleRecord | None:
    row = conn.execute("SELECT * FROM articles WHERE id = ?", (article_id,)).fetchone()
    return row_to_article(row) if row else None


def entry_hash(conn: sqlite3.Connection, article_id: str) -> str | None:
    row = conn.execute("SELECT entry_hash FROM articles WHERE id = ?", (article_id,)).fetchone()
    return row[0] if row else None


def _rows_by_id(conn: sqlite3.Connection, select: str, ids: Iterable[str]) -> list[sqlite3.Row]:
    """`select` ends with `WHERE id IN`; ids are sent in batches under SQLite's variable cap."""
    unique = list(dict.fromkeys(ids))
    rows: list[sqlite3.Row] = []
    for start in range(0, len(unique), 500):
        batch = unique[start : start + 500]
        rows += conn.execute(f"{select} ({','.join('?' * len(batch))})", batch).fetchall()
    return rows


def get_articles(conn: sqlite3.Connection, ids: Iterable[str]) -> dict[str, ArticleRecord]:
    rows = _rows_by_id(conn, "SELECT * FROM articles WHERE id IN", ids)
    return {row["id"]: row_to_article(row) for row in rows}


def get_chunks(conn: sqlite3.Connection, chunk_ids: Iterable[str]) -> dict[str, Chunk]:
    rows = _rows_by_id(conn, "SELECT id, article_id, idx, text FROM chunks WHERE id IN", chunk_ids)
    return {row["id"]: Chunk(row["id"], row["article_id"], row["idx"], row["text"])
            for row in rows}


def list_articles(
    conn: sqlite3.Connection,
    *,
    include_skipped: bool = False,
    since: datetime | None = None,
    ingested_since: datetime | None = None,
    disease: str | None = None,
    limit: int | None = None,
) -> list[ArticleRecord]:
    clauses: list[str] = []
    params: list[object] = []
    if not include_skipped:
        clauses.append("on_topic = 1 AND duplicate_of IS NULL")
    if since is not None:
        clauses.append("COALESCE(published, ingested_at) >= ?")
        params.append(to_ts(since))
    if ingested_since is not None:
        clauses.append("ingested_at > ?")
        params.append(to_ts(ingested_since))
    if disease:
        clauses.append("(',' || diseases || ',') LIKE ?")
        params.append(f"%,{disease},%")
    where = f"WHERE {' AND '.join(clauses)}" if clauses else ""
    sql = f"SELECT * FROM articles {where} ORDER BY COALESCE(published, ingested_at) DESC"
    if limit:
        sql += f" LIMIT {int(limit)}"
    return [row_to_article(r) for r in conn.execute(sql, params)]


def record_run(conn: sqlite3.Connection, started: datetime, status: str, report: dict) -> int:
    cur = conn.execute(
        "INSERT INTO runs (started_at, finished_at, status, report) VALUES (?,?,?,?)",
        (to_ts(started), now_ts(), status, json.dumps(report)),
    )
    return int(cur.lastrowid or 0)


def last_run(conn: sqlite3.Connection) -> dict | None:
    row = conn.execute("SELECT * FROM runs ORDER BY id DESC LIMIT 1").fetchone()
    if not row:
        return None
    return {
        "started_at": from_ts(row["started_at"]),
        "finished_at": from_ts(row["finished_at"]),
        "status": row["status"],
        "report": json.loads(row["report"] or "{}"),
    }


def counts(conn: sqlite3.Connection) -> dict[str, int]:
    row = conn.execute(
        """SELECT
            SUM(on_topic = 1 AND duplicate_of IS NULL) AS articles,
            COUNT(DISTINCT CASE WHEN on_topic = 1 THEN story_id END) AS stories,
            SUM(on_topic = 0) AS skipped,
            SUM(duplicate_of IS NOT NULL) AS duplicates,
            (SELECT COUNT(*) FROM chunks) AS chunks
        FROM articles"""
    ).fetchone()
    return {k: int(row[k] or 0) for k in ("articles", "stories", "skipped", "duplicates", "chunks")}


@dataclass(frozen=True)
class StoryLink:
    article_id: str
    story_id: str
    linked_to: str | None
    reason: str
    similarity: float


def save_story_link(conn: sqlite3.Connection, link: StoryLink) -> None:
    conn.execute("INSERT OR REPLACE INTO story_links (article_id, story_id, linked_to, reason, "
                 "similarity) VALUES (?,?,?,?,?)",
                 (link.article_id, link.story_id, link.linked_to, link.reason, link.similarity))


def story_links(conn: sqlite3.Connection) -> dict[str, StoryLink]:
    return {r["article_id"]: StoryLink(r["article_id"], r["story_id"], r["linked_to"],
                                       r["reason"], r["similarity"])
            for r in conn.execute("SELECT * FROM story_links")}


def story_members(conn: sqlite3.Connection) -> list[ArticleRecord]:
    """Every on-topic article with a story, syndicated copies included, oldest first."""
    rows = conn.execute("SELECT * FROM articles WHERE on_topic = 1 AND story_id IS NOT NULL "
                        "ORDER BY COALESCE(published, ingested_at), id")
    return [row_to_article(r) for r in rows]


def set_story(conn: sqlite3.Connection, link: StoryLink) -> None:
    """Move an article (and its syndicated copies) to a story; the caller holds the
    transaction."""
    conn.execute("UPDATE articles SET story_id = ? WHERE id = ? OR duplicate_of = ?",
                 (link.story_id, link.article_id, link.article_id))
    save_story_link(conn, link)


def articles_of_stories(conn: sqlite3.Connection, story_ids: Iterable[str]) -> list[ArticleRecord]:
    """The on-topic articles of these stories, syndicated copies included."""
    rows = _rows_by_id(conn, "SELECT * FROM articles WHERE on_topic = 1 AND story_id IN",
                       story_ids)
    return [row_to_article(r) for r in rows]
