"""Per-guild settings and digest subscriptions, persisted in SQLite so they survive restarts."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass, replace
from datetime import datetime, time
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from newsbot.db import from_ts, to_ts
from newsbot.errors import NewsbotError

SCHEMA = """
CREATE TABLE IF NOT EXISTS guild_settings (
    guild_id INTEGER PRIMARY KEY,
    moderator_role TEXT,
    ask_cooldown REAL,
    ask_threads INTEGER,
    channels TEXT
);
CREATE TABLE IF NOT EXISTS digest_subscriptions (
    channel_id INTEGER PRIMARY KEY,
    guild_id INTEGER NOT NULL,
    post_time TEXT NOT NULL,
    timezone TEXT NOT NULL,
    enabled INTEGER NOT NULL DEFAULT 1,
    created_at INTEGER NOT NULL,
    last_post_at INTEGER,
    last_period_end INTEGER,
    last_error TEXT,
    failures INTEGER NOT NULL DEFAULT 0
);
"""


# columns added after the first release: (name, SQL type), added to older databases on open
ADDED_COLUMNS = (("ask_threads", "INTEGER"), ("channels", "TEXT"))
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


def ensure_schema(conn: sqlite3.Connection) -> None:
    conn.executescript(SCHEMA)
    have = {row[1] for row in conn.execute("PRAGMA table_info(guild_settings)")}
    for name, kind in ADDED_COLUMNS:
        if name not in have:
            conn.execute(f"ALTER TABLE guild_settings ADD COLUMN {name} {kind}")


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


def _channel_ids(text: str | None) -> tuple[int, ...]:
    return tuple(int(c) for c in (text or "").split(",") if c)


def get_guild_settings(conn: sqlite3.Connection, guild_id: int) -> GuildSettings:
    ensure_schema(conn)
    row = conn.execute("SELECT * FROM guild_settings WHERE guild_id = ?", (guild_id,)).fetchone()
    if not row:
        return GuildSettings(guild_id, None, None)
    return GuildSettings(guild_id, row["moderator_role"], row["ask_cooldown"],
                         bool(row["ask_threads"]), _channel_ids(row["channels"]))


def set_guild_settings(conn: sqlite3.Connection, guild_id: int, *,
                       moderator_role: str | None = None,
                       ask_cooldown: float | None = None,
                       ask_threads: bool | None = None,
                       allow_channel: int | None = None,
                       disallow_channel: int | None = None,
                       reset: str | None = None) -> GuildSettings:
    """Change the given settings (None: keep); `reset` first clears one setting by name, or
    every setting with "all", back to the defaults."""
    current = get_guild_settings(conn, guild_id)
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
    updated = GuildSettings(
        guild_id,
        moderator_role if moderator_role is not None else current.moderator_role,
        ask_cooldown if ask_cooldown is not None else current.ask_cooldown,
        ask_threads if ask_threads is not None else current.ask_threads,
        tuple(channels),
    )
    conn.execute(
        "INSERT OR REPLACE INTO guild_settings (guild_id, moderator_role, ask_cooldown, "
        "ask_threads, channels) VALUES (?,?,?,?,?)",
        (guild_id, updated.moderator_role, updated.ask_cooldown, int(updated.ask_threads),
         ",".join(map(str, updated.channels)) or None))
    return updated


def _sub(row: sqlite3.Row) -> Subscription:
    return Subscription(
        channel_id=row["channel_id"], guild_id=row["guild_id"],
        post_time=parse_time(row["post_time"]), timezone=row["timezone"],
        enabled=bool(row["enabled"]), created_at=from_ts(row["created_at"]),  # type: ignore[arg-type]
        last_post_at=from_ts(row["last_post_at"]),
        last_period_end=from_ts(row["last_period_end"]), last_error=row["last_error"],
        failures=row["failures"],
    )


def subscribe(conn: sqlite3.Connection, guild_id: int, channel_id: int, post_time: str,
              timezone: str, now: datetime) -> Subscription:
    ensure_schema(conn)
    at = parse_time(post_time)
    zone = check_timezone(timezone)
    conn.execute(
        """INSERT INTO digest_subscriptions (channel_id, guild_id, post_time, timezone, enabled,
               created_at) VALUES (?,?,?,?,1,?)
           ON CONFLICT(channel_id) DO UPDATE SET post_time = excluded.post_time,
               timezone = excluded.timezone, enabled = 1, failures = 0, last_error = NULL""",
        (channel_id, guild_id, at.strftime("%H:%M"), zone, to_ts(now)),
    )
    sub = get_subscription(conn, channel_id)
    assert sub is not None
    return sub


def unsubscribe(conn: sqlite3.Connection, channel_id: int) -> bool:
    ensure_schema(conn)
    return conn.execute("DELETE FROM digest_subscriptions WHERE channel_id = ?",
                        (channel_id,)).rowcount == 1


def get_subscription(conn: sqlite3.Connection, channel_id: int) -> Subscription | None:
    ensure_schema(conn)
    row = conn.execute("SELECT * FROM digest_subscriptions WHERE channel_id = ?",
                       (channel_id,)).fetchone()
    return _sub(row) if row else None


def list_subscriptions(conn: sqlite3.Connection, guild_id: int | None = None,
                       enabled_only: bool = False) -> list[Subscription]:
    ensure_schema(conn)
    sql = "SELECT * FROM digest_subscriptions WHERE 1=1"
    params: list[object] = []
    if guild_id is not None:
        sql += " AND guild_id = ?"
        params.append(guild_id)
    if enabled_only:
        sql += " AND enabled = 1"
    return [_sub(r) for r in conn.execute(sql + " ORDER BY channel_id", params)]


def record_post(conn: sqlite3.Connection, channel_id: int, posted_at: datetime,
                period_end: datetime) -> None:
    conn.execute(
        "UPDATE digest_subscriptions SET last_post_at = ?, last_period_end = ?, failures = 0, "
        "last_error = NULL WHERE channel_id = ?",
        (to_ts(posted_at), to_ts(period_end), channel_id))


def record_failure(conn: sqlite3.Connection, channel_id: int, error: str, *,
                   disable: bool) -> None:
    conn.execute(
        "UPDATE digest_subscriptions SET failures = failures + 1, last_error = ?, "
        "enabled = CASE WHEN ? THEN 0 ELSE enabled END WHERE channel_id = ?",
        (error[:300], int(disable), channel_id))
