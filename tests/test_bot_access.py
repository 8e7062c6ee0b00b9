"""Who can reach the bot where: DMs, a second guild, and moderator-only commands."""

from __future__ import annotations

import pytest

from tests.discord_fake import BOB, FakeDiscord
from tests.test_bot_support import all_text, bot_library, fake, running, sample_template

pytestmark = [pytest.mark.asyncio, pytest.mark.timeout(60)]
__all__ = ["fake", "bot_library", "sample_template"]


async def test_direct_message_gets_a_pointer_to_the_server(fake: FakeDiscord,
                                                          bot_library) -> None:
    async with running(fake, bot_library):
        asked = await fake.send_dm(BOB, "What is new in CAR-T for lupus?")
        reply = await fake.wait_for_message(channel_id=int(asked["channel_id"]))
    text = all_text(reply)
    assert "in servers" in text and "/ask" in text
    assert fake.payload_of(reply)["allowed_mentions"] == {"parse": []}
    assert not fake.threads, "no thread is opened for a DM"


async def test_slash_commands_are_guild_only(fake: FakeDiscord, bot_library) -> None:
    async with running(fake, bot_library):
        synced = [c for cmds in fake.commands.values() for c in cmds]
    ask = next(c for c in synced if c["name"] == "ask")
    assert ask.get("dm_permission") is False or ask.get("contexts") == [0]


async def test_a_second_guild_is_served_by_mention(bot_library) -> None:
    from tests.discord_fake import ALICE, Guild, Role, default_guild

    other = Guild(777_000, "Another community", {777_001: "news"}, [BOB, ALICE],
                  [Role(777_002, "admin", 8)])
    async with FakeDiscord(guilds=[default_guild(), other]) as fake, running(fake, bot_library):
        asked = await fake.send_message(777_001, BOB, f"{fake.bot_mention} What did LUMEN-2 show?")
        thread = await fake.wait_for_thread(parent_id=777_001)
        reply = await fake.wait_for_message(channel_id=int(thread["id"]))
        # slash commands were synced to the configured guild only (NEWSBOT_DISCORD_GUILD_ID)
        with pytest.raises(LookupError):
            await fake.send_interaction("status", {}, user=BOB, channel_id=777_001)
        ix = await fake.send_interaction("status", {}, user=BOB)
        assert "articles in" in all_text(await ix.wait_answer(timeout=10))
        assert fake.unhandled == []
    assert asked and "What's happening" in all_text(reply)


MODERATOR_COMMANDS = [
    ("reingest", {}),
    ("feeds add", {"url": "https://example.org/feed.xml"}),
    ("feeds remove", {"url": "https://example.org/feed.xml"}),
    ("feeds list", {}),
    ("digest-subscribe", {"channel": None, "time": "08:00", "timezone": "Europe/Paris"}),
    ("digest-unsubscribe", {"channel": None}),
    ("bot-settings", {"ask_cooldown": 5}),
    ("feedback", {}),
]


@pytest.mark.parametrize(("command", "options"), MODERATOR_COMMANDS,
                         ids=[c for c, _ in MODERATOR_COMMANDS])
async def test_every_moderator_command_refuses_members(fake: FakeDiscord, bot_library,
                                                       command: str, options: dict) -> None:
    from tests.discord_fake import DIGEST_ID

    options = {k: (DIGEST_ID if v is None else v) for k, v in options.items()}
    tables = ("runs", "feeds", "digest_subscriptions", "guild_settings")

    def snapshot() -> dict[str, list]:
        return {t: [tuple(r) for r in bot_library.store.sqlite.execute(f"SELECT * FROM {t}")]
                for t in tables}

    before = snapshot()
    async with running(fake, bot_library):
        with pytest.raises(PermissionError):  # Discord does not even offer it to bob
            await fake.send_interaction(command, options, user=BOB)
        fake.overrides.add(command.split()[0])  # unless an admin opened it to everyone
        ix = await fake.send_interaction(command, options, user=BOB)
        refused = await ix.wait_answer(timeout=10)
    assert refused["flags"] & 64 and "moderators only" in all_text(refused)
    assert snapshot() == before, "nothing ran"
