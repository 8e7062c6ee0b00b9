"""`search`: the articles that best match a query, one line each."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from newsbot.library import Library
from newsbot.retrieval import Query, retrieve


@dataclass(frozen=True)
class ArticleHit:
    guid: str
    url: str
    title: str
    source: str
    published: datetime | None
    score: float
    story_id: str | None

    def to_json(self) -> dict[str, object]:
        return {
            "guid": self.guid, "url": self.url, "title": self.title, "source": self.source,
            "published": self.published.isoformat() if self.published else None,
            "score": round(self.score, 5), "story_id": self.story_id,
        }


def search_articles(library: Library, text: str, *, k: int = 10, days: int | None = None,
                    disease: str | None = None, now: datetime | None = None) -> list[ArticleHit]:
    now = now or datetime.now(UTC)
    since = now - timedelta(days=days) if days else None
    passages = retrieve(library, Query(text, disease, since), limit=k * 4, now=now,
                        per_story=10_000)
    best: dict[str, ArticleHit] = {}
    for p in passages:
        a = p.article
        if a.id not in best:
            best[a.id] = ArticleHit(a.guid, a.url, a.title, a.source, a.published, p.score,
                                    a.story_id)
    return list(best.values())[:k]
