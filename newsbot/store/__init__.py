"""The only code that speaks SQL or Chroma: one `Store`, opened once by each composition
root (the bot, each CLI command, the console, a bench) and passed down.

    with Store.open(settings) as store:
        store.articles.list(since=...)      # article records and chunk text
        store.keywords.search([...], ...)   # the keyword index (BM25)
        store.stories.links()               # stories and why each article is in its own
        store.feeds.add(url)                # followed feeds and their fetch state
        store.runs.last()                   # ingestion runs
        store.guilds.subscribe(...)         # guild settings and digest subscriptions
        store.feedback.vote(...)            # answers posted in Discord and readers' feedback
        store.watches.follow(...)           # watchlists: followed topics, alerts sent
        store.trials.updates(since=...)     # registry ids in articles, trial records, changes
        store.journal.write([...])          # an article into both stores, crash-safely
        store.vectors.query(vector, k)      # the chunk vectors (Chroma)

Records live in SQLite (newsbot/store/sqlite.py, one schema in schema.py); the groups above
take and return plain values and dataclasses, never a connection or a row, so a PostgreSQL
implementation of the records could replace them without touching callers.
"""

from __future__ import annotations

import logging
import shutil
import sqlite3
import tempfile
from pathlib import Path
from types import TracebackType

from newsbot.errors import DiskFull, StoreReadOnly, StoreUnavailable
from newsbot.settings import Settings
from newsbot.store.articles import Articles, Keywords
from newsbot.store.feedback import Feedback
from newsbot.store.feeds import Feeds
from newsbot.store.guilds import Guilds
from newsbot.store.journal import ArticleWrite, Journal, Repair
from newsbot.store.runs import Runs
from newsbot.store.sqlite import Database, from_ts, to_ts, writable
from newsbot.store.stories import Placed, Stories, StoryLink
from newsbot.store.trials import Trials
from newsbot.store.vectors import VectorStore, release_lock
from newsbot.store.watches import Watches

__all__ = ["ArticleWrite", "Placed", "RecordsError", "Repair", "Store", "StoryLink", "from_ts",
           "to_ts", "writable"]
log = logging.getLogger(__name__)
RecordsError = sqlite3.Error  # what a failed read or write of the records raises


class Store:
    """Records (SQLite) and vectors (Chroma) of one data dir. A data dir that cannot be
    written (a backup mounted read-only) is served from a private copy: reading works,
    writing says the store is read-only."""

    def __init__(self, settings: Settings, db: Database, vectors: VectorStore | None, *,
                 read_only_from: Path | None = None) -> None:
        self.settings = settings
        self.read_only_from = read_only_from
        self._db = db
        self._vectors = vectors
        self.articles = Articles(db)
        self.keywords = Keywords(db)
        self.stories = Stories(db)
        self.feeds = Feeds(db)
        self.runs = Runs(db)
        self.guilds = Guilds(db)
        self.feedback = Feedback(db)
        self.watches = Watches(db)
        self.trials = Trials(db)
        self._journal = Journal(db, vectors) if vectors is not None else None

    @classmethod
    def open(cls, settings: Settings, *, vectors: bool = True,
             tolerate_store_down: bool = False, embedding: str | None = None) -> Store:
        """Open the data dir and repair what an interrupted run left half-written.

        `vectors=False` opens the records only (no Chroma, no lock on the embedded store),
        for commands that work while the bot holds it. A long-running process (the bot)
        passes `tolerate_store_down` so it starts while a Chroma server is down and recovers
        when it is back."""
        source = settings.storage.data_dir
        try:
            source.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StoreUnavailable(f"Cannot create the data dir {source}: "
                                   f"{exc.strerror or exc}.") from None
        read_only = not writable(source)
        if read_only:
            settings = _read_only_copy(settings, copy_vectors=vectors)
        vector_store = None
        if vectors:
            vector_store = VectorStore(settings, connect=not tolerate_store_down,
                                       embedding=embedding)
            if read_only:
                vector_store.description = (
                    f"Chroma server {settings.storage.chroma_host}:{settings.storage.chroma_port}"
                    if settings.storage.chroma_host else
                    f"embedded Chroma in {source / 'chroma'}") + " (read-only)"
        db = Database(settings.storage.sqlite_path, source if read_only else None)
        store = cls(settings, db, vector_store, read_only_from=source if read_only else None)
        if read_only or vector_store is None:
            return store  # nothing can be repaired; a half-stored article stays as it is
        try:
            store.journal.repair()
        except (StoreUnavailable, DiskFull) as exc:
            if not tolerate_store_down:
                store.close()
                raise
            log.warning("vector store unavailable at start; will retry on use: %s", exc)
        return store

    @property
    def vectors(self) -> VectorStore:
        if self._vectors is None:
            raise RuntimeError("this store was opened without its vectors")
        return self._vectors

    @property
    def journal(self) -> Journal:
        if self._journal is None:
            raise RuntimeError("this store was opened without its vectors")
        return self._journal

    @property
    def read_only(self) -> bool:
        return self.read_only_from is not None

    @property
    def description(self) -> str:
        """Where the vectors are kept, for logs and /status."""
        return self._vectors.description if self._vectors is not None else "records only"

    @property
    def sqlite(self) -> sqlite3.Connection:
        """This thread's raw SQLite connection: for tests that inspect the records, never
        for product code (which uses the groups above)."""
        return self._db.conn

    def check_writable(self) -> None:
        if self.read_only_from is not None:
            raise StoreReadOnly(self.read_only_from)

    def close(self) -> None:
        if self._vectors is not None:
            release_lock(self.settings.storage.data_dir)
        self._db.close()
        if self.read_only_from is not None:
            shutil.rmtree(self.settings.storage.data_dir, ignore_errors=True)

    def __enter__(self) -> Store:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()


def _read_only_copy(settings: Settings, *, copy_vectors: bool = True) -> Settings:
    """Settings pointing at a private copy of a read-only data dir. Embedded Chroma cannot
    open a directory it cannot write, and SQLite needs a writable directory for the WAL
    index; the copy is removed on close."""
    source = settings.storage.data_dir
    copy = Path(tempfile.mkdtemp(prefix="newsbot-read-only-"))
    try:
        for name in ("newsbot.sqlite3", "newsbot.sqlite3-wal"):
            if (source / name).exists():
                shutil.copy2(source / name, copy / name)
        storage = settings.storage
        if copy_vectors and not storage.chroma_host and storage.chroma_path.exists():
            shutil.copytree(storage.chroma_path, copy / "chroma")
    except OSError as exc:
        shutil.rmtree(copy, ignore_errors=True)
        raise StoreUnavailable(f"The data dir {source} is read-only and could not be copied "
                               f"to serve it: {exc.strerror or exc}.") from None
    log.debug("the data dir %s is read-only; serving a read-only copy", source)
    return settings.replace(data_dir=copy,
                                       model_cache_dir=settings.model_cache)
