"""What the fake Discord knows: guilds, channels, threads, messages, synced commands and
interactions, and the changes to them that the bot is told about through the gateway."""

# ruff: noqa: ASYNC109  -- `timeout=` parameters are the ergonomic API for test helpers
from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Protocol

from tests.discord_fake.model import (
    ADMINISTRATOR,
    ALL_PERMISSIONS,
    BOT_PERMISSIONS,
    EPHEMERAL,
    LOADING,
    MENTION_RE,
    Guild,
    Json,
    Member,
    Role,
    member_json,
    now_iso,
    user_json,
)

if TYPE_CHECKING:
    from tests.discord_fake.interactions import FakeInteraction


class Events(Protocol):
    """Where the state's changes go out to the bot (the gateway)."""

    async def dispatch(self, event: str, data: Json) -> None: ...

    async def dispatch_message(self, event: str, msg: Json) -> None: ...


class DiscordState:
    """The fake's model of Discord, shared by its gateway, its REST routes and the tests."""

    def __init__(self, guilds: list[Guild], bot: Member, token: str, ack_timeout: float) -> None:
        self.guilds = {g.id: g for g in guilds}
        self.token, self.bot, self.application_id = token, bot, bot.id
        self.ack_timeout = ack_timeout
        self.url = self.ws_url = ""
        self.events: Events | None = None  # set once the gateway exists
        self.commands: dict[int | None, list[Json]] = {}  # guild id (None: global) -> synced
        self.messages: dict[int, list[Json]] = {}  # channel or thread id -> history, oldest first
        self.payloads: dict[int, Json] = {}  # message id -> the body the bot sent for it
        self.threads: dict[int, Json] = {}
        self.no_threads: set[int] = set()  # channels where the bot may not open threads
        self.interactions: dict[int, FakeInteraction] = {}
        self.channels: dict[int, Json] = {}
        self.guild_of: dict[int, int] = {}
        self.dm_channels: dict[int, Member] = {}  # DM channel id → the user at the other end
        # commands an admin opened to everyone (Server Settings → Integrations), which lifts
        # their default_member_permissions
        self.overrides: set[str] = set()
        self.bot_roles = {
            g: Role(bot.id + i + 1, bot.name, BOT_PERMISSIONS) for i, g in enumerate(self.guilds)
        }
        self._last_id = 0
        self._changed: asyncio.Condition | None = None
        for guild in self.guilds.values():
            for position, (cid, name) in enumerate(guild.channels.items()):
                self.channels[cid] = {
                    "id": str(cid), "type": 0, "guild_id": str(guild.id), "name": name,
                    "position": position, "permission_overwrites": [], "parent_id": None,
                    "nsfw": False, "topic": None, "last_message_id": None, "rate_limit_per_user": 0,
                }  # fmt: skip
                self.guild_of[cid], self.messages[cid] = guild.id, []

    # ---- waiting for changes -----------------------------------------------------------------

    def open(self) -> None:
        """Called on the event loop that serves the fake."""
        self._changed = asyncio.Condition()

    async def notify(self) -> None:
        assert self._changed is not None, "the fake is not started"
        async with self._changed:
            self._changed.notify_all()

    async def wait_until(self, predicate: Callable[[], Any], timeout: float, what: str) -> Any:
        assert self._changed is not None, "the fake is not started"
        try:
            async with asyncio.timeout(timeout), self._changed:
                while not (found := predicate()):
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(self._changed.wait(), 0.05)
                return found
        except TimeoutError:
            raise TimeoutError(f"fake Discord: no {what or 'match'} within {timeout}s") from None

    # ---- ids, members, permissions -----------------------------------------------------------

    def snowflake(self) -> int:
        self._last_id = max((int(time.time() * 1000) - 1_420_070_400_000) << 22, self._last_id + 1)
        return self._last_id

    def guild_for(self, channel_id: int) -> int:
        if channel_id not in self.guild_of:
            raise ValueError(f"unknown channel {channel_id}")
        return self.guild_of[channel_id]

    def members(self, guild_id: int) -> list[Member]:
        me = Member(self.bot.id, self.bot.name, (self.bot_roles[guild_id].id,), bot=True)
        return [*self.guilds[guild_id].members, me]

    def member_of(self, guild_id: int, who: Member | int | None) -> Member:
        if isinstance(who, Member):
            return who
        found = next((m for m in self.members(guild_id) if who in (None, m.id)), None)
        if found is None:
            raise ValueError(f"user {who} is not a member of guild {guild_id}")
        return found

    def roles(self, guild_id: int) -> list[Role]:
        guild = self.guilds[guild_id]
        return [
            Role(guild.id, "@everyone", guild.everyone_permissions),
            *guild.roles,
            self.bot_roles[guild_id],
        ]

    def permissions(self, guild_id: int, member: Member) -> int:
        guild, roles = self.guilds[guild_id], {r.id: r.permissions for r in self.roles(guild_id)}
        perms = guild.everyone_permissions
        for role_id in member.roles:
            perms |= roles.get(role_id, 0)
        owner = member.id == guild.members[0].id
        return ALL_PERMISSIONS if owner or perms & ADMINISTRATOR else perms

    # ---- messages, DMs, threads --------------------------------------------------------------

    def message(
        self, channel_id: int, author: Member, payload: Json, *, mentions: list[int] | None = None,
        files: list[Json] = (), webhook: bool = False,
    ) -> Json:  # fmt: skip
        guild_id, content = self.guild_of[channel_id], payload.get("content") or ""
        ids = mentions if mentions is not None else [int(i) for i in MENTION_RE.findall(content)]
        members, ref = {m.id: m for m in self.members(guild_id)}, payload.get("message_reference")
        mentioned = [members[i] for i in dict.fromkeys(ids) if i in members]
        msg = {
            "id": str(self.snowflake()), "channel_id": str(channel_id), "guild_id": str(guild_id),
            "author": user_json(author), "content": content, "timestamp": now_iso(),
            "edited_timestamp": None, "tts": bool(payload.get("tts")), "mention_everyone": False,
            "mentions": [{**user_json(m), "member": member_json(m)} for m in mentioned],
            "mention_roles": [],
            "attachments": self.attachments(files), "embeds": payload.get("embeds") or [],
            "components": payload.get("components") or [], "pinned": False,
            "type": 19 if ref else 20 if webhook else 0, "flags": payload.get("flags") or 0,
        }  # fmt: skip
        if ref:
            msg["message_reference"] = ref
        if webhook:  # interaction responses come from the application's webhook
            msg.update(webhook_id=str(self.application_id), application_id=str(self.application_id))
        else:
            msg["member"] = member_json(author)
        return msg

    def dm_message(self, channel_id: int, author: Member, payload: Json) -> Json:
        return {
            "id": str(self.snowflake()), "channel_id": str(channel_id),
            "author": user_json(author), "content": payload.get("content") or "",
            "timestamp": now_iso(), "edited_timestamp": None, "tts": False,
            "mention_everyone": False, "mentions": [], "mention_roles": [], "attachments": [],
            "embeds": payload.get("embeds") or [], "components": [], "pinned": False, "type": 0,
            "flags": payload.get("flags") or 0,
        }  # fmt: skip

    def attachments(self, files: list[Json]) -> list[Json]:
        out = []
        for f in files:
            aid = self.snowflake()
            url = f"{self.url}/attachments/{aid}/{f['filename']}"
            out.append({"id": str(aid), "url": url, "proxy_url": url, **f})
        return out

    def open_dm(self, user: Member) -> int:
        """A direct-message channel between `user` and the bot (Discord type 1)."""
        for cid, other in self.dm_channels.items():
            if other.id == user.id:
                return cid
        cid = self.snowflake()
        self.dm_channels[cid] = user
        self.channels[cid] = {"id": str(cid), "type": 1, "recipients": [user_json(user)],
                              "last_message_id": None}  # fmt: skip
        self.messages[cid] = []
        return cid

    def new_thread(self, parent_id: int, thread_id: int, kind: int, body: Json) -> Json:
        guild_id = self.guild_of[parent_id]
        archive_after = body.get("auto_archive_duration") or 1440
        meta = {"archived": False, "auto_archive_duration": archive_after, "locked": False,
                "archive_timestamp": now_iso(), "create_timestamp": now_iso()}  # fmt: skip
        thread = {
            "id": str(thread_id), "type": kind, "guild_id": str(guild_id),
            "parent_id": str(parent_id), "owner_id": str(self.bot.id), "name": body["name"],
            "last_message_id": None,
            "message_count": 0, "member_count": 1, "total_message_sent": 0, "flags": 0,
            "rate_limit_per_user": body.get("rate_limit_per_user") or 0, "thread_metadata": meta,
        }  # fmt: skip
        self.threads[thread_id] = self.channels[thread_id] = thread
        self.guild_of[thread_id], self.messages[thread_id] = guild_id, []
        return thread

    def find_message(self, message: Json) -> Json | None:
        """The stored message (or an interaction's ephemeral one) with this message's id."""
        for m in self.messages.get(int(message["channel_id"]), []):
            if m["id"] == message["id"]:
                return m
        for ix in self.interactions.values():
            for m in (ix.original, *ix.followups):
                if m is not None and m["id"] == message["id"]:
                    return m
        return None

    # ---- changes the bot is told about -------------------------------------------------------

    async def dispatch(self, event: str, data: Json) -> None:
        assert self.events is not None, "the fake has no gateway"
        await self.events.dispatch(event, data)

    async def store(self, msg: Json) -> None:
        """Add a message to its channel's history and dispatch it (ephemerals are neither)."""
        if msg["flags"] & EPHEMERAL:
            return
        cid = int(msg["channel_id"])
        self.messages[cid].append(msg)
        self.channels[cid]["last_message_id"] = msg["id"]
        if cid in self.threads:
            self.threads[cid]["message_count"] += 1
        assert self.events is not None, "the fake has no gateway"
        await self.events.dispatch_message("MESSAGE_CREATE", msg)

    async def edit(self, msg: Json, payload: Json, files: list[Json]) -> None:
        for key in ("content", "embeds", "components"):
            if key in payload:
                msg[key] = payload[key] or ("" if key == "content" else [])
        if files:
            msg["attachments"] = self.attachments(files)
        msg["flags"] &= ~LOADING
        msg["edited_timestamp"] = now_iso()
        self.payloads[int(msg["id"])] = payload
        if not msg["flags"] & EPHEMERAL:
            assert self.events is not None, "the fake has no gateway"
            await self.events.dispatch_message("MESSAGE_UPDATE", msg)
