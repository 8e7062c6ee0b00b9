"""The store as the bot's coroutines reach it: `await bot.store.guilds.subscribe(...)` runs
the store method in a worker thread, so SQLite and Chroma never block the event loop."""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from newsbot.store import Store


class _Group:
    def __init__(self, group: Any, pool: ThreadPoolExecutor) -> None:
        self._group = group
        self._pool = pool

    def __getattr__(self, name: str) -> Callable[..., Awaitable[Any]]:
        method = getattr(self._group, name)
        if not callable(method):
            raise AttributeError(name)

        async def call(*args: Any, **kwargs: Any) -> Any:
            call_ = functools.partial(method, *args, **kwargs)
            return await asyncio.get_running_loop().run_in_executor(self._pool, call_)

        call.__name__ = name
        return call


class OffLoopStore:
    """`Store`'s record groups (articles, feeds, guilds, feedback, runs, …) with every
    method awaitable."""

    def __init__(self, store: Store) -> None:
        self._store = store
        # its own pool, so closing can wait for every call still reading the store
        self._pool = ThreadPoolExecutor(max_workers=4, thread_name_prefix="store")

    def __getattr__(self, group: str) -> _Group:
        if group.startswith("_"):
            raise AttributeError(group)
        return _Group(getattr(self._store, group), self._pool)

    def shutdown(self) -> None:
        """Wait for the calls in flight (the store may be closed right after)."""
        self._pool.shutdown(wait=True, cancel_futures=True)
