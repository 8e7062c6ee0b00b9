"""Test-only start-up hooks for the `newsbot` subprocesses that tests launch.

Python imports `sitecustomize` at start-up when this directory is on PYTHONPATH, so the real
`.venv/bin/newsbot` runs unchanged while the product code carries no test switches:

NEWSBOT_TEST_EMBEDDER=hashing        the fast HashingEmbedder instead of loading MiniLM
NEWSBOT_TEST_DISCORD_API=URL       discord.py's REST base (e.g. a refusing loopback port)
NEWSBOT_TEST_KILL=before:N|after:N   SIGKILL the process just before / just after its Nth
                                     Chroma write (an upsert or delete of at least one id)
"""

from __future__ import annotations

import os
import signal
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

REPO = str(Path(__file__).resolve().parents[2])  # for tests.doubles; after the product's paths


def _use_hashing_embedder() -> None:
    import newsbot.library

    if REPO not in sys.path:
        sys.path.append(REPO)
    from tests.doubles import HashingEmbedder

    newsbot.library.LazyEmbedder = lambda *args, **kwargs: HashingEmbedder()  # type: ignore


def _kill_around_write(spec: str) -> None:
    from newsbot.store.vectors import VectorStore

    when, _, number = spec.partition(":")
    if when not in {"before", "after"} or not number.isdigit():
        raise SystemExit(f"NEWSBOT_TEST_KILL must be before:N or after:N, not {spec!r}")
    target, writes = int(number), [0]

    def counted(method: Callable[..., Any]) -> Callable[..., Any]:
        def write(self: VectorStore, ids: Any, *args: Any, **kwargs: Any) -> Any:
            if not ids:
                return method(self, ids, *args, **kwargs)
            writes[0] += 1
            if writes[0] == target and when == "before":
                os.kill(os.getpid(), signal.SIGKILL)
            result = method(self, ids, *args, **kwargs)
            if writes[0] == target and when == "after":
                os.kill(os.getpid(), signal.SIGKILL)
            return result

        return write

    VectorStore.upsert = counted(VectorStore.upsert)  # type: ignore[method-assign]
    VectorStore.delete = counted(VectorStore.delete)  # type: ignore[method-assign]


if os.environ.get("NEWSBOT_TEST_EMBEDDER") == "hashing":
    _use_hashing_embedder()
if os.environ.get("NEWSBOT_TEST_DISCORD_API"):
    import discord.http

    discord.http.Route.BASE = os.environ["NEWSBOT_TEST_DISCORD_API"]
if os.environ.get("NEWSBOT_TEST_KILL"):
    _kill_around_write(os.environ["NEWSBOT_TEST_KILL"])
