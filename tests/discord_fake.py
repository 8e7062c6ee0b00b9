"""A protocol-level fake of Discord (gateway websocket + REST /api/v10) for end-to-end tests.

The real discord.py 2.7.1 client talks to it over 127.0.0.1; nothing in the bot is mocked.

    async with FakeDiscord() as fake, fake.running(make_bot()) as bot:
        ix = await fake.send_interaction("news ask", {"question": "CAR-T?"}, user=ALICE)
        answer = await ix.wait_answer()          # direct reply, defer+followup, or edit
        assert fake.payload_of(answer)["allowed_mentions"] == {"parse": []}

Strict where Discord is: only synced commands with their declared options can be invoked, a
second acknowledgement gets 400/40060, one after `ack_timeout` (3 s) 404/10062, message bodies
are held to Discord's limits, and routes the fake lacks land in `fake.unhandled`.
"""

# ruff: noqa: ASYNC109  -- `timeout=` parameters are the ergonomic API for test helpers
from __future__ import annotations

import asyncio
import contextlib
import json
import re
import secrets
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import discord
import discord.gateway
import discord.http
import yarl
from aiohttp import WSMsgType, web

Json = dict[str, Any]
EVERYONE_PERMISSIONS = 311_385_246_784  # view, send, history, threads, reactions, embeds, files
BOT_PERMISSIONS = 328_565_115_968  # the above plus manage threads
ADMINISTRATOR, ALL_PERMISSIONS = 1 << 3, 8_866_461_766_385_663
MESSAGE_CONTENT, PRIVILEGED_INTENTS = 1 << 15, (1 << 1) | (1 << 8) | (1 << 15)
EPHEMERAL, LOADING = 1 << 6, 1 << 7
APP_FLAGS = (1 << 15) | (1 << 19)  # members + message content intents enabled (unverified bot)
MENTION_RE, NAME_RE = re.compile(r"<@!?(\d+)>"), re.compile(r"^[-_a-z0-9]{1,32}$")
REC = web.RequestKey("rec", object)


@dataclass(frozen=True)
class Member:
    id: int
    name: str
    roles: tuple[int, ...] = ()
    bot: bool = False


@dataclass(frozen=True)
class Role:
    id: int
    name: str
    permissions: int = 0


@dataclass
class Guild:
    id: int
    name: str
    channels: dict[int, str]  # text channel id -> name
    members: list[Member]  # the first one owns the guild
    roles: list[Role] = field(default_factory=list)
    everyone_permissions: int = EVERYONE_PERMISSIONS


GUILD_ID, GENERAL_ID, DIGEST_ID = (
    1_300_000_000_000_000_001,
    1_300_000_000_000_000_002,
    1_300_000_000_000_000_003,
)
ADMIN_ROLE_ID, BOT_ID = 1_300_000_000_000_000_004, 1_300_000_000_000_000_100
ALICE = Member(1_300_000_000_000_000_010, "alice", roles=(ADMIN_ROLE_ID,))
BOB = Member(1_300_000_000_000_000_011, "bob")


def default_guild() -> Guild:
    """#general and #digest; alice (owner, admin role) and bob (plain member)."""
    channels = {GENERAL_ID: "general", DIGEST_ID: "digest"}
    return Guild(
        GUILD_ID,
        "Immune Reprogramming",
        channels,
        [ALICE, BOB],
        [Role(ADMIN_ROLE_ID, "admin", ADMINISTRATOR)],
    )


@dataclass
class RecordedRequest:
    method: str
    path: str  # without the /api/v10 prefix
    query: dict[str, str]
    json: Any  # the JSON body, or the payload_json part of a multipart body
    headers: dict[str, str]  # the Authorization value is replaced by "<redacted>"
    files: list[Json]  # multipart files: filename, size, content_type
    status: int = 0


@dataclass
class FakeInteraction:
    """One injected interaction and everything the bot did in answer to it."""

    fake: FakeDiscord = field(repr=False)
    payload: Json  # the INTERACTION_CREATE data as dispatched
    created: float  # loop time of dispatch: the acknowledgement clock
    response: Json | None = None  # the accepted callback body {"type", "data"}
    original: Json | None = None  # the original response message (flags has LOADING after defer)
    followups: list[Json] = field(default_factory=list)
    edits: list[Json] = field(default_factory=list)  # PATCH bodies for its messages
    rejections: list[Json] = field(default_factory=list)  # {"status", "code", "message"}
    deleted: list[Json] = field(default_factory=list)  # its messages the bot deleted

    @property
    def modal(self) -> Json | None:
        """The modal of a type 9 callback: {"custom_id", "title", "components"}."""
        if self.response is None or self.response["type"] != 9:
            return None
        return self.response.get("data")

    @property
    def id(self) -> int:
        return int(self.payload["id"])

    @property
    def token(self) -> str:
        return self.payload["token"]

    @property
    def choices(self) -> list[Json] | None:
        """The autocomplete choices of a type 8 callback."""
        if self.response is None or self.response["type"] != 8:
            return None
        return self.response.get("data", {}).get("choices", [])

    def answer(self) -> Json | None:
        """The visible answer: the original response once it is not loading, else a followup."""
        if self.original is not None and not self.original["flags"] & LOADING:
            return self.original
        return self.followups[0] if self.followups else None

    async def wait_response(self, timeout: float = 5.0) -> Json:
        return await self.fake.wait_until(lambda: self.response, timeout, "interaction callback")

    async def wait_answer(self, timeout: float = 5.0) -> Json:
        return await self.fake.wait_until(self.answer, timeout, "answer to the interaction")

    async def wait_followup(self, index: int = 0, timeout: float = 5.0) -> Json:
        found = lambda: self.followups[index] if len(self.followups) > index else None  # noqa: E731
        return await self.fake.wait_until(found, timeout, f"followup #{index}")

    async def wait_choices(self, timeout: float = 5.0) -> list[Json]:
        await self.fake.wait_until(lambda: self.choices is not None, timeout, "autocomplete result")
        return self.choices or []

    async def wait_rejection(self, timeout: float = 5.0) -> Json:
        found = lambda: self.rejections[0] if self.rejections else None  # noqa: E731
        return await self.fake.wait_until(found, timeout, "a rejected callback")


def _now() -> str:
    return datetime.now(UTC).isoformat()


def _json(data: Any, status: int = 200) -> web.Response:
    # Exactly "application/json": discord.py reads "...; charset=utf-8" as text and breaks.
    body = json.dumps(data).encode()
    return web.Response(status=status, body=body, headers={"Content-Type": "application/json"})


def _error(status: int, code: int, message: str) -> web.Response:
    return _json({"message": message, "code": code}, status)


def _user(m: Member) -> Json:
    return {"id": str(m.id), "username": m.name, "discriminator": "0", "global_name": m.name,
            "avatar": None, "bot": m.bot, "public_flags": 0}  # fmt: skip


def _role(r: Role, position: int) -> Json:
    return {"id": str(r.id), "name": r.name, "permissions": str(r.permissions),
            "position": position, "color": 0, "hoist": False, "managed": False,
            "mentionable": False, "flags": 0}  # fmt: skip


def _member(m: Member, *, with_user: bool = False) -> Json:
    data = {"roles": [str(r) for r in m.roles], "joined_at": _now(), "deaf": False,
            "mute": False, "flags": 0, "nick": None, "avatar": None, "pending": False}  # fmt: skip
    return {**data, "user": _user(m)} if with_user else data


def _components_problem(rows: list[Json]) -> str | None:
    """Action rows of buttons (and selects) as Discord checks them in a message."""
    items = [c for row in rows for c in row.get("components") or []]
    ids = [c["custom_id"] for c in items if "custom_id" in c]
    problems = [
        len(rows) > 5 and "over 5 action rows",
        any(r.get("type") != 1 or not 1 <= len(r.get("components") or []) <= 5 for r in rows)
        and "components: each top-level component must be an action row of 1-5 items",
        any(c.get("type") == 2 and (c.get("style") == 5) != ("url" in c) for c in items)
        and "a link button needs a url and other buttons a custom_id",
        any(c.get("type") == 2 and c.get("style") != 5 and not 1 <= len(c.get("custom_id")
            or "") <= 100 for c in items) and "custom_id must be 1-100 characters",
        any(len(c.get("label") or "") > 80 for c in items) and "label over 80 characters",
        any(c.get("type") == 2 and not (c.get("label") or c.get("emoji")) for c in items)
        and "a button needs a label or an emoji",
        len(ids) != len(set(ids)) and "duplicate custom_id",
    ]
    return next(filter(None, problems), None)


def _modal_problem(data: Json) -> str | None:
    """A type 9 callback's modal: custom_id, title up to 45, 1-5 labels or text-input rows."""
    rows = data.get("components") or []
    inner = [r.get("component") if r.get("type") == 18 else (r.get("components") or [{}])[0]
             for r in rows]
    problems = [
        not 1 <= len(data.get("custom_id") or "") <= 100 and "modal custom_id must be 1-100",
        not 1 <= len(data.get("title") or "") <= 45 and "modal title must be 1-45 characters",
        not 1 <= len(rows) <= 5 and "a modal has 1-5 components",
        any(r.get("type") == 18 and not 1 <= len(r.get("label") or "") <= 45 for r in rows)
        and "label text must be 1-45 characters",
        any(not c or c.get("type") not in (3, 4) for c in inner)
        and "modal components must be text inputs or string selects",
    ]
    return next(filter(None, problems), None)


def _message_problem(payload: Json, n_files: int) -> tuple[int, str] | None:
    """Discord's checks on a message body: (code, message), or None if it is acceptable."""
    content, embeds = payload.get("content") or "", payload.get("embeds") or []
    if not (content or embeds or n_files or payload.get("components")):
        return 50006, "Cannot send an empty message"
    fields = [f for e in embeds for f in e.get("fields") or []]
    problems = [
        len(content) > 2000 and "content: Must be 2000 or fewer in length.",
        len(embeds) > 10 and "embeds: Must be 10 or fewer in length.",
        any(len(e.get("title") or "") > 256 for e in embeds) and "embed title over 256",
        any(len(e.get("description") or "") > 4096 for e in embeds)
        and "embed description over 4096",
        any(len(e.get("fields") or []) > 25 for e in embeds) and "embed has over 25 fields",
        any(not 0 < len(f.get("name") or "") <= 256 for f in fields) and "field name not 1-256",
        any(not 0 < len(f.get("value") or "") <= 1024 for f in fields) and "field value not 1-1024",
        _components_problem(payload.get("components") or []),
    ]
    problem = next(filter(None, problems), None)
    return (50035, f"Invalid Form Body ({problem})") if problem else None


def _command_problem(node: Json) -> str | None:
    """Names, descriptions and option order as Discord checks them on sync."""
    options = node.get("options") or []
    required = [bool(o.get("required")) for o in options]
    if node.get("type", 1) in (1, 2, 3) and not NAME_RE.match(node.get("name", "")):
        return f"invalid name {node.get('name')!r}"
    if node.get("type", 1) in (1, 2, 3) and not 1 <= len(node.get("description", "")) <= 100:
        return f"{node['name']}: description must be 1-100 characters"
    if len(options) > 25 or required != sorted(required, reverse=True):
        return f"{node['name']}: over 25 options, or an optional option before a required one"
    return next(filter(None, map(_command_problem, options)), None)


async def _read_body(request: web.Request) -> tuple[Any, list[Json]]:
    """A JSON body, or the payload_json part and the files of a multipart body."""
    if request.content_type != "multipart/form-data":
        raw = await request.read()
        return (json.loads(raw) if raw and request.content_type == "application/json" else None), []
    payload, files = None, []
    async for part in await request.multipart():
        data = await part.read()  # type: ignore[union-attr]
        if part.name == "payload_json":
            payload = json.loads(data)
        else:
            ctype = part.headers.get("Content-Type")
            files.append({"filename": part.filename, "size": len(data), "content_type": ctype})
    return payload, files


class FakeDiscord:
    """The fake server. `async with FakeDiscord(...) as fake:` starts it and patches discord.py."""

    def __init__(
        self,
        guilds: list[Guild] | None = None,
        *,
        token: str = "fake-bot-token",
        bot: Member = Member(BOT_ID, "newsbot", bot=True),
        ack_timeout: float = 3.0,
        allowed_intents: int | None = None,  # privileged intents the app may use; None: all
    ) -> None:
        self.guilds = {g.id: g for g in (guilds if guilds is not None else [default_guild()])}
        self.token, self.bot, self.application_id = token, bot, bot.id
        self.ack_timeout, self.allowed_intents = ack_timeout, allowed_intents
        self.url = self.ws_url = ""
        self.requests: list[RecordedRequest] = []
        self.unhandled: list[RecordedRequest] = []
        self.commands: dict[int | None, list[Json]] = {}  # guild id (None: global) -> synced
        self.messages: dict[int, list[Json]] = {}  # channel or thread id -> history, oldest first
        self.payloads: dict[int, Json] = {}  # message id -> the body the bot sent for it
        self.threads: dict[int, Json] = {}
        self.no_threads: set[int] = set()  # channels where the bot may not open threads
        self.interactions: dict[int, FakeInteraction] = {}
        self.identifies: list[Json] = []  # IDENTIFY payloads (token redacted)
        self.resumes: list[Json] = []  # accepted RESUME payloads (token redacted)
        self.connections: list[Json] = []  # {"path", "query"} of each gateway websocket
        self.events: list[Json] = []  # every dispatch frame of the current session
        self.session_id: str | None = None
        self._channels: dict[int, Json] = {}
        self._guild_of: dict[int, int] = {}
        self.dm_channels: dict[int, Member] = {}  # DM channel id → the user at the other end
        # commands an admin opened to everyone (Server Settings → Integrations), which lifts
        # their default_member_permissions
        self.overrides: set[str] = set()
        self._bot_roles = {
            g: Role(BOT_ID + i + 1, bot.name, BOT_PERMISSIONS) for i, g in enumerate(self.guilds)
        }
        self._failures: dict[int, list[Any]] = {}  # channel id -> [status, times left or None]
        self._live: web.WebSocketResponse | None = None
        self._seq = self._last_id = 0
        self._saved: tuple[str, yarl.URL] | None = None
        self._runner: web.AppRunner | None = None
        for guild in self.guilds.values():
            for position, (cid, name) in enumerate(guild.channels.items()):
                self._channels[cid] = {
                    "id": str(cid), "type": 0, "guild_id": str(guild.id), "name": name,
                    "position": position, "permission_overwrites": [], "parent_id": None,
                    "nsfw": False, "topic": None, "last_message_id": None, "rate_limit_per_user": 0,
                }  # fmt: skip
                self._guild_of[cid], self.messages[cid] = guild.id, []

    # ---- lifecycle ---------------------------------------------------------------------------

    async def __aenter__(self) -> FakeDiscord:
        await self.start()
        self.patch_discord()
        return self

    async def __aexit__(self, *exc: object) -> None:
        self.unpatch_discord()
        await self.stop()

    async def start(self) -> None:
        self._cond, self._lock, self._gate = asyncio.Condition(), asyncio.Lock(), asyncio.Event()
        self._gate.set()
        app = web.Application(middlewares=[self._middleware], client_max_size=64 * 2**20)
        self._add_routes(app)
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
        try:
            async with asyncio.timeout(timeout), self._cond:
                while not (found := predicate()):
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(self._cond.wait(), 0.05)
                return found
        except TimeoutError:
            raise TimeoutError(f"fake Discord: no {what or 'match'} within {timeout}s") from None

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
        if status not in (403, 404):
            raise ValueError("status must be 403 or 404")
        self._failures[channel_id] = [status, times]

    def clear_failures(self) -> None:
        self._failures.clear()

    async def disconnect(self, code: int = 4000) -> None:
        """Close the bot's gateway socket; with a resumable code (4000) the client RESUMEs."""
        async with self._lock:
            ws, self._live = self._live, None
        if ws is not None:
            await ws.close(code=code, message=b"fake disconnect")

    @contextlib.asynccontextmanager
    async def offline(self, code: int = 4000) -> AsyncIterator[None]:
        """Disconnect and hold new connections (no HELLO) until exit; what is dispatched
        meanwhile is replayed on RESUME."""
        self._gate.clear()
        try:
            await self.disconnect(code)
            yield
        finally:
            self._gate.set()

    # ---- injecting events --------------------------------------------------------------------

    async def send_message(
        self, channel_id: int, author: Member | int | None = None, content: str = "", *,
        mentions: list[int] | None = None, embeds: list[Json] | None = None,
    ) -> Json:  # fmt: skip
        """A user posts in a channel or thread: MESSAGE_CREATE. The mentions default to the
        <@id>s in content (see bot_mention); author defaults to the guild's first member."""
        author = self._member_of(self._guild_for(channel_id), author)
        msg = self._message(
            channel_id, author, {"content": content, "embeds": embeds}, mentions=mentions
        )
        await self._store(msg)
        return msg

    def open_dm(self, user: Member) -> int:
        """A direct-message channel between `user` and the bot (Discord type 1)."""
        for cid, other in self.dm_channels.items():
            if other.id == user.id:
                return cid
        cid = self._snowflake()
        self.dm_channels[cid] = user
        self._channels[cid] = {"id": str(cid), "type": 1, "recipients": [_user(user)],
                               "last_message_id": None}
        self.messages[cid] = []
        return cid

    async def send_dm(self, user: Member, content: str) -> Json:
        """`user` writes to the bot in a DM: MESSAGE_CREATE with no guild."""
        msg = self._dm_message(self.open_dm(user), user, {"content": content})
        await self._store(msg)
        return msg

    def _dm_message(self, channel_id: int, author: Member, payload: Json) -> Json:
        return {
            "id": str(self._snowflake()), "channel_id": str(channel_id), "author": _user(author),
            "content": payload.get("content") or "", "timestamp": _now(),
            "edited_timestamp": None, "tts": False, "mention_everyone": False, "mentions": [],
            "mention_roles": [], "attachments": [], "embeds": payload.get("embeds") or [],
            "components": [], "pinned": False, "type": 0, "flags": payload.get("flags") or 0,
        }

    async def send_interaction(
        self, command: str, options: Json | None = None, *, user: Member | int | None = None,
        channel_id: int | None = None, locale: str = "en-US",
    ) -> FakeInteraction:  # fmt: skip
        """Invoke a synced slash command by path ("news feeds add") with its leaf options by
        name (users, channels, roles as ids). Raises LookupError/ValueError where Discord would
        refuse: never synced, unknown subcommand or option, missing or invalid value."""
        return await self._interact(2, command, options or {}, None, user, channel_id, locale)

    async def send_autocomplete(
        self, command: str, options: Json, *, focused: str, user: Member | int | None = None,
        channel_id: int | None = None, locale: str = "en-US",
    ) -> FakeInteraction:  # fmt: skip
        """The user is typing options[focused] (type 4 interaction); see wait_choices()."""
        return await self._interact(4, command, options, focused, user, channel_id, locale)

    async def click(
        self, message: Json, custom_id: str, *, user: Member | int | None = None,
        locale: str = "en-US",
    ) -> FakeInteraction:  # fmt: skip
        """`user` presses the button `custom_id` on `message` (type 3 interaction). Raises
        LookupError where Discord offers no such button (not on the message, or disabled)."""
        current = self._find_message(message)
        if current is None:
            raise LookupError(f"message {message['id']} does not exist (deleted?)")
        buttons = [c for row in current.get("components") or [] for c in row["components"]]
        button = next((c for c in buttons if c.get("custom_id") == custom_id), None)
        if button is None or button.get("disabled"):
            have = [c.get("custom_id") for c in buttons]
            raise LookupError(f"no enabled button {custom_id!r} on the message; it has {have}")
        data = {"custom_id": custom_id, "component_type": button["type"]}
        cid = int(current["channel_id"])
        return await self._interact_with(3, data, user, cid, locale, message=current)

    async def submit_modal(
        self, ix: FakeInteraction, values: Json, *, locale: str = "en-US",
    ) -> FakeInteraction:  # fmt: skip
        """Fill in and submit the modal that `ix` answered with (type 5 interaction): values
        by component custom_id, a list of option values for a select, a string for a text
        input. Raises ValueError where Discord's client would not let the user submit."""
        modal = ix.modal
        if modal is None:
            raise LookupError("the interaction was not answered with a modal")
        submitted = []
        for row in modal["components"]:
            inner = row["component"] if row["type"] == 18 else row["components"][0]
            value, cid = values.get(inner["custom_id"]), inner["custom_id"]
            if inner["type"] == 3:
                picked = list(value or [])
                options = {o["value"] for o in inner.get("options") or []}
                low, high = inner.get("min_values", 1), inner.get("max_values", 1)
                if not set(picked) <= options or not low <= len(picked) <= high:
                    raise ValueError(f"{cid}: pick {low}-{high} of {sorted(options)}")
                component = {"type": 3, "custom_id": cid, "values": picked}
            else:
                text = str(value or "")
                required = inner.get("required", True)
                low, high = inner.get("min_length") or 0, inner.get("max_length") or 4000
                if (required and not text) or (text and not low <= len(text) <= high):
                    raise ValueError(f"{cid}: text of {low}-{high} characters required")
                component = {"type": 4, "custom_id": cid, "value": text}
            submitted.append({"type": 18, "id": row.get("id"), "component": component}
                             if row["type"] == 18 else {"type": 1, "components": [component]})
        if unknown := set(values) - {c["component"]["custom_id"] if c["type"] == 18 else
                                     c["components"][0]["custom_id"] for c in submitted}:
            raise ValueError(f"the modal has no components {sorted(unknown)}")
        data = {"custom_id": modal["custom_id"], "components": submitted}
        user = int(ix.payload["member"]["user"]["id"])
        return await self._interact_with(5, data, user, int(ix.payload["channel_id"]), locale,
                                         message=ix.payload.get("message"))

    # ---- the model ---------------------------------------------------------------------------

    def _snowflake(self) -> int:
        self._last_id = max((int(time.time() * 1000) - 1_420_070_400_000) << 22, self._last_id + 1)
        return self._last_id

    def _guild_for(self, channel_id: int) -> int:
        if channel_id not in self._guild_of:
            raise ValueError(f"unknown channel {channel_id}")
        return self._guild_of[channel_id]

    def _members(self, guild_id: int) -> list[Member]:
        me = Member(self.bot.id, self.bot.name, (self._bot_roles[guild_id].id,), bot=True)
        return [*self.guilds[guild_id].members, me]

    def _member_of(self, guild_id: int, who: Member | int | None) -> Member:
        if isinstance(who, Member):
            return who
        found = next((m for m in self._members(guild_id) if who in (None, m.id)), None)
        if found is None:
            raise ValueError(f"user {who} is not a member of guild {guild_id}")
        return found

    def _roles(self, guild_id: int) -> list[Role]:
        guild = self.guilds[guild_id]
        return [
            Role(guild.id, "@everyone", guild.everyone_permissions),
            *guild.roles,
            self._bot_roles[guild_id],
        ]

    def _permissions(self, guild_id: int, member: Member) -> int:
        guild, roles = self.guilds[guild_id], {r.id: r.permissions for r in self._roles(guild_id)}
        perms = guild.everyone_permissions
        for role_id in member.roles:
            perms |= roles.get(role_id, 0)
        owner = member.id == guild.members[0].id
        return ALL_PERMISSIONS if owner or perms & ADMINISTRATOR else perms

    def _message(
        self, channel_id: int, author: Member, payload: Json, *, mentions: list[int] | None = None,
        files: list[Json] = (), webhook: bool = False,
    ) -> Json:  # fmt: skip
        guild_id, content = self._guild_of[channel_id], payload.get("content") or ""
        ids = mentions if mentions is not None else [int(i) for i in MENTION_RE.findall(content)]
        members, ref = {m.id: m for m in self._members(guild_id)}, payload.get("message_reference")
        mentioned = [members[i] for i in dict.fromkeys(ids) if i in members]
        msg = {
            "id": str(self._snowflake()), "channel_id": str(channel_id), "guild_id": str(guild_id),
            "author": _user(author), "content": content, "timestamp": _now(),
            "edited_timestamp": None, "tts": bool(payload.get("tts")), "mention_everyone": False,
            "mentions": [{**_user(m), "member": _member(m)} for m in mentioned],
            "mention_roles": [],
            "attachments": self._attachments(files), "embeds": payload.get("embeds") or [],
            "components": payload.get("components") or [], "pinned": False,
            "type": 19 if ref else 20 if webhook else 0, "flags": payload.get("flags") or 0,
        }  # fmt: skip
        if ref:
            msg["message_reference"] = ref
        if webhook:  # interaction responses come from the application's webhook
            msg.update(webhook_id=str(self.application_id), application_id=str(self.application_id))
        else:
            msg["member"] = _member(author)
        return msg

    def _attachments(self, files: list[Json]) -> list[Json]:
        out = []
        for f in files:
            aid = self._snowflake()
            url = f"{self.url}/attachments/{aid}/{f['filename']}"
            out.append({"id": str(aid), "url": url, "proxy_url": url, **f})
        return out

    def _as_seen_by_bot(self, msg: Json) -> Json:
        """Without the MESSAGE_CONTENT intent the bot gets no content unless mentioned."""
        intents = self.identifies[-1].get("intents", 0) if self.identifies else 0
        me = str(self.bot.id)
        mentioned = any(u["id"] == me for u in msg["mentions"])
        if intents & MESSAGE_CONTENT or mentioned or msg["author"]["id"] == me:
            return msg
        return {**msg, "content": "", "embeds": [], "attachments": [], "components": []}

    async def _store(self, msg: Json) -> None:
        """Add a message to its channel's history and dispatch it (ephemerals are neither)."""
        if msg["flags"] & EPHEMERAL:
            return
        cid = int(msg["channel_id"])
        self.messages[cid].append(msg)
        self._channels[cid]["last_message_id"] = msg["id"]
        if cid in self.threads:
            self.threads[cid]["message_count"] += 1
        await self._dispatch("MESSAGE_CREATE", self._as_seen_by_bot(msg))

    async def _edit(self, msg: Json, payload: Json, files: list[Json]) -> None:
        for key in ("content", "embeds", "components"):
            if key in payload:
                msg[key] = payload[key] or ("" if key == "content" else [])
        if files:
            msg["attachments"] = self._attachments(files)
        msg["flags"] &= ~LOADING
        msg["edited_timestamp"] = _now()
        self.payloads[int(msg["id"])] = payload
        if not msg["flags"] & EPHEMERAL:
            await self._dispatch("MESSAGE_UPDATE", self._as_seen_by_bot(msg))

    def _new_thread(self, parent_id: int, thread_id: int, kind: int, body: Json) -> Json:
        guild_id = self._guild_of[parent_id]
        archive_after = body.get("auto_archive_duration") or 1440
        meta = {"archived": False, "auto_archive_duration": archive_after, "locked": False,
                "archive_timestamp": _now(), "create_timestamp": _now()}  # fmt: skip
        thread = {
            "id": str(thread_id), "type": kind, "guild_id": str(guild_id),
            "parent_id": str(parent_id), "owner_id": str(self.bot.id), "name": body["name"],
            "last_message_id": None,
            "message_count": 0, "member_count": 1, "total_message_sent": 0, "flags": 0,
            "rate_limit_per_user": body.get("rate_limit_per_user") or 0, "thread_metadata": meta,
        }  # fmt: skip
        self.threads[thread_id] = self._channels[thread_id] = thread
        self._guild_of[thread_id], self.messages[thread_id] = guild_id, []
        return thread

    # ---- gateway -----------------------------------------------------------------------------

    async def _dispatch(self, event: str, data: Json) -> None:
        async with self._lock:
            await self._emit(event, data)
        await self._notify()

    async def _emit(self, event: str, data: Json) -> None:
        """Number, log and (if a socket is live) send one dispatch. The caller holds _lock."""
        self._seq += 1
        frame = {"op": 0, "t": event, "s": self._seq, "d": data}
        self.events.append(frame)
        if self._live is not None and not self._live.closed:
            with contextlib.suppress(ConnectionError):  # a resume will replay it
                await self._live.send_str(json.dumps(frame))

    async def _notify(self) -> None:
        async with self._cond:
            self._cond.notify_all()

    async def _gateway(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        self.connections.append({"path": request.path, "query": dict(request.query)})
        try:
            await self._gate.wait()
            await ws.send_str(
                json.dumps({"op": 10, "d": {"heartbeat_interval": 41_250}, "s": None, "t": None})
            )
            async for frame in ws:
                if frame.type is WSMsgType.TEXT:
                    await self._on_op(ws, json.loads(frame.data))
        finally:
            if self._live is ws:
                self._live = None
        return ws

    async def _on_op(self, ws: web.WebSocketResponse, frame: Json) -> None:
        op, data = frame.get("op"), frame.get("d")
        if op == 1:  # heartbeat
            async with self._lock:
                await ws.send_str(json.dumps({"op": 11, "d": None}))
        elif op == 2:
            await self._identify(ws, data)
        elif op == 6:
            await self._resume(ws, data)
        elif op == 8:  # request guild members: all of them, in one chunk
            gid = int(data["guild_id"])
            members = [_member(m, with_user=True) for m in self._members(gid)]
            chunk = {"guild_id": str(gid), "members": members, "chunk_index": 0, "chunk_count": 1,
                     "not_found": [], "nonce": data.get("nonce")}  # fmt: skip
            await self._dispatch("GUILD_MEMBERS_CHUNK", chunk)

    async def _identify(self, ws: web.WebSocketResponse, data: Json) -> None:
        if data.get("token") != self.token:
            await ws.close(code=4004, message=b"Authentication failed.")
            return
        allowed = PRIVILEGED_INTENTS if self.allowed_intents is None else self.allowed_intents
        if data.get("intents", 0) & PRIVILEGED_INTENTS & ~allowed:
            await ws.close(code=4014, message=b"Disallowed intent(s).")
            return
        self.identifies.append({**data, "token": "<redacted>"})
        async with self._lock:
            self.session_id, self._seq, self.events, self._live = secrets.token_hex(16), 0, [], ws
            await self._emit("READY", self._ready())
            for guild in self.guilds.values():
                await self._emit("GUILD_CREATE", self._guild_create(guild))
        await self._notify()

    async def _resume(self, ws: web.WebSocketResponse, data: Json) -> None:
        async with self._lock:
            if data.get("session_id") != self.session_id or data.get("token") != self.token:
                await ws.send_str(json.dumps({"op": 9, "d": False}))  # invalid session
                return
            self.resumes.append({**data, "token": "<redacted>"})
            for frame in (f for f in self.events if f["s"] > (data.get("seq") or 0)):
                await ws.send_str(json.dumps(frame))
            self._live = ws
            await self._emit("RESUMED", {})
        await self._notify()

    def _ready(self) -> Json:
        return {
            "v": 10, "user": {**_user(self.bot), "verified": True, "mfa_enabled": False},
            "guilds": [{"id": str(g), "unavailable": True} for g in self.guilds],
            "session_id": self.session_id, "resume_gateway_url": f"{self.ws_url}resume",
            "application": {"id": str(self.application_id), "flags": APP_FLAGS},
            "private_channels": [], "relationships": [], "user_settings": {},
            "session_type": "normal",
        }  # fmt: skip

    def _guild_create(self, guild: Guild) -> Json:
        members = self._members(guild.id)
        return {
            "id": str(guild.id), "name": guild.name, "owner_id": str(guild.members[0].id),
            "unavailable": False, "large": False, "member_count": len(members), "icon": None,
            "roles": [_role(r, i) for i, r in enumerate(self._roles(guild.id))],
            "channels": [self._channels[c] for c in guild.channels],
            "members": [_member(m, with_user=True) for m in members],
            "threads": [t for t in self.threads.values() if t["guild_id"] == str(guild.id)],
            "joined_at": _now(), "features": [], "presences": [], "voice_states": [], "emojis": [],
            "stickers": [], "preferred_locale": "en-US",
        }  # fmt: skip

    # ---- interactions ------------------------------------------------------------------------

    async def _interact(
        self, kind: int, command: str, options: Json, focused: str | None,
        user: Member | int | None, channel_id: int | None, locale: str,
    ) -> FakeInteraction:  # fmt: skip
        channel_id = channel_id or next(iter(self._channels))
        guild_id = self._guild_for(channel_id)
        data = self._command_data(guild_id, command, options, focused)
        self._check_offered(guild_id, data, self._member_of(guild_id, user))
        return await self._interact_with(kind, data, user, channel_id, locale)

    def _check_offered(self, guild_id: int, data: Json, member: Member) -> None:
        """Discord offers a command with default_member_permissions only to members who have
        them (administrators have all), unless an admin opened it to everyone."""
        cmds = self.commands.get(guild_id if "guild_id" in data else None, [])
        cmd = next(c for c in cmds if c["id"] == data["id"])
        needed = int(cmd.get("default_member_permissions") or 0)
        if cmd["name"] in self.overrides or not needed:
            return
        if self._permissions(guild_id, member) & needed != needed:
            raise PermissionError(f"Discord does not offer /{cmd['name']} to {member.name}")

    async def _interact_with(
        self, kind: int, data: Json, user: Member | int | None, channel_id: int, locale: str,
        message: Json | None = None,
    ) -> FakeInteraction:  # fmt: skip
        guild_id = self._guild_for(channel_id)
        member, me = self._member_of(guild_id, user), self._member_of(guild_id, self.bot.id)
        perms = str(self._permissions(guild_id, member))
        channel = {**self._channels[channel_id], "permissions": perms}
        payload = {
            "id": str(self._snowflake()), "application_id": str(self.application_id), "type": kind,
            "data": data,
            "token": secrets.token_urlsafe(32), "version": 1, "guild_id": str(guild_id),
            "guild": {"id": str(guild_id), "locale": "en-US", "features": []},
            "channel_id": str(channel_id), "channel": channel,
            "member": {**_member(member, with_user=True), "permissions": perms},
            "app_permissions": str(self._permissions(guild_id, me)), "locale": locale,
            "guild_locale": "en-US", "entitlements": [], "context": 0,
            "authorizing_integration_owners": {"0": str(guild_id)},
            "attachment_size_limit": 10 * 2**20,
        }  # fmt: skip
        if message is not None:
            payload["message"] = message
        ix = FakeInteraction(self, payload, asyncio.get_running_loop().time())
        self.interactions[ix.id] = ix
        await self._dispatch("INTERACTION_CREATE", payload)
        return ix

    def _command_data(self, guild_id: int, command: str, values: Json, focused: str | None) -> Json:
        words = command.strip().lstrip("/").split()
        local = next((c for c in self.commands.get(guild_id, []) if c["name"] == words[0]), None)
        cmd = local or next((c for c in self.commands.get(None, []) if c["name"] == words[0]), None)
        if cmd is None or cmd["type"] != 1:
            raise LookupError(f"/{words[0]} was never synced for guild {guild_id} nor globally")
        resolved: dict[str, Json] = {}
        options = self._options(cmd, words[1:], values, guild_id, focused, resolved)
        data = {"id": cmd["id"], "name": cmd["name"], "type": 1, "options": options}
        if local is not None:
            data["guild_id"] = str(guild_id)
        return {**data, "resolved": resolved} if resolved else data

    def _options(
        self, node: Json, words: list[str], values: Json, guild_id: int, focused: str | None,
        resolved: Json,
    ) -> list[Json]:  # fmt: skip
        """Walk subcommand groups/subcommands along `words`, then check the leaf's options."""
        defs = node.get("options") or []
        subs = {o["name"]: o for o in defs if o["type"] in (1, 2)}
        if words:
            if words[0] not in subs:
                raise LookupError(
                    f"{node['name']} has no subcommand {words[0]!r}; it has {list(subs)}"
                )
            sub = subs[words[0]]
            inner = self._options(sub, words[1:], values, guild_id, focused, resolved)
            return [{"name": sub["name"], "type": sub["type"], "options": inner}]
        if subs:
            raise ValueError(f"{node['name']} needs a subcommand: one of {list(subs)}")
        specs = {o["name"]: o for o in defs}
        if unknown := set(values) - set(specs):
            raise ValueError(f"unknown options {sorted(unknown)}; {node['name']} has {list(specs)}")
        missing = [n for n, o in specs.items() if o.get("required") and n not in values]
        if focused is None and missing:
            raise ValueError(f"missing required options {missing}")
        if focused is not None and not (focused in values and specs[focused].get("autocomplete")):
            raise ValueError(f"option {focused!r} is not given or has no autocomplete")
        out = []
        for name, value in values.items():
            option = {"name": name, "type": specs[name]["type"]}
            if name == focused:  # what the user has typed so far, unchecked
                out.append({**option, "value": str(value), "focused": True})
            else:
                out.append({**option, "value": self._value(specs[name], value, guild_id, resolved)})
        return out

    def _value(self, spec: Json, value: Any, guild_id: int, resolved: Json) -> Any:
        kind, name = spec["type"], spec["name"]
        if kind in (6, 7, 8, 9):
            return self._resolve(kind, name, value, guild_id, resolved)
        expected = {3: str, 4: int, 5: bool, 10: (int, float)}.get(kind, object)
        if not isinstance(value, expected) or (kind in (4, 10) and isinstance(value, bool)):
            raise ValueError(f"option {name!r} expects option type {kind}, got {value!r}")
        choices = [c["value"] for c in spec.get("choices") or []]
        if choices and value not in choices:
            raise ValueError(f"option {name!r} must be one of {choices}")
        size = len(value) if kind == 3 else value
        low = spec.get("min_length" if kind == 3 else "min_value")
        high = spec.get("max_length" if kind == 3 else "max_value")
        too_low, too_high = low is not None and size < low, high is not None and size > high
        if kind in (3, 4, 10) and (too_low or too_high):
            raise ValueError(f"option {name!r}={value!r} is outside [{low}, {high}]")
        return value

    def _resolve(self, kind: int, name: str, value: Any, guild_id: int, resolved: Json) -> str:
        """User (6), channel (7), role (8), mentionable (9) options: an id plus resolved data."""
        target = int(getattr(value, "id", value))
        key, members = str(target), {m.id: m for m in self._members(guild_id)}
        role = next((r for r in self._roles(guild_id) if r.id == target), None)
        if kind in (6, 9) and target in members:
            m = members[target]
            resolved.setdefault("users", {})[key] = _user(m)
            member = {**_member(m), "permissions": str(self._permissions(guild_id, m))}
            resolved.setdefault("members", {})[key] = member
        elif kind == 7 and self._guild_of.get(target) == guild_id:
            channel = {**self._channels[target], "permissions": str(ALL_PERMISSIONS)}
            resolved.setdefault("channels", {})[key] = channel
        elif kind in (8, 9) and role is not None:
            resolved.setdefault("roles", {})[key] = _role(role, 0)
        else:
            raise ValueError(
                f"option {name!r}: {target} is not a valid target for option type {kind}"
            )
        return key

    # ---- REST plumbing -----------------------------------------------------------------------

    def _add_routes(self, app: web.Application) -> None:
        app.router.add_get("/", self._gateway)
        app.router.add_get("/resume", self._gateway)
        api, apps = "/api/v10", "/api/v10/applications/{app}"
        chan, hook = f"{api}/channels/{{cid}}", f"{api}/webhooks/{{app}}/{{token}}"
        routes = [
            ("GET", f"{api}/users/@me", self._get_me),
            ("GET", f"{api}/oauth2/applications/@me", self._get_application),
            ("GET", f"{api}/gateway", self._get_gateway),
            ("GET", f"{api}/gateway/bot", self._get_gateway),
            ("GET", f"{apps}/commands", self._commands),
            ("PUT", f"{apps}/commands", self._commands),
            ("GET", f"{apps}/guilds/{{gid}}/commands", self._commands),
            ("PUT", f"{apps}/guilds/{{gid}}/commands", self._commands),
            ("POST", f"{api}/interactions/{{iid}}/{{token}}/callback", self._callback),
            ("POST", hook, self._followup),
            ("GET", f"{hook}/messages/{{mid}}", self._webhook_message),
            ("PATCH", f"{hook}/messages/{{mid}}", self._webhook_message),
            ("DELETE", f"{hook}/messages/{{mid}}", self._webhook_message),
            ("GET", chan, self._get_channel),
            ("GET", f"{chan}/messages", self._history),
            ("POST", f"{chan}/messages", self._post_message),
            ("PATCH", f"{chan}/messages/{{mid}}", self._patch_message),
            ("POST", f"{chan}/messages/{{mid}}/threads", self._create_thread),
            ("POST", f"{chan}/threads", self._create_thread),
            ("POST", f"{chan}/typing", self._no_content),
            ("PUT", f"{chan}/typing", self._no_content),
            ("PUT", f"{chan}/messages/{{mid}}/reactions/{{rest:.*}}", self._no_content),
            ("DELETE", f"{chan}/messages/{{mid}}/reactions{{rest:.*}}", self._no_content),
        ]
        for method, path, handler in routes:
            app.router.add_route(method, path, handler)
        app.router.add_route("*", "/{tail:.*}", self._unhandled)

    @web.middleware
    async def _middleware(
        self, request: web.Request, handler: Callable[..., Any]
    ) -> web.StreamResponse:
        if not request.path.startswith("/api/"):
            return await handler(request)
        body, files = await _read_body(request)
        headers = {
            k: "<redacted>" if k.lower() == "authorization" else v
            for k, v in request.headers.items()
        }
        path = request.path.removeprefix("/api/v10")
        rec = request[REC] = RecordedRequest(
            request.method, path, dict(request.query), body, headers, files
        )
        self.requests.append(rec)
        anonymous = path.startswith(("/webhooks/", "/interactions/", "/gateway"))
        if anonymous or request.headers.get("Authorization") == f"Bot {self.token}":
            response = await handler(request)
        else:
            response = _error(401, 0, "401: Unauthorized")
        rec.status = response.status
        await self._notify()
        return response

    async def _unhandled(self, request: web.Request) -> web.Response:
        self.unhandled.append(request[REC])
        return _error(404, 0, "404: Not Found (a route the fake does not implement)")

    async def _no_content(self, request: web.Request) -> web.Response:
        return web.Response(status=204)

    async def _get_me(self, request: web.Request) -> web.Response:
        return _json({**_user(self.bot), "verified": True, "mfa_enabled": False, "flags": 0})

    async def _get_application(self, request: web.Request) -> web.Response:
        owner = next(iter(self.guilds.values())).members[0] if self.guilds else self.bot
        return _json({
            "id": str(self.application_id), "name": self.bot.name, "description": "", "icon": None,
            "bot_public": True, "bot_require_code_grant": False, "owner": _user(owner),
            "verify_key": "0" * 64, "flags": APP_FLAGS, "interactions_endpoint_url": None,
        })  # fmt: skip

    async def _get_gateway(self, request: web.Request) -> web.Response:
        limit = {"total": 1000, "remaining": 999, "reset_after": 0, "max_concurrency": 1}
        return _json({"url": self.ws_url, "shards": 1, "session_start_limit": limit})

    async def _commands(self, request: web.Request) -> web.Response:
        """GET or bulk-overwrite (PUT) global or guild commands; ids are kept per name."""
        gid = request.match_info.get("gid")
        scope = int(gid) if gid is not None else None
        if request.match_info["app"] != str(self.application_id):
            return _error(403, 20012, "You are not authorized to act on this application")
        if scope is not None and scope not in self.guilds:
            return _error(403, 50001, "Missing Access")
        if request.method == "GET":
            return _json(self.commands.get(scope, []))
        body: list[Json] = request[REC].json or []
        keys = [(c.get("name"), c.get("type", 1)) for c in body]
        problem = next(filter(None, map(_command_problem, body)), None)
        if problem or len(body) > 100 or len(set(keys)) != len(keys):
            problem = problem or "duplicate names or over 100 commands"
            return _error(400, 50035, f"Invalid Form Body ({problem})")
        old = {(c["name"], c["type"]): c["id"] for c in self.commands.get(scope, [])}
        defaults = {"description": "", "options": [], "default_member_permissions": None}
        for cmd in body:  # Discord stores and returns the permission bits as a string
            if cmd.get("default_member_permissions") is not None:
                cmd["default_member_permissions"] = str(cmd["default_member_permissions"])
        self.commands[scope] = [
            {**defaults, **cmd, "type": key[1], "id": old.get(key) or str(self._snowflake()),
             "version": str(self._snowflake()), "application_id": str(self.application_id),
             **({"guild_id": gid} if gid else {})}
            for cmd, key in zip(body, keys, strict=True)
        ]  # fmt: skip
        return _json(self.commands[scope])

    # ---- REST: interaction callbacks and the interaction webhook -----------------------------

    def _reject(self, ix: FakeInteraction, status: int, code: int, message: str) -> web.Response:
        ix.rejections.append({"status": status, "code": code, "message": message})
        return _error(status, code, message)

    async def _callback(self, request: web.Request) -> web.Response:
        ix, rec = self.interactions.get(int(request.match_info["iid"])), request[REC]
        if ix is None or ix.token != request.match_info["token"]:
            return _error(404, 10062, "Unknown interaction")
        body = rec.json or {}
        kind, data = body.get("type"), body.get("data") or {}
        if asyncio.get_running_loop().time() - ix.created > self.ack_timeout:
            return self._reject(ix, 404, 10062, "Unknown interaction")
        if ix.response is not None:
            return self._reject(ix, 400, 40060, "Interaction has already been acknowledged.")
        allowed = {4: (8,), 3: (4, 5, 6, 7, 9), 5: (4, 5, 6, 7)}.get(ix.payload["type"], (4, 5, 9))
        if kind not in allowed or (kind in (6, 7) and "message" not in ix.payload):
            return self._reject(ix, 400, 40043, f"Callback type {kind} is invalid here")
        problem = _message_problem(data, len(rec.files)) if kind == 4 else None
        if kind == 9 and (modal := _modal_problem(data)):
            problem = (50035, f"Invalid Form Body ({modal})")
        if kind == 8 and len(data.get("choices") or []) > 25:
            problem = (50035, "Invalid Form Body (choices: Must be 25 or fewer in length.)")
        if problem:
            return _error(400, *problem)
        ix.response = body
        if kind in (4, 5):  # a message (5: a loading one) becomes the original response
            flags = (data.get("flags") or 0) & EPHEMERAL | (LOADING if kind == 5 else 0)
            payload = {**data, "flags": flags} if kind == 4 else {"flags": flags}
            ix.original = await self._webhook_post(ix, payload, rec.files)
        if kind == 7:  # update the message the component is on
            ix.original = self._find_message(ix.payload["message"])
            if ix.original is not None:
                await self._edit(ix.original, data, rec.files)
        info = {"id": str(ix.id), "type": ix.payload["type"]}
        if ix.original is not None:
            info["response_message_id"] = ix.original["id"]
            info["response_message_loading"] = kind == 5
            info["response_message_ephemeral"] = bool(ix.original["flags"] & EPHEMERAL)
        resource = {"type": kind, **({"message": ix.original} if kind == 4 else {})}
        return _json({"interaction": info, "resource": resource})

    async def _webhook_post(self, ix: FakeInteraction, payload: Json, files: list[Json]) -> Json:
        me = self._member_of(int(ix.payload["guild_id"]), self.bot.id)
        msg = self._message(int(ix.payload["channel_id"]), me, payload, files=files, webhook=True)
        self.payloads[int(msg["id"])] = payload
        await self._store(msg)
        return msg

    def _hook_interaction(self, request: web.Request) -> FakeInteraction | None:
        token = request.match_info["token"]
        ix = next((i for i in self.interactions.values() if i.token == token), None)
        if (
            ix is None
            or ix.response is None
            or request.match_info["app"] != str(self.application_id)
        ):
            return None
        return ix

    async def _followup(self, request: web.Request) -> web.Response:
        ix, rec = self._hook_interaction(request), request[REC]
        if ix is None:
            return _error(404, 10015, "Unknown Webhook")
        payload = rec.json or {}
        if problem := _message_problem(payload, len(rec.files)):
            return _error(400, *problem)
        if ix.original is not None and ix.original["flags"] & LOADING:
            msg = ix.original  # Discord: the first followup after a defer edits the loading message
            await self._edit(msg, payload, rec.files)
        else:
            msg = await self._webhook_post(ix, payload, rec.files)
        ix.followups.append(msg)
        wait = rec.query.get("wait", "").lower() in ("1", "true")
        return _json(msg) if wait else web.Response(status=204)

    async def _webhook_message(self, request: web.Request) -> web.Response:
        ix, rec, mid = self._hook_interaction(request), request[REC], request.match_info["mid"]
        if ix is None:
            return _error(404, 10015, "Unknown Webhook")
        if mid == "@original":
            msg = ix.original
        else:
            msg = next((m for m in (ix.original, *ix.followups) if m and m["id"] == mid), None)
        if msg is None:
            return _error(404, 10008, "Unknown Message")
        if request.method == "PATCH":
            if problem := self._edit_problem(msg, rec):
                return _error(400, *problem)
            ix.edits.append(rec.json or {})
            await self._edit(msg, rec.json or {}, rec.files)
        if request.method == "DELETE":
            await self._delete(ix, msg)
            return web.Response(status=204)
        return _json(msg)

    async def _delete(self, ix: FakeInteraction, msg: Json) -> None:
        """Delete an interaction's message; a followup after that is a new message."""
        ix.deleted.append(msg)
        if ix.original is msg:
            ix.original = None
        ix.followups = [m for m in ix.followups if m is not msg]
        cid = int(msg["channel_id"])
        if msg in self.messages.get(cid, []):
            self.messages[cid].remove(msg)
            data = {"id": msg["id"], "channel_id": str(cid), "guild_id": msg.get("guild_id")}
            await self._dispatch("MESSAGE_DELETE", data)

    def _find_message(self, message: Json) -> Json | None:
        """The stored message (or an interaction's ephemeral one) with this message's id."""
        for m in self.messages.get(int(message["channel_id"]), []):
            if m["id"] == message["id"]:
                return m
        for ix in self.interactions.values():
            for m in (ix.original, *ix.followups):
                if m is not None and m["id"] == message["id"]:
                    return m
        return None

    @staticmethod
    def _edit_problem(msg: Json, rec: RecordedRequest) -> tuple[int, str] | None:
        return _message_problem(
            {**msg, **(rec.json or {})}, len(msg["attachments"]) + len(rec.files)
        )

    # ---- REST: channels, messages, threads ---------------------------------------------------

    def _failure(self, channel_id: int) -> web.Response | None:
        if (failure := self._failures.get(channel_id)) is None:
            return None
        if failure[1] is not None:
            failure[1] -= 1
            if failure[1] <= 0:
                del self._failures[channel_id]
        if failure[0] == 403:
            return _error(403, 50013, "Missing Permissions")
        return _error(404, 10003, "Unknown Channel")

    async def _get_channel(self, request: web.Request) -> web.Response:
        channel = self._channels.get(int(request.match_info["cid"]))
        return _json(channel) if channel else _error(404, 10003, "Unknown Channel")

    async def _history(self, request: web.Request) -> web.Response:
        cid, q = int(request.match_info["cid"]), request.query
        if cid not in self.messages:
            return _error(404, 10003, "Unknown Channel")
        limit = max(1, min(100, int(q.get("limit", 50))))
        ids = [(int(m["id"]), m) for m in self.messages[cid]]
        if "after" in q:
            picked = [m for i, m in ids if i > int(q["after"])][:limit]
        else:
            picked = [m for i, m in ids if i < int(q.get("before", 2**63))][-limit:]
        return _json(picked[::-1])  # newest first, as Discord answers

    async def _post_message(self, request: web.Request) -> web.Response:
        cid, rec = int(request.match_info["cid"]), request[REC]
        if failure := self._failure(cid):
            return failure
        if cid not in self._channels:
            return _error(404, 10003, "Unknown Channel")
        payload = rec.json or {}
        if problem := _message_problem(payload, len(rec.files)):
            return _error(400, *problem)
        if cid in self.dm_channels:
            msg = self._dm_message(cid, self.bot, payload)
        else:
            me = self._member_of(self._guild_of[cid], self.bot.id)
            msg = self._message(cid, me, payload, files=rec.files)
        self.payloads[int(msg["id"])] = payload
        await self._store(msg)
        return _json(msg)

    async def _patch_message(self, request: web.Request) -> web.Response:
        cid, mid, rec = int(request.match_info["cid"]), request.match_info["mid"], request[REC]
        msg = next((m for m in self.messages.get(cid, []) if m["id"] == mid), None)
        if msg is None:
            return _error(404, 10008, "Unknown Message")
        if msg["author"]["id"] != str(self.bot.id):
            return _error(403, 50005, "Cannot edit a message authored by another user")
        if problem := self._edit_problem(msg, rec):
            return _error(400, *problem)
        await self._edit(msg, rec.json or {}, rec.files)
        return _json(msg)

    async def _create_thread(self, request: web.Request) -> web.Response:
        """POST /channels/{id}/threads, or .../messages/{mid}/threads (the thread id is mid)."""
        cid, mid = int(request.match_info["cid"]), request.match_info.get("mid")
        body = request[REC].json or {}
        if self._channels.get(cid, {}).get("type") != 0:
            return _error(404, 10003, "Unknown Channel")
        if cid in self.no_threads:
            return _error(403, 50013, "Missing Permissions")
        starter = next((m for m in self.messages[cid] if m["id"] == mid), None)
        if mid is not None and starter is None:
            return _error(404, 10008, "Unknown Message")
        if mid is not None and int(mid) in self.threads:
            return _error(400, 160004, "A thread has already been created for this message")
        if not 1 <= len(body.get("name") or "") <= 100:
            return _error(400, 50035, "Invalid Form Body (name: must be 1-100 characters)")
        thread = self._new_thread(cid, int(mid or self._snowflake()), body.get("type") or 11, body)
        if starter is not None:  # Discord opens the thread with a THREAD_STARTER_MESSAGE (type 21)
            starter["thread"] = thread
            author = self._member_of(self._guild_of[cid], int(starter["author"]["id"]))
            ref = {"message_id": mid, "channel_id": str(cid), "guild_id": thread["guild_id"]}
            marker = self._message(int(mid), author, {"message_reference": ref})
            self.messages[int(mid)].append({**marker, "type": 21, "referenced_message": starter})
        await self._dispatch("THREAD_CREATE", {**thread, "newly_created": True})
        return _json(thread)


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
