"""Dependencies down, seen from Discord: every feed failing, and the vector store gone.

Users get a clear message, the bot keeps running, and it recovers without a restart.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.errors import STORE_DOWN
from newsbot.errors import StoreUnavailable
from tests.discord_fake import ALICE, BOB, EPHEMERAL, GENERAL_ID, LOADING, FakeDiscord
from tests.feed_server import FeedServer, Route
from tests.test_bot_support import (
    all_text,
    bot_library,
    fake,
    open_library,
    running,
    sample_template,
)

pytestmark = [pytest.mark.asyncio, pytest.mark.timeout(60)]
__all__ = ["fake", "bot_library", "sample_template"]


async def test_every_feed_failing_is_reported(fake: FakeDiscord, tmp_path: Path,
                                              feed_server: FeedServer) -> None:
    library = open_library(tmp_path, fetch_article_pages=False, fetch_retries=0)
    for path, route in {"/down.xml": Route(status=500), "/gone.xml": Route(status=404),
                        "/html.xml": Route(body=b"<!doctype html><html></html>",
                                           content_type="text/html")}.items():
        library.store.feeds.add(feed_server.add(path, route), "", "test")
    try:
        async with running(fake, library):
            ix = await fake.send_interaction("reingest", user=ALICE)
            await fake.wait_until(
                lambda: any("finished" in (e.get("content") or "") for e in ix.edits),
                timeout=20, what="the final report")
            report = ix.edits[-1]["content"]
            sources = all_text(await (await fake.send_interaction(
                "sources", {}, user=BOB)).wait_answer(timeout=10))
            status = all_text(await (await fake.send_interaction(
                "status", {}, user=BOB)).wait_answer(timeout=10))
    finally:
        library.close()
    assert "3 feed(s) failed" in report
    assert "3 failing" in sources and "HTTP 500" in sources and "HTML page" in sources
    assert "failed" in status


async def test_vector_store_down_then_back(fake: FakeDiscord, bot_library, monkeypatch) -> None:
    """An error after the public "thinking…" defer: the placeholder goes, the user gets a
    short private message, and no host or port reaches a channel."""
    store = bot_library.store.vectors
    real_query = store.query

    def down(*args, **kwargs):
        raise StoreUnavailable("Could not open the vector store (server 127.0.0.1:8000): "
                               "connection refused")

    async with running(fake, bot_library):
        monkeypatch.setattr(store, "query", down)
        ix = await fake.send_interaction("ask", {"question": "What did LUMEN-2 show?"}, user=BOB)
        failed = await ix.wait_answer(timeout=10)
        asked = await fake.send_message(GENERAL_ID, ALICE, f"{fake.bot_mention} LUMEN-2?")
        thread = await fake.wait_for_thread(parent_id=GENERAL_ID)
        in_thread = await fake.wait_for_message(channel_id=int(thread["id"]), timeout=10)
        monkeypatch.setattr(store, "query", real_query)
        ix2 = await fake.send_interaction("ask", {"question": "What did LUMEN-2 show?"},
                                          user=ALICE)
        answered = await ix2.wait_answer(timeout=10)
    assert ix.response == {"type": 5}
    assert ix.deleted and ix.deleted[0]["flags"] & LOADING  # the public placeholder
    assert failed["flags"] & EPHEMERAL and all_text(failed) == STORE_DOWN
    assert all_text(in_thread) == STORE_DOWN and asked["id"] == thread["id"]
    public = [all_text(m) for cid in fake.messages for m in fake.channel_messages(cid)]
    assert not any("127.0.0.1" in t or "8000" in t or "vector store" in t for t in public)
    assert answered["embeds"] and "What's happening" in all_text(answered)
