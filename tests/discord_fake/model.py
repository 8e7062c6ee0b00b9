"""Discord's data as the fake holds it and writes it on the wire: ids, members, roles, guilds.

The wire helpers (`user_json`, `member_json`, ...) write the JSON shapes discord.py parses.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from aiohttp import web

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
THE_BOT = Member(BOT_ID, "newsbot", bot=True)


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


def now_iso() -> str:
    return datetime.now(UTC).isoformat()


def respond(data: Any, status: int = 200) -> web.Response:
    # Exactly "application/json": discord.py reads "...; charset=utf-8" as text and breaks.
    body = json.dumps(data).encode()
    return web.Response(status=status, body=body, headers={"Content-Type": "application/json"})


def error(status: int, code: int, message: str) -> web.Response:
    return respond({"message": message, "code": code}, status)


def user_json(m: Member) -> Json:
    return {"id": str(m.id), "username": m.name, "discriminator": "0", "global_name": m.name,
            "avatar": None, "bot": m.bot, "public_flags": 0}  # fmt: skip


def role_json(r: Role, position: int) -> Json:
    return {"id": str(r.id), "name": r.name, "permissions": str(r.permissions),
            "position": position, "color": 0, "hoist": False, "managed": False,
            "mentionable": False, "flags": 0}  # fmt: skip


def member_json(m: Member, *, with_user: bool = False) -> Json:
    data = {"roles": [str(r) for r in m.roles], "joined_at": now_iso(), "deaf": False,
            "mute": False, "flags": 0, "nick": None, "avatar": None, "pending": False}  # fmt: skip
    return {**data, "user": user_json(m)} if with_user else data
