"""The fake's gateway websocket: HELLO, heartbeats, IDENTIFY → READY and GUILD_CREATE, RESUME
with replay, and the numbered dispatch of every event the bot is told about."""

from __future__ import annotations

import asyncio
import contextlib
import json
import secrets
from collections.abc import AsyncIterator

from aiohttp import WSMsgType, web

from tests.discord_fake.model import (
    APP_FLAGS,
    MESSAGE_CONTENT,
    PRIVILEGED_INTENTS,
    Guild,
    Json,
    member_json,
    now_iso,
    role_json,
    user_json,
)
from tests.discord_fake.state import DiscordState


class Gateway:
    """One live session at a time; what is dispatched while none is live is replayed on RESUME."""

    def __init__(self, state: DiscordState, allowed_intents: int | None) -> None:
        self.state = state
        self.allowed_intents = allowed_intents  # privileged intents the app may use; None: all
        self.identifies: list[Json] = []  # IDENTIFY payloads (token redacted)
        self.resumes: list[Json] = []  # accepted RESUME payloads (token redacted)
        self.connections: list[Json] = []  # {"path", "query"} of each gateway websocket
        self.events: list[Json] = []  # every dispatch frame of the current session
        self.session_id: str | None = None
        self._live: web.WebSocketResponse | None = None
        self._seq = 0

    def open(self) -> None:
        """Called on the event loop that serves the fake."""
        self._lock, self._gate = asyncio.Lock(), asyncio.Event()
        self._gate.set()

    def add_routes(self, app: web.Application) -> None:
        app.router.add_get("/", self._connect)
        app.router.add_get("/resume", self._connect)

    # ---- what the tests do to the connection -------------------------------------------------

    async def disconnect(self, code: int = 4000) -> None:
        async with self._lock:
            ws, self._live = self._live, None
        if ws is not None:
            await ws.close(code=code, message=b"fake disconnect")

    @contextlib.asynccontextmanager
    async def offline(self, code: int = 4000) -> AsyncIterator[None]:
        self._gate.clear()
        try:
            await self.disconnect(code)
            yield
        finally:
            self._gate.set()

    # ---- dispatching events ------------------------------------------------------------------

    async def dispatch(self, event: str, data: Json) -> None:
        async with self._lock:
            await self._emit(event, data)
        await self.state.notify()

    async def dispatch_message(self, event: str, msg: Json) -> None:
        """MESSAGE_CREATE/UPDATE, blanked as Discord does without the MESSAGE_CONTENT intent:
        the bot then gets no content unless it is mentioned or wrote the message."""
        intents = self.identifies[-1].get("intents", 0) if self.identifies else 0
        me = str(self.state.bot.id)
        mentioned = any(u["id"] == me for u in msg["mentions"])
        if not (intents & MESSAGE_CONTENT or mentioned or msg["author"]["id"] == me):
            msg = {**msg, "content": "", "embeds": [], "attachments": [], "components": []}
        await self.dispatch(event, msg)

    async def _emit(self, event: str, data: Json) -> None:
        """Number, log and (if a socket is live) send one dispatch. The caller holds _lock."""
        self._seq += 1
        frame = {"op": 0, "t": event, "s": self._seq, "d": data}
        self.events.append(frame)
        if self._live is not None and not self._live.closed:
            with contextlib.suppress(ConnectionError):  # a resume will replay it
                await self._live.send_str(json.dumps(frame))

    # ---- the websocket -----------------------------------------------------------------------

    async def _connect(self, request: web.Request) -> web.WebSocketResponse:
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
            members = [member_json(m, with_user=True) for m in self.state.members(gid)]
            chunk = {"guild_id": str(gid), "members": members, "chunk_index": 0, "chunk_count": 1,
                     "not_found": [], "nonce": data.get("nonce")}  # fmt: skip
            await self.dispatch("GUILD_MEMBERS_CHUNK", chunk)

    async def _identify(self, ws: web.WebSocketResponse, data: Json) -> None:
        if data.get("token") != self.state.token:
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
            for guild in self.state.guilds.values():
                await self._emit("GUILD_CREATE", self._guild_create(guild))
        await self.state.notify()

    async def _resume(self, ws: web.WebSocketResponse, data: Json) -> None:
        async with self._lock:
            if data.get("session_id") != self.session_id or data.get("token") != self.state.token:
                await ws.send_str(json.dumps({"op": 9, "d": False}))  # invalid session
                return
            self.resumes.append({**data, "token": "<redacted>"})
            for frame in (f for f in self.events if f["s"] > (data.get("seq") or 0)):
                await ws.send_str(json.dumps(frame))
            self._live = ws
            await self._emit("RESUMED", {})
        await self.state.notify()

    def _ready(self) -> Json:
        state = self.state
        return {
            "v": 10, "user": {**user_json(state.bot), "verified": True, "mfa_enabled": False},
            "guilds": [{"id": str(g), "unavailable": True} for g in state.guilds],
            "session_id": self.session_id, "resume_gateway_url": f"{state.ws_url}resume",
            "application": {"id": str(state.application_id), "flags": APP_FLAGS},
            "private_channels": [], "relationships": [], "user_settings": {},
            "session_type": "normal",
        }  # fmt: skip

    def _guild_create(self, guild: Guild) -> Json:
        state = self.state
        members = state.members(guild.id)
        return {
            "id": str(guild.id), "name": guild.name, "owner_id": str(guild.members[0].id),
            "unavailable": False, "large": False, "member_count": len(members), "icon": None,
            "roles": [role_json(r, i) for i, r in enumerate(state.roles(guild.id))],
            "channels": [state.channels[c] for c in guild.channels],
            "members": [member_json(m, with_user=True) for m in members],
            "threads": [t for t in state.threads.values() if t["guild_id"] == str(guild.id)],
            "joined_at": now_iso(), "features": [], "presences": [], "voice_states": [],
            "emojis": [], "stickers": [], "preferred_locale": "en-US",
        }  # fmt: skip
