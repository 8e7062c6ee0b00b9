"""Digest delivery through the fake Discord: `SchedulerCog.tick(now)` with a controlled clock.

The sample data was ingested at SAMPLE_NOW; each subscription is made so that its daily slot
has just passed at NOW, two hours later.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from bot.cogs.scheduler import SchedulerCog
from bot.main import NewsBot
from newsbot import guilds
from newsbot.library import Library
from newsbot.models import SECTION_TITLES
from tests.conftest import SAMPLE_NOW
from tests.discord_fake import BOB, DIGEST_ID, GUILD_ID, FakeDiscord
from tests.test_bot_support import (
    CITATION,
    LINK,
    all_text,
    bot_library,
    button,
    button_ids,
    embed_total,
    fake,
    open_library,
    running,
    sample_template,
)

pytestmark = [pytest.mark.asyncio, pytest.mark.timeout(60)]
__all__ = ["fake", "bot_library", "sample_template"]
NOW = SAMPLE_NOW + timedelta(hours=2)
LUMORA = "Lumora Bio reports 65% complete renal response rate for LMR-19"  # the head report


def subscribe_just_due(library: Library, now: datetime) -> None:
    """A UTC subscription whose slot was an hour ago, made before that slot."""
    post_time = (now - timedelta(hours=1)).strftime("%H:%M")
    library.store.guilds.subscribe(GUILD_ID, DIGEST_ID, post_time, "UTC", now - timedelta(hours=3))


def subscription(library: Library) -> guilds.Subscription:
    sub = library.store.guilds.subscription(DIGEST_ID)
    assert sub is not None
    return sub


def scheduler(bot: NewsBot) -> SchedulerCog:
    cog = bot.get_cog("SchedulerCog")
    assert isinstance(cog, SchedulerCog)
    return cog


def subscribe_with_period(library: Library, now: datetime, start: datetime) -> None:
    """A subscription just due whose previous digest ended at `start`."""
    subscribe_just_due(library, now)
    library.store.guilds.record_post(DIGEST_ID, start, start)


def within_limits(message: dict) -> None:
    embeds = message["embeds"]
    assert len(embeds) <= 10 and sum(embed_total(e) for e in embeds) <= 6000
    for embed in embeds:
        assert len(embed.get("title") or "") <= 256
        assert len(embed.get("description") or "") <= 4096
        assert all(len(f["value"]) <= 1024 for f in embed.get("fields") or [])


async def test_digest_is_one_compact_message_with_details_in_a_thread(
        fake: FakeDiscord, bot_library: Library) -> None:
    now = NOW
    subscribe_with_period(bot_library, now, SAMPLE_NOW - timedelta(days=30))
    async with running(fake, bot_library) as bot:
        (result,) = await scheduler(bot).tick(now)
    assert result.outcome == "posted"
    (compact,) = fake.bot_messages(DIGEST_ID)  # one message in the channel
    (embed,) = compact["embeds"]
    within_limits(compact)
    assert embed["title"] == "📰 News digest"
    assert "**28 new articles** from **7 outlets**" in embed["description"]
    assert "(UTC)" in embed["description"]
    lines = [x for x in embed["description"].split("\n\n") if x.startswith("**1. ")]
    (first,) = lines
    assert LUMORA in first and " — " in first  # headline, then what is happening
    assert len(LINK.findall(first.split("\n", 1)[1])) == 3  # each of its 3 outlets linked
    assert fake.payload_of(compact)["allowed_mentions"] == {"parse": []}

    thread = fake.threads[int(compact["id"])]  # the thread hangs under the compact message
    assert int(thread["parent_id"]) == DIGEST_ID
    details = [m for m in fake.bot_messages(int(thread["id"])) if m["type"] == 0]
    assert len(details) == 5  # the top stories (digest_top_stories), one message each
    (story,) = details[0]["embeds"]
    within_limits(details[0])
    assert story["title"].startswith(f"1. {LUMORA}")
    assert "*Covered by 3 outlets: BioWire Daily, Immune Frontier News, The Rheum Report*" in (
        story["description"])
    assert CITATION.search(story["description"])
    assert "No supporting coverage" not in story["description"]
    assert story["fields"][0]["name"] == "Sources"
    assert story["fields"][0]["value"].count("\n") == 2
    for message in details:
        text = message["embeds"][0]["description"]
        for title in SECTION_TITLES.values():  # a section shown has something in it
            assert f"**{title}**\n\n" not in text and not text.endswith(f"**{title}**")
    sub = subscription(bot_library)
    assert sub.last_post_at == now.replace(microsecond=0) and sub.last_error is None


async def test_each_story_detail_carries_the_answer_buttons(
        fake: FakeDiscord, bot_library: Library) -> None:
    subscribe_with_period(bot_library, NOW, SAMPLE_NOW - timedelta(days=30))
    async with running(fake, bot_library) as bot:
        await scheduler(bot).tick(NOW)
        (compact,) = fake.bot_messages(DIGEST_ID)
        thread = fake.threads[int(compact["id"])]
        first = next(m for m in fake.bot_messages(int(thread["id"])) if m["type"] == 0)
        assert button_ids(first) == ["newsbot:answer:sources", "newsbot:answer:up",
                                     "newsbot:answer:down", "newsbot:answer:report"]
        ix = await fake.click(first, button(first, "newsbot:answer:sources"), user=BOB)
        reply = await ix.wait_answer()
    assert reply["flags"] & 64  # the sources, privately
    assert "BioWire Daily" in all_text(reply) and LINK.search(all_text(reply))
    record = bot_library.store.sqlite.execute("SELECT question, message_id FROM answer_records "
                                    "ORDER BY id").fetchone()
    assert record["question"].startswith(f"Digest story: {LUMORA}")
    assert record["message_id"] == int(first["id"])


async def test_first_digest_after_a_backlog_ingest_says_it_is_catching_up(
        fake: FakeDiscord, bot_library: Library) -> None:
    now = NOW  # the sample feeds were all ingested at SAMPLE_NOW, published weeks before
    subscribe_just_due(bot_library, now)
    async with running(fake, bot_library) as bot:
        await scheduler(bot).tick(now)
    (compact,) = fake.bot_messages(DIGEST_ID)
    text = all_text(compact)
    assert re.search(r"Catching up: \d+ older stories — /latest to browse", text)
    assert LUMORA not in text, "weeks-old stories are not presented as new"
    assert "Explainer" in text and "**1. Explainer" not in text, "undated items never lead"
    assert int(compact["id"]) not in fake.threads  # nothing to detail


async def test_no_thread_permission_puts_details_behind_buttons(
        fake: FakeDiscord, bot_library: Library) -> None:
    now = NOW
    subscribe_with_period(bot_library, now, SAMPLE_NOW - timedelta(days=30))
    fake.no_threads.add(DIGEST_ID)
    async with running(fake, bot_library) as bot:
        await scheduler(bot).tick(now)
        (compact,) = fake.bot_messages(DIGEST_ID)
        buttons = [c for row in compact["components"] for c in row["components"]]
        assert len(buttons) == 5 and buttons[0]["label"].startswith("1. Lumora")
        ix = await fake.click(compact, buttons[0]["custom_id"])
        answer = await ix.wait_answer(timeout=10)
    assert fake.threads == {}
    assert answer["flags"] & 64, "the detail is shown only to whoever clicked"
    (story,) = answer["embeds"]
    assert story["title"].startswith(f"1. {LUMORA}") and story["fields"][0]["name"] == "Sources"
    within_limits(answer)


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
        ix = await fake.send_interaction("digest", {"days": 30})
        compact = await ix.wait_followup(0, timeout=10)
        thread = await fake.wait_for_thread(parent_id=int(compact["channel_id"]))
        await fake.wait_until(lambda: len([m for m in fake.bot_messages(int(thread["id"]))
                                           if m["type"] == 0]) == 5, what="the story details")
    assert len(ix.followups) == 1
    within_limits(compact)
    assert "**28 new articles** from **7 outlets**" in all_text(compact)
    assert int(thread["id"]) == int(compact["id"])
    assert compact["embeds"][-1]["footer"]["text"] == "News summary, not medical advice."


async def test_loops_start_with_the_cog_and_stop_with_the_bot(fake: FakeDiscord,
                                                              tmp_path: Path) -> None:
    library = open_library(tmp_path, ingest_interval=timedelta(minutes=30))
    try:
        async with running(fake, library, background=True) as bot:
            cog = scheduler(bot)
            assert cog.digest_loop.is_running() and cog.ingest_loop.is_running()
            assert cog.ingest_loop.seconds == 30 * 60
            runs = "SELECT COUNT(*) FROM runs"
            await fake.wait_until(lambda: library.store.sqlite.execute(runs).fetchone()[0] == 1,
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
    (first,) = fake.bot_messages(DIGEST_ID)
    (attachment,) = first["attachments"]
    assert attachment["filename"] == "articles-per-disease.png" and attachment["size"] > 1000
    assert first["embeds"][0]["image"]["url"] == "attachment://articles-per-disease.png"


async def test_no_scheduled_ingestion_when_a_worker_ingests(fake: FakeDiscord,
                                                            tmp_path: Path) -> None:
    library = open_library(tmp_path, bot_ingests=False)
    try:
        async with running(fake, library, background=True) as bot:
            cog = scheduler(bot)
            assert cog.digest_loop.is_running() and not cog.ingest_loop.is_running()
    finally:
        library.close()
