"""Answers posted in Discord, and readers' votes and problem reports about them."""

from __future__ import annotations

import json
import sqlite3
from datetime import datetime
from typing import Any

from newsbot.errors import NewsbotError
from newsbot.feedback import (
    COMMENT_CHARS,
    REASONS,
    VOTES,
    AnswerRecord,
    FeedbackSummary,
    Report,
    answer_from_json,
    question_row,
)
from newsbot.models import Answer
from newsbot.store.sqlite import Database, from_ts, to_ts


def _record(row: sqlite3.Row) -> AnswerRecord:
    return AnswerRecord(row["id"], row["message_id"], row["guild_id"], row["channel_id"],
                        answer_from_json(json.loads(row["answer"])),
                        from_ts(row["created_at"]))  # type: ignore[arg-type]


class Feedback:
    def __init__(self, db: Database) -> None:
        self._db = db

    def save_answer(self, answer: Answer, now: datetime, *, guild_id: int | None = None,
                    channel_id: int | None = None) -> int:
        """Record an answer before it is posted; returns its record id."""
        return self._db.conn.execute(
            "INSERT INTO answer_records (guild_id, channel_id, question, answer, created_at) "
            "VALUES (?,?,?,?,?)",
            (guild_id, channel_id, answer.question, json.dumps(answer.to_json(), default=str),
             to_ts(now)),
        ).lastrowid or 0

    def attach_message(self, record_id: int, message_id: int) -> None:
        """Note which Discord message shows a record."""
        self._db.conn.execute("UPDATE answer_records SET message_id = ? WHERE id = ?",
                              (message_id, record_id))

    def record(self, record_id: int) -> AnswerRecord | None:
        row = self._db.conn.execute("SELECT * FROM answer_records WHERE id = ?",
                                    (record_id,)).fetchone()
        return _record(row) if row else None

    def count(self) -> int:
        return int(self._db.conn.execute("SELECT COUNT(*) FROM answer_records").fetchone()[0])

    def vote(self, record_id: int, user_id: int, value: str, now: datetime) -> None:
        """One vote per reader and answer: a second vote replaces the first."""
        if value not in VOTES:
            raise ValueError(value)
        with self._db.transaction() as conn:
            conn.execute("DELETE FROM answer_feedback WHERE record_id = ? AND user_id = ? "
                         "AND kind IN ('up','down')", (record_id, user_id))
            conn.execute("INSERT INTO answer_feedback (record_id, user_id, kind, created_at) "
                         "VALUES (?,?,?,?)", (record_id, user_id, value, to_ts(now)))

    def report(self, record_id: int, user_id: int, reason: str, comment: str,
               now: datetime) -> None:
        if reason not in REASONS:
            raise NewsbotError(f"Unknown reason {reason!r}; choose one of: "
                               f"{', '.join(REASONS)}.")
        self._db.conn.execute(
            "INSERT INTO answer_feedback (record_id, user_id, kind, reason, comment, "
            "created_at) VALUES (?,?,'report',?,?,?)",
            (record_id, user_id, reason, comment.strip()[:COMMENT_CHARS], to_ts(now)))

    def summarise(self, guild_id: int | None = None, recent: int = 5) -> FeedbackSummary:
        """Counts of votes and report reasons (in one guild, or everywhere), the latest
        reports and the questions with the most 👎 and reports."""
        conn = self._db.conn
        where, params = ("WHERE r.guild_id = ?", [guild_id]) if guild_id is not None \
            else ("", [])
        out = FeedbackSummary()
        out.answers = conn.execute(
            f"SELECT COUNT(*) FROM answer_records r {where}", params).fetchone()[0]
        rows = conn.execute(
            f"SELECT f.kind, f.reason, COUNT(*) AS n FROM answer_feedback f "
            f"JOIN answer_records r ON r.id = f.record_id {where} GROUP BY f.kind, f.reason",
            params).fetchall()
        for row in rows:
            if row["kind"] == "up":
                out.up += row["n"]
            elif row["kind"] == "down":
                out.down += row["n"]
            else:
                out.reasons[row["reason"]] += row["n"]
        out.recent = [
            Report(row["record_id"], row["question"], row["reason"], row["comment"],
                   from_ts(row["created_at"]))  # type: ignore[arg-type]
            for row in conn.execute(
                f"SELECT f.record_id, r.question, f.reason, f.comment, f.created_at "
                f"FROM answer_feedback f JOIN answer_records r ON r.id = f.record_id {where} "
                f"{'AND' if where else 'WHERE'} f.kind = 'report' ORDER BY f.id DESC LIMIT ?",
                [*params, recent])
        ]
        out.worst = [
            (row["question"], row["n"]) for row in conn.execute(
                f"SELECT r.question, COUNT(*) AS n FROM answer_feedback f "
                f"JOIN answer_records r ON r.id = f.record_id {where} "
                f"{'AND' if where else 'WHERE'} f.kind IN ('down','report') "
                f"GROUP BY r.id ORDER BY n DESC, r.id DESC LIMIT 3", params)
        ]
        return out

    def export_questions(self) -> list[dict[str, Any]]:
        """One evaluation-question row (`newsbot.feedback.question_row`) per answer that got
        feedback, oldest first."""
        conn = self._db.conn
        rows: list[dict[str, Any]] = []
        records = conn.execute(
            "SELECT * FROM answer_records WHERE id IN (SELECT record_id FROM answer_feedback) "
            "ORDER BY id").fetchall()
        for row in records:
            given = [{"kind": g["kind"], "reason": g["reason"], "comment": g["comment"],
                      "created_at": from_ts(g["created_at"])}
                     for g in conn.execute("SELECT kind, reason, comment, created_at FROM "
                                           "answer_feedback WHERE record_id = ? ORDER BY id",
                                           (row["id"],))]
            rows.append(question_row(row["id"], row["question"], json.loads(row["answer"]),
                                     from_ts(row["created_at"]), given))  # type: ignore[arg-type]
        return rows
