"""Personal watchlists, the pure part: what a watch topic means and which news matches it.

A topic ("CAR-T in myasthenia gravis", "VX-19", "Kestrava clinical hold") is understood
once, by the same query understanding as a question (`newsbot.query.understand`), into a
`WatchQuery`: the diseases, therapies and names (products, codes, trials, companies) it
names, plus the event or kind of news it asks for. An item (a story, or any other alertable
thing with a title and text) matches when it carries *every* facet the watch names, and
carries it as a subject, not in passing: a name must be in a headline or a lead paragraph
(or recur), a disease or therapy must be among the item's main ones. Free words are used
only when nothing structured was understood. A false alert costs more than a missed one.

Which matches become alerts (once per item, a daily cap, no repeat of the day's digest) is
`newsbot.alerts`.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from typing import Any

from newsbot.errors import NewsbotError
from newsbot.query import (
    EVENTS,
    STOPWORDS,
    Lexicon,
    event_pattern,
    intent_headline,
    understand,
)
from newsbot.topics import (
    DISEASES,
    FAMILIES,
    ONCOLOGY,
    THERAPIES,
    detect_diseases,
    disease_pattern,
    display_disease,
    mention_pattern,
    therapy_pattern,
)

MAX_TOPIC_CHARS = 120
# Facets too broad to narrow a watch by themselves once something else is named.
_BROAD_DISEASES = frozenset({"autoimmune_general"})
# Targets (CD19, BCMA) are tagged as B-cell depletion: in a CAR-T story they are the
# target, not another therapy, so they never count as the story's main therapy.
_TARGET_THERAPIES = frozenset({"b_cell_depletion"})
# Therapies a broader one includes: a watch for CAR-T is told of in vivo CAR-T too.
_NARROWER = {"car_t": ("in_vivo_car_t", "car_treg"), **FAMILIES}
MAIN_SHARE = 0.67   # a facet is a main one at this share of the item's most mentioned one
NAME_RECURS = 3    # a name mentioned this often is a subject even outside the leads
WORDS_SHARE = 1.0  # free words: the share of them the item's leads must contain
LEAD_PARAGRAPHS, LEAD_CHARS = 2, 900  # an item's lead: what it is about
_ONCOLOGY = re.compile("|".join(ONCOLOGY), re.I)


class WatchTopicError(NewsbotError):
    """A topic that cannot be watched; the message is one line for the user."""


@dataclass(frozen=True)
class WatchQuery:
    topic: str
    diseases: tuple[str, ...] = ()
    therapies: tuple[str, ...] = ()
    names: tuple[str, ...] = ()    # products, codes, trials, companies
    events: tuple[str, ...] = ()   # "hold", "phase 3": news of that event only
    intents: tuple[str, ...] = ()  # "regulatory", "money": that kind of news only
    words: tuple[str, ...] = ()    # free words, used only when nothing above was understood

    @property
    def structured(self) -> bool:
        return bool(self.diseases or self.therapies or self.names)

    @property
    def matchable(self) -> bool:
        return self.structured or bool(self.words)

    def facets(self) -> list[str]:
        """What it will match, one label a facet: 'CAR-T (car_t)', 'myasthenia gravis'."""
        out = [f"{THERAPIES[t][0]} ({t})" for t in self.therapies]
        out += [display_disease(d) for d in self.diseases]
        out += list(self.names)
        out += [f"event: {e}" for e in self.events]
        out += [f"news of: {i}" for i in self.intents]
        if not self.structured:
            out += [f"words: {' '.join(self.words)}"]
        return out

    def describe(self) -> str:
        return " · ".join(self.facets())

    def to_json(self) -> dict[str, Any]:
        return {"topic": self.topic, "diseases": list(self.diseases),
                "therapies": list(self.therapies), "names": list(self.names),
                "events": list(self.events), "intents": list(self.intents),
                "words": list(self.words)}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> WatchQuery:
        return cls(topic=str(data["topic"]),
                   **{k: tuple(data.get(k, ())) for k in
                      ("diseases", "therapies", "names", "events", "intents", "words")})


def parse_watch(topic: str, lexicon: Lexicon | None = None) -> WatchQuery:
    """The watch a topic names; WatchTopicError (one line) if it is empty, too long or
    names nothing that can be matched."""
    topic = " ".join(topic.split())
    if not topic:
        raise WatchTopicError("Give a topic to follow, e.g. “CAR-T in myasthenia gravis”.")
    if len(topic) > MAX_TOPIC_CHARS:
        raise WatchTopicError(f"That topic is {len(topic)} characters; keep it under "
                              f"{MAX_TOPIC_CHARS} (a product, a trial, a disease and a therapy).")
    pq = understand(topic, lexicon=lexicon)
    # the topic as typed too: a spelling correction must not lose an acronym ("NMOSD")
    named = tuple(dict.fromkeys((*pq.diseases, *detect_diseases(topic))))
    diseases = tuple(d for d in named if d not in _BROAD_DISEASES) or named
    therapies = tuple(t for t in pq.therapies
                      if not any(t in _NARROWER.get(o, ()) for o in pq.therapies if o != t))
    names = tuple(dict.fromkeys((*pq.entities, *pq.unknown_names)))
    words: tuple[str, ...] = ()
    if not (diseases or therapies or names):
        words = tuple(dict.fromkeys(w.lower() for w in re.findall(r"[A-Za-z][A-Za-z-]{2,}", topic)
                                    if w.lower() not in STOPWORDS))
    # the events a named subject's news must be of ("Kestrava clinical hold"), also for a
    # name the store has not seen yet (understand reads events only for stored names)
    events = tuple(dict.fromkeys((*pq.events, *(k for k, rx in EVENTS.items()
                                                if names and rx.search(topic)))))
    # a kind of news to be told of ("safety news of X"); "why" asks of one story, not of news
    wanted = tuple(i for i in pq.intents if i != "cause")
    query = WatchQuery(topic, diseases, therapies, names, events, wanted, words)
    if not query.matchable:
        raise WatchTopicError(f"“{topic}” names no disease, therapy, product or word to "
                              "match; try e.g. “lupus CAR-T” or a product code.")
    return query


@dataclass(frozen=True)
class MatchText:
    """What an item is matched on: its headlines, its lead paragraphs, its whole text."""

    headlines: str
    leads: str
    body: str


def match_text(titles: list[str], texts: list[str]) -> MatchText:
    leads = ["\n".join(t.split("\n\n")[:LEAD_PARAGRAPHS])[:LEAD_CHARS] for t in texts]
    return MatchText("\n".join(titles), "\n".join(leads), "\n".join([*titles, *texts]))


def _mentions(text: str, pattern: re.Pattern[str]) -> int:
    return len(pattern.findall(text))


def _main(counts: Counter[str], key: str) -> bool:
    top = max(counts.values(), default=0)
    return counts[key] > 0 and counts[key] >= MAIN_SHARE * top


def _therapy_counts(text: str) -> Counter[str]:
    # a family ("cell therapy") is there when one of its members is a main therapy
    return Counter({k: _mentions(text, therapy_pattern(k)) for k in THERAPIES
                    if k not in _TARGET_THERAPIES and k not in FAMILIES})


def _disease_counts(text: str) -> Counter[str]:
    """Mentions per disease; cancer counts as one, so a myeloma story that names lupus once
    is not a lupus story."""
    counts = Counter({k: _mentions(text, disease_pattern(k)) for k in DISEASES
                      if k not in _BROAD_DISEASES})
    counts["oncology"] = _mentions(text, _ONCOLOGY)
    return counts


def _has_therapy(counts: Counter[str], therapy: str) -> bool:
    return any(_main(counts, t) for t in (therapy, *_NARROWER.get(therapy, ())))


def matches(query: WatchQuery, text: MatchText) -> bool:
    """True when the item carries every facet the watch names, each as a subject."""
    if not query.structured:
        return _words_match(query.words, text)
    for name in query.names:
        pattern = mention_pattern(name)
        if pattern is None or not (pattern.search(text.headlines) or pattern.search(text.leads)
                or _mentions(text.body, pattern) >= NAME_RECURS):
            return False
    if query.diseases:
        counts = _disease_counts(text.body)
        if not all(_main(counts, d) for d in query.diseases):
            return False
    if query.therapies:
        # what the leads say it is about; the body only when the leads name no therapy
        counts = _therapy_counts(text.headlines + "\n" + text.leads)
        if not any(counts.values()):
            counts = _therapy_counts(text.body)
        if not all(_has_therapy(counts, t) for t in query.therapies):
            return False
    if any(not event_pattern(e).search(text.headlines + "\n" + text.leads)
           for e in query.events):
        return False
    return all(intent_headline(i).search(text.headlines) for i in query.intents)


def _stem(word: str) -> str:
    """A crude stem: 'labelling' and 'label', 'malignancies' and 'malignancy' meet."""
    return word.lower()[:5]


def _words_match(words: tuple[str, ...], text: MatchText) -> bool:
    if not words:
        return False
    seen = {_stem(w) for w in re.findall(r"[A-Za-z][A-Za-z-]{2,}",
                                         text.headlines + "\n" + text.leads)}
    hits = sum(_stem(w) in seen for w in words)
    return hits >= WORDS_SHARE * len(words)
