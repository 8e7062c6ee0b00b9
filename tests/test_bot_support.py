"""Shared set-up for the bot tests (no tests here): sample data, the fake Discord, the bot.

The bundled sample feeds are ingested once per session into a template data dir; each test
gets its own copy (a few milliseconds), so tests are fast and never share state.
"""

from __future__ import annotations

import re
import shutil
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import pytest_asyncio

from bot.main import NewsBot
from ingest.pipeline import run_ingest, sources_from_args
from newsbot.library import Library
from tests.conftest import SAMPLE_FEEDS, SAMPLE_NOW, make_settings
from tests.discord_fake import GUILD_ID, FakeDiscord
from tests.doubles import HashingEmbedder

FIXED_NOW = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)
# The hashing embedder's similarities are low: let retrieval accept them.
BOT_SETTINGS: dict[str, Any] = {
    "min_relevance": 0.1,
    "discord_guild_id": GUILD_ID,
    "ask_cooldown_seconds": 0,
}
CITATION = re.compile(r"\[(\d+)\]")
LINK = re.compile(r"\[([^\]]+)\]\((https?://[^)\s]+)\)")


def sample_files() -> list[str]:
    return [str(p) for p in sorted(SAMPLE_FEEDS.glob("*.xml"))]


class SlowEmbedder(HashingEmbedder):
    """Blocks its worker thread like a real model would (time.sleep releases the GIL)."""

    def __init__(self, delay: float) -> None:
        super().__init__()
        self.delay = delay

    def encode(self, texts: list[str]) -> np.ndarray:
        time.sleep(self.delay)
        return super().encode(texts)


@pytest.fixture(scope="session")
def sample_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A data dir holding the sample feeds ingested at SAMPLE_NOW, made once per session."""
    root = tmp_path_factory.mktemp("sample-template")
    library = Library.open(make_settings(root), embedder=HashingEmbedder())
    try:
        run_ingest(library, sources_from_args(sample_files()), now=SAMPLE_NOW)
    finally:
        library.close()
    return root / "data"


def open_library(tmp_path: Path, template: Path | None = None, **overrides: Any) -> Library:
    """A library in tmp_path/data (a copy of `template` if given) with the bot settings."""
    data = tmp_path / "data"
    if template is not None and not data.exists():
        shutil.copytree(template, data)
    settings = make_settings(tmp_path, **{**BOT_SETTINGS, **overrides})
    return Library.open(settings, embedder=HashingEmbedder())


@pytest.fixture
def bot_library(tmp_path: Path, sample_template: Path) -> Iterator[Library]:
    """A private copy of the sample data, opened with the bot settings."""
    library = open_library(tmp_path, sample_template)
    yield library
    library.close()


@pytest_asyncio.fixture
async def fake() -> AsyncIterator[FakeDiscord]:
    async with FakeDiscord() as server:
        yield server
        assert server.unhandled == [], [(r.method, r.path) for r in server.unhandled]


def make_bot(library: Library, **kwargs: Any) -> NewsBot:
    options: dict[str, Any] = {
        "guild_ready_timeout": 0.05,
        "background": False,
        "progress_interval": 0.0,
        "clock": lambda: FIXED_NOW,
    }
    options.update(kwargs)
    return NewsBot(library, library.settings, **options)


@asynccontextmanager
async def running(fake: FakeDiscord, library: Library, **kwargs: Any) -> AsyncIterator[NewsBot]:
    async with fake.running(make_bot(library, **kwargs)) as bot:
        yield bot


def embeds_of(message: dict) -> list[dict]:
    return message.get("embeds") or []


def all_text(message: dict) -> str:
    """Content plus every title, description, field and footer of a stored message."""
    parts = [message.get("content") or ""]
    for embed in embeds_of(message):
        parts += [embed.get("title") or "", embed.get("description") or ""]
        parts += [f"{f['name']}\n{f['value']}" for f in embed.get("fields") or []]
        parts.append((embed.get("footer") or {}).get("text") or "")
    return "\n".join(p for p in parts if p)


def embed_total(embed: dict) -> int:
    fields = embed.get("fields") or []
    return (len(embed.get("title") or "") + len(embed.get("description") or "")
            + sum(len(f["name"]) + len(f["value"]) for f in fields)
            + len((embed.get("footer") or {}).get("text") or ""))


def button_ids(message: dict) -> list[str]:
    """The custom_ids of a message's buttons, in order, without the record id at the end."""
    return [c["custom_id"].rsplit(":", 1)[0] for row in message.get("components") or []
            for c in row["components"] if "custom_id" in c]


def button(message: dict, action_id: str) -> str:
    """The full custom_id of the button `action_id` (e.g. MORE_ID) on a message."""
    ids = [c["custom_id"] for row in message.get("components") or []
           for c in row["components"] if "custom_id" in c]
    found = [i for i in ids if i.rsplit(":", 1)[0] == action_id]
    assert found, (action_id, ids)
    return found[0]
