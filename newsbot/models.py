"""Data shapes passed between ingest, storage, retrieval, answering and the adapters."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from newsbot.trial_ids import RegistryId

SECTION_KEYS: tuple[str, ...] = (
    "whats_happening",
    "why_it_matters",
    "whats_next",
    "beyond_the_headlines",
)
SECTION_TITLES: dict[str, str] = {
    "whats_happening": "What's happening",
    "why_it_matters": "Why it matters",
    "whats_next": "What's next",
    "beyond_the_headlines": "Beyond the headlines",
}
NOT_ADVICE = "News summary, not medical advice."


@dataclass(frozen=True)
class ArticleRecord:
    """One article as stored in SQLite (on-topic or not, duplicate or not)."""

    id: str
    guid: str
    url: str
    title: str
    source: str
    feed_url: str
    published: datetime | None
    ingested_at: datetime
    text: str
    content_hash: str
    on_topic: bool
    relevance: float
    reason: str
    diseases: tuple[str, ...] = ()
    therapies: tuple[str, ...] = ()
    trial_ids: tuple[str, ...] = ()
    story_id: str | None = None
    duplicate_of: str | None = None
    chunk_count: int = 0


@dataclass(frozen=True)
class Chunk:
    id: str
    article_id: str
    index: int
    text: str


@dataclass(frozen=True)
class Passage:
    """A retrieved chunk with the article it came from and its fused score."""

    chunk: Chunk
    article: ArticleRecord
    score: float
    dense_similarity: float | None = None


@dataclass(frozen=True)
class Source:
    n: int
    article_id: str
    guid: str
    url: str
    title: str
    source: str
    published: datetime | None
    also_in: tuple[str, ...] = ()
    registry_ids: tuple[RegistryId, ...] = ()  # trials the article names, shown as links
    registry: bool = False  # the source is a trial registry record, not an article

    def to_json(self) -> dict[str, object]:
        data: dict[str, object] = {
            "n": self.n, "guid": self.guid, "url": self.url, "title": self.title,
            "source": self.source,
            "published": self.published.isoformat() if self.published else None}
        if self.registry_ids:
            data["trials"] = [{"id": r.id, "acronym": r.acronym, "url": r.url}
                              for r in self.registry_ids]
        if self.registry:
            data["registry"] = True
        return data


@dataclass(frozen=True)
class Statement:
    text: str
    citations: tuple[int, ...]


@dataclass
class Answer:
    question: str
    found: bool
    sections: dict[str, list[Statement]]
    sources: list[Source]
    mode: str  # "extractive" | "llm"
    notices: list[str] = field(default_factory=list)
    suggestions: list[str] = field(default_factory=list)
    advice_pointer: str | None = None
    related: list[Source] = field(default_factory=list)  # closest coverage when not found
    kind: str = "overview"  # what the question asked for (newsbot.query.KINDS)

    def to_json(self) -> dict[str, object]:
        return {
            "question": self.question,
            "found": self.found,
            "sections": {
                key: [{"text": s.text, "citations": list(s.citations)} for s in self.sections[key]]
                for key in SECTION_KEYS
            },
            "sources": [s.to_json() for s in self.sources],
            "related": [s.to_json() for s in self.related],
            "kind": self.kind,
            "mode": self.mode,
            "notices": list(self.notices),
            "suggestions": list(self.suggestions),
            "advice_pointer": self.advice_pointer,
        }
