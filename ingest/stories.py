"""Collapsing syndicated copies and grouping several outlets' takes on one story."""

from __future__ import annotations

import re
import sqlite3
from dataclasses import dataclass
from datetime import datetime, timedelta

import numpy as np

from newsbot.db import from_ts, to_ts
from newsbot.text import jaccard, shingles

# Syndicated copies are near-identical in meaning as well as in words; only candidates this
# close in embedding space get the (slower) word-overlap check.
SYNDICATION_COSINE = 0.9
# Articles on one beat are all alike to MiniLM; below the story threshold, two articles are
# one story only if they also name the same trial or product code.
ENTITY_COSINE = 0.7
_CODE = re.compile(r"\b(?:NCT\d{8}|[A-Z]{2,6}-\d{1,4}[A-Z]?)\b")
_GENERIC_CODES = {"COVID-19", "IL-6", "IL-17", "IL-23", "CAR-T", "HLA-2", "TNF-A"}


def entities(text: str) -> set[str]:
    return {m for m in _CODE.findall(text) if m.upper() not in _GENERIC_CODES}


def followed_codes(conn: sqlite3.Connection, text: str, limit: int = 3) -> list[str]:
    """Product codes and trial ids in `text` that stored on-topic articles already name.

    A regulator's notice about "KAIROS-1 (NCT07110201)" may never name the disease, yet it
    is news about a trial the store follows."""
    found = []
    for code in sorted(entities(text)):
        phrase = '"' + code.replace('"', "") + '"'
        if conn.execute("SELECT 1 FROM articles_fts WHERE articles_fts MATCH ? LIMIT 1",
                        (phrase,)).fetchone():
            found.append(code)
            if len(found) >= limit:
                break
    return found


@dataclass(frozen=True)
class Neighbour:
    id: str
    story_id: str
    published: datetime
    vector: np.ndarray
    text: str


@dataclass(frozen=True)
class Placement:
    story_id: str
    duplicate_of: str | None
    similarity: float


def to_blob(vector: np.ndarray) -> bytes:
    return np.asarray(vector, dtype=np.float32).tobytes()


def from_blob(blob: bytes) -> np.ndarray:
    return np.frombuffer(blob, dtype=np.float32)


def load_neighbours(conn: sqlite3.Connection, when: datetime, window_days: int) -> list[Neighbour]:
    lo = to_ts(when - timedelta(days=window_days))
    hi = to_ts(when + timedelta(days=window_days))
    rows = conn.execute(
        """SELECT id, story_id, published, ingested_at, vector, text FROM articles
           WHERE on_topic = 1 AND duplicate_of IS NULL AND vector IS NOT NULL
             AND COALESCE(published, ingested_at) BETWEEN ? AND ?""",
        (lo, hi),
    ).fetchall()
    return [
        Neighbour(
            r["id"], r["story_id"] or r["id"],
            from_ts(r["published"] or r["ingested_at"]) or when,
            from_blob(r["vector"]), r["text"],
        )
        for r in rows
    ]


def place(
    article_id: str, text: str, vector: np.ndarray, neighbours: list[Neighbour],
    story_similarity: float, duplicate_jaccard: float,
) -> Placement:
    """Assign a story: a syndicated copy points at its original; a close take joins its story."""
    candidates = [n for n in neighbours if n.id != article_id]
    if not candidates:
        return Placement(article_id, None, 0.0)
    matrix = np.stack([n.vector for n in candidates])
    sims = matrix @ vector
    order = np.argsort(-sims)
    own = shingles(text)
    for index in order:
        if sims[index] < SYNDICATION_COSINE:
            break
        other = candidates[index]
        if jaccard(own, shingles(other.text)) >= duplicate_jaccard:
            return Placement(other.story_id, other.id, float(sims[index]))
    best = candidates[order[0]]
    if sims[order[0]] >= story_similarity:
        return Placement(best.story_id, None, float(sims[order[0]]))
    own_entities = entities(text)
    if own_entities:
        for index in order:
            if sims[index] < ENTITY_COSINE:
                break
            if own_entities & entities(candidates[index].text):
                return Placement(candidates[index].story_id, None, float(sims[index]))
    return Placement(article_id, None, float(sims[order[0]]))
