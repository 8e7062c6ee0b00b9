"""Slash commands as Discord admins know them, through the real client and the fake Discord:
default_member_permissions, /help, /ask private:true, /ask in a thread, the channel
allow-list and clearing settings."""

from __future__ import annotations

import asyncio

import pytest

from bot.answer_view import SOURCES_ID
from bot.cogs.ask import FOLLOW_UP_HINT
from newsbot import guilds
from newsbot.library import Library
from tests.discord_fake import (
    ADMIN_ROLE_ID,
    ALICE,
    BOB,
    DIGEST_ID,
    EPHEMERAL,
    GENERAL_ID,
    GUILD_ID,
    FakeDiscord,
)
from tests.test_bot_support import (
    all_text,
    bot_library,
    button,
    button_ids,
    fake,
    running,
    sample_template,
)

pytestmark = [pytest.mark.asyncio, pytest.mark.timeout(60)]
__all__ = ["fake", "bot_library", "sample_template"]
MANAGE_GUILD = str(1 << 5)
MODERATOR = {"reingest", "feeds", "digest-subscribe", "digest-unsubscribe", "bot-settings",
             "feedback", "watch-settings"}
QUESTION = "What did the LUMEN-2 trial show?"


async def private(fake: FakeDiscord, command: str, options: dict | None = None, *,
                  user=ALICE, channel_id: int | None = None) -> str:
    ix = await fake.send_interaction(command, options or {}, user=user, channel_id=channel_id)
    answer = await ix.wait_answer(timeout=10)
    assert answer["flags"] & EPHEMERAL, answer
    return all_text(answer)


async def test_moderator_commands_carry_default_member_permissions(
    fake: FakeDiscord, bot_library: Library
) -> None:
    async with running(fake, bot_library):
        synced = {c["name"]: c["default_member_permissions"] for c in fake.commands[GUILD_ID]}
    assert {name for name, perms in synced.items() if perms} == MODERATOR
    assert all(synced[name] == MANAGE_GUILD for name in MODERATOR)
    assert synced["ask"] is None and synced["help"] is None


async def test_help_lists_what_this_member_may_use(fake: FakeDiscord,
                                                   bot_library: Library) -> None:
    async with running(fake, bot_library):
        member = await private(fake, "help", user=BOB)
        moderator = await private(fake, "help", user=ALICE)
    assert "`/ask question [disease] [days] [private]`" in member
    assert "/latest" in member and "/status" in member and "Report a problem" in member
    assert "/reingest" not in member and "For moderators" not in member
    assert "For moderators" in moderator
    for command in ("/reingest", "/feeds add url", "/feeds remove url", "/feedback",
                    "/bot-settings", "/digest-subscribe channel time timezone"):
        assert command in moderator, command


async def test_private_ask_is_seen_only_by_the_asker(fake: FakeDiscord,
                                                     bot_library: Library) -> None:
    async with running(fake, bot_library):
        ix = await fake.send_interaction("ask", {"question": QUESTION, "private": True},
                                         user=BOB)
        answer = await ix.wait_answer(timeout=10)
        sources = await (await fake.click(answer, button(answer, SOURCES_ID),
                                          user=BOB)).wait_answer()
    assert ix.response == {"type": 5, "data": {"flags": EPHEMERAL}}
    assert answer["flags"] & EPHEMERAL and "What's happening" in all_text(answer)
    assert SOURCES_ID in button_ids(answer) and sources["flags"] & EPHEMERAL
    assert fake.channel_messages(GENERAL_ID) == [] and fake.threads == {}


async def test_ask_answers_in_a_thread_when_the_guild_enables_it(
    fake: FakeDiscord, bot_library: Library
) -> None:
    async with running(fake, bot_library):
        before = await fake.send_interaction("ask", {"question": QUESTION})
        await before.wait_answer(timeout=10)
        assert fake.threads == {}  # off by default
        assert "open a thread: yes" in await private(fake, "bot-settings", {"ask_threads": True})
        ix = await fake.send_interaction("ask", {"question": QUESTION}, user=BOB)
        answer = await ix.wait_answer(timeout=10)
        thread = await fake.wait_for_thread(parent_id=GENERAL_ID)
        tid = int(thread["id"])
        hint = await fake.wait_for_message(lambda m: m["type"] == 0, channel_id=tid)
        follow = await fake.send_message(tid, BOB, "what about for MS?")
        reply = await fake.wait_for_message(lambda m: m["embeds"], channel_id=tid,
                                            after=int(follow["id"]), timeout=10)
    assert thread["id"] == answer["id"] and thread["name"] == f"Q: {QUESTION}"
    assert hint["content"] == FOLLOW_UP_HINT
    assert "multiple sclerosis" in all_text(reply).lower()


async def test_channel_allow_list_and_clearing_every_setting(
    fake: FakeDiscord, bot_library: Library
) -> None:
    async with running(fake, bot_library):
        shown = await private(fake, "bot-settings", {"allow_channel": DIGEST_ID,
                                                     "moderator_role": ADMIN_ROLE_ID,
                                                     "ask_cooldown": 30.0})
        refused = await private(fake, "ask", {"question": QUESTION}, user=BOB)
        mention = await fake.send_message(GENERAL_ID, BOB, f"{fake.bot_mention} LUMEN-2?")
        ix = await fake.send_interaction("ask", {"question": QUESTION}, user=ALICE,
                                         channel_id=DIGEST_ID)
        allowed = await ix.wait_answer(timeout=10)
        await asyncio.sleep(0.5)  # time for a (wrong) answer to the mention
        silent = fake.bot_messages(GENERAL_ID) == [] and fake.threads == {}
        assert bot_library.store.feedback.count() == 1
        bob_may_ask = await fake.send_interaction("ask", {"question": QUESTION}, user=BOB,
                                                  channel_id=DIGEST_ID)
        await bob_may_ask.wait_answer(timeout=10)  # the refusal cost bob no cooldown
        role_cleared = await private(fake, "bot-settings", {"reset": "moderator_role"})
        cleared = await private(fake, "bot-settings", {"reset": "all"})
        again = await fake.send_interaction("ask", {"question": QUESTION}, user=BOB)
        answered = await again.wait_answer(timeout=10)
    assert f"Answers in: <#{DIGEST_ID}>." in shown and "Moderator role: admin" in shown
    assert refused == f"In this server I answer in <#{DIGEST_ID}>; please ask there."
    assert silent and mention["id"] not in {t["id"] for t in fake.threads.values()}
    assert "What's happening" in all_text(allowed)
    assert bob_may_ask.response == {"type": 5}
    assert "Moderator role: none" in role_cleared and "Answers in: <#" in role_cleared
    assert "Moderator role: none" in cleared and "/ask cooldown: 0 s" in cleared
    assert "Answers in: every channel." in cleared and "open a thread: no" in cleared
    assert bot_library.store.guilds.settings(GUILD_ID) == guilds.GuildSettings(
        GUILD_ID, None, None)
    assert not answered["flags"] & EPHEMERAL and answered["embeds"]
