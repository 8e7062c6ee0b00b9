"""Stored neighbours of an article and the story it joins (the rule is ingest/grouping.py)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import numpy as np

from ingest.grouping import Candidate, Grouper, regroup
from newsbot.models import ArticleRecord
from newsbot.settings import Settings
from newsbot.store import Store, StoryLink

_CODE = re.compile(r"\b(?:NCT\d{8}|[A-Z]{2,6}-\d{1,4}[A-Z]?)\b")
_GENERIC_CODES = {"COVID-19", "IL-6", "IL-17", "IL-23", "CAR-T", "HLA-2", "TNF-A"}


def entities(text: str) -> set[str]:
    return {m for m in _CODE.findall(text) if m.upper() not in _GENERIC_CODES}


def followed_codes(store: Store, text: str, limit: int = 3) -> list[str]:
    """Product codes and trial ids in `text` that stored on-topic articles already name.

    A regulator's notice about "KAIROS-1 (NCT07110201)" may never name the disease, yet it
    is news about a trial the store follows."""
    found = []
    for code in sorted(entities(text)):
        if store.keywords.named(code):
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
    title: str = ""
    dated: bool = True


@dataclass(frozen=True)
class Placement:
    story_id: str
    duplicate_of: str | None
    similarity: float
    linked_to: str | None = None
    reason: str = "first report"


def load_neighbours(store: Store, when: datetime, window_days: int) -> list[Neighbour]:
    window = timedelta(days=window_days)
    return [Neighbour(p.id, p.story_id, p.published, p.vector, p.text, p.title, p.dated)
            for p in store.stories.placed(between=(when - window, when + window))]


def candidate(n: Neighbour) -> Candidate:
    return Candidate(n.id, n.story_id, n.published, n.vector, n.title, n.text, n.dated)


def place(
    article_id: str, text: str, vector: np.ndarray, neighbours: list[Neighbour],
    story_similarity: float, duplicate_jaccard: float, *, title: str = "",
    when: datetime | None = None, dated: bool = True, window_days: float = 10,
    common: frozenset[str] = frozenset(),
) -> Placement:
    """Assign a story: a syndicated copy points at its original; a take on the same event
    joins its story. An undated article (`dated` False) is placed at its ingestion time."""
    grouper = Grouper(story_similarity, duplicate_jaccard, window_days, common)
    if when is None:
        when = max((n.published for n in neighbours), default=datetime.now(UTC))
    link = grouper.place(article_id, title, text, vector, when, dated,
                         [candidate(n) for n in neighbours])
    return Placement(link.story_id, link.duplicate_of, link.similarity, link.linked_to,
                     link.reason)


def grouper_for(settings: Settings) -> Grouper:
    from newsbot.retrieval import common_words

    return Grouper(settings.topics.story_similarity, settings.topics.near_duplicate_jaccard,
                   settings.topics.story_window_days, common_words(settings.embedding.model),
                   syndication_cosine=settings.topics.syndication_cosine)


@dataclass(frozen=True)
class Member:
    article: ArticleRecord
    link: StoryLink | None  # None: stored before links were recorded

    @property
    def reason(self) -> str:
        if self.article.duplicate_of and not self.link:
            return f"syndicated copy of {self.article.duplicate_of}"
        return self.link.reason if self.link else "grouped before reasons were recorded"


@dataclass(frozen=True)
class Story:
    story_id: str
    members: list[Member]  # the head first, then by publication time

    @property
    def head(self) -> ArticleRecord:
        return self.members[0].article

    @property
    def outlets(self) -> list[str]:
        return sorted({m.article.source for m in self.members})

    def to_json(self) -> dict[str, object]:
        return {"story_id": self.story_id, "headline": self.head.title, "outlets": self.outlets,
                "members": [{
                    "id": m.article.id, "guid": m.article.guid, "title": m.article.title,
                    "source": m.article.source, "url": m.article.url,
                    "published": m.article.published.isoformat() if m.article.published
                    else None,
                    "duplicate_of": m.article.duplicate_of,
                    "linked_to": m.link.linked_to if m.link else None,
                    "reason": m.reason} for m in self.members]}


def list_stories(store: Store) -> list[Story]:
    """Stored stories, most outlets first; each with its members and why they are in it."""
    links = store.stories.links()
    groups: dict[str, list[ArticleRecord]] = {}
    for article in store.stories.members():
        groups.setdefault(article.story_id or article.id, []).append(article)
    stories = []
    for story_id, articles in groups.items():
        articles.sort(key=lambda a: (a.id != story_id, a.published or a.ingested_at))
        stories.append(Story(story_id, [Member(a, links.get(a.id)) for a in articles]))
    stories.sort(key=lambda s: (-len(s.outlets), -len(s.members),
                                -(s.head.published or s.head.ingested_at).timestamp()))
    return stories


@dataclass(frozen=True)
class RegroupReport:
    articles: int
    moved: int
    stories_before: int
    stories_after: int


def regroup_store(store: Store, grouper: Grouper) -> RegroupReport:
    """Place every stored on-topic article again under the current rule, oldest first.
    Story ids stay those of their old heads where the group still holds them; syndicated
    copies follow their originals."""
    rows = store.stories.placed()
    old = {p.id: p.story_id for p in rows}
    articles = [Candidate(p.id, p.story_id, p.published, p.vector, p.title, p.text, p.dated)
                for p in rows]
    links = regroup(articles, grouper, old.get)
    moved = sum(1 for aid, link in links.items() if link.story_id != old[aid])
    store.stories.move(StoryLink(aid, link.story_id, link.linked_to, link.reason,
                                 link.similarity) for aid, link in links.items())
    return RegroupReport(len(rows), moved, len(set(old.values())),
                         len({link.story_id for link in links.values()}))
