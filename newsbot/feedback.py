"""What readers said about answers: each posted answer is recorded with its question,
statements and sources; votes (👍/👎) and problem reports point at that record.

The store keeps them (`store.feedback`); `question_row` turns a record and what readers said
about it into a row shaped like an evaluation question (data/eval/README.md), so real
reports can grow the test set.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from newsbot.models import SECTION_KEYS, Answer, Source, Statement

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


def question_row(record_id: int, question: str, answer: dict[str, Any], asked_at: datetime,
                 given: list[dict[str, Any]]) -> dict[str, Any]:
    """One evaluation-question row for an answer that got feedback (`given`: its votes and
    reports, oldest first, each with kind, reason, comment and created_at).

    `relevant` starts as the guids the answer cited (a reviewer trims or extends it) and
    `answer_facts` starts empty; the `feedback` block carries what readers said and what the
    answer stated, so the row can be judged without Discord.
    """
    kinds = Counter(g["kind"] for g in given)
    statements = [{"section": key, "text": s["text"], "citations": s["citations"]}
                  for key in SECTION_KEYS for s in answer["sections"].get(key, [])]
    return {
        "id": f"feedback-{record_id}",
        "question": question,
        "history": [],
        "relevant": [s["guid"] for s in answer.get("sources") or []],
        "answer_facts": [],
        "recency": False,
        "kind": answer.get("kind", "overview") if answer.get("found") else "unanswerable",
        "about": [],
        "style": "plain",
        "feedback": {
            "asked_at": asked_at.isoformat(),
            "up": kinds["up"], "down": kinds["down"],
            "reports": [{"reason": g["reason"], "comment": g["comment"],
                         "at": g["created_at"].isoformat()}
                        for g in given if g["kind"] == "report"],
            "mode": answer.get("mode"),
            "statements": statements,
            "sources": answer.get("sources") or [],
        },
    }
