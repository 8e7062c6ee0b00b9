"""Digest delivery through the fake Discord: `SchedulerCog.tick(now)` with a controlled clock.

The sample data was ingested at SAMPLE_NOW; each subscription is made so that its daily slot
has just passed at NOW, two hours later.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import pytest

from bot.cogs.scheduler import SchedulerCog
from bot.main import NewsBot
from newsbot import guilds
from newsbot.library import Library
from newsbot.models import SECTION_TITLES
from tests.conftest import SAMPLE_NOW
from tests.discord_fake import DIGEST_ID, GUILD_ID, FakeDiscord
from tests.test_bot_support import (
    CITATION,
    all_text,
    bot_library,
    fake,
    open_library,
    running,
    sample_template,
)

pytestmark = [pytest.mark.asyncio, pytest.mark.timeout(60)]
__all__ = ["fake", "bot_library", "sample_template"]
NOW = SAMPLE_NOW + timedelta(hours=2)
LUMORA = "Lumora Bio’s CD19 CAR-T LMR-19 clears lupus nephritis"
NOT_YET_POSTED = "2020-01-01"


def subscribe_just_due(library: Library, now: datetime) -> None:
    """A UTC subscription whose slot was an hour ago, made before that slot."""
    post_time = (now - timedelta(hours=1)).strftime("%H:%M")
    guilds.subscribe(library.db, GUILD_ID, DIGEST_ID, post_time, "UTC", now - timedelta(hours=3))


def subscription(library: Library) -> guilds.Subscription:
    sub = guilds.get_subscription(library.db, DIGEST_ID)
    assert sub is not None
    return sub


def scheduler(bot: NewsBot) -> SchedulerCog:
    cog = bot.get_cog("SchedulerCog")
    assert isinstance(cog, SchedulerCog)
    return cog


def posted_text(fake: FakeDiscord) -> str:
    return "\n".join(all_text(m) for m in fake.bot_messages(DIGEST_ID))


async def test_tick_posts_the_digest_with_header_and_sections(fake: FakeDiscord,
                                                              bot_library: Library) -> None:
    now = NOW
    subscribe_just_due(bot_library, now)
    async with running(fake, bot_library) as bot:
        results = await scheduler(bot).tick(now)
        again = await scheduler(bot).tick(now + timedelta(minutes=1))
    assert [(r.channel_id, r.outcome) for r in results] == [(DIGEST_ID, "posted")]
    assert again == []  # posted once, never twice
    messages = fake.bot_messages(DIGEST_ID)
    assert len(messages) >= 2  # header and stories do not fit one message's 6,000 characters
    header = messages[0]["embeds"][0]
    assert header["title"] == "📰 News digest"
    assert "**28 new articles** from **7 outlets**" in header["description"]
    assert "(UTC)" in header["description"]
    stories = [e for m in messages for e in m["embeds"] if e.get("title", "")[:2] == "1."]
    (first,) = stories
    for title in SECTION_TITLES.values():
        assert f"**{title}**" in first["description"]
    assert CITATION.search(first["description"])
    assert first["fields"][0]["name"] == "Sources"
    assert all(fake.payload_of(m)["allowed_mentions"] == {"parse": []} for m in messages)
    sub = subscription(bot_library)
    assert sub.last_post_at == now.replace(microsecond=0) and sub.last_error is None


async def test_one_story_from_three_outlets_is_listed_once(fake: FakeDiscord,
                                                           bot_library: Library) -> None:
    now = NOW
    subscribe_just_due(bot_library, now)
    async with running(fake, bot_library) as bot:
        await scheduler(bot).tick(now)
    text = posted_text(fake)
    (story,) = [e for m in fake.bot_messages(DIGEST_ID) for e in m["embeds"]
                if LUMORA in (e.get("title") or "")]
    assert story["title"].startswith("1. ")
    assert text.count(LUMORA) == 2  # the story title and its own source [1]
    assert ("*Covered by 3 outlets: BioWire Daily, Immune Frontier News, The Rheum Report*"
            in story["description"])
    sources = story["fields"][0]["value"]
    assert sources.count("\n") == 2 and "LUMEN-2: one-time CAR-T infusion" in sources
    also = next(e for m in fake.bot_messages(DIGEST_ID) for e in m["embeds"]
                if e.get("title") == "Also new")
    assert LUMORA not in also["description"] and "LUMEN-2" not in also["description"]


async def test_second_digest_for_the_same_period_says_nothing_new(
    fake: FakeDiscord, bot_library: Library
) -> None:
    now = NOW
    subscribe_just_due(bot_library, now)
    async with running(fake, bot_library) as bot:
        await scheduler(bot).tick(now)
        count = len(fake.bot_messages(DIGEST_ID))
        (result,) = await scheduler(bot).tick(now + timedelta(days=1))
    assert result.outcome == "posted"
    (last,) = fake.bot_messages(DIGEST_ID)[count:]
    assert "Nothing new in the news I follow" in all_text(last)
    assert LUMORA not in all_text(last)


async def test_empty_digest_is_skipped_when_configured(fake: FakeDiscord, tmp_path: Path,
                                                       sample_template: Path) -> None:
    library = open_library(tmp_path, sample_template, digest_skip_empty=True)
    now = NOW
    subscribe_just_due(library, now)
    try:
        async with running(fake, library) as bot:
            await scheduler(bot).tick(now)
            count = len(fake.bot_messages(DIGEST_ID))
            later = now + timedelta(days=1)
            (result,) = await scheduler(bot).tick(later)
            assert await scheduler(bot).tick(later + timedelta(minutes=1)) == []
        assert subscription(library).last_post_at == later.replace(microsecond=0)
    finally:
        library.close()
    assert result.outcome == "skipped"
    assert len(fake.bot_messages(DIGEST_ID)) == count


async def test_missing_permission_is_reported_then_retried(fake: FakeDiscord,
                                                           bot_library: Library) -> None:
    now = NOW
    subscribe_just_due(bot_library, now)
    async with running(fake, bot_library) as bot:
        fake.fail_channel(DIGEST_ID, 403, times=1)
        (failed,) = await scheduler(bot).tick(now)
        failing = subscription(bot_library)
        ix = await fake.send_interaction("status", {})
        status = all_text(await ix.wait_answer(timeout=10))
        (retried,) = await scheduler(bot).tick(now + timedelta(minutes=1))
    assert failed.outcome == "failed" and "403" in failed.detail
    assert failing.enabled and failing.last_post_at is None
    assert failing.last_error == "403 Missing Permissions"
    assert "Failing digests" in status
    assert f"<#{DIGEST_ID}> at" in status and "failing (1x): 403 Missing Permissions" in status
    assert retried.outcome == "posted" and fake.bot_messages(DIGEST_ID)
    assert subscription(bot_library).last_error is None


async def test_deleted_channel_disables_the_subscription(fake: FakeDiscord,
                                                         bot_library: Library) -> None:
    now = NOW
    subscribe_just_due(bot_library, now)
    async with running(fake, bot_library) as bot:
        fake.fail_channel(DIGEST_ID, 404)
        (result,) = await scheduler(bot).tick(now)
        assert await scheduler(bot).tick(now + timedelta(minutes=1)) == []
    assert result.outcome == "disabled"
    sub = subscription(bot_library)
    assert not sub.enabled and sub.last_error == "404 Unknown Channel"
    assert fake.bot_messages(DIGEST_ID) == []


async def test_digest_command_on_demand(fake: FakeDiscord, bot_library: Library) -> None:
    async with running(fake, bot_library, clock=lambda: NOW):
        ix = await fake.send_interaction("digest", {})
        await ix.wait_answer(timeout=10)
    text = "\n".join(all_text(m) for m in ix.followups)
    assert "**28 new articles** from **7 outlets**" in text
    assert text.count(LUMORA) == 2
    assert ix.followups[-1]["embeds"][-1]["footer"]["text"] == "News summary, not medical advice."


async def test_loops_start_with_the_cog_and_stop_with_the_bot(fake: FakeDiscord,
                                                              tmp_path: Path) -> None:
    library = open_library(tmp_path, ingest_interval=timedelta(minutes=30))
    try:
        async with running(fake, library, background=True) as bot:
            cog = scheduler(bot)
            assert cog.digest_loop.is_running() and cog.ingest_loop.is_running()
            assert cog.ingest_loop.seconds == 30 * 60
            runs = "SELECT COUNT(*) FROM runs"
            await fake.wait_until(lambda: library.db.execute(runs).fetchone()[0] == 1,
                                  what="the first scheduled ingestion")
        assert not cog.digest_loop.is_running() and not cog.ingest_loop.is_running()
    finally:
        library.close()


async def test_chart_is_attached_when_enabled(fake: FakeDiscord, tmp_path: Path,
                                              sample_template: Path) -> None:
    library = open_library(tmp_path, sample_template, digest_chart=True)
    now = NOW
    subscribe_just_due(library, now)
    try:
        async with running(fake, library) as bot:
            await scheduler(bot).tick(now)
    finally:
        library.close()
    first, *rest = fake.bot_messages(DIGEST_ID)
    (attachment,) = first["attachments"]
    assert attachment["filename"] == "articles-per-disease.png" and attachment["size"] > 1000
    assert first["embeds"][0]["image"]["url"] == "attachment://articles-per-disease.png"
    assert all(not m["attachments"] for m in rest)


async def test_no_scheduled_ingestion_when_a_worker_ingests(fake: FakeDiscord,
                                                            tmp_path: Path) -> None:
    library = open_library(tmp_path, bot_ingests=False)
    try:
        async with running(fake, library, background=True) as bot:
            cog = scheduler(bot)
            assert cog.digest_loop.is_running() and not cog.ingest_loop.is_running()
    finally:
        library.close()
