"""Watchlists: the topics people follow, the alerts already sent, guild delivery settings."""

from __future__ import annotations

import json
import sqlite3
from collections import Counter
from datetime import datetime

from newsbot.alerts import Watch
from newsbot.followed import AlertSettings, SentAlert
from newsbot.store.sqlite import Database, from_ts, to_ts
from newsbot.watch import WatchQuery

_CHECKED = "watch_checked_through"


def _watch(row: sqlite3.Row) -> Watch:
    return Watch(row["id"], row["guild_id"], row["user_id"], row["topic"],
                 WatchQuery.from_json(json.loads(row["parsed"])), bool(row["immediate"]),
                 from_ts(row["created_at"]))


class Watches:
    def __init__(self, db: Database) -> None:
        self._db = db

    def follow(self, guild_id: int, user_id: int, query: WatchQuery, *, immediate: bool,
               now: datetime) -> Watch:
        """Follow a topic; following the same topic again only updates `immediate`."""
        with self._db.transaction() as conn:
            row = conn.execute("SELECT id FROM watches WHERE guild_id = ? AND user_id = ? "
                               "AND lower(topic) = lower(?)",
                               (guild_id, user_id, query.topic)).fetchone()
            if row:
                conn.execute("UPDATE watches SET immediate = ? WHERE id = ?",
                             (int(immediate), row["id"]))
                watch_id = row["id"]
            else:
                watch_id = conn.execute(
                    "INSERT INTO watches (guild_id, user_id, topic, parsed, immediate, "
                    "created_at) VALUES (?,?,?,?,?,?)",
                    (guild_id, user_id, query.topic, json.dumps(query.to_json()),
                     int(immediate), to_ts(now))).lastrowid
        found = self.get(int(watch_id))  # type: ignore[arg-type]
        assert found is not None
        return found

    def get(self, watch_id: int) -> Watch | None:
        row = self._db.conn.execute("SELECT * FROM watches WHERE id = ?", (watch_id,)).fetchone()
        return _watch(row) if row else None

    def of_user(self, guild_id: int, user_id: int) -> list[Watch]:
        rows = self._db.conn.execute(
            "SELECT * FROM watches WHERE guild_id = ? AND user_id = ? ORDER BY id",
            (guild_id, user_id))
        return [_watch(r) for r in rows]

    def all(self) -> list[Watch]:
        return [_watch(r) for r in self._db.conn.execute("SELECT * FROM watches ORDER BY id")]

    def unfollow(self, guild_id: int, user_id: int, watch_id: int) -> Watch | None:
        """Stop following one of the user's own topics; None if it is not theirs."""
        found = self.get(watch_id)
        if found is None or (found.guild_id, found.user_id) != (guild_id, user_id):
            return None
        self._db.conn.execute("DELETE FROM watches WHERE id = ?", (watch_id,))
        return found

    # --- alerts sent ---------------------------------------------------------------
    def record_alert(self, alert: SentAlert) -> bool:
        """Record a delivered alert; False if this person was already told of the story."""
        cur = self._db.conn.execute(
            "INSERT OR IGNORE INTO watch_alerts (guild_id, user_id, item_key, watch_id, sent_at, "
            "via) VALUES (?,?,?,?,?,?)",
            (alert.guild_id, alert.user_id, alert.item_key, alert.watch_id,
             to_ts(alert.sent_at), alert.via))
        return cur.rowcount == 1

    def sent(self, since: datetime | None = None) -> list[SentAlert]:
        sql, params = "SELECT * FROM watch_alerts", ()
        if since is not None:
            sql, params = sql + " WHERE sent_at >= ?", (to_ts(since),)  # type: ignore[assignment]
        return [SentAlert(r["guild_id"], r["user_id"], r["item_key"], r["watch_id"],
                          from_ts(r["sent_at"]), r["via"])  # type: ignore[arg-type]
                for r in self._db.conn.execute(sql + " ORDER BY sent_at", params)]

    def sent_keys(self) -> frozenset[tuple[int, int, str]]:
        """(guild, user, item key) of every alert ever sent: an item is told once."""
        return frozenset((r["guild_id"], r["user_id"], r["item_key"])
                         for r in self._db.conn.execute(
                             "SELECT guild_id, user_id, item_key FROM watch_alerts"))

    def sent_since(self, since: datetime) -> Counter[tuple[int, int]]:
        """Alerts sent since `since` per (guild, user): what the daily cap counts."""
        return Counter({(r["guild_id"], r["user_id"]): r["n"] for r in self._db.conn.execute(
            "SELECT guild_id, user_id, COUNT(*) AS n FROM watch_alerts WHERE sent_at >= ? "
            "GROUP BY guild_id, user_id", (to_ts(since),))})

    def guilds_off(self) -> frozenset[int]:
        return frozenset(r["guild_id"] for r in self._db.conn.execute(
            "SELECT guild_id FROM watch_settings WHERE enabled = 0"))

    # --- guild delivery settings ---------------------------------------------------
    def settings(self, guild_id: int) -> AlertSettings:
        row = self._db.conn.execute("SELECT * FROM watch_settings WHERE guild_id = ?",
                                    (guild_id,)).fetchone()
        if not row:
            return AlertSettings(guild_id)
        return AlertSettings(guild_id, bool(row["enabled"]), row["channel_id"],
                             bool(row["prefer_dm"]), bool(row["in_thread"]), row["thread_id"])

    def set_settings(self, settings: AlertSettings) -> AlertSettings:
        self._db.conn.execute(
            "INSERT OR REPLACE INTO watch_settings (guild_id, enabled, channel_id, prefer_dm, "
            "in_thread, thread_id) VALUES (?,?,?,?,?,?)",
            (settings.guild_id, int(settings.enabled), settings.channel_id,
             int(settings.prefer_dm), int(settings.in_thread), settings.thread_id))
        return settings

    # --- where the last check stopped ----------------------------------------------
    def checked_through(self) -> datetime | None:
        row = self._db.conn.execute("SELECT value FROM meta WHERE key = ?",
                                    (_CHECKED,)).fetchone()
        return from_ts(int(row["value"])) if row else None

    def mark_checked(self, through: datetime) -> None:
        self._db.conn.execute("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)",
                              (_CHECKED, str(to_ts(through))))
