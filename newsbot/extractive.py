"""The default summariser: picks and orders real sentences from the retrieved articles for
each of the four sections, so every statement is quoted news with its citations."""

from __future__ import annotations

import math
import re
from collections import Counter
from dataclasses import dataclass, field

from newsbot.models import SECTION_KEYS, Passage, Source, Statement
from newsbot.safety import is_unsafe
from newsbot.text import jaccard, shingles, split_sentences, words

CUES: dict[str, re.Pattern[str]] = {
    "whats_next": re.compile(
        r"\b(will|plans?|planned|planning|expects?|expected|next (year|step|steps|phase)|"
        r"upcoming|(is|are|now) (enrolling|recruiting)|enrolment (opens|will)|202[7-9]|"
        r"later this year|aims? to|intends?|is due|are due|to begin|to start|to open|"
        r"scheduled|awaits?|awaiting|decision is expected|by the end of|what's next)\b",
        re.I,
    ),
    "why_it_matters": re.compile(
        r"\b(because|means|important|significant|first (time|ever|patients?)|could (offer|"
        r"change|transform|spare|free)|may (offer|allow|spare)|hope|unmet|"
        r"matters?|breakthrough|drug-free|medication-free|without (ongoing|chronic|long-term)|"
        r"suggests?|shows? that|paradigm|reset|cure|durable|for patients who|"
        r"few options|no approved|life-changing|until now|why it matters)\b",
        re.I,
    ),
    "beyond_the_headlines": re.compile(
        r"(\$|€|£|\b(costs?|price[ds]?|pricing|insurer|insurance|reimburs\w*|payers?|"
        r"afford\w*|access|equity|equitable|ethic\w*|consent|long-term|risks?|safety|"
        r"malignan\w*|secondary (cancer|malignanc\w*)|fertility|toxicit\w*|cytokine release|"
        r"neurotoxic\w*|ICANS|boxed warning|long-term follow-up|rural|disparit\w*|"
        r"waiting lists?|infections?|hospitali[sz]\w*|burden|beyond the headlines)\b)",
        re.I,
    ),
}
_FACTUAL = re.compile(
    r"\b(reported|announced|showed|found|results?|trial|study|approved|approval|treated|"
    r"enrolled|patients|data|presented|published|granted|cleared|received|infused|phase)\b",
    re.I,
)
_DANGLING_START = re.compile(r"^(this|these|that|those|it|they|he|she|but|and|also|however|"
                             r"meanwhile|still|yet|so|which)\b", re.I)
MIN_CHARS, MAX_CHARS = 40, 420


@dataclass
class Candidate:
    text: str
    source_n: int
    position: int
    relevance: float
    citations: set[int] = field(default_factory=set)
    shingles: set[str] = field(default_factory=set)
    label: str | None = None


_LABEL = re.compile(r"^(why it matters|what's next|what’s next|what comes next|the bottom line|"
                    r"bottom line|the big picture|big picture|background|context|beyond the "
                    r"headlines|what's happening|what’s happening)\s*[:—–-]\s*", re.I)
_LABEL_SECTION = {"why it matters": "why_it_matters", "what's next": "whats_next",
                  "what’s next": "whats_next", "what comes next": "whats_next",
                  "beyond the headlines": "beyond_the_headlines"}


def strip_label(sentence: str) -> tuple[str, str | None]:
    """'Why it matters: X' → ('X', 'why_it_matters'): outlets' own labels are strong cues."""
    match = _LABEL.match(sentence)
    if not match:
        return sentence, None
    rest = sentence[match.end():]
    if not rest:
        return sentence, None
    label = match.group(1).lower()
    return rest[0].upper() + rest[1:], _LABEL_SECTION.get(label)


def usable(sentence: str) -> bool:
    """Whole, self-contained sentences only: no fragments, no instructions, no advice."""
    s = sentence.strip()
    if not (MIN_CHARS <= len(s) <= MAX_CHARS):
        return False
    if not s[0].isupper() and not s[0].isdigit() and s[0] not in "\"“'‘":
        return False
    if s[-1] not in ".!?\"”’)":
        return False
    if s.count("“") != s.count("”") or s.count('"') % 2:
        return False
    if s.endswith("?"):
        return False
    return not is_unsafe(s)


def _idf(passages: list[Passage]) -> dict[str, float]:
    docs = [set(words(p.article.text)) for p in passages]
    df = Counter(w for d in docs for w in d)
    n = max(1, len(docs))
    return {w: math.log(1 + n / c) for w, c in df.items()}


def _candidates(question: str, passages: list[Passage], sources: dict[str, int]) -> list[Candidate]:
    q_words = {w for w in words(question) if len(w) > 2}
    idf = _idf(passages)
    best_score = max((p.score for p in passages), default=1.0) or 1.0
    chunk_texts: dict[str, str] = {}
    article_score: dict[str, float] = {}
    for p in passages:
        chunk_texts[p.article.id] = chunk_texts.get(p.article.id, "") + " " + p.chunk.text
        article_score[p.article.id] = max(article_score.get(p.article.id, 0.0),
                                          p.score / best_score)
    seen_articles: dict[str, Passage] = {}
    for p in passages:
        seen_articles.setdefault(p.article.id, p)
    out: list[Candidate] = []
    for article_id, passage in seen_articles.items():
        n = sources[article_id]
        for position, raw in enumerate(split_sentences(passage.article.text)):
            sentence, label = strip_label(_DATELINE.sub("", raw))
            if not usable(sentence):
                continue
            s_words = set(words(sentence))
            overlap = sum(idf.get(w, 1.0) for w in q_words & s_words)
            norm = sum(idf.get(w, 1.0) for w in q_words) or 1.0
            in_chunk = 0.15 if sentence in chunk_texts[article_id] else 0.0
            lead = 0.1 if position < 2 else 0.0
            relevance = (0.45 * article_score[article_id] + 0.4 * overlap / norm + in_chunk
                         + lead - (0.2 if _DANGLING_START.match(sentence) else 0.0))
            out.append(Candidate(sentence, n, position, relevance, {n}, shingles(sentence, 2),
                                 label))
    return out


_TIE_ORDER = ("beyond_the_headlines", "whats_next", "why_it_matters")
_DATELINE = re.compile(r"^[A-Z][A-Z .,'-]{2,40}, [A-Z][a-z]{2,4}\.? \d{1,2}(?: \([^)]{1,40}\))?"
                       r"\s*[—–-]+\s*")
_NUMBER = re.compile(r"\d+(?:[.,]\d+)?%?")


def _twins(a: Candidate, b: Candidate) -> bool:
    """The same fact in other words: shared wording, or the same figures and vocabulary."""
    if jaccard(a.shingles, b.shingles) >= 0.45:
        return True
    shared_numbers = set(_NUMBER.findall(a.text)) & set(_NUMBER.findall(b.text))
    if len(shared_numbers) >= 2:
        wa = {w for w in words(a.text) if len(w) > 3}
        wb = {w for w in words(b.text) if len(w) > 3}
        return jaccard(wa, wb) >= 0.2
    return False


def _section_of(text: str) -> tuple[str, float]:
    scores = {key: len(CUES[key].findall(text)) for key in _TIE_ORDER}
    key = max(_TIE_ORDER, key=lambda k: scores[k])
    if scores[key] == 0:
        return "whats_happening", 0.0
    if _FACTUAL.search(text) and scores[key] == 1 and key == "why_it_matters":
        return "whats_happening", 0.0
    return key, float(scores[key])


def summarise(question: str, passages: list[Passage], sources: list[Source],
              per_section: int) -> dict[str, list[Statement]]:
    number = {s.article_id: s.n for s in sources}
    candidates = sorted(_candidates(question, passages, number), key=lambda c: -c.relevance)
    chosen: dict[str, list[Candidate]] = {key: [] for key in SECTION_KEYS}
    kept: list[Candidate] = []
    for cand in candidates:
        twin = next((k for k in kept if _twins(k, cand)), None)
        if twin is not None:
            twin.citations.add(cand.source_n)  # same fact from another outlet: cite both
            continue
        section, cue = (cand.label, 3.0) if cand.label else _section_of(cand.text)
        if len(chosen[section]) >= per_section or cand.relevance + 0.05 * cue < 0.2:
            continue
        chosen[section].append(cand)
        kept.append(cand)
    return {
        key: [Statement(c.text, tuple(sorted(c.citations)))
              for c in sorted(chosen[key], key=lambda c: (c.source_n, c.position))]
        for key in SECTION_KEYS
    }
