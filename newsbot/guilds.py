"""Per-guild settings and digest subscriptions as the bot uses them; the store
(`store.guilds`) keeps them so they survive restarts."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, time
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from newsbot.errors import NewsbotError

SETTING_NAMES = ("moderator_role", "ask_cooldown", "ask_threads", "channels")


@dataclass(frozen=True)
class GuildSettings:
    guild_id: int
    moderator_role: str | None
    ask_cooldown: float | None
    ask_threads: bool = False  # /ask answers open a thread
    channels: tuple[int, ...] = ()  # the channels the bot answers in; empty: all

    def answers_in(self, channel_id: int | None) -> bool:
        return not self.channels or channel_id in self.channels


@dataclass(frozen=True)
class Subscription:
    channel_id: int
    guild_id: int
    post_time: time
    timezone: str
    enabled: bool
    created_at: datetime
    last_post_at: datetime | None
    last_period_end: datetime | None
    last_error: str | None
    failures: int

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)


def parse_time(value: str) -> time:
    try:
        hours, minutes = value.strip().split(":")
        return time(int(hours), int(minutes))
    except ValueError:
        raise NewsbotError(f"{value!r} is not a time of day; use HH:MM, e.g. 08:30.") from None


def check_timezone(name: str) -> str:
    try:
        ZoneInfo(name.strip())
    except (ZoneInfoNotFoundError, ValueError):
        raise NewsbotError(
            f"{name!r} is not a known time zone; use an IANA name such as Europe/Paris."
        ) from None
    return name.strip()


def changed_settings(current: GuildSettings, *,
                     moderator_role: str | None = None,
                     ask_cooldown: float | None = None,
                     ask_threads: bool | None = None,
                     allow_channel: int | None = None,
                     disallow_channel: int | None = None,
                     reset: str | None = None) -> GuildSettings:
    """The settings with the given ones changed (None: keep); `reset` first clears one
    setting by name, or every setting with "all", back to the defaults."""
    guild_id = current.guild_id
    if reset == "all":
        current = GuildSettings(guild_id, None, None)
    elif reset is not None:
        if reset not in SETTING_NAMES:
            raise NewsbotError(f"There is no setting {reset!r}; one of {', '.join(SETTING_NAMES)}.")
        cleared = {"ask_threads": False, "channels": ()}.get(reset)
        current = replace(current, **{reset: cleared})
    channels = list(current.channels)
    if allow_channel is not None and allow_channel not in channels:
        channels.append(allow_channel)
    if disallow_channel is not None and disallow_channel in channels:
        channels.remove(disallow_channel)
    return GuildSettings(
        guild_id,
        moderator_role if moderator_role is not None else current.moderator_role,
        ask_cooldown if ask_cooldown is not None else current.ask_cooldown,
        ask_threads if ask_threads is not None else current.ask_threads,
        tuple(channels),
    )
