"""Article records, their chunk text and the article keyword index (FTS5)."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

import numpy as np

from newsbot.models import ArticleRecord, Chunk
from newsbot.store.sqlite import Database, from_ts, to_ts


def _join(values: Iterable[str]) -> str:
    return ",".join(values)


def _split(value: str) -> tuple[str, ...]:
    return tuple(v for v in value.split(",") if v)


def to_blob(vector: np.ndarray) -> bytes:
    return np.asarray(vector, dtype=np.float32).tobytes()


def from_blob(blob: bytes) -> np.ndarray:
    return np.frombuffer(blob, dtype=np.float32)


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


def save_article(conn: sqlite3.Connection, article: ArticleRecord, *, entry_hash: str,
                 chunks: list[Chunk], vector: np.ndarray | None) -> None:
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
            to_blob(vector) if vector is not None else None,
        ),
    )
    conn.executemany(
        "INSERT INTO chunks (id, article_id, idx, text) VALUES (?,?,?,?)",
        [(c.id, c.article_id, c.index, c.text) for c in chunks],
    )


def delete_article(conn: sqlite3.Connection, article_id: str) -> None:
    """Remove an article and its chunk text; the caller holds the transaction."""
    conn.execute("DELETE FROM chunks WHERE article_id = ?", (article_id,))
    conn.execute("DELETE FROM articles WHERE id = ?", (article_id,))


def rows_by_id(conn: sqlite3.Connection, select: str, ids: Iterable[str]) -> list[sqlite3.Row]:
    """`select` ends with `WHERE <column> IN`; ids go in batches under SQLite's variable cap."""
    unique = list(dict.fromkeys(ids))
    rows: list[sqlite3.Row] = []
    for start in range(0, len(unique), 500):
        batch = unique[start : start + 500]
        rows += conn.execute(f"{select} ({','.join('?' * len(batch))})", batch).fetchall()
    return rows


class Articles:
    """Stored articles (on-topic, skipped and duplicates alike) and their chunk text."""

    def __init__(self, db: Database) -> None:
        self._db = db

    def get(self, article_id: str) -> ArticleRecord | None:
        row = self._db.conn.execute("SELECT * FROM articles WHERE id = ?",
                                    (article_id,)).fetchone()
        return row_to_article(row) if row else None

    def get_many(self, ids: Iterable[str]) -> dict[str, ArticleRecord]:
        rows = rows_by_id(self._db.conn, "SELECT * FROM articles WHERE id IN", ids)
        return {row["id"]: row_to_article(row) for row in rows}

    def entry_hash(self, article_id: str) -> str | None:
        row = self._db.conn.execute("SELECT entry_hash FROM articles WHERE id = ?",
                                    (article_id,)).fetchone()
        return row[0] if row else None

    def set_entry_hash(self, article_id: str, entry_hash: str) -> None:
        """The feed entry changed but not the article's text: remember the entry only."""
        with self._db.transaction() as conn:
            conn.execute("UPDATE articles SET entry_hash = ? WHERE id = ?",
                         (entry_hash, article_id))

    def original_of(self, content_hash: str, other_than: str) -> ArticleRecord | None:
        """A stored on-topic original with exactly this text (a syndicated copy's source)."""
        row = self._db.conn.execute(
            "SELECT * FROM articles WHERE content_hash = ? AND id != ? AND on_topic = 1 "
            "AND duplicate_of IS NULL LIMIT 1", (content_hash, other_than)).fetchone()
        return row_to_article(row) if row else None

    def urls_starting(self, prefix: str, other_than: str) -> list[tuple[str, str]]:
        """(id, url) of stored articles whose link starts with `prefix`."""
        return [(row["id"], row["url"]) for row in self._db.conn.execute(
            "SELECT id, url FROM articles WHERE id != ? AND url LIKE ?",
            (other_than, prefix.replace("%", "") + "%"))]

    def list(self, *, include_skipped: bool = False, since: datetime | None = None,
             ingested_since: datetime | None = None, disease: str | None = None,
             limit: int | None = None) -> list[ArticleRecord]:
        """Newest first; stored on-topic originals unless `include_skipped`."""
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
        return [row_to_article(r) for r in self._db.conn.execute(sql, params)]

    def on_topic_in_write_order(self) -> list[ArticleRecord]:
        """Every on-topic article, syndicated copies included, in the order they were stored."""
        return [row_to_article(r) for r in self._db.conn.execute(
            "SELECT * FROM articles WHERE on_topic = 1 ORDER BY rowid")]

    def vector(self, article_id: str) -> np.ndarray | None:
        """The article's mean chunk vector (as stored, not normalised again)."""
        row = self._db.conn.execute("SELECT vector FROM articles WHERE id = ?",
                                    (article_id,)).fetchone()
        return from_blob(row[0]) if row and row[0] is not None else None

    def vectors(self, ids: Iterable[str]) -> dict[str, np.ndarray]:
        rows = rows_by_id(self._db.conn, "SELECT id, vector FROM articles WHERE id IN", ids)
        return {r["id"]: from_blob(r["vector"]) for r in rows if r["vector"] is not None}

    def also_in(self, article_id: str, source: str) -> tuple[str, ...]:
        """Other outlets that carried a syndicated copy of the article."""
        return tuple(row["source"] for row in self._db.conn.execute(
            "SELECT DISTINCT source FROM articles WHERE duplicate_of = ? AND source != ?",
            (article_id, source)))

    def disease_counts(self) -> list[tuple[tuple[str, ...], int]]:
        """(diseases, stored on-topic originals) for each combination of diseases."""
        return [(_split(diseases), n) for diseases, n in self._db.conn.execute(
            "SELECT diseases, COUNT(*) FROM articles WHERE on_topic = 1 AND duplicate_of IS NULL "
            "GROUP BY diseases")]

    def chunks(self, chunk_ids: Iterable[str]) -> dict[str, Chunk]:
        rows = rows_by_id(self._db.conn,
                          "SELECT id, article_id, idx, text FROM chunks WHERE id IN", chunk_ids)
        return {row["id"]: Chunk(row["id"], row["article_id"], row["idx"], row["text"])
                for row in rows}

    def first_chunk(self, article_id: str) -> Chunk | None:
        row = self._db.conn.execute(
            "SELECT id, article_id, idx, text FROM chunks WHERE article_id = ? "
            "ORDER BY idx LIMIT 1", (article_id,)).fetchone()
        return Chunk(row[0], row[1], row[2], row[3]) if row else None

    def titled_chunks(self) -> list[tuple[str, int, str]]:
        """(article title, chunk index, chunk text) of every stored chunk, in the order they
        were stored."""
        return [(title, idx, text) for title, idx, text in self._db.conn.execute(
            "SELECT a.title, c.idx, c.text FROM chunks c JOIN articles a ON a.id = c.article_id "
            "ORDER BY a.rowid, c.idx")]

    def counts(self) -> dict[str, int]:
        row = self._db.conn.execute(
            """SELECT
                SUM(on_topic = 1 AND duplicate_of IS NULL) AS articles,
                COUNT(DISTINCT CASE WHEN on_topic = 1 THEN story_id END) AS stories,
                SUM(on_topic = 0) AS skipped,
                SUM(duplicate_of IS NOT NULL) AS duplicates,
                (SELECT COUNT(*) FROM chunks) AS chunks
            FROM articles"""
        ).fetchone()
        keys = ("articles", "stories", "skipped", "duplicates", "chunks")
        return {k: int(row[k] or 0) for k in keys}


def _phrase(term: str) -> str:
    return '"' + term.replace('"', "") + '"'


class Keywords:
    """The keyword index over stored on-topic originals: title and body, stemmed (porter)."""

    def __init__(self, db: Database) -> None:
        self._db = db

    def count(self, term: str) -> int:
        """Articles whose title or text contains the term as a phrase."""
        row = self._db.conn.execute("SELECT COUNT(*) FROM articles_fts WHERE articles_fts "
                                    "MATCH ?", (_phrase(term),)).fetchone()
        return int(row[0])

    def named(self, term: str) -> bool:
        return self._db.conn.execute("SELECT 1 FROM articles_fts WHERE articles_fts MATCH ? "
                                     "LIMIT 1", (_phrase(term),)).fetchone() is not None

    def stamp(self) -> tuple[int, int]:
        """Changes whenever an article enters or leaves the index (for caches)."""
        row = self._db.conn.execute(
            "SELECT COUNT(*), COALESCE(MAX(rowid), 0) FROM articles_fts").fetchone()
        return int(row[0]), int(row[1])

    def openings(self, chars: int = 400) -> list[str]:
        """Each article's title and the start of its text: where it names who and what."""
        return [text for (text,) in self._db.conn.execute(
            "SELECT title || ' ' || substr(body, 1, ?) FROM articles_fts", (chars,))]

    def search(self, terms: list[str], *, since: datetime | None = None,
               until: datetime | None = None, disease: str | None = None, limit: int,
               title_weight: float = 1.0) -> list[str]:
        """Ids of the articles matching any term (as phrases), best BM25 first."""
        if not terms:
            return []
        clauses = ["articles_fts MATCH ?"]
        params: list[Any] = [" OR ".join(_phrase(t) for t in terms)]
        if since:
            clauses.append("a.published >= ?")
            params.append(to_ts(since))
        if until:
            clauses.append("a.published < ?")
            params.append(to_ts(until))
        if disease:
            clauses.append("(',' || a.diseases || ',') LIKE ?")
            params.append(f"%,{disease},%")
        rank_expr = f"bm25(articles_fts, {float(title_weight)}, 1.0)"
        if len(clauses) == 1:
            # no filter: rank inside FTS5 and join only the best rows (much faster at 10k+)
            sql = (f"SELECT a.id FROM (SELECT rowid, {rank_expr} AS r FROM articles_fts "
                   f"WHERE articles_fts MATCH ? ORDER BY r LIMIT {int(limit)}) f "
                   f"JOIN articles a ON a.rowid = f.rowid ORDER BY f.r")
        else:
            sql = (f"SELECT a.id FROM articles_fts JOIN articles a "
                   f"ON a.rowid = articles_fts.rowid WHERE {' AND '.join(clauses)} "
                   f"ORDER BY {rank_expr} LIMIT {int(limit)}")
        return [row[0] for row in self._db.conn.execute(sql, params)]  # phrases: no syntax
