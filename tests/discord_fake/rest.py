"""The fake's REST API at /api/v10: every request recorded, the bot token checked, the
start-up routes (the bot user, the application, command sync) and the routing to the
channel and interaction routes."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from aiohttp import web

from tests.discord_fake.channels import ChannelRoutes
from tests.discord_fake.checks import command_problem
from tests.discord_fake.model import (
    APP_FLAGS,
    REC,
    Json,
    RecordedRequest,
    error,
    respond,
    user_json,
)
from tests.discord_fake.state import DiscordState
from tests.discord_fake.webhooks import InteractionRoutes

API = "/api/v10"


class Rest:
    """Routes, records and authenticates the bot's REST calls."""

    def __init__(self, state: DiscordState) -> None:
        self.state = state
        self.requests: list[RecordedRequest] = []
        self.unhandled: list[RecordedRequest] = []
        self.channels = ChannelRoutes(state)
        self.interactions = InteractionRoutes(state)

    def add_routes(self, app: web.Application) -> None:
        apps = f"{API}/applications/{{app}}"
        routes = [
            ("GET", f"{API}/users/@me", self._get_me),
            ("POST", f"{API}/users/@me/channels", self._create_dm),
            ("GET", f"{API}/oauth2/applications/@me", self._get_application),
            ("GET", f"{API}/gateway", self._get_gateway),
            ("GET", f"{API}/gateway/bot", self._get_gateway),
            ("GET", f"{apps}/commands", self._commands),
            ("PUT", f"{apps}/commands", self._commands),
            ("GET", f"{apps}/guilds/{{gid}}/commands", self._commands),
            ("PUT", f"{apps}/guilds/{{gid}}/commands", self._commands),
            *self.interactions.routes(API),
            *self.channels.routes(API),
        ]
        for method, path, handler in routes:
            app.router.add_route(method, path, handler)
        app.router.add_route("*", "/{tail:.*}", self._unhandled)

    async def _create_dm(self, request: web.Request) -> web.Response:
        """Open (or return) the DM channel with a member of one of the guilds."""
        body = request[REC].json or {}
        wanted = int(body.get("recipient_id") or 0)
        member = next((m for g in self.state.guilds.values() for m in g.members
                       if m.id == wanted), None)
        if member is None:
            return error(400, 50033, "Invalid Recipient(s)")
        return respond(self.state.channels[self.state.open_dm(member)])

    @web.middleware
    async def middleware(
        self, request: web.Request, handler: Callable[..., Any]
    ) -> web.StreamResponse:
        if not request.path.startswith("/api/"):
            return await handler(request)
        body, files = await _read_body(request)
        headers = {
            k: "<redacted>" if k.lower() == "authorization" else v
            for k, v in request.headers.items()
        }
        path = request.path.removeprefix(API)
        rec = request[REC] = RecordedRequest(
            request.method, path, dict(request.query), body, headers, files
        )
        self.requests.append(rec)
        anonymous = path.startswith(("/webhooks/", "/interactions/", "/gateway"))
        if anonymous or request.headers.get("Authorization") == f"Bot {self.state.token}":
            response = await handler(request)
        else:
            response = error(401, 0, "401: Unauthorized")
        rec.status = response.status
        await self.state.notify()
        return response

    async def _unhandled(self, request: web.Request) -> web.Response:
        self.unhandled.append(request[REC])
        return error(404, 0, "404: Not Found (a route the fake does not implement)")

    async def _get_me(self, request: web.Request) -> web.Response:
        bot = self.state.bot
        return respond({**user_json(bot), "verified": True, "mfa_enabled": False, "flags": 0})

    async def _get_application(self, request: web.Request) -> web.Response:
        state = self.state
        owner = next(iter(state.guilds.values())).members[0] if state.guilds else state.bot
        return respond({
            "id": str(state.application_id), "name": state.bot.name, "description": "",
            "icon": None, "bot_public": True, "bot_require_code_grant": False,
            "owner": user_json(owner), "verify_key": "0" * 64, "flags": APP_FLAGS,
            "interactions_endpoint_url": None,
        })  # fmt: skip

    async def _get_gateway(self, request: web.Request) -> web.Response:
        limit = {"total": 1000, "remaining": 999, "reset_after": 0, "max_concurrency": 1}
        return respond({"url": self.state.ws_url, "shards": 1, "session_start_limit": limit})

    async def _commands(self, request: web.Request) -> web.Response:
        """GET or bulk-overwrite (PUT) global or guild commands; ids are kept per name."""
        state, gid = self.state, request.match_info.get("gid")
        scope = int(gid) if gid is not None else None
        if request.match_info["app"] != str(state.application_id):
            return error(403, 20012, "You are not authorized to act on this application")
        if scope is not None and scope not in state.guilds:
            return error(403, 50001, "Missing Access")
        if request.method == "GET":
            return respond(state.commands.get(scope, []))
        body: list[Json] = request[REC].json or []
        keys = [(c.get("name"), c.get("type", 1)) for c in body]
        problem = next(filter(None, map(command_problem, body)), None)
        if problem or len(body) > 100 or len(set(keys)) != len(keys):
            problem = problem or "duplicate names or over 100 commands"
            return error(400, 50035, f"Invalid Form Body ({problem})")
        old = {(c["name"], c["type"]): c["id"] for c in state.commands.get(scope, [])}
        defaults = {"description": "", "options": [], "default_member_permissions": None}
        for cmd in body:  # Discord stores and returns the permission bits as a string
            if cmd.get("default_member_permissions") is not None:
                cmd["default_member_permissions"] = str(cmd["default_member_permissions"])
        state.commands[scope] = [
            {**defaults, **cmd, "type": key[1], "id": old.get(key) or str(state.snowflake()),
             "version": str(state.snowflake()), "application_id": str(state.application_id),
             **({"guild_id": gid} if gid else {})}
            for cmd, key in zip(body, keys, strict=True)
        ]  # fmt: skip
        return respond(state.commands[scope])


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
