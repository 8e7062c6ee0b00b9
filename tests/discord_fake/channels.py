"""REST routes for channels: reading a channel and its history, posting and editing
messages, opening threads, typing and reactions; and failures a test can order."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from tests.discord_fake.checks import edit_problem, message_problem
from tests.discord_fake.model import REC, error, respond
from tests.discord_fake.state import DiscordState


class ChannelRoutes:
    """/channels/{cid}/...; `fail()` makes posting in a channel fail."""

    def __init__(self, state: DiscordState) -> None:
        self.state = state
        self.failures: dict[int, list[Any]] = {}  # channel id -> [status, times left or None]
        self.dms_refused: set[int] = set()  # users who accept no DMs from the bot

    def routes(self, api: str) -> list[tuple[str, str, Any]]:
        chan = f"{api}/channels/{{cid}}"
        return [
            ("GET", chan, self._get_channel),
            ("GET", f"{chan}/messages", self._history),
            ("POST", f"{chan}/messages", self._post_message),
            ("PATCH", f"{chan}/messages/{{mid}}", self._patch_message),
            ("POST", f"{chan}/messages/{{mid}}/threads", self._create_thread),
            ("POST", f"{chan}/threads", self._create_thread),
            ("POST", f"{chan}/typing", _no_content),
            ("PUT", f"{chan}/typing", _no_content),
            ("PUT", f"{chan}/messages/{{mid}}/reactions/{{rest:.*}}", _no_content),
            ("DELETE", f"{chan}/messages/{{mid}}/reactions{{rest:.*}}", _no_content),
        ]

    def fail(self, channel_id: int, status: int, times: int | None) -> None:
        if status not in (403, 404):
            raise ValueError("status must be 403 or 404")
        self.failures[channel_id] = [status, times]

    def _failure(self, channel_id: int) -> web.Response | None:
        if (failure := self.failures.get(channel_id)) is None:
            return None
        if failure[1] is not None:
            failure[1] -= 1
            if failure[1] <= 0:
                del self.failures[channel_id]
        if failure[0] == 403:
            return error(403, 50013, "Missing Permissions")
        return error(404, 10003, "Unknown Channel")

    async def _get_channel(self, request: web.Request) -> web.Response:
        channel = self.state.channels.get(int(request.match_info["cid"]))
        return respond(channel) if channel else error(404, 10003, "Unknown Channel")

    async def _history(self, request: web.Request) -> web.Response:
        cid, q, messages = int(request.match_info["cid"]), request.query, self.state.messages
        if cid not in messages:
            return error(404, 10003, "Unknown Channel")
        limit = max(1, min(100, int(q.get("limit", 50))))
        ids = [(int(m["id"]), m) for m in messages[cid]]
        if "after" in q:
            picked = [m for i, m in ids if i > int(q["after"])][:limit]
        else:
            picked = [m for i, m in ids if i < int(q.get("before", 2**63))][-limit:]
        return respond(picked[::-1])  # newest first, as Discord answers

    async def _post_message(self, request: web.Request) -> web.Response:
        state, cid, rec = self.state, int(request.match_info["cid"]), request[REC]
        if failure := self._failure(cid):
            return failure
        if cid not in state.channels:
            return error(404, 10003, "Unknown Channel")
        payload = rec.json or {}
        if problem := message_problem(payload, len(rec.files)):
            return error(400, *problem)
        if cid in state.dm_channels:
            if state.dm_channels[cid].id in self.dms_refused:
                return error(403, 50007, "Cannot send messages to this user")
            msg = state.dm_message(cid, state.bot, payload)
        else:
            me = state.member_of(state.guild_of[cid], state.bot.id)
            msg = state.message(cid, me, payload, files=rec.files)
        state.payloads[int(msg["id"])] = payload
        await state.store(msg)
        return respond(msg)

    async def _patch_message(self, request: web.Request) -> web.Response:
        state, rec = self.state, request[REC]
        cid, mid = int(request.match_info["cid"]), request.match_info["mid"]
        msg = next((m for m in state.messages.get(cid, []) if m["id"] == mid), None)
        if msg is None:
            return error(404, 10008, "Unknown Message")
        if msg["author"]["id"] != str(state.bot.id):
            return error(403, 50005, "Cannot edit a message authored by another user")
        if problem := edit_problem(msg, rec.json, len(rec.files)):
            return error(400, *problem)
        await state.edit(msg, rec.json or {}, rec.files)
        return respond(msg)

    async def _create_thread(self, request: web.Request) -> web.Response:
        """POST /channels/{id}/threads, or .../messages/{mid}/threads (the thread id is mid)."""
        state = self.state
        cid, mid = int(request.match_info["cid"]), request.match_info.get("mid")
        body = request[REC].json or {}
        if state.channels.get(cid, {}).get("type") != 0:
            return error(404, 10003, "Unknown Channel")
        if cid in state.no_threads:
            return error(403, 50013, "Missing Permissions")
        starter = next((m for m in state.messages[cid] if m["id"] == mid), None)
        if mid is not None and starter is None:
            return error(404, 10008, "Unknown Message")
        if mid is not None and int(mid) in state.threads:
            return error(400, 160004, "A thread has already been created for this message")
        if not 1 <= len(body.get("name") or "") <= 100:
            return error(400, 50035, "Invalid Form Body (name: must be 1-100 characters)")
        thread = state.new_thread(cid, int(mid or state.snowflake()), body.get("type") or 11, body)
        if starter is not None:  # Discord opens the thread with a THREAD_STARTER_MESSAGE (type 21)
            starter["thread"] = thread
            author = state.member_of(state.guild_of[cid], int(starter["author"]["id"]))
            ref = {"message_id": mid, "channel_id": str(cid), "guild_id": thread["guild_id"]}
            marker = state.message(int(mid), author, {"message_reference": ref})
            state.messages[int(mid)].append({**marker, "type": 21, "referenced_message": starter})
        await state.dispatch("THREAD_CREATE", {**thread, "newly_created": True})
        return respond(thread)


async def _no_content(request: web.Request) -> web.Response:
    return web.Response(status=204)
