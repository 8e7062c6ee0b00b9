"""The opened, long-lived resources every interface shares: SQLite, Chroma, the embedder."""

from __future__ import annotations

import json
import logging
import sqlite3
import threading
from dataclasses import dataclass, field

from newsbot import db
from newsbot.embedding import Embedder, LazyEmbedder
from newsbot.errors import StoreUnavailable
from newsbot.settings import Settings
from newsbot.vectorstore import VectorStore

log = logging.getLogger(__name__)


@dataclass
class Library:
    settings: Settings
    store: VectorStore
    embedder: Embedder
    _local: threading.local = field(default_factory=threading.local, repr=False)
    _connections: list[sqlite3.Connection] = field(default_factory=list, repr=False)
    _guard: threading.Lock = field(default_factory=threading.Lock, repr=False)
    repaired_unreported: int = 0  # repaired at open, reported by the next ingest run

    @classmethod
    def open(cls, settings: Settings, embedder: Embedder | None = None, *,
             tolerate_store_down: bool = False) -> Library:
        """Open everything. A long-running process (the bot) passes tolerate_store_down so it
        starts while a Chroma server is down and recovers when it is back."""
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        store = VectorStore(settings, connect=not tolerate_store_down)
        if embedder is None:
            embedder = LazyEmbedder(settings.embedding_model, settings.embed_batch_size,
                                    settings.embedding_backend, settings.model_cache)
        library = cls(settings=settings, store=store, embedder=embedder)
        try:
            library.repaired_unreported = library.repair()
        except StoreUnavailable as exc:
            if not tolerate_store_down:
                raise
            log.warning("vector store unavailable at start; will retry on use: %s", exc)
        return library

    @property
    def db(self) -> sqlite3.Connection:
        """One SQLite connection per thread (the bot calls in from worker threads)."""
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = db.connect(self.settings.sqlite_path)
            self._local.conn = conn
            with self._guard:
                self._connections.append(conn)
        return conn

    def repair(self) -> int:
        """Undo the half-done writes of a run that was killed between Chroma and SQLite.

        Such an article is removed from both stores, so the next run ingests it afresh.
        """
        rows = self.db.execute("SELECT article_id, chunk_ids FROM pending").fetchall()
        if not rows:
            return 0
        stale: set[str] = set()
        for row in rows:
            stale |= set(json.loads(row["chunk_ids"]))
            stale |= set(self.store.ids_for_article(row["article_id"]))
        self.store.delete(sorted(stale))
        with db.transaction(self.db) as conn:
            for row in rows:
                conn.execute("DELETE FROM chunks WHERE article_id = ?", (row["article_id"],))
                conn.execute("DELETE FROM articles WHERE id = ?", (row["article_id"],))
                conn.execute("DELETE FROM pending WHERE article_id = ?", (row["article_id"],))
        log.warning("repaired %d article(s) left half-stored by an interrupted run", len(rows))
        return len(rows)

    def close(self) -> None:
        from newsbot.vectorstore import release_lock

        release_lock(self.settings.data_dir)
        with self._guard:
            for conn in self._connections:
                conn.close()
            self._connections.clear()
        self._local = threading.local()
