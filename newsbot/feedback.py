"""What readers said about answers: each posted answer is recorded with its question,
statements and sources; votes (👍/👎) and problem reports point at that record.

Every SQL statement about answers and feedback lives here. `export_questions` turns the
records into rows shaped like an evaluation question (data/eval/README.md), so real reports
can grow the test set.
"""

from __future__ import annotations

import json
import sqlite3
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from newsbot.db import from_ts, to_ts
from newsbot.errors import NewsbotError
from newsbot.models import SECTION_KEYS, Answer, Source, Statement

SCHEMA = """
CREATE TABLE IF NOT EXISTS answer_records (
    id INTEGER PRIMARY KEY,
    message_id INTEGER UNIQUE,
    guild_id INTEGER,
    channel_id INTEGER,
    question TEXT NOT NULL,
    answer TEXT NOT NULL,
    created_at INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS answer_feedback (
    id INTEGER PRIMARY KEY,
    record_id INTEGER NOT NULL REFERENCES answer_records(id),
    user_id INTEGER NOT NULL,
    kind TEXT NOT NULL,
    reason TEXT,
    comment TEXT NOT NULL DEFAULT '',
    created_at INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS answer_feedback_record ON answer_feedback(record_id);
"""
VOTES = ("up", "down")
REASONS = {
    "wrong_citation": "Wrong citation",
    "outdated": "Outdated",
    "misleading": "Misleading",
    "other": "Other",
}
COMMENT_CHARS = 1000


@dataclass(frozen=True)
class AnswerRecord:
    id: int
    message_id: int | None
    guild_id: int | None
    channel_id: int | None
    answer: Answer
    created_at: datetime


@dataclass(frozen=True)
class Report:
    record_id: int
    question: str
    reason: str
    comment: str
    created_at: datetime


@dataclass
class FeedbackSummary:
    answers: int = 0
    up: int = 0
    down: int = 0
    reasons: Counter[str] = field(default_factory=Counter)
    recent: list[Report] = field(default_factory=list)
    worst: list[tuple[str, int]] = field(default_factory=list)  # (question, 👎 + reports)


def ensure_schema(conn: sqlite3.Connection) -> None:
    conn.executescript(SCHEMA)


def answer_from_json(data: dict[str, Any]) -> Answer:
    """The Answer that `Answer.to_json()` wrote (article ids are not kept: the guid stands in)."""

    def source(s: dict[str, Any]) -> Source:
        published = datetime.fromisoformat(s["published"]) if s.get("published") else None
        return Source(int(s["n"]), s.get("guid", ""), s.get("guid", ""), s.get("url", ""),
                      s.get("title", ""), s.get("source", ""), published)

    sections = {key: [Statement(x["text"], tuple(x["citations"]))
                      for x in (data.get("sections") or {}).get(key, [])]
                for key in SECTION_KEYS}
    return Answer(
        question=data["question"], found=bool(data.get("found")), sections=sections,
        sources=[source(s) for s in data.get("sources") or []], mode=data.get("mode", ""),
        notices=list(data.get("notices") or []), suggestions=list(data.get("suggestions") or []),
        advice_pointer=data.get("advice_pointer"),
        related=[source(s) for s in data.get("related") or []],
        kind=data.get("kind", "overview"),
    )


def _record(row: sqlite3.Row) -> AnswerRecord:
    return AnswerRecord(row["id"], row["message_id"], row["guild_id"], row["channel_id"],
                        answer_from_json(json.loads(row["answer"])),
                        from_ts(row["created_at"]))  # type: ignore[arg-type]


def save_answer(conn: sqlite3.Connection, answer: Answer, now: datetime, *,
                guild_id: int | None = None, channel_id: int | None = None) -> int:
    """Record an answer before it is posted; returns its record id."""
    ensure_schema(conn)
    return conn.execute(
        "INSERT INTO answer_records (guild_id, channel_id, question, answer, created_at) "
        "VALUES (?,?,?,?,?)",
        (guild_id, channel_id, answer.question, json.dumps(answer.to_json(), default=str),
         to_ts(now)),
    ).lastrowid or 0


def attach_message(conn: sqlite3.Connection, record_id: int, message_id: int) -> None:
    """Note which Discord message shows a record."""
    conn.execute("UPDATE answer_records SET message_id = ? WHERE id = ?", (message_id, record_id))


def get_record(conn: sqlite3.Connection, record_id: int) -> AnswerRecord | None:
    row = conn.execute("SELECT * FROM answer_records WHERE id = ?", (record_id,)).fetchone()
    return _record(row) if row else None


def vote(conn: sqlite3.Connection, record_id: int, user_id: int, value: str,
         now: datetime) -> None:
    """One vote per reader and answer: a second vote replaces the first."""
    if value not in VOTES:
        raise ValueError(value)
    conn.execute("DELETE FROM answer_feedback WHERE record_id = ? AND user_id = ? AND kind IN "
                 "('up','down')", (record_id, user_id))
    conn.execute("INSERT INTO answer_feedback (record_id, user_id, kind, created_at) "
                 "VALUES (?,?,?,?)", (record_id, user_id, value, to_ts(now)))


def report(conn: sqlite3.Connection, record_id: int, user_id: int, reason: str, comment: str,
           now: datetime) -> None:
    if reason not in REASONS:
        raise NewsbotError(f"Unknown reason {reason!r}; choose one of: {', '.join(REASONS)}.")
    conn.execute(
        "INSERT INTO answer_feedback (record_id, user_id, kind, reason, comment, created_at) "
        "VALUES (?,?,'report',?,?,?)",
        (record_id, user_id, reason, comment.strip()[:COMMENT_CHARS], to_ts(now)))


def summarise(conn: sqlite3.Connection, guild_id: int | None = None,
              recent: int = 5) -> FeedbackSummary:
    """Counts of votes and report reasons (in one guild, or everywhere), the latest reports
    and the questions with the most 👎 and reports."""
    ensure_schema(conn)
    where, params = ("WHERE r.guild_id = ?", [guild_id]) if guild_id is not None else ("", [])
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


def export_questions(conn: sqlite3.Connection) -> list[dict[str, Any]]:
    """One evaluation-question row per answer that got feedback, oldest first.

    `relevant` starts as the guids the answer cited (a reviewer trims or extends it) and
    `answer_facts` starts empty; the `feedback` block carries what readers said and what the
    answer stated, so the row can be judged without Discord.
    """
    ensure_schema(conn)
    rows: list[dict[str, Any]] = []
    records = conn.execute(
        "SELECT * FROM answer_records WHERE id IN (SELECT record_id FROM answer_feedback) "
        "ORDER BY id").fetchall()
    for row in records:
        answer = json.loads(row["answer"])
        given = conn.execute("SELECT kind, reason, comment, created_at FROM answer_feedback "
                             "WHERE record_id = ? ORDER BY id", (row["id"],)).fetchall()
        kinds = Counter(g["kind"] for g in given)
        statements = [{"section": key, "text": s["text"], "citations": s["citations"]}
                      for key in SECTION_KEYS for s in answer["sections"].get(key, [])]
        rows.append({
            "id": f"feedback-{row['id']}",
            "question": row["question"],
            "history": [],
            "relevant": [s["guid"] for s in answer.get("sources") or []],
            "answer_facts": [],
            "recency": False,
            "kind": answer.get("kind", "overview") if answer.get("found") else "unanswerable",
            "about": [],
            "style": "plain",
            "feedback": {
                "asked_at": from_ts(row["created_at"]).isoformat(),  # type: ignore[union-attr]
                "up": kinds["up"], "down": kinds["down"],
                "reports": [{"reason": g["reason"], "comment": g["comment"],
                             "at": from_ts(g["created_at"]).isoformat()}  # type: ignore[union-attr]
                            for g in given if g["kind"] == "report"],
                "mode": answer.get("mode"),
                "statements": statements,
                "sources": answer.get("sources") or [],
            },
        })
    return rows
