"""Load: 50 concurrent /ask through the fake Discord while a re-ingest runs.

Every ask is answered or politely rate-limited (none lost), the event loop stays responsive,
and the answer latencies are printed (run with -s to see them).
"""

from __future__ import annotations

import asyncio
import gc
import statistics
import time
from pathlib import Path

import pytest

from tests.conftest import sample_urls
from tests.discord_fake import ALICE, GENERAL_ID, GUILD_ID, FakeDiscord, Guild, Member, Role
from tests.feed_server import FeedServer
from tests.test_bot_lag import measure_lag
from tests.test_bot_support import SlowEmbedder, all_text, open_library, running

pytestmark = [pytest.mark.asyncio, pytest.mark.timeout(120)]
USERS = [Member(900_000 + i, f"reader{i}") for i in range(25)]
QUESTIONS = ["What did the LUMEN-2 trial show?", "CAR-T for lupus",
             "What is new for myasthenia gravis?", "How much will CAR-T cost?",
             "Any news on Treg therapy?"]


async def test_fifty_concurrent_asks_during_a_reingest(tmp_path: Path,
                                                       sample_server: FeedServer) -> None:
    guild = Guild(GUILD_ID, "Load", {GENERAL_ID: "general"}, [ALICE, *USERS],
                  [Role(GUILD_ID + 1, "admin", 8)])
    library = open_library(tmp_path, fetch_article_pages=False, ask_cooldown_seconds=600)
    library.embedder = SlowEmbedder(0.02)
    for url in sample_urls(sample_server):
        library.store.feeds.add(url, "", "test")
    stop, lags = asyncio.Event(), []
    async with FakeDiscord(guilds=[guild]) as fake:
        try:
            async with running(fake, library) as bot:
                gc.collect()
                gc.freeze()
                probe = asyncio.create_task(measure_lag(stop, lags))
                await fake.send_interaction("reingest", user=ALICE)
                await fake.wait_until(lambda: bot.ingest.busy, what="the ingestion to start")
                started = time.monotonic()
                interactions = await asyncio.gather(*(
                    fake.send_interaction("ask", {"question": QUESTIONS[i % 5]},
                                          user=USERS[i % 25])
                    for i in range(50)))
                latencies: list[float] = []

                async def answered(ix):
                    answer = await ix.wait_answer(timeout=60)
                    latencies.append(time.monotonic() - started)
                    return answer

                answers = await asyncio.gather(*(answered(ix) for ix in interactions))
                stop.set()
                await probe
        finally:
            gc.unfreeze()
            library.close()
        assert fake.unhandled == []
    texts = [all_text(a) for a in answers]
    full = [t for t, a in zip(texts, answers, strict=True) if a.get("embeds")]
    limited = [t for t in texts if "wait" in t.lower() or "cooldown" in t.lower()
               or "again in" in t.lower()]
    assert len(answers) == 50, "none lost"
    assert len(full) >= 25 and len(full) + len(limited) == 50, (len(full), len(limited))
    assert all("What's happening" in t or "no coverage" in t for t in full)
    p50 = statistics.median(latencies)
    p95 = statistics.quantiles(latencies, n=20)[-1]
    print(f"\n50 concurrent /ask during /reingest: p50 {p50 * 1000:.0f} ms, "
          f"p95 {p95 * 1000:.0f} ms, max loop lag {max(lags) * 1000:.0f} ms")
    # The fake Discord shares this event loop, so its own burst of 50 interactions shows up
    # as lag (87-110 ms on 2 cores before and after the answer-quality changes). One encode
    # on the loop (20 ms here) per ask would add about a second; 250 ms still catches that.
    assert max(lags) < 0.25, f"max event-loop lag {max(lags) * 1000:.0f} ms"
