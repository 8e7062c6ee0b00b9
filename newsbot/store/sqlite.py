"""SQLite connections: WAL, one per thread, read-only when the data dir cannot be written.

Only newsbot/store/ imports this module; a PostgreSQL implementation of the records would
replace it (and the SQL beside it) without touching the callers of `Store`.
"""

from __future__ import annotations

import os
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from newsbot.errors import DiskFull, NewsbotError, StoreReadOnly
from newsbot.store import schema


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
        schema.ensure(conn, transaction)
    except sqlite3.OperationalError:
        conn.close()
        if not path.exists() or not low_on_space(path.parent):
            raise
        # No room even for SQLite's shared-memory index: what is stored can still be read.
        return connect_read_only(path, refusal=DiskFull(
            f"The data disk holding {path.parent} is full: nothing can be stored until space "
            "is freed (ask, search and status still work)."))
    return conn


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


class Database:
    """One SQLite connection per thread (the bot calls in from worker threads), all closed
    together."""

    def __init__(self, path: Path, read_only_from: Path | None = None) -> None:
        self.path = path
        self.read_only_from = read_only_from
        self._local = threading.local()
        self._connections: list[sqlite3.Connection] = []
        self._guard = threading.Lock()

    @property
    def conn(self) -> sqlite3.Connection:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            if self.read_only_from is not None:
                conn = connect_read_only(self.path, self.read_only_from)
            else:
                conn = connect(self.path)
            self._local.conn = conn
            with self._guard:
                self._connections.append(conn)
        return conn

    def transaction(self) -> Any:
        return transaction(self.conn)

    def close(self) -> None:
        with self._guard:
            for conn in self._connections:
                conn.close()
            self._connections.clear()
        self._local = threading.local()
