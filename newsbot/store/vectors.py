"""ChromaDB: embedded PersistentClient in the data dir, or a Chroma server when configured."""

from __future__ import annotations

import errno
import fcntl
import logging
import os
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from newsbot.errors import DiskFull, EmbeddingMismatch, StoreLocked, StoreUnavailable
from newsbot.models import ArticleRecord, Chunk
from newsbot.settings import Settings
from newsbot.store.sqlite import low_on_space

log = logging.getLogger(__name__)
EMBEDDING_KEY = "newsbot_embedding"  # collection metadata: the kind of vectors it holds
_BACKEND_FOR = {"fp32": "onnx", "int8": "onnx-int8"}
_HELD_LOCKS: dict[Path, int] = {}
_LOCKS_GUARD = threading.Lock()


def _lock_data_dir(path: Path) -> None:
    """The embedded store is single-process: a second process gets a clear error."""
    path.mkdir(parents=True, exist_ok=True)
    lock_path = (path / ".writer.lock").resolve()
    with _LOCKS_GUARD:
        if lock_path in _HELD_LOCKS:
            return
        fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            holder = lock_path.read_text(errors="replace").strip() or "another process"
            raise StoreLocked(
                f"The news store in {path} is in use by {holder}. The embedded store allows "
                "one process at a time: stop it, ask through the bot, or configure a Chroma "
                "server (NEWSBOT_CHROMA_HOST) to share the store."
            ) from None
        try:  # who holds it, for the message above; a full disk must not stop a reader
            os.ftruncate(fd, 0)
            os.write(fd, f"pid {os.getpid()}".encode())
        except OSError as exc:
            log.warning("could not write the lock holder: %s", exc.strerror or exc)
        _HELD_LOCKS[lock_path] = fd


def release_lock(path: Path) -> None:
    with _LOCKS_GUARD:
        fd = _HELD_LOCKS.pop((path / ".writer.lock").resolve(), None)
        if fd is not None:
            os.close(fd)


def chunk_metadata(article: ArticleRecord, chunk: Chunk) -> dict[str, Any]:
    meta: dict[str, Any] = {
        "article_id": article.id,
        "chunk_index": chunk.index,
        "guid": article.guid[:500],
        "url": article.url[:1000],
        "title": article.title[:500],
        "source": article.source[:200],
        "published": int((article.published or article.ingested_at).timestamp()),
        "story_id": article.story_id or article.id,
        "content_hash": article.content_hash,
        "diseases": ",".join(article.diseases),
        "therapies": ",".join(article.therapies),
        "trial_ids": ",".join(article.trial_ids),
    }
    for disease in article.diseases:
        meta[f"d_{disease}"] = True
    for therapy in article.therapies:
        meta[f"t_{therapy}"] = True
    return meta


@dataclass(frozen=True)
class Hit:
    chunk_id: str
    similarity: float
    metadata: dict[str, Any]


class VectorStore:
    """Chroma behind a small interface. A server that is down is reconnected on next use,
    so the bot recovers without a restart once Chroma is back.

    `embedding` is the kind of vectors written and queried (`embedding.vector_kind`); it is
    recorded in the collection's metadata, and a collection holding another kind refuses
    to open (EmbeddingMismatch) rather than mix the two."""

    def __init__(self, settings: Settings, *, connect: bool = True,
                 embedding: str | None = None) -> None:
        self.settings = settings
        self.embedding = embedding
        self._client: Any = None
        self._collection_obj: Any = None
        self._guard = threading.Lock()
        if settings.storage.chroma_host:
            storage = settings.storage
            self.description = f"Chroma server {storage.chroma_host}:{storage.chroma_port}"
        else:
            _lock_data_dir(settings.storage.data_dir)
            self.description = f"embedded Chroma in {settings.storage.chroma_path}"
        if connect:
            self._connect()

    def _connect(self) -> Any:
        import chromadb
        from chromadb.config import Settings as ChromaSettings

        with self._guard:
            if self._collection_obj is not None:
                return self._collection_obj
            settings = self.settings
            chroma_settings = ChromaSettings(anonymized_telemetry=False, allow_reset=False)
            try:
                if settings.storage.chroma_host:
                    self._client = chromadb.HttpClient(
                        host=settings.storage.chroma_host, port=settings.storage.chroma_port,
                        settings=chroma_settings,
                    )
                else:
                    self._client = chromadb.PersistentClient(
                        path=str(settings.storage.chroma_path), settings=chroma_settings
                    )
                self._collection_obj = self._client.get_or_create_collection(
                    settings.storage.chroma_collection, metadata={"hnsw:space": "cosine"}
                )
            except Exception as exc:  # chromadb raises many types for "cannot reach/open"
                self._client = None
                if disk_full(exc) or (not settings.storage.chroma_host
                                      and low_on_space(settings.storage.chroma_path)):
                    raise DiskFull(f"the data disk is full: the vector store could not be "
                                   f"opened ({_where(settings)})") from exc
                raise StoreUnavailable(
                    f"Could not open the vector store ({_where(settings)}): {exc}"
                ) from exc
            try:
                self._check_embedding(self._collection_obj)
            except EmbeddingMismatch:
                self._collection_obj = None
                raise
            except Exception as exc:
                self._collection_obj = None
                raise StoreUnavailable(f"Could not open the vector store ({_where(settings)}): "
                                       f"{exc}") from exc
            return self._collection_obj

    def _check_embedding(self, collection: Any) -> None:
        """Record the kind of vectors in a new (or not yet marked) collection; refuse one
        holding another kind. A collection from before kinds were recorded holds fp32."""
        want = self.embedding
        if not want:
            return
        meta = dict(collection.metadata or {})
        have = meta.get(EMBEDDING_KEY)
        if have is None and want.endswith(":int8") and collection.count():
            have = want.rsplit(":", 1)[0] + ":fp32"
        if have is None:
            meta = {k: v for k, v in meta.items() if not k.startswith("hnsw:")}
            collection.modify(metadata={**meta, EMBEDDING_KEY: want})
            return
        if have != want:
            raise EmbeddingMismatch(mismatch_message(self.settings, str(have), want))

    @property
    def _collection(self) -> Any:
        return self._collection_obj if self._collection_obj is not None else self._connect()

    def _call(self, what: str, fn_name: str, *args: Any, **kwargs: Any) -> Any:
        target = self._client if fn_name == "heartbeat" else self._collection
        try:
            return getattr(target, fn_name)(*args, **kwargs)
        except Exception as exc:
            # Chroma words a full disk many ways ("Error in compaction: Failed to apply logs"):
            # a failed write with next to no space left is taken for one.
            storage = self.settings.storage
            if disk_full(exc) or (fn_name in {"upsert", "delete"} and not storage.chroma_host
                                  and low_on_space(storage.chroma_path)):
                raise DiskFull(f"the data disk is full: the vector store {what} failed") from exc
            if self.settings.storage.chroma_host:
                self._collection_obj = None  # reconnect on next use
            raise StoreUnavailable(f"Vector store {what} failed ({_where(self.settings)}): "
                                   f"{exc}") from exc

    def upsert(
        self, ids: Sequence[str], vectors: np.ndarray, documents: Sequence[str],
        metadatas: Sequence[dict[str, Any]],
    ) -> None:
        if not ids:
            return
        self._call(
            "write", "upsert", ids=list(ids), embeddings=vectors.tolist(),
            documents=list(documents), metadatas=list(metadatas),
        )

    def delete(self, ids: Sequence[str]) -> None:
        if ids:
            self._call("delete", "delete", ids=list(ids))

    def ids_for_article(self, article_id: str) -> list[str]:
        result = self._call("read", "get", where={"article_id": article_id}, include=[])
        return list(result["ids"])

    def all_ids(self) -> list[str]:
        result = self._call("read", "get", include=[])
        return list(result["ids"])

    def count(self) -> int:
        return int(self._call("count", "count"))

    def query(self, vector: np.ndarray, k: int, where: dict[str, Any] | None = None) -> list[Hit]:
        # chromadb 1.5 returns fewer hits when k exceeds the count (none when empty), so
        # no count() first: it cost 19 ms per query at 140k chunks.
        result = self._call(
            "query", "query", query_embeddings=[vector.tolist()],
            n_results=k, where=where or None, include=["metadatas", "distances"],
        )
        hits = []
        for chunk_id, distance, meta in zip(
            result["ids"][0], result["distances"][0], result["metadatas"][0], strict=True
        ):
            hits.append(Hit(chunk_id, 1.0 - float(distance), dict(meta or {})))
        return hits


def disk_full(exc: BaseException | None) -> bool:
    """Whether an error (or one it wraps) is a full disk, in any of the ways it is said."""
    seen = 0
    while exc is not None and seen < 10:
        if isinstance(exc, OSError) and exc.errno == errno.ENOSPC:
            return True
        text = str(exc).lower()
        if "disk is full" in text or "no space left" in text or "(code: 13)" in text:
            return True
        exc = exc.__cause__ or exc.__context__
        seen += 1
    return False


def mismatch_message(settings: Settings, have: str, want: str) -> str:
    kind = have.rpartition(":")[2]
    back = (f"set NEWSBOT_EMBEDDING_BACKEND back to '{_BACKEND_FOR[kind]}', or "
            if kind in _BACKEND_FOR else "")
    return (f"The vector store collection '{settings.storage.chroma_collection}' "
            f"({_where(settings)}) holds {have} vectors but the embedder makes {want} ones, "
            f"and the two never mix: {back}set a new NEWSBOT_CHROMA_COLLECTION and run "
            "`newsbot ingest --full` to embed everything again.")


def _where(settings: Settings) -> str:
    if settings.storage.chroma_host:
        return f"server {settings.storage.chroma_host}:{settings.storage.chroma_port}"
    return f"embedded at {settings.storage.chroma_path}"


def forget_clients() -> None:
    """Drop the embedded Chroma clients this process keeps per path, so a data dir removed
    and made again is read afresh (chromadb caches one client per path)."""
    from chromadb.api.client import SharedSystemClient

    SharedSystemClient.clear_system_cache()
