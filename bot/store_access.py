"""The store as the bot's coroutines reach it: `await bot.store.guilds.subscribe(...)` runs
the store method in a worker thread, so SQLite and Chroma never block the event loop."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

from newsbot.store import Store


class _Group:
    def __init__(self, group: Any) -> None:
        self._group = group

    def __getattr__(self, name: str) -> Callable[..., Awaitable[Any]]:
        method = getattr(self._group, name)
        if not callable(method):
            raise AttributeError(name)

        async def call(*args: Any, **kwargs: Any) -> Any:
            return await asyncio.to_thread(method, *args, **kwargs)

        call.__name__ = name
        return call


class OffLoopStore:
    """`Store`'s record groups (articles, feeds, guilds, feedback, runs, …) with every
    method awaitable."""

    def __init__(self, store: Store) -> None:
        self._store = store

    def __getattr__(self, group: str) -> _Group:
        if group.startswith("_"):
            raise AttributeError(group)
        return _Group(getattr(self._store, group))
