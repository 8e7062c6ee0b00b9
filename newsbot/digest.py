"""The daily digest: new on-topic articles grouped by story, the top stories summarised."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from newsbot import db
from newsbot.answering import renumber
from newsbot.extractive import summarise
from newsbot.library import Library
from newsbot.models import (
    NOT_ADVICE,
    SECTION_KEYS,
    SECTION_TITLES,
    ArticleRecord,
    Source,
    Statement,
)
from newsbot.query import ParsedQuery
from newsbot.render import cite, source_line
from newsbot.retrieval import Hit


@dataclass
class DigestStory:
    story_id: str
    headline: str
    articles: list[ArticleRecord]
    outlets: list[str]
    score: float
    sections: dict[str, list[Statement]] = field(default_factory=dict)
    sources: list[Source] = field(default_factory=list)

    @property
    def lead(self) -> ArticleRecord:
        return self.articles[0]


@dataclass
class Digest:
    since: datetime
    until: datetime
    article_count: int
    outlets: list[str]
    top: list[DigestStory]
    others: list[DigestStory]

    @property
    def empty(self) -> bool:
        return self.article_count == 0

    def to_json(self) -> dict[str, object]:
        def story(s: DigestStory, full: bool) -> dict[str, object]:
            data: dict[str, object] = {
                "story_id": s.story_id, "headline": s.headline, "outlets": s.outlets,
                "url": s.lead.url, "articles": [a.guid for a in s.articles],
            }
            if full:
                data["sections"] = {k: [{"text": x.text, "citations": list(x.citations)}
                                        for x in s.sections.get(k, [])] for k in SECTION_KEYS}
                data["sources"] = [{"n": x.n, "title": x.title, "source": x.source,
                                    "url": x.url} for x in s.sources]
            return data

        return {
            "since": self.since.isoformat(), "until": self.until.isoformat(),
            "articles": self.article_count, "outlets": self.outlets,
            "top": [story(s, True) for s in self.top],
            "others": [story(s, False) for s in self.others],
        }


def _outlets_of(library: Library, articles: list[ArticleRecord]) -> list[str]:
    names = {a.source for a in articles}
    for a in articles:
        for row in library.db.execute("SELECT source FROM articles WHERE duplicate_of = ?",
                                      (a.id,)):
            names.add(row["source"])
    return sorted(names)


def _score(outlets: int, newest: datetime, relevance: float, now: datetime) -> float:
    age_hours = max(0.0, (now - newest).total_seconds() / 3600)
    return outlets + math.exp(-age_hours / 48) + 0.5 * relevance


def _summarise_story(library: Library, story: DigestStory, per_section: int) -> None:
    members = story.articles[:4]
    sources = [Source(n, a.id, a.guid, a.url, a.title, a.source, a.published)
               for n, a in enumerate(members, 1)]
    hits = [Hit(a, 1.0 / n, 1.0, (), False, True, True) for n, a in enumerate(members, 1)]
    pq = ParsedQuery(question=story.headline, search_text=story.headline, kind="story")
    sections = summarise(pq, hits, sources, per_section)
    story.sections, story.sources = renumber(sections, sources)


def build_digest(library: Library, *, since: datetime | None = None,
                 now: datetime | None = None, top_n: int | None = None,
                 per_section: int = 2) -> Digest:
    now = library.settings.current_time(now)
    since = since or now - timedelta(hours=24)
    top_n = library.settings.digest_top_stories if top_n is None else top_n
    articles = [a for a in db.list_articles(library.db, ingested_since=since)
                if a.ingested_at <= now]
    groups: dict[str, list[ArticleRecord]] = {}
    for article in articles:
        groups.setdefault(article.story_id or article.id, []).append(article)
    stories: list[DigestStory] = []
    for story_id, members in groups.items():
        members.sort(key=lambda a: (-a.relevance, a.published or a.ingested_at))
        outlets = _outlets_of(library, members)
        newest = max(a.published or a.ingested_at for a in members)
        stories.append(DigestStory(story_id, members[0].title, members, outlets,
                                   _score(len(outlets), newest,
                                          max(a.relevance for a in members), now)))
    stories.sort(key=lambda s: -s.score)
    for story in stories[:top_n]:
        _summarise_story(library, story, per_section)
    all_outlets = sorted({o for s in stories for o in s.outlets})
    return Digest(since, now, len(articles), all_outlets, stories[:top_n], stories[top_n:])


def digest_header(d: Digest) -> str:
    if d.empty:
        return f"Nothing new since {d.since:%d %b %H:%M} UTC."
    return (f"{d.article_count} new article{'s' if d.article_count != 1 else ''} from "
            f"{len(d.outlets)} outlet{'s' if len(d.outlets) != 1 else ''}, "
            f"{d.since:%d %b %H:%M} – {d.until:%d %b %H:%M} UTC")


def digest_text(d: Digest) -> str:
    lines = [f"# News digest — {digest_header(d)}", ""]
    for i, story in enumerate(d.top, 1):
        covered = f" (covered by {len(story.outlets)} outlets)" if len(story.outlets) > 1 else ""
        lines.append(f"## {i}. {story.headline}{covered}")
        for key in SECTION_KEYS:
            statements = story.sections.get(key, [])
            if statements:  # a section with nothing that belongs in it is left out
                lines.append(f"**{SECTION_TITLES[key]}**")
                lines += [f"- {s.text} {cite(s.citations)}" for s in statements]
        lines += [source_line(s) for s in story.sources]
        lines.append("")
    if d.others:
        lines.append("## Also new")
        lines += [f"- {s.headline} — {s.lead.source} {s.lead.url}" for s in d.others]
        lines.append("")
    if not d.empty:
        lines.append(NOT_ADVICE)
    return "\n".join(lines).strip()
