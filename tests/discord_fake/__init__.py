"""A protocol-level fake of Discord (gateway websocket + REST /api/v10) for end-to-end tests.

The real discord.py 2.7.1 client talks to it over 127.0.0.1; nothing in the bot is mocked.

    async with FakeDiscord() as fake, fake.running(make_bot()) as bot:
        ix = await fake.send_interaction("news ask", {"question": "CAR-T?"}, user=ALICE)
        answer = await ix.wait_answer()          # direct reply, defer+followup, or edit
        assert fake.payload_of(answer)["allowed_mentions"] == {"parse": []}

Strict where Discord is: only synced commands with their declared options can be invoked, a
second acknowledgement gets 400/40060, one after `ack_timeout` (3 s) 404/10062, message bodies
are held to Discord's limits, and routes the fake lacks land in `fake.unhandled`.

The parts: `state` (guilds, channels, messages, commands, interactions), `gateway` (the
websocket and event dispatch), `rest` with `channels` and `webhooks` (the HTTP routes),
`interactions` (building and checking injected interactions), `checks` (Discord's limits on
what the bot sends) and `model` (ids, members, roles, guilds and their wire format).
`FakeDiscord` below puts them together and is what tests use.
"""

# ruff: noqa: ASYNC109  -- `timeout=` parameters are the ergonomic API for test helpers
from __future__ import annotations

import asyncio
import contextlib
import re
from collections.abc import AsyncIterator, Callable
from typing import Any

import discord
import discord.gateway
import discord.http
import yarl
from aiohttp import web

from tests.discord_fake.gateway import Gateway
from tests.discord_fake.interactions import (
    FakeInteraction,
    check_offered,
    command_data,
    interaction_payload,
    modal_submission,
    pressed_button,
)
from tests.discord_fake.model import (
    ADMIN_ROLE_ID,
    ADMINISTRATOR,
    ALICE,
    ALL_PERMISSIONS,
    BOB,
    BOT_ID,
    BOT_PERMISSIONS,
    DIGEST_ID,
    EPHEMERAL,
    EVERYONE_PERMISSIONS,
    GENERAL_ID,
    GUILD_ID,
    LOADING,
    MESSAGE_CONTENT,
    THE_BOT,
    Guild,
    Json,
    Member,
    RecordedRequest,
    Role,
    default_guild,
)
from tests.discord_fake.rest import Rest
from tests.discord_fake.state import DiscordState

__all__ = [
    "ADMIN_ROLE_ID", "ADMINISTRATOR", "ALICE", "ALL_PERMISSIONS", "BOB", "BOT_ID",
    "BOT_PERMISSIONS", "DIGEST_ID", "EPHEMERAL", "EVERYONE_PERMISSIONS", "GENERAL_ID", "GUILD_ID",
    "LOADING", "MESSAGE_CONTENT", "FakeDiscord", "FakeInteraction", "Guild", "Json", "Member",
    "RecordedRequest", "Role", "default_guild",
]  # fmt: skip


class _Part:
    """An attribute of one of the fake's parts, read and set through the fake itself."""

    def __init__(self, part: str) -> None:
        self.part = part

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    def __get__(self, obj: Any, owner: type | None = None) -> Any:
        return self if obj is None else getattr(getattr(obj, self.part), self.name)

    def __set__(self, obj: Any, value: Any) -> None:
        setattr(getattr(obj, self.part), self.name, value)


class FakeDiscord:
    """The fake server. `async with FakeDiscord(...) as fake:` starts it and patches discord.py."""

    # what Discord knows
    guilds, token, bot, application_id = (_Part("state") for _ in range(4))
    url, ws_url, ack_timeout = _Part("state"), _Part("state"), _Part("state")
    commands = _Part("state")  # guild id (None: global) -> synced commands
    messages = _Part("state")  # channel or thread id -> history, oldest first
    payloads = _Part("state")  # message id -> the body the bot sent for it
    threads, no_threads, dm_channels = _Part("state"), _Part("state"), _Part("state")
    interactions = _Part("state")
    overrides = _Part("state")  # commands an admin opened to everyone
    # the gateway sessions
    identifies, resumes = _Part("gateway"), _Part("gateway")  # payloads, token redacted
    connections, events = _Part("gateway"), _Part("gateway")
    session_id, allowed_intents = _Part("gateway"), _Part("gateway")
    # REST calls
    requests, unhandled = _Part("rest"), _Part("rest")

    def __init__(
        self,
        guilds: list[Guild] | None = None,
        *,
        token: str = "fake-bot-token",
        bot: Member = THE_BOT,
        ack_timeout: float = 3.0,
        allowed_intents: int | None = None,  # privileged intents the app may use; None: all
    ) -> None:
        guilds = guilds if guilds is not None else [default_guild()]
        self.state = DiscordState(guilds, bot, token, ack_timeout)
        self.gateway = Gateway(self.state, allowed_intents)
        self.state.events = self.gateway
        self.rest = Rest(self.state)
        self._saved: tuple[str, yarl.URL] | None = None
        self._runner: web.AppRunner | None = None

    # ---- lifecycle ---------------------------------------------------------------------------

    async def __aenter__(self) -> FakeDiscord:
        await self.start()
        self.patch_discord()
        return self

    async def __aexit__(self, *exc: object) -> None:
        self.unpatch_discord()
        await self.stop()

    async def start(self) -> None:
        self.state.open()
        self.gateway.open()
        app = web.Application(middlewares=[self.rest.middleware], client_max_size=64 * 2**20)
        self.gateway.add_routes(app)
        self.rest.add_routes(app)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=1.0)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", 0).start()
        port = self._runner.addresses[0][1]
        self.url, self.ws_url = f"http://127.0.0.1:{port}", f"ws://127.0.0.1:{port}/"

    async def stop(self) -> None:
        await self.disconnect(code=1001)
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    def patch_discord(self) -> None:
        """Point discord.py's REST base and gateway here. Process-global: unpatch afterwards."""
        if self._saved is None:
            self._saved = (
                discord.http.Route.BASE,
                discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY,
            )
        discord.http.Route.BASE = f"{self.url}/api/v10"
        discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(self.ws_url)

    def unpatch_discord(self) -> None:
        if self._saved is not None:
            discord.http.Route.BASE, discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = self._saved
            self._saved = None

    @contextlib.asynccontextmanager
    async def running(
        self, bot: discord.Client, *, token: str | None = None, timeout: float = 5.0,
        drain: float = 2.0,
    ) -> AsyncIterator[Any]:  # fmt: skip
        """Log `bot` in and connect it; yield once on_ready fired. On exit give its running
        event and app-command handlers `drain` seconds to finish, then close it."""
        if self._saved is None:
            raise RuntimeError("call fake.patch_discord() before running a bot")
        task: asyncio.Task[None] | None = None
        try:
            await bot.login(token or self.token)
            task = asyncio.create_task(bot.connect(reconnect=True), name="fake-discord-connect")
            await _wait_ready(bot, task, timeout)
            yield bot
            await _drain_handlers(drain)
        finally:
            await bot.close()
            if task is not None:
                await _finish(task, timeout)

    # ---- waiting for and reading what the bot did --------------------------------------------

    async def wait_until(
        self, predicate: Callable[[], Any], timeout: float = 5.0, what: str = ""
    ) -> Any:
        """Wait until predicate() is truthy and return its value. Re-checked on every request
        and event of the fake, and every 50 ms for predicates on the bot's own state."""
        return await self.state.wait_until(predicate, timeout, what)

    async def wait_for_message(
        self, predicate: Callable[[Json], bool] | None = None, *, channel_id: int | None = None,
        from_bot: bool = True, after: int = 0, timeout: float = 5.0,
    ) -> Json:  # fmt: skip
        """The first stored message (by the bot, unless from_bot=False) with id > after that
        matches, in any channel/thread or in `channel_id`; waits for one if there is none."""

        def find() -> Json | None:
            ids = [channel_id] if channel_id is not None else list(self.messages)
            for m in (m for cid in ids for m in self.messages.get(cid, [])):
                by_bot = m["author"]["id"] == str(self.bot.id)
                wanted = int(m["id"]) > after and (by_bot or not from_bot)
                if wanted and (predicate is None or predicate(m)):
                    return m
            return None

        return await self.wait_until(find, timeout, f"message in {channel_id or 'any channel'}")

    async def wait_for_thread(self, parent_id: int | None = None, timeout: float = 5.0) -> Json:
        def found() -> Json | None:
            threads = self.threads.values()
            return next((t for t in threads if parent_id in (None, int(t["parent_id"]))), None)

        return await self.wait_until(found, timeout, "a thread")

    def channel_messages(self, channel_id: int) -> list[Json]:
        """The non-ephemeral messages of a channel or thread, oldest first."""
        return list(self.messages.get(channel_id, []))

    def bot_messages(self, channel_id: int | None = None) -> list[Json]:
        ids = [channel_id] if channel_id is not None else list(self.messages)
        mine = str(self.bot.id)
        return [m for c in ids for m in self.messages.get(c, []) if m["author"]["id"] == mine]

    def payload_of(self, message: Json) -> Json:
        """The JSON the bot last sent for a message (allowed_mentions, embeds, ...)."""
        return self.payloads[int(message["id"])]

    def requests_to(self, method: str, path_pattern: str) -> list[RecordedRequest]:
        match = re.compile(path_pattern).fullmatch
        return [r for r in self.requests if r.method == method and match(r.path)]

    @property
    def bot_mention(self) -> str:
        return f"<@{self.bot.id}>"

    # ---- failures and disconnects ------------------------------------------------------------

    def fail_channel(self, channel_id: int, status: int = 403, times: int | None = None) -> None:
        """Make POST /channels/{id}/messages fail: 403 → code 50013 Missing Permissions,
        404 → code 10003 Unknown Channel. times=None: until clear_failures()."""
        self.rest.channels.fail(channel_id, status, times)

    def refuse_dms(self, user: Member) -> None:
        """`user` accepts no DMs from the bot (privacy settings): a DM gets 403, code 50007
        "Cannot send messages to this user", as Discord answers."""
        self.rest.channels.dms_refused.add(user.id)

    def clear_failures(self) -> None:
        self.rest.channels.failures.clear()
        self.rest.channels.dms_refused.clear()

    async def disconnect(self, code: int = 4000) -> None:
        """Close the bot's gateway socket; with a resumable code (4000) the client RESUMEs."""
        await self.gateway.disconnect(code)

    def offline(self, code: int = 4000) -> contextlib.AbstractAsyncContextManager[None]:
        """Disconnect and hold new connections (no HELLO) until exit; what is dispatched
        meanwhile is replayed on RESUME."""
        return self.gateway.offline(code)

    # ---- injecting events --------------------------------------------------------------------

    async def send_message(
        self, channel_id: int, author: Member | int | None = None, content: str = "", *,
        mentions: list[int] | None = None, embeds: list[Json] | None = None,
    ) -> Json:  # fmt: skip
        """A user posts in a channel or thread: MESSAGE_CREATE. The mentions default to the
        <@id>s in content (see bot_mention); author defaults to the guild's first member."""
        state = self.state
        author = state.member_of(state.guild_for(channel_id), author)
        payload = {"content": content, "embeds": embeds}
        msg = state.message(channel_id, author, payload, mentions=mentions)
        await state.store(msg)
        return msg

    def open_dm(self, user: Member) -> int:
        """A direct-message channel between `user` and the bot (Discord type 1)."""
        return self.state.open_dm(user)

    async def send_dm(self, user: Member, content: str) -> Json:
        """`user` writes to the bot in a DM: MESSAGE_CREATE with no guild."""
        msg = self.state.dm_message(self.open_dm(user), user, {"content": content})
        await self.state.store(msg)
        return msg

    async def send_interaction(
        self, command: str, options: Json | None = None, *, user: Member | int | None = None,
        channel_id: int | None = None, locale: str = "en-US",
    ) -> FakeInteraction:  # fmt: skip
        """Invoke a synced slash command by path ("news feeds add") with its leaf options by
        name (users, channels, roles as ids). Raises LookupError/ValueError where Discord would
        refuse: never synced, unknown subcommand or option, missing or invalid value."""
        return await self._command(2, command, options or {}, None, user, channel_id, locale)

    async def send_autocomplete(
        self, command: str, options: Json, *, focused: str, user: Member | int | None = None,
        channel_id: int | None = None, locale: str = "en-US",
    ) -> FakeInteraction:  # fmt: skip
        """The user is typing options[focused] (type 4 interaction); see wait_choices()."""
        return await self._command(4, command, options, focused, user, channel_id, locale)

    async def click(
        self, message: Json, custom_id: str, *, user: Member | int | None = None,
        locale: str = "en-US",
    ) -> FakeInteraction:  # fmt: skip
        """`user` presses the button `custom_id` on `message` (type 3 interaction). Raises
        LookupError where Discord offers no such button (not on the message, or disabled)."""
        current = self.state.find_message(message)
        if current is None:
            raise LookupError(f"message {message['id']} does not exist (deleted?)")
        data = pressed_button(current, custom_id)
        cid = int(current["channel_id"])
        return await self._interact(3, data, user, cid, locale, message=current)

    async def submit_modal(
        self, ix: FakeInteraction, values: Json, *, locale: str = "en-US",
    ) -> FakeInteraction:  # fmt: skip
        """Fill in and submit the modal that `ix` answered with (type 5 interaction): values
        by component custom_id, a list of option values for a select, a string for a text
        input. Raises ValueError where Discord's client would not let the user submit."""
        modal = ix.modal
        if modal is None:
            raise LookupError("the interaction was not answered with a modal")
        data = modal_submission(modal, values)
        user = int(ix.payload["member"]["user"]["id"])
        return await self._interact(5, data, user, int(ix.payload["channel_id"]), locale,
                                    message=ix.payload.get("message"))  # fmt: skip

    async def _command(
        self, kind: int, command: str, options: Json, focused: str | None,
        user: Member | int | None, channel_id: int | None, locale: str,
    ) -> FakeInteraction:  # fmt: skip
        state = self.state
        channel_id = channel_id or next(iter(state.channels))
        guild_id = state.guild_for(channel_id)
        data = command_data(state, guild_id, command, options, focused)
        check_offered(state, guild_id, data, state.member_of(guild_id, user))
        return await self._interact(kind, data, user, channel_id, locale)

    async def _interact(
        self, kind: int, data: Json, user: Member | int | None, channel_id: int, locale: str,
        message: Json | None = None,
    ) -> FakeInteraction:  # fmt: skip
        state = self.state
        member = state.member_of(state.guild_for(channel_id), user)
        payload = interaction_payload(state, kind, data, member, channel_id, locale, message)
        ix = FakeInteraction(self, payload, asyncio.get_running_loop().time())
        state.interactions[ix.id] = ix
        await state.dispatch("INTERACTION_CREATE", payload)
        return ix


async def _wait_ready(bot: discord.Client, connect: asyncio.Task[None], timeout: float) -> None:
    """Wait for on_ready, raising what a failed connect raised (bad token, disallowed intents)."""
    ready = asyncio.create_task(bot.wait_until_ready())
    first = asyncio.FIRST_COMPLETED
    done, _ = await asyncio.wait({ready, connect}, timeout=timeout, return_when=first)
    ready.cancel()
    if connect in done:
        connect.result()
        raise RuntimeError("bot.connect() returned before the bot became ready")
    if ready not in done:
        raise TimeoutError(f"the bot was not ready within {timeout}s")


async def _drain_handlers(timeout: float) -> None:
    """Let discord.py's event and app-command tasks finish before the bot is closed."""
    names = ("discord.py: ", "CommandTree-invoker")
    tasks = {t for t in asyncio.all_tasks() if t.get_name().startswith(names)}
    tasks.discard(asyncio.current_task())  # type: ignore[arg-type]
    if tasks:
        await asyncio.wait(tasks, timeout=timeout)


async def _finish(task: asyncio.Task[None], timeout: float) -> None:
    done, _ = await asyncio.wait({task}, timeout=timeout)
    if not done:
        task.cancel()
    with contextlib.suppress(asyncio.CancelledError, Exception):
        await task
