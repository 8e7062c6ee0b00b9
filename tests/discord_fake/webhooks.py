"""REST routes for answering interactions: the callback (acknowledged once, within the
ack timeout), followups and the interaction webhook's messages."""

from __future__ import annotations

import asyncio
from typing import Any

from aiohttp import web

from tests.discord_fake.checks import edit_problem, message_problem, modal_problem
from tests.discord_fake.interactions import FakeInteraction
from tests.discord_fake.model import EPHEMERAL, LOADING, REC, Json, error, respond
from tests.discord_fake.state import DiscordState


class InteractionRoutes:
    """/interactions/{iid}/{token}/callback and /webhooks/{app}/{token}/..."""

    def __init__(self, state: DiscordState) -> None:
        self.state = state

    def routes(self, api: str) -> list[tuple[str, str, Any]]:
        hook = f"{api}/webhooks/{{app}}/{{token}}"
        return [
            ("POST", f"{api}/interactions/{{iid}}/{{token}}/callback", self._callback),
            ("POST", hook, self._followup),
            ("GET", f"{hook}/messages/{{mid}}", self._webhook_message),
            ("PATCH", f"{hook}/messages/{{mid}}", self._webhook_message),
            ("DELETE", f"{hook}/messages/{{mid}}", self._webhook_message),
        ]

    async def _callback(self, request: web.Request) -> web.Response:
        state, rec = self.state, request[REC]
        ix = state.interactions.get(int(request.match_info["iid"]))
        if ix is None or ix.token != request.match_info["token"]:
            return error(404, 10062, "Unknown interaction")
        body = rec.json or {}
        kind, data = body.get("type"), body.get("data") or {}
        if asyncio.get_running_loop().time() - ix.created > state.ack_timeout:
            return _reject(ix, 404, 10062, "Unknown interaction")
        if ix.response is not None:
            return _reject(ix, 400, 40060, "Interaction has already been acknowledged.")
        allowed = {4: (8,), 3: (4, 5, 6, 7, 9), 5: (4, 5, 6, 7)}.get(ix.payload["type"], (4, 5, 9))
        if kind not in allowed or (kind in (6, 7) and "message" not in ix.payload):
            return _reject(ix, 400, 40043, f"Callback type {kind} is invalid here")
        problem = message_problem(data, len(rec.files)) if kind == 4 else None
        if kind == 9 and (modal := modal_problem(data)):
            problem = (50035, f"Invalid Form Body ({modal})")
        if kind == 8 and len(data.get("choices") or []) > 25:
            problem = (50035, "Invalid Form Body (choices: Must be 25 or fewer in length.)")
        if problem:
            return error(400, *problem)
        ix.response = body
        if kind in (4, 5):  # a message (5: a loading one) becomes the original response
            flags = (data.get("flags") or 0) & EPHEMERAL | (LOADING if kind == 5 else 0)
            payload = {**data, "flags": flags} if kind == 4 else {"flags": flags}
            ix.original = await self._webhook_post(ix, payload, rec.files)
        if kind == 7:  # update the message the component is on
            ix.original = state.find_message(ix.payload["message"])
            if ix.original is not None:
                await state.edit(ix.original, data, rec.files)
        info = {"id": str(ix.id), "type": ix.payload["type"]}
        if ix.original is not None:
            info["response_message_id"] = ix.original["id"]
            info["response_message_loading"] = kind == 5
            info["response_message_ephemeral"] = bool(ix.original["flags"] & EPHEMERAL)
        resource = {"type": kind, **({"message": ix.original} if kind == 4 else {})}
        return respond({"interaction": info, "resource": resource})

    async def _webhook_post(self, ix: FakeInteraction, payload: Json, files: list[Json]) -> Json:
        state = self.state
        me = state.member_of(int(ix.payload["guild_id"]), state.bot.id)
        msg = state.message(int(ix.payload["channel_id"]), me, payload, files=files, webhook=True)
        state.payloads[int(msg["id"])] = payload
        await state.store(msg)
        return msg

    def _hook_interaction(self, request: web.Request) -> FakeInteraction | None:
        token = request.match_info["token"]
        ix = next((i for i in self.state.interactions.values() if i.token == token), None)
        if (
            ix is None
            or ix.response is None
            or request.match_info["app"] != str(self.state.application_id)
        ):
            return None
        return ix

    async def _followup(self, request: web.Request) -> web.Response:
        ix, rec = self._hook_interaction(request), request[REC]
        if ix is None:
            return error(404, 10015, "Unknown Webhook")
        payload = rec.json or {}
        if problem := message_problem(payload, len(rec.files)):
            return error(400, *problem)
        if ix.original is not None and ix.original["flags"] & LOADING:
            msg = ix.original  # Discord: the first followup after a defer edits the loading message
            await self.state.edit(msg, payload, rec.files)
        else:
            msg = await self._webhook_post(ix, payload, rec.files)
        ix.followups.append(msg)
        wait = rec.query.get("wait", "").lower() in ("1", "true")
        return respond(msg) if wait else web.Response(status=204)

    async def _webhook_message(self, request: web.Request) -> web.Response:
        ix, rec, mid = self._hook_interaction(request), request[REC], request.match_info["mid"]
        if ix is None:
            return error(404, 10015, "Unknown Webhook")
        if mid == "@original":
            msg = ix.original
        else:
            msg = next((m for m in (ix.original, *ix.followups) if m and m["id"] == mid), None)
        if msg is None:
            return error(404, 10008, "Unknown Message")
        if request.method == "PATCH":
            if problem := edit_problem(msg, rec.json, len(rec.files)):
                return error(400, *problem)
            ix.edits.append(rec.json or {})
            await self.state.edit(msg, rec.json or {}, rec.files)
        if request.method == "DELETE":
            await self._delete(ix, msg)
            return web.Response(status=204)
        return respond(msg)

    async def _delete(self, ix: FakeInteraction, msg: Json) -> None:
        """Delete an interaction's message; a followup after that is a new message."""
        ix.deleted.append(msg)
        if ix.original is msg:
            ix.original = None
        ix.followups = [m for m in ix.followups if m is not msg]
        cid, messages = int(msg["channel_id"]), self.state.messages
        if msg in messages.get(cid, []):
            messages[cid].remove(msg)
            data = {"id": msg["id"], "channel_id": str(cid), "guild_id": msg.get("guild_id")}
            await self.state.dispatch("MESSAGE_DELETE", data)


def _reject(ix: FakeInteraction, status: int, code: int, message: str) -> web.Response:
    ix.rejections.append({"status": status, "code": code, "message": message})
    return error(status, code, message)
