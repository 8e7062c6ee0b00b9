"""Per-guild settings and digest subscriptions."""

from __future__ import annotations

import sqlite3
from datetime import datetime
from typing import Any

from newsbot.guilds import (
    GuildSettings,
    Subscription,
    changed_settings,
    check_timezone,
    parse_time,
)
from newsbot.store.sqlite import Database, from_ts, to_ts


def _channel_ids(text: str | None) -> tuple[int, ...]:
    return tuple(int(c) for c in (text or "").split(",") if c)


def _sub(row: sqlite3.Row) -> Subscription:
    return Subscription(
        channel_id=row["channel_id"], guild_id=row["guild_id"],
        post_time=parse_time(row["post_time"]), timezone=row["timezone"],
        enabled=bool(row["enabled"]), created_at=from_ts(row["created_at"]),  # type: ignore[arg-type]
        last_post_at=from_ts(row["last_post_at"]),
        last_period_end=from_ts(row["last_period_end"]), last_error=row["last_error"],
        failures=row["failures"],
    )


class Guilds:
    def __init__(self, db: Database) -> None:
        self._db = db

    def settings(self, guild_id: int) -> GuildSettings:
        row = self._db.conn.execute("SELECT * FROM guild_settings WHERE guild_id = ?",
                                    (guild_id,)).fetchone()
        if not row:
            return GuildSettings(guild_id, None, None)
        return GuildSettings(guild_id, row["moderator_role"], row["ask_cooldown"],
                             bool(row["ask_threads"]), _channel_ids(row["channels"]))

    def update(self, guild_id: int, **changes: Any) -> GuildSettings:
        """Change the given settings (`newsbot.guilds.changed_settings` says how)."""
        updated = changed_settings(self.settings(guild_id), **changes)
        self._db.conn.execute(
            "INSERT OR REPLACE INTO guild_settings (guild_id, moderator_role, ask_cooldown, "
            "ask_threads, channels) VALUES (?,?,?,?,?)",
            (guild_id, updated.moderator_role, updated.ask_cooldown, int(updated.ask_threads),
             ",".join(map(str, updated.channels)) or None))
        return updated

    def subscribe(self, guild_id: int, channel_id: int, post_time: str, timezone: str,
                  now: datetime) -> Subscription:
        at = parse_time(post_time)
        zone = check_timezone(timezone)
        self._db.conn.execute(
            """INSERT INTO digest_subscriptions (channel_id, guild_id, post_time, timezone,
                   enabled, created_at) VALUES (?,?,?,?,1,?)
               ON CONFLICT(channel_id) DO UPDATE SET post_time = excluded.post_time,
                   timezone = excluded.timezone, enabled = 1, failures = 0, last_error = NULL""",
            (channel_id, guild_id, at.strftime("%H:%M"), zone, to_ts(now)),
        )
        sub = self.subscription(channel_id)
        assert sub is not None
        return sub

    def unsubscribe(self, channel_id: int) -> bool:
        return self._db.conn.execute("DELETE FROM digest_subscriptions WHERE channel_id = ?",
                                     (channel_id,)).rowcount == 1

    def subscription(self, channel_id: int) -> Subscription | None:
        row = self._db.conn.execute("SELECT * FROM digest_subscriptions WHERE channel_id = ?",
                                    (channel_id,)).fetchone()
        return _sub(row) if row else None

    def subscriptions(self, guild_id: int | None = None,
                      enabled_only: bool = False) -> list[Subscription]:
        sql = "SELECT * FROM digest_subscriptions WHERE 1=1"
        params: list[object] = []
        if guild_id is not None:
            sql += " AND guild_id = ?"
            params.append(guild_id)
        if enabled_only:
            sql += " AND enabled = 1"
        return [_sub(r) for r in self._db.conn.execute(sql + " ORDER BY channel_id", params)]

    def record_post(self, channel_id: int, posted_at: datetime, period_end: datetime) -> None:
        self._db.conn.execute(
            "UPDATE digest_subscriptions SET last_post_at = ?, last_period_end = ?, "
            "failures = 0, last_error = NULL WHERE channel_id = ?",
            (to_ts(posted_at), to_ts(period_end), channel_id))

    def record_failure(self, channel_id: int, error: str, *, disable: bool) -> None:
        self._db.conn.execute(
            "UPDATE digest_subscriptions SET failures = failures + 1, last_error = ?, "
            "enabled = CASE WHEN ? THEN 0 ELSE enabled END WHERE channel_id = ?",
            (error[:300], int(disable), channel_id))
