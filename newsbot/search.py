"""`search`: the articles that best match a query, one line each."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from newsbot.library import Library
from newsbot.retrieval import parse, rank


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
                    disease: str | None = None, now: datetime | None = None,
                    history: list[str] | None = None) -> list[ArticleHit]:
    """Ranked articles, read the way `ask` reads a question ("this week", named products)."""
    now = library.settings.current_time(now)
    pq = parse(library, text, now=now, history=history)
    if days:
        pq = pq.with_since(now - timedelta(days=days))
    hits = rank(library, pq, now=now, disease=disease, limit=k)
    return [ArticleHit(h.article.guid, h.article.url, h.article.title, h.article.source,
                       h.article.published, h.score, h.article.story_id) for h in hits]
