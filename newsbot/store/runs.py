"""Ingestion runs: when each started and finished, how it ended, and its report."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from newsbot.store.sqlite import Database, from_ts, now_ts, to_ts


class Runs:
    def __init__(self, db: Database) -> None:
        self._db = db

    def record(self, started: datetime, status: str, report: dict[str, Any]) -> int:
        with self._db.transaction() as conn:
            cur = conn.execute(
                "INSERT INTO runs (started_at, finished_at, status, report) VALUES (?,?,?,?)",
                (to_ts(started), now_ts(), status, json.dumps(report)),
            )
        return int(cur.lastrowid or 0)

    def last(self) -> dict[str, Any] | None:
        row = self._db.conn.execute("SELECT * FROM runs ORDER BY id DESC LIMIT 1").fetchone()
        if not row:
            return None
        return {
            "started_at": from_ts(row["started_at"]),
            "finished_at": from_ts(row["finished_at"]),
            "status": row["status"],
            "report": json.loads(row["report"] or "{}"),
        }

    def count(self) -> int:
        return int(self._db.conn.execute("SELECT COUNT(*) FROM runs").fetchone()[0])
