"""Proves tests/discord_fake/ against the real discord.py 2.7.1 client."""

import asyncio
import io
from collections.abc import AsyncIterator

import discord
import discord.gateway
import discord.http
import pytest
import pytest_asyncio
from discord import app_commands
from discord.ext import commands

from tests.discord_fake import ALICE, BOB, DIGEST_ID, GENERAL_ID, GUILD_ID, FakeDiscord

pytestmark = [pytest.mark.asyncio, pytest.mark.timeout(30)]

REAL_BASE = discord.http.Route.BASE
REAL_GATEWAY = discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY
TOPICS = ["CAR-T", "CAR-NK", "tolerogenic vaccines", "B-cell depletion"]
GUILD = discord.Object(GUILD_ID)


def news_commands(bot: "ProbeBot") -> app_commands.Group:
    """/news ask|status|ping|topic|twice|slow and /news feeds add (a subcommand group)."""
    news = app_commands.Group(name="news", description="News about immune reprogramming")
    feeds = app_commands.Group(name="feeds", description="Manage feeds", parent=news)

    @news.command(name="ask", description="Ask a question")
    @app_commands.describe(question="What do you want to know?", limit="How many sources")
    async def ask(
        interaction: discord.Interaction, question: str, limit: app_commands.Range[int, 1, 10] = 3
    ) -> None:
        await interaction.response.defer(thinking=True)
        embed = discord.Embed(title="Answer", description=f"You asked: {question}")
        embed.add_field(name="Sources", value=f"{limit} sources")
        await interaction.followup.send(
            embed=embed, allowed_mentions=discord.AllowedMentions.none()
        )

    @news.command(name="status", description="Deferred, then the original is edited")
    async def status(interaction: discord.Interaction) -> None:
        await interaction.response.defer(ephemeral=True, thinking=True)
        await interaction.edit_original_response(content="all feeds fresh")

    @news.command(name="ping", description="Is the bot alive?")
    async def ping(interaction: discord.Interaction) -> None:
        await interaction.response.send_message("pong", ephemeral=True)

    @news.command(name="topic", description="Follow a topic")
    async def topic(interaction: discord.Interaction, name: str) -> None:
        await interaction.response.send_message(f"following {name}")

    @topic.autocomplete("name")
    async def topic_names(
        interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        return [
            app_commands.Choice(name=t, value=t) for t in TOPICS if current.lower() in t.lower()
        ]

    @news.command(name="twice", description="Acknowledges twice")
    async def twice(interaction: discord.Interaction) -> None:
        await interaction.response.send_message("first")
        # Skip discord.py's own InteractionResponded guard so the request reaches "Discord".
        interaction.response._response_type = None
        try:
            await interaction.response.send_message("second")
        except discord.HTTPException as exc:
            bot.failures.append(exc)

    @news.command(name="slow", description="Acknowledges too late")
    async def slow(interaction: discord.Interaction) -> None:
        await asyncio.sleep(0.3)
        try:
            await interaction.response.defer()
        except discord.HTTPException as exc:
            bot.failures.append(exc)

    @feeds.command(name="add", description="Add a feed")
    @app_commands.describe(url="Feed URL", priority="1 is highest", channel="Where to post")
    async def add(
        interaction: discord.Interaction,
        url: str,
        priority: app_commands.Range[int, 1, 5] = 3,
        channel: discord.TextChannel | None = None,
    ) -> None:
        where = channel.name if channel else "-"
        await interaction.response.send_message(f"added {url} p{priority} -> {where}")

    return news


class ProbeBot(commands.Bot):
    """Slash commands above; a mention opens a thread; in its own threads it reads history."""

    def __init__(self, *, message_content: bool = True) -> None:
        intents = discord.Intents.default()
        intents.message_content = message_content
        intents.members = True
        super().__init__(command_prefix="!unused ", intents=intents, guild_ready_timeout=0.05)
        self.seen: list[discord.Message] = []
        self.failures: list[Exception] = []
        self.tree.add_command(news_commands(self), guild=GUILD)
        self.tree.on_error = self._record_error  # type: ignore[method-assign]

    async def _record_error(self, interaction: discord.Interaction, error: Exception) -> None:
        self.failures.append(error)

    async def setup_hook(self) -> None:
        await self.tree.sync(guild=GUILD)

    async def on_message(self, message: discord.Message) -> None:
        self.seen.append(message)
        if message.author.bot:
            return
        channel = message.channel
        if isinstance(channel, discord.Thread) and channel.owner_id == self.user.id:
            earlier = [m async for m in channel.history(limit=20, before=message)]
            turns = [f"{m.author.name}: {m.content}" for m in reversed(earlier) if m.content]
            await channel.send(" | ".join(turns), allowed_mentions=discord.AllowedMentions.none())
        elif self.user in message.mentions:
            thread = await message.create_thread(name=f"Q: {message.clean_content[:40]}")
            await thread.send("Looking into it", allowed_mentions=discord.AllowedMentions.none())


@pytest_asyncio.fixture
async def fake() -> AsyncIterator[FakeDiscord]:
    async with FakeDiscord() as server:
        yield server
        assert server.unhandled == [], [(r.method, r.path) for r in server.unhandled]
    assert discord.http.Route.BASE == REAL_BASE
    assert discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY == REAL_GATEWAY


async def test_handshake_login_and_guild_state(fake: FakeDiscord) -> None:
    async with fake.running(ProbeBot()) as bot:
        assert bot.user.id == fake.bot.id
        assert bot.application_id == fake.application_id
        guild = bot.get_guild(GUILD_ID)
        assert {c.name for c in guild.text_channels} == {"general", "digest"}
        assert guild.get_member(ALICE.id).guild_permissions.administrator
        assert not guild.get_member(BOB.id).guild_permissions.administrator
        assert guild.default_role.permissions.send_messages
        assert guild.me.guild_permissions.create_public_threads
    intents = discord.Intents(fake.identifies[0]["intents"])
    assert intents.message_content and intents.members and intents.guilds
    assert [(r.method, r.path) for r in fake.requests[:2]] == [
        ("GET", "/users/@me"),
        ("GET", "/oauth2/applications/@me"),
    ]
    assert fake.requests[0].headers["Authorization"] == "<redacted>"
    assert fake.connections[0]["query"]["v"] == "10"


async def test_bad_token_and_disallowed_intents_fail_like_discord(fake: FakeDiscord) -> None:
    with pytest.raises(discord.LoginFailure):
        async with fake.running(ProbeBot(), token="wrong"):
            pass
    async with FakeDiscord(allowed_intents=0) as strict:
        with pytest.raises(discord.PrivilegedIntentsRequired):
            async with strict.running(ProbeBot()):
                pass


async def test_guild_sync_stores_group_subgroup_and_options(fake: FakeDiscord) -> None:
    async with fake.running(ProbeBot()):
        (news,) = fake.commands[GUILD_ID]
        assert news["name"] == "news" and news["guild_id"] == str(GUILD_ID) and news["id"]
        options = {o["name"]: o for o in news["options"]}
        assert options["ask"]["type"] == 1 and options["feeds"]["type"] == 2
        (add,) = options["feeds"]["options"]
        add_opts = {o["name"]: o for o in add["options"]}
        assert add_opts["url"]["required"] is True and add_opts["url"]["type"] == 3
        assert add_opts["priority"]["min_value"] == 1 and add_opts["priority"]["max_value"] == 5
        assert add_opts["channel"]["type"] == 7
        ix = await fake.send_interaction(
            "news feeds add", {"url": "https://x.org/rss", "priority": 1, "channel": DIGEST_ID}
        )
        assert (await ix.wait_answer())["content"] == "added https://x.org/rss p1 -> digest"


async def test_slash_defer_then_followup_embed(fake: FakeDiscord) -> None:
    async with fake.running(ProbeBot()) as bot:
        ix = await fake.send_interaction("news ask", {"question": "CAR-T in lupus?"}, user=BOB)
        answer = await ix.wait_answer()
    assert ix.response == {"type": 5}
    # Discord: the first followup after a defer edits the loading message.
    assert answer["id"] == ix.original["id"]
    (embed,) = answer["embeds"]
    assert embed["description"] == "You asked: CAR-T in lupus?"
    assert embed["fields"] == [{"name": "Sources", "value": "3 sources", "inline": True}]
    assert fake.payload_of(answer)["allowed_mentions"] == {"parse": []}
    (followup,) = fake.requests_to("POST", rf"/webhooks/{fake.application_id}/{ix.token}")
    assert "Authorization" not in followup.headers and followup.query["wait"] == "1"
    assert bot.failures == []


async def test_immediate_ephemeral_response(fake: FakeDiscord) -> None:
    async with fake.running(ProbeBot()):
        ix = await fake.send_interaction("news ping", channel_id=GENERAL_ID)
        answer = await ix.wait_answer()
    assert ix.response["type"] == 4 and answer["content"] == "pong"
    assert answer["flags"] & 64
    assert fake.channel_messages(GENERAL_ID) == []  # ephemeral: not in channel history


async def test_mention_opens_thread_and_bot_reads_thread_history(fake: FakeDiscord) -> None:
    async with fake.running(ProbeBot()) as bot:
        question = await fake.send_message(GENERAL_ID, ALICE, f"{fake.bot_mention} news on CAR-T?")
        thread = await fake.wait_for_thread(parent_id=GENERAL_ID)
        assert thread["id"] == question["id"] and thread["type"] == 11
        tid = int(thread["id"])
        await fake.wait_for_message(lambda m: m["content"] == "Looking into it", channel_id=tid)
        follow = await fake.send_message(tid, ALICE, "and in lupus?")
        reply = await fake.wait_for_message(channel_id=tid, after=int(follow["id"]))
        # The bot's own messages come back over the gateway, as on Discord.
        assert any(m.author == bot.user and m.content == "Looking into it" for m in bot.seen)
    assert reply["content"] == "newsbot: Looking into it"
    assert fake.requests_to("GET", rf"/channels/{tid}/messages")
    starter, *rest = fake.channel_messages(tid)
    assert starter["type"] == 21 and starter["referenced_message"]["id"] == question["id"]
    assert [m["content"] for m in rest] == ["Looking into it", "and in lupus?", reply["content"]]


async def test_defer_then_edit_original_ephemeral(fake: FakeDiscord) -> None:
    async with fake.running(ProbeBot()):
        ix = await fake.send_interaction("news status")
        answer = await ix.wait_answer()
    assert answer["content"] == "all feeds fresh" and answer["flags"] & 64
    assert ix.edits == [fake.payload_of(answer)] and ix.followups == []


async def test_without_message_content_intent_only_mentions_have_content(
    fake: FakeDiscord,
) -> None:
    async with fake.running(ProbeBot(message_content=False)) as bot:
        await fake.send_message(GENERAL_ID, BOB, "plain chatter")
        await fake.send_message(GENERAL_ID, BOB, f"{fake.bot_mention} a question")
        await fake.wait_for_thread()
    assert [m.content for m in bot.seen if m.author.id == BOB.id] == [
        "",
        f"{fake.bot_mention} a question",
    ]


async def test_autocomplete_round_trip(fake: FakeDiscord) -> None:
    async with fake.running(ProbeBot()):
        ix = await fake.send_autocomplete("news topic", {"name": "car"}, focused="name")
        choices = await ix.wait_choices()
    assert [c["value"] for c in choices] == ["CAR-T", "CAR-NK"]
    assert ix.payload["type"] == 4 and ix.response["type"] == 8


async def test_second_acknowledgement_is_rejected(fake: FakeDiscord) -> None:
    async with fake.running(ProbeBot()) as bot:
        ix = await fake.send_interaction("news twice")
        rejection = await ix.wait_rejection()
        await fake.wait_until(lambda: bot.failures, what="the bot to see the 400")
    assert rejection["code"] == 40060 and ix.original["content"] == "first"
    (error,) = bot.failures
    assert isinstance(error, discord.HTTPException) and error.status == 400 and error.code == 40060


async def test_late_acknowledgement_is_unknown_interaction() -> None:
    async with FakeDiscord(ack_timeout=0.1) as fake, fake.running(ProbeBot()) as bot:
        ix = await fake.send_interaction("news slow")
        await fake.wait_until(lambda: bot.failures, what="the bot to see the 404")
    assert ix.rejections[0]["code"] == 10062 and ix.response is None
    assert isinstance(bot.failures[0], discord.NotFound) and bot.failures[0].code == 10062


async def test_injection_is_strict_about_commands_and_options(fake: FakeDiscord) -> None:
    with pytest.raises(LookupError):
        await fake.send_interaction("news ask", {"question": "before sync"})
    async with fake.running(ProbeBot()):
        with pytest.raises(LookupError):
            await fake.send_interaction("weather")
        with pytest.raises(LookupError):
            await fake.send_interaction("news feeds remove", {"url": "x"})
        with pytest.raises(ValueError, match="needs a subcommand"):
            await fake.send_interaction("news feeds")
        with pytest.raises(ValueError, match="unknown options"):
            await fake.send_interaction("news ask", {"question": "q", "lang": "de"})
        with pytest.raises(ValueError, match="missing required"):
            await fake.send_interaction("news ask", {})
        with pytest.raises(ValueError, match="outside"):
            await fake.send_interaction("news ask", {"question": "q", "limit": 11})
        with pytest.raises(ValueError, match="expects option type"):
            await fake.send_interaction("news ask", {"question": 42})


async def test_forced_disconnect_resumes_and_replays_missed_events(fake: FakeDiscord) -> None:
    async with fake.running(ProbeBot()) as bot:
        session = fake.session_id
        resumed = asyncio.ensure_future(bot.wait_for("resumed", timeout=5))
        await fake.disconnect(code=4000)
        await resumed
        async with fake.offline():
            missed = asyncio.ensure_future(
                bot.wait_for("message", check=lambda m: m.content == "while away", timeout=5)
            )
            await fake.send_message(GENERAL_ID, BOB, "while away")
        assert (await missed).author.id == BOB.id
        ix = await fake.send_interaction("news ping")
        await ix.wait_answer()
    assert len(fake.identifies) == 1 and len(fake.resumes) == 2
    assert all(r["session_id"] == session for r in fake.resumes)
    assert [c["path"] for c in fake.connections] == ["/", "/resume", "/resume"]


async def test_configured_channel_failures_raise_in_the_bot(fake: FakeDiscord) -> None:
    async with fake.running(ProbeBot()) as bot:
        digest = bot.get_channel(DIGEST_ID)
        fake.fail_channel(DIGEST_ID, 403)
        with pytest.raises(discord.Forbidden) as forbidden:
            await digest.send("daily digest")
        assert forbidden.value.code == 50013
        fake.fail_channel(DIGEST_ID, 404, times=1)
        with pytest.raises(discord.NotFound) as missing:
            await digest.send("daily digest")
        assert missing.value.code == 10003
        sent = await digest.send("daily digest")
    assert [m["id"] for m in fake.channel_messages(DIGEST_ID)] == [str(sent.id)]


async def test_attachments_and_message_limits(fake: FakeDiscord) -> None:
    async with fake.running(ProbeBot()) as bot:
        general = bot.get_channel(GENERAL_ID)
        file = discord.File(io.BytesIO(b"x" * 100), filename="digest.md")
        sent = await general.send("digest attached", file=file)
        with pytest.raises(discord.HTTPException) as too_long:
            await general.send("x" * 2001)
    assert too_long.value.code == 50035
    assert sent.attachments[0].filename == "digest.md" and sent.attachments[0].size == 100
    (upload,) = [r for r in fake.requests if r.files]
    assert upload.files[0]["filename"] == "digest.md"
    assert upload.json["content"] == "digest attached"


async def test_unhandled_routes_are_recorded(fake: FakeDiscord) -> None:
    async with fake.running(ProbeBot()) as bot:
        route = discord.http.Route("GET", "/guilds/{guild_id}/bans", guild_id=GUILD_ID)
        with pytest.raises(discord.NotFound):
            await bot.http.request(route)
    assert [(r.method, r.path) for r in fake.unhandled] == [("GET", f"/guilds/{GUILD_ID}/bans")]
    fake.unhandled.clear()


async def test_many_concurrent_interactions(fake: FakeDiscord) -> None:
    async with fake.running(ProbeBot()) as bot:
        asks = [fake.send_interaction("news ask", {"question": f"q{i}"}) for i in range(50)]
        interactions = await asyncio.gather(*asks)
        answers = await asyncio.gather(*(ix.wait_answer(timeout=10) for ix in interactions))
    assert [a["embeds"][0]["description"] for a in answers] == [
        f"You asked: q{i}" for i in range(50)
    ]
    assert bot.failures == []
