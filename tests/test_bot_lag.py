"""The event loop stays responsive while a re-ingest and several /ask calls run."""

from __future__ import annotations

import asyncio
import gc
from pathlib import Path

import pytest

from tests.conftest import sample_urls
from tests.discord_fake import ALICE, BOB, FakeDiscord
from tests.feed_server import FeedServer
from tests.test_bot_support import SlowEmbedder, fake, open_library, running

pytestmark = [pytest.mark.asyncio, pytest.mark.timeout(60)]
__all__ = ["fake"]
QUESTIONS = [
    "What did the LUMEN-2 trial show?",
    "CAR-T for lupus",
    "What is new for myasthenia gravis?",
    "Any news on Treg therapy for type 1 diabetes?",
    "How much will CAR-T cost?",
]


async def measure_lag(stop: asyncio.Event, lags: list[float]) -> None:
    loop = asyncio.get_running_loop()
    while not stop.is_set():
        start = loop.time()
        await asyncio.sleep(0.01)
        lags.append(loop.time() - start - 0.01)


async def test_event_loop_lag_stays_low_during_ingest_and_asks(
    fake: FakeDiscord, tmp_path: Path, sample_server: FeedServer
) -> None:
    library = open_library(tmp_path, fetch_article_pages=False)
    library.embedder = SlowEmbedder(0.15)  # a blocking call this long on the loop would fail
    for url in sample_urls(sample_server):
        library.store.feeds.add(url, "", "test")
    stop, lags = asyncio.Event(), []
    try:
        async with running(fake, library) as bot:
            # Earlier tests leave much garbage; a full collection of it can pause the process
            # for over 100 ms. Collect and freeze it first: the probe measures the bot.
            gc.collect()
            gc.freeze()
            probe = asyncio.create_task(measure_lag(stop, lags))
            ingest = await fake.send_interaction("reingest", user=ALICE)
            await fake.wait_until(lambda: bot.ingest.busy, what="the ingestion to start")
            asks = []
            for question in QUESTIONS:
                asks.append(await fake.send_interaction("ask", {"question": question}, user=BOB))
                await asyncio.sleep(0.05)
            assert bot.ingest.busy, "the asks should overlap the ingestion"
            answers = await asyncio.gather(*(ix.wait_answer(timeout=20) for ix in asks))
            await fake.wait_until(
                lambda: any("finished" in (e.get("content") or "") for e in ingest.edits),
                timeout=30, what="the end of the ingestion")
            stop.set()
            await probe
    finally:
        gc.unfreeze()
        library.close()
    assert len(answers) == len(QUESTIONS) and all(a["embeds"] for a in answers)
    assert len(lags) > 50
    assert max(lags) < 0.1, f"max event-loop lag {max(lags) * 1000:.0f} ms"
