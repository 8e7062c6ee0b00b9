"""The opened, long-lived resources every interface shares: SQLite, Chroma, the embedder."""

from __future__ import annotations

import json
import logging
import shutil
import sqlite3
import tempfile
import threading
from dataclasses import dataclass, field
from pathlib import Path

from newsbot import db
from newsbot.embedding import Embedder, LazyEmbedder, vector_kind
from newsbot.errors import DiskFull, StoreReadOnly, StoreUnavailable
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
    read_only_from: Path | None = None  # the read-only data dir this library is a copy of

    @property
    def read_only(self) -> bool:
        return self.read_only_from is not None

    @classmethod
    def open(cls, settings: Settings, embedder: Embedder | None = None, *,
             tolerate_store_down: bool = False) -> Library:
        """Open everything. A long-running process (the bot) passes tolerate_store_down so it
        starts while a Chroma server is down and recovers when it is back.

        A data dir that cannot be written (a backup mounted read-only) is served read-only
        from a private copy: reading works, writing says the store is read-only."""
        source = settings.data_dir
        try:
            source.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StoreUnavailable(f"Cannot create the data dir {source}: "
                                   f"{exc.strerror or exc}.") from None
        read_only = not db.writable(source)
        if read_only:
            settings = _read_only_copy(settings)
        if embedder is None:
            embedder = LazyEmbedder(settings.embedding_model, settings.embed_batch_size,
                                    settings.embedding_backend, settings.model_cache)
        store = VectorStore(settings, connect=not tolerate_store_down,
                            embedding=vector_kind(getattr(embedder, "name", "")) or None)
        if read_only:
            store.description = (f"Chroma server {settings.chroma_host}:{settings.chroma_port}"
                                 if settings.chroma_host else
                                 f"embedded Chroma in {source / 'chroma'}") + " (read-only)"
        library = cls(settings=settings, store=store, embedder=embedder,
                      read_only_from=source if read_only else None)
        if read_only:
            return library  # nothing can be repaired; a half-stored article stays as it is
        try:
            library.repaired_unreported = library.repair()
        except (StoreUnavailable, DiskFull) as exc:
            if not tolerate_store_down:
                raise
            log.warning("vector store unavailable at start; will retry on use: %s", exc)
        return library

    @property
    def db(self) -> sqlite3.Connection:
        """One SQLite connection per thread (the bot calls in from worker threads)."""
        conn = getattr(self._local, "conn", None)
        if conn is None:
            if self.read_only_from is not None:
                conn = db.connect_read_only(self.settings.sqlite_path, self.read_only_from)
            else:
                conn = db.connect(self.settings.sqlite_path)
            self._local.conn = conn
            with self._guard:
                self._connections.append(conn)
        return conn

    def check_writable(self) -> None:
        if self.read_only_from is not None:
            raise StoreReadOnly(self.read_only_from)

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
        if self.read_only_from is not None:
            shutil.rmtree(self.settings.data_dir, ignore_errors=True)


def _read_only_copy(settings: Settings) -> Settings:
    """Settings pointing at a private copy of a read-only data dir. Embedded Chroma cannot
    open a directory it cannot write, and SQLite needs a writable directory for the WAL
    index; the copy is removed on close."""
    source = settings.data_dir
    copy = Path(tempfile.mkdtemp(prefix="newsbot-read-only-"))
    try:
        for name in ("newsbot.sqlite3", "newsbot.sqlite3-wal"):
            if (source / name).exists():
                shutil.copy2(source / name, copy / name)
        if not settings.chroma_host and settings.chroma_path.exists():
            shutil.copytree(settings.chroma_path, copy / "chroma")
    except OSError as exc:
        shutil.rmtree(copy, ignore_errors=True)
        raise StoreUnavailable(f"The data dir {source} is read-only and could not be copied "
                               f"to serve it: {exc.strerror or exc}.") from None
    log.debug("the data dir %s is read-only; serving a read-only copy", source)
    return settings.model_copy(update={"data_dir": copy,
                                       "model_cache_dir": settings.model_cache})
