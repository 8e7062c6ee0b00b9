"""Hybrid retrieval at article level: dense (MiniLM chunks in Chroma, an article scores its
best chunk) and keyword (BM25 over each article's title and text in SQLite FTS5), fused by
reciprocal rank, then adjusted for what the question names.

The adjustments follow the parsed question, not a fixed recipe: articles that carry the
product, company or trial the question names rank above those that do not; a named disease
or therapy is preferred the same way; newer news is preferred only when the question is
about a status or a period; a time window is a filter. A relevance floor keeps answers from
being padded with what merely shares the beat.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import Any

import numpy as np

from newsbot.embedding import model_path
from newsbot.library import Library
from newsbot.models import ArticleRecord, Chunk, Passage
from newsbot.query import (
    POPULATIONS,
    Lexicon,
    ParsedQuery,
    event_pattern,
    intent_headline,
    target_pattern,
    understand,
)
from newsbot.sentences import split_sentences
from newsbot.store import to_ts
from newsbot.topics import (
    detect_diseases,
    disease_pattern,
    is_generic,
    mention_pattern,
    specific_therapies,
    therapy_pattern,
)

TITLE_WEIGHT = 2.0       # BM25 weight of the title against the body
MISSING_ENTITY = 0.35    # factor for an article without the product/company asked about
MISSING_DISEASE = 0.55   # … without the disease asked about
MISSING_THERAPY = 0.75   # … without the therapy asked about
RARE_WORD_BAR = 0.1      # extra floor when the question has words the store never saw
KEYWORD_SLACK = 0.1      # how far below the relevance floor a keyword match may be
TITLE_BONUS = 1.25       # the product asked about is in the headline
BOTH_SIDES = 1.3         # a comparison's article that speaks of both sides
INTENT_BONUS = 1.6       # the headline carries the kind of news asked for ("approved")
RESULTS_NEWS = 1.3       # a readout's headline, for a field's question after results
EXPLAINER = 1.25         # an opening that says what the therapy is, for "what is it?"
# a headline that reports a readout: "meets goal", "clears lupus nephritis in most patients"
_READOUT = re.compile(r"\b(results?|data|met|meets|miss(?:ed|es)|show(?:s|ed)|topline|read-?outs?|"
                      r"respon(?:se|ses|ders?)|remissions?|improv\w*|reduc\w*|clears?|"
                      r"succeed\w*|fail\w*|\d+%|\d+ of \d+)\b", re.I)
MONEY_NEWS = 0.6         # a financing headline, for a question about neither money nor a company
SIBLING = 0.9            # another outlet's report of a best story, below the floor
SIBLINGS_MAX = 4          # at most this many other outlets' reports are pulled in
PASSING_THERAPY = 0.7     # the therapy asked about is only named in passing
OTHER_DISEASE = 0.7      # the headline is about another disease than the one asked about
STORY_LEAD = 2           # the best stories whose other outlets are pulled up behind them


@dataclass(frozen=True)
class Query:
    """An explicit query: text plus the filters a caller sets (CLI --disease, --days)."""

    text: str
    disease: str | None = None
    since: datetime | None = None


@dataclass(frozen=True)
class Hit:
    """One article that answers the question, with its best chunks."""

    article: ArticleRecord
    score: float
    similarity: float
    chunks: tuple[Chunk, ...]
    has_entity: bool
    has_disease: bool
    has_therapy: bool
    has_event: bool = True

    def meets(self, pq: ParsedQuery) -> bool:
        """Everything the question names is in this article, together."""
        return ((self.has_entity or not pq.entities) and self.has_disease and self.has_therapy
                and self.has_event)


Matcher = Callable[[str], object]  # a pattern's .search, or any test of one sentence


def near(sentences: list[str], first: list[Matcher], second: list[Matcher],
         window: int = 2) -> bool:
    """Some sentence matches one of `first` with one of `second` at most `window` sentences
    away (the title, sentence 0, sits next to the lead). A passing mention of a disease far
    from the product is not news of the product in that disease."""
    hits_a = [i for i, s in enumerate(sentences) if any(m(s) for m in first)]
    if not hits_a:
        return False
    hits_b = [i for i, s in enumerate(sentences) if any(m(s) for m in second)]
    part = _parts(sentences)
    for i in hits_a:
        for j in hits_b:
            if part[i] != part[j] and min(i, j) > 0:
                continue  # "T-cell engagers." heads the next part; it is not about myositis
            if abs(i - j) <= window or (min(i, j) == 0 and max(i, j) <= window + 1):
                return True
    return False


_HEADING = re.compile(r"^[A-Z][^.!?:;,\d]{0,40}[.:]$")
_VERB = re.compile(r"\b(?:is|are|was|were|be|been|has|have|had|will|would|can|could|may|"
                   r"did|does|do|said|says|rose|fell|won|got)\b", re.I)


def _parts(sentences: list[str]) -> list[int]:
    """Which part of the article each sentence is in: an explainer's or Q&A's short heading
    line ("In vivo CAR-T.", "What it costs:") starts a new part about its own subject."""
    out, part = [], 0
    for i, sentence in enumerate(sentences):
        if (i and len(sentence.split()) <= 4 and _HEADING.match(sentence)
                and not _VERB.search(sentence)):
            part += 1
        out.append(part)
    return out


_ITEM = re.compile(r"(?:^|[;,]?\s+(?:and |or )?)\((?:[a-h]|i{1,3}|iv|v|vi{1,3}|[1-9])\)\s+")
_MODAL_END = re.compile(r"\b(?:shall|must|will|should|may|to|is required to|are required to)$",
                        re.I)


def _enumerated(sentence: str) -> list[str]:
    """A notice's "sponsors shall: (a) follow …; (b) report …" gives one whole sentence per
    item, each with the clause that introduces it; any other sentence stays as it is."""
    stem, colon, rest = sentence.partition(":")
    items = [i.strip(" ;,.") for i in _ITEM.split(rest)] if colon else []
    items = [i for i in items if i]
    if len(items) < 2 or not _ITEM.match(rest.lstrip()):
        return [sentence]
    stem = stem.strip()
    joiner = " " if _MODAL_END.search(stem) else ": "
    return [f"{stem}{joiner}{item}." for item in items]


@lru_cache(maxsize=4096)
def _sentences(article_id: str, content_hash: str, title: str, text: str) -> tuple[str, ...]:
    """An article's title and sentences, split once per process (answers reuse articles);
    a newsletter's bulleted list gives one sentence per bullet, a notice's lettered list one
    per item."""
    return (title, *(item for sentence in split_sentences(text, quotes=True)
                     for part in _bullets(sentence) if part.strip()
                     for item in _enumerated(part.strip())))


_DASH_ITEM = re.compile(r"\s[-–]\s(?=[A-Z\"“])")


def _bullets(sentence: str) -> list[str]:
    """A bulleted list flattened into one line ("What we're doing: - We're launching… -
    We're asking…", or with •): one part per bullet. A dash counts as a bullet only after
    a colon, so a dash in prose ("the drug - approved in May - is…") splits nothing."""
    parts = sentence.split("•")
    out: list[str] = []
    for part in parts:
        head, colon, rest = part.partition(": - ")
        if colon:
            out += [head + ":", *_DASH_ITEM.split("- " + rest)]
        else:
            out.append(part)
    return [p.removeprefix("- ").strip() for p in out]


def article_sentences(article: ArticleRecord) -> tuple[str, ...]:
    return _sentences(article.id, article.content_hash, article.title, article.text)[1:]


def opening(article: ArticleRecord) -> tuple[str, ...]:
    """The headline and the first third of the article (at least four sentences): where a
    report names what it is about, not what it mentions in passing at the end."""
    sentences = article_sentences(article)
    return (article.title, *sentences[:max(4, len(sentences) // 3)])


# "CAR-T therapy was developed to…", "QB-301, a so-called inverse vaccine designed to…",
# "Tolerogenic vaccines aim to teach…": what the thing is or does
_DEFINING = re.compile(r"\b(?:is|are|was|were) (?:an?|the|what|one|known as|called)\b|"
                       r"\b(?:aims?|works?|designed|developed|meant|built) (?:to|by)\b|"
                       r"\baims? for\b|\bso-called\b|, (?:an?|the) (?:kind|type|class|form) of\b|"
                       r"\b(?:means|refers to)\b", re.I)
SUBJECT_CHARS, PREDICATE_CHARS = 40, 80  # the thing opens the sentence; what it is follows


def asked_things(pq: ParsedQuery) -> list[re.Pattern[str]]:
    """What the question asks about: the products it names, else the kinds of therapy."""
    if pq.entities:
        return [p for e in pq.entities if (p := mention_pattern(e)) is not None]
    return [therapy_pattern(t) for t in specific_therapies(pq.therapies)]


def defines(sentence: str, things: list[re.Pattern[str]]) -> bool:
    """The sentence opens with one of `things` and says what it is or how it works ("CAR-T
    therapy was developed to…"), not "…the cancers CAR-T was developed for"."""
    for thing in things:
        match = thing.search(sentence, 0, SUBJECT_CHARS + 30)
        if match and match.start() <= SUBJECT_CHARS and _DEFINING.search(
                sentence, match.end(), match.end() + PREDICATE_CHARS):
            return True
    return False


_PRODUCT_CODE = re.compile(r"\b[A-Z]{1,6}-?\d{1,4}[A-Z]?\b")


# "GLV-220 (velnorimab)", "kalofcimab (KAL-204)", "KAL-204, also known as kalofcimab": one
# product under its code and its name
_ALIAS = r"([A-Za-z][\w-]{3,30})"
_ALIAS_CUES = ("(", " also ", " known as", " called ", " formerly ")
_ALSO = r",? (?:also known as|also called|now called|formerly|previously known as) "


def _named_as(sentence: str, entity: str) -> set[str]:
    """The other names a sentence gives `entity`, in brackets beside it or 'also known as'."""
    pattern = mention_pattern(entity)
    if pattern is None or not any(k in sentence for k in _ALIAS_CUES) or not pattern.search(
            sentence):
        return set()
    e = pattern.pattern
    found: set[str] = set()
    for form in (rf"{e} \({_ALIAS}\)", rf"{_ALIAS} \({e}\)", rf"{e}{_ALSO}{_ALIAS}"):
        found.update(m for m in re.findall(form, sentence, re.I)
                     if not is_generic(m) and not mentions(m, entity))
    return found


def aliases(articles: list[ArticleRecord], entities: tuple[str, ...]) -> tuple[str, ...]:
    """Other names of what the question names, from the candidates (query-time linking):
    product codes said twice in the same sentence as a company the question names (a
    question about "Galvanta's drug" is about GLV-220), and a product's other name given
    beside it (GLV-220 is velnorimab)."""
    names = [e for e in entities if not any(c.isdigit() for c in e)]
    found: dict[str, int] = {}
    named: dict[str, None] = {}
    for article in articles:
        for sentence in _sentences(article.id, article.content_hash, article.title,
                                   article.text):
            if any(mentions(sentence, n) for n in names):
                for code in _PRODUCT_CODE.findall(sentence):
                    if not is_generic(code) and code not in entities:
                        found[code] = found.get(code, 0) + 1
            for entity in entities:
                named.update(dict.fromkeys(_named_as(sentence, entity)))
    linked = dict.fromkeys(c for c, n in found.items() if n >= 2)
    return tuple({**linked, **named})


def _constraints(article: ArticleRecord, pq: ParsedQuery,
                 linked: tuple[str, ...] = ()) -> tuple[bool, bool, bool, bool]:
    """(has_entity, has_disease, has_therapy, has_event) for an article and a question;
    `linked` are product codes of the companies the question names."""
    whole = f"{article.title}\n{article.text}"
    entity = [mention_pattern(e).search for e in (*pq.entities, *linked)
              if mention_pattern(e)]
    disease = [disease_pattern(d).search for d in pq.named_diseases]
    therapy = [therapy_pattern(t).search for t in specific_therapies(pq.therapies)]
    has_entity = bool(entity) and any(m(whole) for m in entity)
    has_therapy = (not therapy or any(m(whole) for m in therapy)) and all(
        target_pattern(t).search(whole) for t in pq.targets)
    events = [event_pattern(e).search for e in pq.events]
    people = [POPULATIONS[p].search for p in pq.population]
    wanted = disease + events + people
    if not any(m(whole) for m in wanted) and wanted:
        return has_entity, not disease and not people, has_therapy, not (events and has_entity)
    sentences = list(_sentences(article.id, article.content_hash, article.title, article.text))
    subject = entity if has_entity else therapy
    if not disease:
        has_disease = True
    elif subject:
        # a comparison's trade-press piece names the disease in its headline only ("MG-ADL")
        has_disease = near(sentences, _about_asked(subject, pq), _outside_asides(disease)) or (
            pq.kind == "comparison" and any(m(article.title) for m in disease))
    else:  # the article is about the disease, not one that names it in passing
        mentioned = [i for i, s in enumerate(sentences) if any(m(s) for m in disease)]
        has_disease = bool(mentioned) and (mentioned[0] <= 3 or len(mentioned) >= 2)
    if has_disease and people:
        has_disease = near(sentences, subject or disease or people, people)
    has_event = not (events and has_entity) or near(sentences, entity, events, window=2)
    return has_entity, has_disease, has_therapy, has_event


# "…could apply to other autoimmune conditions, such as type 1 diabetes": diseases named as
# examples of where else an idea might go are not news of it there
_ASIDE = re.compile(r"\bother\b[^.;:]{0,60}?\b(?:diseases?|conditions?|disorders?|"
                    r"indications?|illness(?:es)?)\b[^.;]*", re.I)


def _outside_asides(tests: list[Matcher]) -> list[Matcher]:
    """The disease named as news of the subject: not as an example of where else it might
    go, nor in a list of many ("trials in lupus, myasthenia gravis, MS and scleroderma")."""
    return [lambda sentence, m=m: m(_ASIDE.sub("", sentence)) and not _roundup(sentence)
            for m in tests]


ROUNDUP = 3  # a sentence naming this many diseases is a list, news of none of them


@lru_cache(maxsize=50_000)  # every question reads the same stored sentences again
def _diseases_named(sentence: str) -> frozenset[str]:
    return frozenset(detect_diseases(sentence)) - {"autoimmune_general"}


def _roundup(sentence: str) -> bool:
    return len(_diseases_named(sentence)) >= ROUNDUP


def _about_asked(subject: list[Matcher], pq: ParsedQuery) -> list[Matcher]:
    """The subject's mentions, less those in a sentence about another disease only ("a rival
    developing a T-cell engager for RA", next to a sentence on myositis) or listing many
    ("a registry for people with lupus, myasthenia gravis, MS, … who received CAR-T, T-cell
    engagers or Tregs")."""
    asked = set(pq.named_diseases)

    def test(sentence: str) -> bool:
        if not any(m(sentence) for m in subject):
            return False
        named = _diseases_named(sentence)
        return not named or bool(named & asked) and len(named) < ROUNDUP
    return [test]


def mentions(text: str, name: str) -> bool:
    """Whether `text` names `name`, word-bounded; 'VX-19' also matches 'VX 19' and 'VX19'."""
    pattern = mention_pattern(name)
    return pattern is not None and pattern.search(text) is not None


def article_count_matching(library: Library, term: str) -> int:
    """Stored articles whose title or text contains the term (stemmed like the index)."""
    return library.store.keywords.count(term)


@lru_cache(maxsize=4)
def common_words(model_spec: str) -> frozenset[str]:
    """Whole words of the embedding model's WordPiece vocabulary: everyday English."""
    try:
        vocab = model_path(model_spec) / "vocab.txt"
        return frozenset(w for w in vocab.read_text(encoding="utf-8").split() if w.isalpha())
    except (OSError, ImportError, ValueError):
        return frozenset()


_NAME = re.compile(r"\b(?:[A-Z][A-Za-z]*\d[\w-]*|[A-Z]{2,}[\w-]*|[A-Z][a-z]{3,})\b")
_names_cache: dict[str, tuple[tuple[int, int], frozenset[str]]] = {}


def stored_names(library: Library) -> frozenset[str]:
    """Names in stored headlines and openings (products, companies, trials), for spelling
    correction: a company is often named only in the first lines ("Yellowpine said…")."""
    key = str(library.settings.storage.sqlite_path)
    stamp = library.store.keywords.stamp()
    cached = _names_cache.get(key)
    if cached and cached[0] == stamp:
        return cached[1]
    names = frozenset(
        m for text in library.store.keywords.openings() for m in _NAME.findall(text))
    _names_cache[key] = (stamp, names)
    return names


def lexicon(library: Library) -> Lexicon:
    return Lexicon(contains=lambda term: article_count_matching(library, term) > 0,
                   names=lambda: stored_names(library),
                   common=common_words(library.settings.embedding.model))


def parse(library: Library, question: str, *, now: datetime | None = None,
          history: list[str] | None = None) -> ParsedQuery:
    return understand(question, now=now, history=history, lexicon=lexicon(library))


def _in_window(article: ArticleRecord, pq: ParsedQuery) -> bool:
    """Undated articles never fall inside a time window: their date is unknown."""
    if pq.since is None and pq.until is None:
        return True
    if article.published is None:
        return False
    return ((pq.since is None or article.published >= pq.since)
            and (pq.until is None or article.published < pq.until))


def _dense(library: Library, vector: np.ndarray, pq: ParsedQuery,
           disease: str | None) -> dict[str, tuple[float, list[str]]]:
    clauses: list[dict[str, Any]] = []
    if pq.since:
        clauses.append({"published": {"$gte": to_ts(pq.since)}})
    if pq.until:
        clauses.append({"published": {"$lt": to_ts(pq.until)}})
    if disease:
        clauses.append({f"d_{disease}": True})
    where = None if not clauses else clauses[0] if len(clauses) == 1 else {"$and": clauses}
    best: dict[str, tuple[float, list[str]]] = {}
    # an article scores its best chunk, so ask for more chunks than articles are wanted
    wanted = 2 * library.settings.retrieval.candidates
    for hit in library.store.vectors.query(vector, wanted, where):
        aid = str(hit.metadata.get("article_id", ""))
        sim, ids = best.get(aid, (-1.0, []))
        best[aid] = (max(sim, hit.similarity), [*ids, hit.chunk_id])
    return best


def _keyword(library: Library, pq: ParsedQuery, disease: str | None,
             limit: int) -> list[str]:
    terms = list(pq.terms) + [e for e in pq.entities if e not in pq.terms]
    if not terms:
        return []
    return library.store.keywords.search(terms, since=pq.since, until=pq.until,
                                         disease=disease, limit=limit,
                                         title_weight=TITLE_WEIGHT)


def rank(library: Library, pq: ParsedQuery, *, now: datetime | None = None,
         vector: np.ndarray | None = None, disease: str | None = None,
         limit: int = 10) -> list[Hit]:
    """Articles that answer the parsed question, best first; empty when none is relevant."""
    settings = library.settings
    now = settings.current_time(now)
    if vector is None:
        vector = library.embedder.encode([pq.search_text])[0]
    dense = _dense(library, vector, pq, disease)
    keyword = _keyword(library, pq, disease, settings.retrieval.candidates)
    keyword_set = set(keyword)
    dense_order = sorted(dense, key=lambda a: -dense[a][0])
    fused: dict[str, float] = {}
    for ranking in (dense_order, keyword):
        for r, aid in enumerate(ranking):
            fused[aid] = fused.get(aid, 0.0) + 1.0 / (settings.retrieval.rrf_k + r + 1)
    articles = library.store.articles.get_many(fused)
    per_article = settings.retrieval.max_chunks_per_story
    chunk_ids = [cid for aid in fused for cid in dense.get(aid, (0.0, []))[1][:per_article]]
    chunks = library.store.articles.chunks(chunk_ids)
    hits: list[Hit] = []
    linked = aliases(list(articles.values()), pq.entities) if pq.entities else ()
    explained = asked_things(pq) if pq.asks_definition and not pq.entities else []
    for aid, score in fused.items():
        article = articles.get(aid)
        if article is None or not article.on_topic or article.duplicate_of:
            continue  # index and records briefly disagree mid-write: skip, don't fail
        if not _in_window(article, pq):
            continue
        sim = dense[aid][0] if aid in dense else _article_similarity(library, aid, vector)
        has_entity, has_disease, has_therapy, has_event = _constraints(article, pq, linked)
        # keyword evidence lowers the bar: "FcRn blockers" is answered by the one article
        # that names FcRn even when MiniLM finds the wording only loosely similar
        floor = settings.retrieval.min_relevance - (KEYWORD_SLACK if aid in keyword_set else 0.0)
        if pq.rare_words and not pq.entities:
            floor += RARE_WORD_BAR  # "zorblatt therapy": only a strong match answers
        if pq.kind == "period" and (not (pq.terms or pq.named_diseases) or (
                (pq.named_diseases or pq.therapies) and has_disease and has_therapy)):
            floor = -1.0  # "what's new (in MS) this week?": the window (and subject) filter
        if sim < floor and not has_entity:
            continue
        if pq.kind == "period" and pq.named_diseases and not has_disease:
            continue  # "MS news this week" is not answered by this week's lupus news
        factor = 1.0
        if pq.entities and not has_entity:
            factor *= MISSING_ENTITY
        elif has_entity and any(mentions(article.title, e) for e in pq.entities):
            factor *= TITLE_BONUS
        factor *= 1.0 if has_disease else MISSING_DISEASE
        if pq.kind == "comparison" and _both_sides(article, pq.entities):
            factor *= BOTH_SIDES
        if any(intent_headline(i).search(article.title) for i in pq.intents):
            factor *= INTENT_BONUS
        elif pq.asks_results and not pq.entities and _READOUT.search(article.title):
            factor *= RESULTS_NEWS  # "did any lupus trial report results this month?"
        elif not ((pq.entities and not pq.asks_results)
                  or {"money", "cost"} & set(pq.intents)) and intent_headline(
                "money").search(article.title):
            factor *= MONEY_NEWS  # "how long does CAR-T last?" is not asking who raised money
        if has_disease and _headline_elsewhere(article.title, pq):
            factor *= OTHER_DISEASE  # names the disease, but its news is another disease's
        factor *= 1.0 if has_therapy else MISSING_THERAPY
        if explained and any(defines(s, explained) for s in opening(article)):
            factor *= EXPLAINER  # "what is CAR-T?": the explainer, not the latest readout
        if has_therapy and not pq.entities and _therapy_in_passing(article, pq):
            factor *= PASSING_THERAPY  # "in vivo CAR-T?": not the ex vivo story naming a rival
        factor *= 1.0 if has_event else MISSING_THERAPY
        if pq.wants_recent and article.published:
            age = max(0.0, (now - article.published).total_seconds() / 86400)
            weight = settings.retrieval.recency_weight * (
                1.0 if pq.kind in ("status", "period") else 0.5)
            factor *= 1.0 + weight * 0.5 ** (age / settings.retrieval.recency_half_life_days)
        best = tuple(chunks[c] for c in dense.get(aid, (0.0, []))[1][:per_article]
                     if c in chunks)
        hits.append(Hit(article, score * factor, sim, best, has_entity, has_disease,
                        has_therapy, has_event))
    hits.sort(key=lambda h: -h.score)
    hits += _siblings(library, hits, pq, vector, linked)
    return _story_order(hits, STORY_LEAD)[:limit]


def _siblings(library: Library, hits: list[Hit], pq: ParsedQuery, vector: np.ndarray,
              linked: tuple[str, ...]) -> list[Hit]:
    """The other outlets' reports of the best stories that the relevance floor left out: the
    same event, told in words further from the question's."""
    lead = list(dict.fromkeys(h.article.story_id or h.article.id for h in hits))[:STORY_LEAD]
    have = {h.article.id for h in hits}
    out: list[Hit] = []
    for article in library.store.stories.articles_of(lead):
        if article.id in have or article.duplicate_of or not _in_window(article, pq):
            continue
        if len(out) >= SIBLINGS_MAX:
            break  # a long-running story's every update is not one event's other outlets
        weakest = min(h.score for h in hits if h.article.story_id == article.story_id)
        chunk = first_chunk(library, article.id)
        out.append(Hit(article, weakest * SIBLING, _article_similarity(library, article.id, vector),
                       (chunk,) if chunk else (), *_constraints(article, pq, linked)))
    return out


def _both_sides(article: ArticleRecord, entities: tuple[str, ...]) -> bool:
    """The article names (nearly) everything a comparison asks about: it compares them."""
    if len(entities) < 2:
        return False
    whole = f"{article.title}\n{article.text}"
    named = sum(1 for e in entities if mentions(whole, e))
    return named >= max(2, len(entities) - 1)


def _therapy_in_passing(article: ArticleRecord, pq: ParsedQuery) -> bool:
    """The kind of therapy asked about is named only late in the article, not in its
    headline or first third (a rival mentioned for context)."""
    therapies = specific_therapies(pq.therapies)
    if not therapies:
        return False
    return not any(therapy_pattern(t).search(s) for t in therapies for s in opening(article))


def _headline_elsewhere(title: str, pq: ParsedQuery) -> bool:
    named = set(pq.named_diseases)
    if not named:
        return False
    in_title = set(detect_diseases(title)) - {"autoimmune_general"}
    return bool(in_title) and not in_title & named


def _story_order(hits: list[Hit], lead: int) -> list[Hit]:
    """The other outlets' reports of the best stories follow right after them: one event's
    coverage belongs together (the answer cites it together, "also in" …)."""
    if lead <= 0:
        return hits
    out: list[Hit] = []
    for hit in hits:
        if hit in out:
            continue
        out.append(hit)
        story = hit.article.story_id
        if story and len({h.article.story_id for h in out}) <= lead:
            out += [h for h in hits if h.article.story_id == story and h not in out]
    return out


def _article_similarity(library: Library, article_id: str, vector: np.ndarray) -> float:
    mean = library.store.articles.vector(article_id)
    if mean is None:
        return 0.0
    norm = float(np.linalg.norm(mean)) or 1.0
    return float(mean @ vector) / norm


def first_chunk(library: Library, article_id: str) -> Chunk | None:
    return library.store.articles.first_chunk(article_id)


def to_passages(library: Library, hits: list[Hit]) -> list[Passage]:
    """One passage per article (its best chunk), for callers that work with chunks."""
    out = []
    for hit in hits:
        chunk = hit.chunks[0] if hit.chunks else first_chunk(library, hit.article.id)
        if chunk is not None:
            out.append(Passage(chunk, hit.article, hit.score, hit.similarity))
    return out


def retrieve(library: Library, query: Query, *, limit: int | None = None,
             now: datetime | None = None, vector: np.ndarray | None = None,
             per_story: int | None = None) -> list[Passage]:
    """Ranked passages for an explicit query (one per article); empty when nothing stored is
    relevant enough."""
    now = library.settings.current_time(now)
    pq = parse(library, query.text, now=now)
    if query.since:
        pq = pq.with_since(query.since)
    hits = rank(library, pq, now=now, vector=vector, disease=query.disease,
                limit=limit or library.settings.retrieval.answer_sources * 2)
    return to_passages(library, hits)


def coverage(library: Library, top: int = 6) -> list[tuple[str, int]]:
    """The diseases stored news covers most, for 'here is what I do follow' suggestions."""
    counts: dict[str, int] = {}
    for diseases, n in library.store.articles.disease_counts():
        for key in diseases:
            if key != "autoimmune_general":
                counts[key] = counts.get(key, 0) + n
    return sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:top]

