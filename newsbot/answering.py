"""The one answer path that the bot, the console and the CLI all call."""

from __future__ import annotations

import logging
import re
from datetime import UTC, datetime, timedelta
from typing import Any

from newsbot import db
from newsbot.errors import EmptyQuestion, LLMUnavailable, QuestionTooLong
from newsbot.extractive import summarise
from newsbot.library import Library
from newsbot.models import SECTION_KEYS, Answer, ArticleRecord, Passage, Source, Statement
from newsbot.retrieval import Query, coverage, retrieve, unknown_names, window_from_question
from newsbot.topics import detect_diseases, display_disease

log = logging.getLogger(__name__)
_ADVICE = re.compile(
    r"\b(should (i|my|we)|can i|could i|is it safe (for me|to)|do i need|my (medication|"
    r"meds|dose|doctor|treatment|symptoms)|stop (taking|my)|switch (to|from)|"
    r"am i eligible|would i qualify)\b",
    re.I,
)
ADVICE_POINTER = (
    "I can't give personal medical advice — please talk to your clinician or care team "
    "before changing any treatment. Here is what the news says."
)


def check_question(question: str, limit: int) -> str:
    cleaned = " ".join(question.split())
    if not cleaned:
        raise EmptyQuestion()
    if len(cleaned) > limit:
        raise QuestionTooLong(len(cleaned), limit)
    return cleaned


_FOLLOW_UP = re.compile(r"^(and|what about|how about|what of|and for|also|same for|"
                        r"why|how so|tell me more|more)\b", re.I)


def looks_like_follow_up(question: str) -> bool:
    """Short elliptical questions ("what about for MS?") lean on the previous turn."""
    return bool(_FOLLOW_UP.match(question.strip()))


def asks_for_advice(question: str) -> bool:
    return bool(_ADVICE.search(question))


def number_sources(library: Library, passages: list[Passage]) -> list[Source]:
    sources: list[Source] = []
    seen: dict[str, int] = {}
    for passage in passages:
        article = passage.article
        if article.id in seen:
            continue
        seen[article.id] = len(sources) + 1
        also = tuple(
            row["source"]
            for row in library.db.execute(
                "SELECT DISTINCT source FROM articles WHERE duplicate_of = ? AND source != ?",
                (article.id, article.source),
            )
        )
        sources.append(
            Source(n=len(sources) + 1, article_id=article.id, guid=article.guid, url=article.url,
                   title=article.title, source=article.source, published=article.published,
                   also_in=also)
        )
    return sources


def renumber(sections: dict[str, list[Statement]],
             sources: list[Source]) -> tuple[dict[str, list[Statement]], list[Source]]:
    """Keep only cited sources, numbered 1..n in order of first citation."""
    order: dict[int, int] = {}
    for key in SECTION_KEYS:
        for statement in sections.get(key, []):
            for n in statement.citations:
                order.setdefault(n, len(order) + 1)
    by_n = {s.n: s for s in sources}
    new_sources = [
        Source(new, by_n[old].article_id, by_n[old].guid, by_n[old].url, by_n[old].title,
               by_n[old].source, by_n[old].published, by_n[old].also_in)
        for old, new in sorted(order.items(), key=lambda kv: kv[1]) if old in by_n
    ]
    new_sections = {
        key: [Statement(s.text, tuple(sorted({order[n] for n in s.citations if n in by_n})))
              for s in sections.get(key, [])]
        for key in SECTION_KEYS
    }
    return new_sections, new_sources


def not_found(library: Library, question: str, query: Query,
              unknown: list[str] | None = None) -> Answer:
    covered = coverage(library)
    suggestions = [f"{display_disease(k)} ({n} article{'s' if n != 1 else ''})"
                   for k, n in covered]
    answer = Answer(question=question, found=False,
                    sections={k: [] for k in SECTION_KEYS}, sources=[], mode="extractive",
                    suggestions=suggestions)
    scope = []
    if query.disease:
        scope.append(f"about {display_disease(query.disease)}")
    if query.since:
        scope.append(f"since {query.since:%d %b %Y}")
    subject = f"“{' '.join(unknown)}”" if unknown else "that"
    answer.notices.append(
        f"I found no coverage of {subject} in the news I follow"
        + (f" ({', '.join(scope)})" if scope else "") + "."
    )
    return answer


def answer_question(
    library: Library,
    question: str,
    *,
    disease: str | None = None,
    days: int | None = None,
    since: datetime | None = None,
    history: list[tuple[str, str]] | None = None,
    chat_model: Any | None = None,
    now: datetime | None = None,
) -> Answer:
    settings = library.settings
    question = check_question(question, settings.max_question_chars)
    now = now or datetime.now(UTC)
    if days:
        since = now - timedelta(days=days)
    since = since or window_from_question(question, now)
    if disease is None:
        # a follow-up like "what about for MS?" names its own disease; otherwise none
        found = [d for d in detect_diseases(question) if d != "autoimmune_general"]
        disease = found[0] if len(found) == 1 and history else None
    retrieval_text = question
    if history:
        retrieval_text = f"{history[-1][0]} {question}"
    if disease and disease not in detect_diseases(retrieval_text):
        retrieval_text += f" ({display_disease(disease)})"  # "what's new?" + a disease filter
    query = Query(text=retrieval_text, disease=disease, since=since)
    unknown, rare_words = unknown_names(library, question)
    passages = [] if unknown else retrieve(library, query, now=now)
    if rare_words and max((p.dense_similarity or 0.0 for p in passages), default=0.0) < (
            settings.min_relevance + 0.1):
        passages, unknown = [], rare_words  # "zorblatt therapy": only weak, generic matches
    if not passages:
        answer = not_found(library, question, query, unknown)
    else:
        sources = number_sources(library, passages)
        answer = _summarise(library, question, passages, sources, history, chat_model)
    if asks_for_advice(question):
        answer.advice_pointer = ADVICE_POINTER
    return answer


def _summarise(library: Library, question: str, passages: list[Passage], sources: list[Source],
               history: list[tuple[str, str]] | None, chat_model: Any | None) -> Answer:
    settings = library.settings
    notices: list[str] = []
    mode = "extractive"
    sections: dict[str, list[Statement]] | None = None
    if chat_model is not None:
        from newsbot.llm import llm_sections

        try:
            sections = llm_sections(chat_model, question, passages, sources, history,
                                    timeout=settings.llm_timeout,
                                    max_statements=settings.section_sentences)
            mode = "llm"
        except LLMUnavailable as exc:
            log.warning("LLM failed, falling back to extractive: %s", exc)
            notices.append(f"{exc} — showing an extractive summary of the articles instead.")
    if sections is None:
        sections = summarise(question, passages, sources, settings.section_sentences)
    sections, used = renumber(sections, sources)
    if not used:
        return Answer(question, False, {k: [] for k in SECTION_KEYS}, [], mode, notices=notices
                      + ["The articles I found did not contain a clear answer to that."])
    return Answer(question, True, sections, used, mode, notices=notices)


def latest(library: Library, *, disease: str | None = None, count: int = 5,
           days: int | None = None, now: datetime | None = None) -> list[ArticleRecord]:
    now = now or datetime.now(UTC)
    since = now - timedelta(days=days) if days else None
    articles = db.list_articles(library.db, since=since, disease=disease, limit=count * 4)
    out = []
    stories: set[str] = set()
    for article in articles:
        story = article.story_id or article.id
        if story in stories:
            continue
        stories.add(story)
        out.append(article)
        if len(out) >= count:
            break
    return out
