"""Which story each article is in, why (story links), and the articles a new one may join."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

import numpy as np

from newsbot.models import ArticleRecord
from newsbot.store.articles import from_blob, row_to_article, rows_by_id
from newsbot.store.sqlite import Database, from_ts, to_ts


@dataclass(frozen=True)
class StoryLink:
    article_id: str
    story_id: str
    linked_to: str | None
    reason: str
    similarity: float


@dataclass(frozen=True)
class Placed:
    """A stored on-topic original as story grouping sees it."""

    id: str
    story_id: str  # its own id when it heads its story
    published: datetime  # publication time, else ingestion time
    vector: np.ndarray
    text: str
    title: str
    dated: bool  # False: `published` is the ingestion time


_PLACED = """SELECT id, story_id, published, ingested_at, vector, text, title FROM articles
             WHERE on_topic = 1 AND duplicate_of IS NULL AND vector IS NOT NULL"""


class Stories:
    def __init__(self, db: Database) -> None:
        self._db = db

    def placed(self, between: tuple[datetime, datetime] | None = None) -> list[Placed]:
        """Stored originals with a vector, published (or ingested) within `between` if
        given."""
        sql, params = _PLACED, ()
        if between is not None:
            sql += " AND COALESCE(published, ingested_at) BETWEEN ? AND ?"
            params = (to_ts(between[0]), to_ts(between[1]))  # type: ignore[assignment]
        return [Placed(r["id"], r["story_id"] or r["id"],
                       from_ts(r["published"] or r["ingested_at"]) or datetime.now(UTC),
                       from_blob(r["vector"]), r["text"], r["title"], r["published"] is not None)
                for r in self._db.conn.execute(sql, params)]

    def links(self) -> dict[str, StoryLink]:
        return {r["article_id"]: StoryLink(r["article_id"], r["story_id"], r["linked_to"],
                                           r["reason"], r["similarity"])
                for r in self._db.conn.execute("SELECT * FROM story_links")}

    def members(self) -> list[ArticleRecord]:
        """Every on-topic article with a story, syndicated copies included, oldest first."""
        rows = self._db.conn.execute(
            "SELECT * FROM articles WHERE on_topic = 1 AND story_id IS NOT NULL "
            "ORDER BY COALESCE(published, ingested_at), id")
        return [row_to_article(r) for r in rows]

    def articles_of(self, story_ids: Iterable[str]) -> list[ArticleRecord]:
        """The on-topic articles of these stories, syndicated copies included."""
        rows = rows_by_id(self._db.conn,
                          "SELECT * FROM articles WHERE on_topic = 1 AND story_id IN", story_ids)
        return [row_to_article(r) for r in rows]

    def move(self, links: Iterable[StoryLink]) -> None:
        """Move articles (and their syndicated copies) to the linked stories, in one
        transaction."""
        with self._db.transaction() as conn:
            for link in links:
                conn.execute("UPDATE articles SET story_id = ? WHERE id = ? OR duplicate_of = ?",
                             (link.story_id, link.article_id, link.article_id))
                save_link(conn, link)


def save_link(conn, link: StoryLink) -> None:  # type: ignore[no-untyped-def]
    conn.execute("INSERT OR REPLACE INTO story_links (article_id, story_id, linked_to, reason, "
                 "similarity) VALUES (?,?,?,?,?)",
                 (link.article_id, link.story_id, link.linked_to, link.reason, link.similarity))
