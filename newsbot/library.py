"""The opened, long-lived resources every interface shares: the store and the embedder."""

from __future__ import annotations

from dataclasses import dataclass
from types import TracebackType

from newsbot.embedding import Embedder, LazyEmbedder, vector_kind
from newsbot.settings import Settings
from newsbot.store import Store


@dataclass
class Library:
    settings: Settings  # the store's: a read-only data dir is served from a copy
    store: Store
    embedder: Embedder

    @classmethod
    def open(cls, settings: Settings, embedder: Embedder | None = None, *,
             tolerate_store_down: bool = False) -> Library:
        """Open the store (see `Store.open`) and the embedder (loaded on first use unless
        given); closing the library closes the store. The store records which embedding its
        vectors come from and refuses another."""
        if embedder is None:
            embedder = LazyEmbedder(settings.embedding.model, settings.embedding.batch_size,
                                    settings.embedding.backend, settings.model_cache)
        store = Store.open(settings, tolerate_store_down=tolerate_store_down,
                           embedding=vector_kind(getattr(embedder, "name", "")) or None)
        return cls(settings=store.settings, store=store, embedder=embedder)

    def close(self) -> None:
        self.store.close()

    def __enter__(self) -> Library:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()
