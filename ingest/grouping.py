"""Which stored story an article belongs to, and why.

Two reports are one story when they are close in publication time and share the specific
things an event is told by: product codes, trial names, drug and brand names, and figures
with their units ($, %, "n of N"); or when their embeddings are very close. Each link
records its reason ("same product code XR-5, 3 shared figures, published within 2 days").
Syndicated copies are the stricter special case (near-identical meaning and wording).

Hard negatives are kept apart by two vetoes: both name trials but no trial in common (the
same drug in another trial), and their headlines report different kinds of event (a
clinical hold and its lifting, a readout and a financing of the same company).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache

import numpy as np

from newsbot.query import names_in
from newsbot.sentences import jaccard, shingles
from newsbot.settings import TopicSettings
from newsbot.topics import NCT_RE, is_generic

# Below the dense threshold, shared specifics must come with at least this much similarity:
# MiniLM puts every article of one beat around 0.4-0.6.
ENTITY_COSINE = 0.5
FIGURES_COSINE = 0.55
NAMES_COSINE = 0.6
MIN_SHARED_FIGURES = 2
MIN_SHARED_NAMES = 2

_FIGURE = re.compile(
    r"(?P<money>[$€£]\s?\d[\d,]*(?:\.\d+)?(?:\s?(?:million|billion|bn|m|k)\b)?)"
    r"|(?P<pct>\d+(?:\.\d+)?\s?(?:%|per ?cent\b|percent\b))"
    r"|(?P<of>\b\d+ (?:of|out of) (?:the )?\d+\b)", re.I)
# A trial's name has a word-like stem ("KAIROS-1", "ZENITH-MG"); a product code has a
# short one ("KSV-88").
_TRIAL_NAME = re.compile(r"^[A-Z]{4,}(?:-[A-Z0-9]{1,4})+$")
_PRODUCT_CODE = re.compile(r"^[A-Z]{1,4}\d*-?[A-Z]{0,3}\d+[A-Z]?\d*$|^[A-Z]{2,4}-[A-Z]{1,3}\d+$")
# Endpoint scales and scores look like codes but name no product ("ACR50", "SRI-4").
_ENDPOINT = re.compile(r"^(?:ACR\d+|SRI-?\d+|CRISS-?\d+|SLEDAI(?:-2K)?|MG-?ADL|QMG|EDSS|BVAS|"
                       r"MRSS|DAS-?28|PASI-?\d*|EASI-?\d+|HBA1C|CDAI|SES-?CD|BILAG|D2T|"
                       r"ESSDAI|CLASI|DORIS|LLDAS|ACR-?EULAR)$", re.I)
_INN = re.compile(r"^[a-z]{3,}(?:mab|cept|cel|gene|tinib|ciclib|parib|limus)$", re.I)
# The kind of event a headline reports. A hold's lifting is checked before the hold.
EVENT_KINDS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("hold lifted", re.compile(r"\b((?:lift|clear)(?:s|ed|ing)?\b.{0,30}\b(hold|halt|pause)|"
                               r"restart\w*|resum\w*|reopen\w*|green light|is back|"
                               r"lifting of)\b", re.I)),
    ("hold", re.compile(r"\b(clinical hold|on hold|halt\w*|paus\w*|suspend\w*)\b", re.I)),
    ("approval", re.compile(r"\b(approv\w*|marketing authori[sz]ation)\b", re.I)),
    ("financing", re.compile(r"\b(rais(?:es|ed|ing)\b.{0,20}[$€£]|financing|series [a-f]\b|"
                             r"ipo\b|public offering|layoffs?|job cuts|acquir\w*|merger)\b",
                             re.I)),
    ("designation", re.compile(r"\b(orphan|priority|breakthrough|fast track|prime)\b.{0,20}"
                               r"\bdesignation\b", re.I)),
    ("results", re.compile(r"\b(meets?|met|miss(?:es|ed)?|fail(?:s|ed)?|clears?|succeeds?|"
                           r"results?|readout|data|remissions?|responses?|beats?|hits?)\b",
                           re.I)),
)


@dataclass(frozen=True)
class Features:
    """What an article is told by, for comparing it with another."""

    codes: frozenset[str]     # product codes, trial ids, drug and brand names
    trials: frozenset[str]    # the trial names and ids among them
    names: frozenset[str]     # other proper names (companies, people, places)
    figures: frozenset[str]   # "$198000", "63%", "10/12"
    event: str | None         # the kind of event the headline reports


@dataclass(frozen=True)
class Candidate:
    id: str
    story_id: str
    published: datetime
    vector: np.ndarray
    title: str
    text: str
    dated: bool = True  # False: no publication date, `published` is the ingestion time


@dataclass(frozen=True)
class Link:
    """The decision for one article: the story it joins (its own id when it starts one)."""

    story_id: str
    linked_to: str | None
    duplicate_of: str | None
    similarity: float
    reason: str


def _figure_key(match: re.Match[str]) -> str:
    raw = match.group(0).lower().replace(" ", "").replace(",", "")
    if match.group("pct"):
        return re.sub(r"per ?cent|percent", "%", raw)
    if match.group("of"):
        n, total = re.split(r"(?:outof|of)(?:the)?", raw, maxsplit=1)
        return f"{n}/{total}"
    return raw.replace("million", "m").replace("billion", "bn")


def figures_in(text: str) -> frozenset[str]:
    return frozenset(_figure_key(m) for m in _FIGURE.finditer(text))


def event_of(title: str) -> str | None:
    return next((kind for kind, rx in EVENT_KINDS if rx.search(title)), None)


def _specific(name: str) -> str | None:
    """'trial' / 'code' for a name that identifies one trial or product, else None."""
    if _ENDPOINT.match(name):
        return None
    if NCT_RE.fullmatch(name) or _TRIAL_NAME.match(name):
        return "trial"
    if _PRODUCT_CODE.match(name) or _INN.match(name):
        return "code"
    return None


@lru_cache(maxsize=8192)
def features(title: str, text: str, common: frozenset[str] = frozenset()) -> Features:
    body = f"{title}\n{text}"
    codes: set[str] = set()
    trials: set[str] = set()
    names: set[str] = set()
    for name in names_in(body, common):
        kind = _specific(name)
        if kind == "trial":
            trials.add(name.upper())
            codes.add(name.upper())
        elif kind == "code":
            codes.add(name.lower() if name.islower() or _INN.match(name) else name.upper())
        elif not is_generic(name) and not _ENDPOINT.match(name) and not name[0].isdigit():
            names.add(name)
    # A brand name is a proper name the headline carries beside a code ("Fenvira").
    return Features(frozenset(codes), frozenset(trials), frozenset(names), figures_in(body),
                    event_of(title))


def _vetoed(own: Features, other: Features) -> bool:
    """Another trial of the same drug, or another kind of event (`event` of a pooled story
    holds its events joined by '|')."""
    if own.trials and other.trials and not own.trials & other.trials:
        return True
    events = set(other.event.split("|")) if other.event else set()
    return bool(own.event and events and own.event not in events)


def _pooled(features: list[Features]) -> Features:
    events = sorted({f.event for f in features if f.event})
    return Features(frozenset(), frozenset().union(*(f.trials for f in features)), frozenset(),
                    frozenset(), "|".join(events) or None)


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def _listing(kind: str, values: Iterable[str]) -> str:
    items = sorted(values)
    shown = ", ".join(items[:3]) + (f" and {len(items) - 3} more" if len(items) > 3 else "")
    return f"{kind} {shown}"


def _when(days: float) -> str:
    if days < 1:
        return "published the same day"
    return f"published within {_plural(int(days + 0.999), 'day')}"


@dataclass(frozen=True)
class Grouper:
    """The grouping rule with its settings; `common` is everyday vocabulary (not names)."""

    story_similarity: float
    duplicate_jaccard: float
    window_days: float
    common: frozenset[str] = frozenset()
    # Syndicated copies are near-identical in meaning as well as in words; only candidates
    # this close in embedding space get the (slower) word-overlap check.
    syndication_cosine: float = TopicSettings().syndication_cosine

    def features(self, title: str, text: str) -> Features:
        return features(title, text, self.common)

    def judge(self, own: Features, other: Features, similarity: float,
              gap_days: float, dated: bool = True,
              story: Features | None = None) -> tuple[float, str] | None:
        """(strength, reason) when the two reports are one story, else None. Without both
        dates there is no time evidence: only dense similarity links. `story` pools the
        trials and events of the other's story, so no chain of links joins what its own
        members would veto."""
        if gap_days > self.window_days:
            return None
        if story is not None and _vetoed(own, story):
            return None
        if not dated:
            if similarity < self.story_similarity:
                return None
            return similarity, f"dense similarity {similarity:.2f} (undated)"
        if _vetoed(own, other):
            return None
        codes = own.codes & other.codes
        figures = own.figures & other.figures
        names = own.names & other.names
        parts: list[str] = []
        if codes:
            trials = codes & own.trials
            if trials:
                parts.append(_listing("same trial", trials))
            if codes - trials:
                parts.append(_listing("same product", codes - trials))
        if figures:
            shown = ", ".join(sorted(figures)[:3])
            parts.append(f"{_plural(len(figures), 'shared figure')} ({shown})")
        linked = (similarity >= self.story_similarity
                  or (codes and similarity >= ENTITY_COSINE)
                  or (len(figures) >= MIN_SHARED_FIGURES and similarity >= FIGURES_COSINE)
                  or (len(names) >= MIN_SHARED_NAMES and similarity >= NAMES_COSINE))
        if not linked:
            return None
        if not codes and len(names) >= MIN_SHARED_NAMES:
            parts.append(_listing("same names", names))
        parts.append(f"dense similarity {similarity:.2f}")
        parts.append(_when(gap_days))
        strength = similarity + 0.1 * min(len(codes), 3) + 0.05 * min(len(figures), 4)
        return strength, ", ".join(parts)

    def place(self, article_id: str, title: str, text: str, vector: np.ndarray,
              published: datetime, dated: bool, candidates: list[Candidate]) -> Link:
        """Join the story of the strongest link; a syndicated copy points at its original."""
        others = [c for c in candidates if c.id != article_id]
        if not others:
            return Link(article_id, None, None, 0.0, "first report")
        sims = np.stack([c.vector for c in others]) @ vector
        order = np.argsort(-sims)
        own_shingles: set[str] | None = None
        for index in order:
            if sims[index] < self.syndication_cosine:
                break
            other = others[index]
            own_shingles = own_shingles if own_shingles is not None else shingles(text)
            overlap = jaccard(own_shingles, shingles(other.text))
            if overlap >= self.duplicate_jaccard:
                return Link(other.story_id, other.id, other.id, float(sims[index]),
                            f"syndicated copy ({overlap:.0%} same wording, dense similarity "
                            f"{sims[index]:.2f})")
        own = self.features(title, text)
        theirs = [self.features(c.title, c.text) for c in others]
        by_story: dict[str, list[Features]] = {}
        for c, f in zip(others, theirs, strict=True):
            by_story.setdefault(c.story_id, []).append(f)
        stories = {sid: _pooled(fs) for sid, fs in by_story.items()}
        best: tuple[float, int, str] | None = None
        for index in order:
            other = others[index]
            gap = abs((published - other.published).total_seconds()) / 86400
            verdict = self.judge(own, theirs[index], float(sims[index]), gap,
                                 dated and other.dated, stories[other.story_id])
            if verdict and (best is None or verdict[0] > best[0]):
                best = (verdict[0], int(index), verdict[1])
        if best is None:
            return Link(article_id, None, None, float(sims[order[0]]), "first report")
        other = others[best[1]]
        return Link(other.story_id, other.id, None, float(sims[best[1]]), best[2])


def regroup(articles: list[Candidate], grouper: Grouper,
            old_story: Callable[[str], str | None]) -> dict[str, Link]:
    """Every article placed again, oldest first; a group keeps its old id where it can
    (the id of its oldest old head among its members), so story ids stay stable."""
    ordered = sorted(articles, key=lambda a: (a.published, a.id))
    links: dict[str, Link] = {}
    placed: list[Candidate] = []
    for article in ordered:
        window = [c for c in placed
                  if abs((article.published - c.published).total_seconds()) / 86400
                  <= grouper.window_days]
        link = grouper.place(article.id, article.title, article.text, article.vector,
                             article.published, article.dated, window)
        links[article.id] = link
        if link.duplicate_of is None:
            placed.append(Candidate(article.id, link.story_id, article.published,
                                    article.vector, article.title, article.text,
                                    article.dated))
    members: dict[str, list[str]] = {}
    for article in ordered:
        members.setdefault(links[article.id].story_id, []).append(article.id)
    rename: dict[str, str] = {}
    for story_id, ids in members.items():
        heads = [i for i in ids if old_story(i) == i]
        rename[story_id] = heads[0] if heads else story_id
    return {aid: Link(rename[link.story_id], link.linked_to, link.duplicate_of,
                      link.similarity, link.reason) for aid, link in links.items()}
