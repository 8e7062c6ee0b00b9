"""Writing articles to both stores with an intent journal, and repairing what a killed run
left half-written.

Chroma holds the vectors, SQLite the records; no transaction spans both. `write` first
journals every article of the batch in `pending` (with the chunk ids it may leave in Chroma),
then writes Chroma, then the records with the journal entry's removal in one SQLite
transaction. A process killed in between leaves the entries in `pending`; `repair` (run
when the store opens and before each ingest) removes those articles from both stores, so the
next run ingests them afresh. The count of repaired articles is kept with the journal until
an ingest report takes it.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass

import numpy as np

from newsbot.models import ArticleRecord, Chunk
from newsbot.store.articles import delete_article, rows_by_id, save_article
from newsbot.store.sqlite import Database
from newsbot.store.stories import StoryLink, save_link
from newsbot.store.vectors import VectorStore, chunk_metadata

log = logging.getLogger(__name__)
UPSERT_BATCH = 4000  # under Chroma's largest batch


@dataclass(frozen=True)
class ArticleWrite:
    """One article to store: its record and chunks, with vectors when it is embedded (none
    for skipped items and duplicates), and why it is in its story."""

    record: ArticleRecord
    entry_hash: str
    chunks: list[Chunk]
    chunk_vectors: np.ndarray | None = None
    article_vector: np.ndarray | None = None
    link: StoryLink | None = None


@dataclass(frozen=True)
class Repair:
    articles: int  # articles removed from both stores by this repair


class Journal:
    def __init__(self, db: Database, vectors: VectorStore) -> None:
        self._db = db
        self._vectors = vectors

    def write(self, writes: list[ArticleWrite], *, known_new: bool = False) -> None:
        """Journal, then Chroma, then SQLite, for all at once. `known_new`: none of the
        articles is stored yet, so no earlier chunks are looked up (bulk loads)."""
        if not writes:
            return
        vectors = self._vectors
        old: dict[str, set[str]] = {w.record.id: set() for w in writes}
        if not known_new:
            # the records list every chunk the vectors hold (a write interrupted between the
            # two is repaired, from both, before anything else is written), so one query of
            # the records finds an edited article's earlier chunks without asking Chroma
            for row in rows_by_id(self._db.conn, "SELECT article_id, id FROM chunks "
                                  "WHERE article_id IN", old):
                old[row["article_id"]].add(row["id"])
        with self._db.transaction() as conn:
            for w in writes:
                conn.execute(
                    "INSERT OR REPLACE INTO pending (article_id, content_hash, chunk_ids) "
                    "VALUES (?,?,?)",
                    (w.record.id, w.record.content_hash,
                     json.dumps(sorted(old[w.record.id] | {c.id for c in w.chunks}))),
                )
        vectors.delete(sorted({cid for w in writes
                               for cid in old[w.record.id] - {c.id for c in w.chunks}}))
        embedded = [w for w in writes if w.chunks and w.chunk_vectors is not None]
        if embedded:
            ids = [c.id for w in embedded for c in w.chunks]
            matrix = np.concatenate([w.chunk_vectors for w in embedded])  # type: ignore[misc]
            documents = [c.text for w in embedded for c in w.chunks]
            metadatas = [chunk_metadata(w.record, c) for w in embedded for c in w.chunks]
            for s in range(0, len(ids), UPSERT_BATCH):
                vectors.upsert(ids[s:s + UPSERT_BATCH], matrix[s:s + UPSERT_BATCH],
                               documents[s:s + UPSERT_BATCH], metadatas[s:s + UPSERT_BATCH])
        with self._db.transaction() as conn:
            for w in writes:
                save_article(conn, w.record, entry_hash=w.entry_hash, chunks=w.chunks,
                             vector=w.article_vector)
                if w.link is not None:
                    save_link(conn, w.link)
                conn.execute("DELETE FROM pending WHERE article_id = ?", (w.record.id,))

    def repair(self) -> Repair:
        """Undo the half-done writes of a run that was killed between Chroma and SQLite.

        Such an article is removed from both stores, so the next run ingests it afresh.
        """
        rows = self._db.conn.execute("SELECT article_id, chunk_ids FROM pending").fetchall()
        if not rows:
            return Repair(0)
        stale: set[str] = set()
        for row in rows:
            stale |= set(json.loads(row["chunk_ids"]))
            stale |= set(self._vectors.ids_for_article(row["article_id"]))
        self._vectors.delete(sorted(stale))
        with self._db.transaction() as conn:
            for row in rows:
                delete_article(conn, row["article_id"])
                conn.execute("DELETE FROM pending WHERE article_id = ?", (row["article_id"],))
            conn.execute("INSERT INTO meta (key, value) VALUES ('repaired_unreported', ?) "
                         "ON CONFLICT(key) DO UPDATE SET value = CAST(value AS INTEGER) + ?",
                         (len(rows), len(rows)))
        log.warning("repaired %d article(s) left half-stored by an interrupted run", len(rows))
        return Repair(len(rows))

    def take_repaired(self) -> int:
        """Articles repaired since the last call (for the next ingest report)."""
        with self._db.transaction() as conn:
            row = conn.execute("SELECT value FROM meta WHERE key = 'repaired_unreported'"
                               ).fetchone()
            conn.execute("DELETE FROM meta WHERE key = 'repaired_unreported'")
        return int(row[0]) if row else 0
