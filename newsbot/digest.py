"""The digest of a period: the stories *published* in it, ranked by importance, each told
once from all of its outlets.

A story is in the period when one of its reports was published in it (an undated report
counts from when it was ingested). Reports ingested in the period but published before it —
a backlog ingest, a new feed's archive — are not news: the digest counts their stories
("catching up: N older stories") instead of presenting them as new. Stories are ranked by
the outlets covering them, then recency and relevance; a story told only by undated items
(an explainer, a guide) never leads.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from newsbot.answering import number_sources
from newsbot.extractive import summarise
from newsbot.library import Library
from newsbot.models import SECTION_KEYS, ArticleRecord, Source, Statement
from newsbot.query import ParsedQuery
from newsbot.retrieval import Hit, article_sentences
from newsbot.trials import TrialUpdate

MAX_READ = 6  # a story's articles the summary reads (head first)
GIST_CHARS = 200
_DATELINE = re.compile(r"^[A-Z][A-Z .,'-]{2,40}, [A-Z][a-z]{2,4}\.? \d{1,2}(?: \([^)]{1,40}\))?"
                       r"\s*[—–-]+\s*")


@dataclass
class DigestStory:
    story_id: str
    headline: str
    articles: list[ArticleRecord]  # originals, the story's head first
    outlets: list[str]
    score: float
    dated: bool = True  # False: only undated reports (never leads)
    sections: dict[str, list[Statement]] = field(default_factory=dict)
    sources: list[Source] = field(default_factory=list)  # every report, numbered

    @property
    def lead(self) -> ArticleRecord:
        return self.articles[0]

    @property
    def gist(self) -> str:
        """One line of what is happening: the summary's first fact, else the lead's."""
        for key in SECTION_KEYS:
            if self.sections.get(key):
                return self.sections[key][0].text
        for sentence in article_sentences(self.lead):
            text = _DATELINE.sub("", sentence).strip()
            if len(text) >= 40:
                return text
        return self.headline


@dataclass
class Digest:
    since: datetime
    until: datetime
    article_count: int
    outlets: list[str]
    top: list[DigestStory]
    others: list[DigestStory]
    backlog: int = 0  # stories ingested in the period but published before it
    trial_updates: list[TrialUpdate] = field(default_factory=list)  # registry changes seen

    @property
    def empty(self) -> bool:
        return self.article_count == 0 and self.backlog == 0 and not self.trial_updates

    @property
    def stories(self) -> list[DigestStory]:
        return self.top + self.others

    def to_json(self) -> dict[str, object]:
        def story(s: DigestStory, full: bool) -> dict[str, object]:
            data: dict[str, object] = {
                "story_id": s.story_id, "headline": s.headline, "outlets": s.outlets,
                "url": s.lead.url, "articles": [a.guid for a in s.articles], "gist": s.gist,
                "links": [{"source": x.source, "url": x.url, "title": x.title,
                           "also_in": list(x.also_in)} for x in s.sources],
            }
            if full:
                data["sections"] = {k: [{"text": x.text, "citations": list(x.citations)}
                                        for x in s.sections.get(k, [])]
                                    for k in SECTION_KEYS if s.sections.get(k)}
                data["sources"] = [{"n": x.n, "title": x.title, "source": x.source,
                                    "url": x.url, "trials": [r.id for r in x.registry_ids]}
                                   for x in s.sources]
            return data

        return {
            "since": self.since.isoformat(), "until": self.until.isoformat(),
            "articles": self.article_count, "outlets": self.outlets, "backlog": self.backlog,
            "top": [story(s, True) for s in self.top],
            "others": [story(s, False) for s in self.others],
            "trial_updates": [u.to_json() for u in self.trial_updates],
        }


def _score(outlets: int, newest: datetime, relevance: float, now: datetime) -> float:
    age_hours = max(0.0, (now - newest).total_seconds() / 3600)
    return outlets + math.exp(-age_hours / 48) + 0.5 * relevance


def _summarise_story(story: DigestStory, per_section: int) -> None:
    members = story.articles[:MAX_READ]
    hits = [Hit(a, 1.0 / n, 1.0, (), False, True, True) for n, a in enumerate(members, 1)]
    pq = ParsedQuery(question=story.headline, search_text=story.headline, kind="story")
    story.sections = summarise(pq, hits, story.sources, per_section)


def _when(article: ArticleRecord) -> datetime:
    return article.published or article.ingested_at


def _dated(article: ArticleRecord) -> bool:
    """A date to trust: ingestion replaces a date in the future (a meeting preview dated
    months ahead) with the ingestion time itself, so that is no publication date."""
    return article.published is not None and article.published != article.ingested_at


def _story(library: Library, story_id: str, members: list[ArticleRecord],
           now: datetime) -> DigestStory:
    originals = [a for a in members if not a.duplicate_of] or members
    originals.sort(key=lambda a: (a.id != story_id, -a.relevance, _when(a)))
    dated = [a for a in members if _dated(a)]
    newest = max(_when(a) for a in (dated or members))
    sources = number_sources(library, originals)
    outlets = sorted({s.source for s in sources} | {o for s in sources for o in s.also_in})
    score = _score(len(outlets), newest, max(a.relevance for a in originals), now)
    return DigestStory(story_id, originals[0].title, originals, outlets, score, bool(dated),
                       sources=sources)


def build_digest(library: Library, *, since: datetime | None = None,
                 now: datetime | None = None, top_n: int | None = None,
                 per_section: int = 2) -> Digest:
    now = library.settings.current_time(now)
    since = since or now - timedelta(hours=24)
    top_n = library.settings.digest.top_stories if top_n is None else top_n
    known = [a for a in library.store.articles.list(since=since) if a.ingested_at <= now]
    fresh = [a for a in known if _when(a) <= now]
    late = [a for a in library.store.articles.list(ingested_since=since)
            if a.ingested_at <= now and a.published and a.published <= since]
    fresh_ids = {a.story_id or a.id for a in fresh}
    backlog = len({a.story_id or a.id for a in late} - fresh_ids)
    members: dict[str, list[ArticleRecord]] = {sid: [] for sid in fresh_ids}
    for article in library.store.stories.articles_of(fresh_ids) + fresh:
        group = members[article.story_id or article.id]
        if article.ingested_at <= now and all(a.id != article.id for a in group):
            group.append(article)
    stories = [_story(library, sid, group, now) for sid, group in members.items()]
    stories.sort(key=lambda s: (not s.dated, -s.score))  # an undated explainer never leads
    top = [s for s in stories[:top_n] if s.dated]
    for story in top:
        _summarise_story(story, per_section)
    others = [s for s in stories if s not in top]
    all_outlets = sorted({a.source for a in fresh})
    updates = library.store.trials.updates(since=since, until=now)
    return Digest(since, now, len(fresh), all_outlets, top, others, backlog, updates)


def story_digest(library: Library, story_id: str, *, now: datetime | None = None,
                 per_section: int = 2) -> DigestStory | None:
    """One story of a digest, summarised again (a button under a digest asks for it)."""
    now = library.settings.current_time(now)
    members = [a for a in library.store.stories.articles_of([story_id]) if a.ingested_at <= now]
    if not members:
        return None
    story = _story(library, story_id, members, now)
    _summarise_story(story, per_section)
    return story

