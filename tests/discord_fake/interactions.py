"""Interactions the tests inject: slash commands checked against what the bot synced, their
options resolved as Discord does, button clicks, modal submissions, and the record of what
the bot answered (`FakeInteraction`)."""

# ruff: noqa: ASYNC109  -- `timeout=` parameters are the ergonomic API for test helpers
from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from tests.discord_fake.model import (
    ALL_PERMISSIONS,
    LOADING,
    Json,
    Member,
    member_json,
    role_json,
    user_json,
)
from tests.discord_fake.state import DiscordState

if TYPE_CHECKING:
    from tests.discord_fake import FakeDiscord


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


def interaction_payload(
    state: DiscordState, kind: int, data: Json, member: Member, channel_id: int, locale: str,
    message: Json | None = None,
) -> Json:  # fmt: skip
    """The INTERACTION_CREATE data of `member` interacting in `channel_id`."""
    guild_id = state.guild_for(channel_id)
    me = state.member_of(guild_id, state.bot.id)
    perms = str(state.permissions(guild_id, member))
    channel = {**state.channels[channel_id], "permissions": perms}
    payload = {
        "id": str(state.snowflake()), "application_id": str(state.application_id), "type": kind,
        "data": data,
        "token": secrets.token_urlsafe(32), "version": 1, "guild_id": str(guild_id),
        "guild": {"id": str(guild_id), "locale": "en-US", "features": []},
        "channel_id": str(channel_id), "channel": channel,
        "member": {**member_json(member, with_user=True), "permissions": perms},
        "app_permissions": str(state.permissions(guild_id, me)), "locale": locale,
        "guild_locale": "en-US", "entitlements": [], "context": 0,
        "authorizing_integration_owners": {"0": str(guild_id)},
        "attachment_size_limit": 10 * 2**20,
    }  # fmt: skip
    if message is not None:
        payload["message"] = message
    return payload


def check_offered(state: DiscordState, guild_id: int, data: Json, member: Member) -> None:
    """Discord offers a command with default_member_permissions only to members who have
    them (administrators have all), unless an admin opened it to everyone."""
    cmds = state.commands.get(guild_id if "guild_id" in data else None, [])
    cmd = next(c for c in cmds if c["id"] == data["id"])
    needed = int(cmd.get("default_member_permissions") or 0)
    if cmd["name"] in state.overrides or not needed:
        return
    if state.permissions(guild_id, member) & needed != needed:
        raise PermissionError(f"Discord does not offer /{cmd['name']} to {member.name}")


def command_data(
    state: DiscordState, guild_id: int, command: str, values: Json, focused: str | None
) -> Json:
    """The `data` of a slash command ("news feeds add") with its leaf options by name."""
    words = command.strip().lstrip("/").split()
    local = next((c for c in state.commands.get(guild_id, []) if c["name"] == words[0]), None)
    cmd = local or next((c for c in state.commands.get(None, []) if c["name"] == words[0]), None)
    if cmd is None or cmd["type"] != 1:
        raise LookupError(f"/{words[0]} was never synced for guild {guild_id} nor globally")
    resolved: dict[str, Json] = {}
    options = _Options(state, guild_id, values, focused, resolved).walk(cmd, words[1:])
    data = {"id": cmd["id"], "name": cmd["name"], "type": 1, "options": options}
    if local is not None:
        data["guild_id"] = str(guild_id)
    return {**data, "resolved": resolved} if resolved else data


@dataclass
class _Options:
    """The options of one invocation, checked against the synced command's definitions."""

    state: DiscordState
    guild_id: int
    values: Json
    focused: str | None
    resolved: Json

    def walk(self, node: Json, words: list[str]) -> list[Json]:
        """Walk subcommand groups/subcommands along `words`, then check the leaf's options."""
        defs = node.get("options") or []
        subs = {o["name"]: o for o in defs if o["type"] in (1, 2)}
        if words:
            if words[0] not in subs:
                raise LookupError(
                    f"{node['name']} has no subcommand {words[0]!r}; it has {list(subs)}"
                )
            sub = subs[words[0]]
            inner = self.walk(sub, words[1:])
            return [{"name": sub["name"], "type": sub["type"], "options": inner}]
        if subs:
            raise ValueError(f"{node['name']} needs a subcommand: one of {list(subs)}")
        specs, values, focused = {o["name"]: o for o in defs}, self.values, self.focused
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
                out.append({**option, "value": self._value(specs[name], value)})
        return out

    def _value(self, spec: Json, value: Any) -> Any:
        kind, name = spec["type"], spec["name"]
        if kind in (6, 7, 8, 9):
            return self._resolve(kind, name, value)
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

    def _resolve(self, kind: int, name: str, value: Any) -> str:
        """User (6), channel (7), role (8), mentionable (9) options: an id plus resolved data."""
        state, guild_id, resolved = self.state, self.guild_id, self.resolved
        target = int(getattr(value, "id", value))
        key, members = str(target), {m.id: m for m in state.members(guild_id)}
        role = next((r for r in state.roles(guild_id) if r.id == target), None)
        if kind in (6, 9) and target in members:
            m = members[target]
            resolved.setdefault("users", {})[key] = user_json(m)
            member = {**member_json(m), "permissions": str(state.permissions(guild_id, m))}
            resolved.setdefault("members", {})[key] = member
        elif kind == 7 and state.guild_of.get(target) == guild_id:
            channel = {**state.channels[target], "permissions": str(ALL_PERMISSIONS)}
            resolved.setdefault("channels", {})[key] = channel
        elif kind in (8, 9) and role is not None:
            resolved.setdefault("roles", {})[key] = role_json(role, 0)
        else:
            raise ValueError(
                f"option {name!r}: {target} is not a valid target for option type {kind}"
            )
        return key


def pressed_button(message: Json, custom_id: str) -> Json:
    """The `data` of pressing `custom_id`; LookupError where Discord offers no such button
    (not on the message, or disabled)."""
    buttons = [c for row in message.get("components") or [] for c in row["components"]]
    button = next((c for c in buttons if c.get("custom_id") == custom_id), None)
    if button is None or button.get("disabled"):
        have = [c.get("custom_id") for c in buttons]
        raise LookupError(f"no enabled button {custom_id!r} on the message; it has {have}")
    return {"custom_id": custom_id, "component_type": button["type"]}


def modal_submission(modal: Json, values: Json) -> Json:
    """The `data` of submitting `modal` filled in with `values` (by component custom_id: a
    list of option values for a select, a string for a text input). ValueError where
    Discord's client would not let the user submit."""
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
    return {"custom_id": modal["custom_id"], "components": submitted}
