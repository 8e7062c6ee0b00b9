"""The one answer path that the bot, the console and the CLI all call."""

from __future__ import annotations

import logging
import re
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

from newsbot.conversation import follow_up_context
from newsbot.errors import EmptyQuestion, LLMUnavailable, QuestionTooLong
from newsbot.extractive import summarise
from newsbot.library import Library
from newsbot.models import SECTION_KEYS, Answer, ArticleRecord, Source, Statement
from newsbot.query import INTENTS, ParsedQuery, event_pattern, looks_like_follow_up, refers_back
from newsbot.retrieval import (
    Hit,
    Matcher,
    article_sentences,
    coverage,
    mentions,
    opening,
    parse,
    rank,
    to_passages,
)
from newsbot.sections import is_plan, reports_done
from newsbot.topics import disease_pattern, display_disease, display_therapy, specific_therapies
from newsbot.trial_answers import with_registry_status

log = logging.getLogger(__name__)
ADVICE_POINTER = (
    "I can't give personal medical advice — please talk to your clinician or care team "
    "before changing any treatment. Here is what the news says."
)
_KIND_GUIDANCE = {
    "specific": "The question names {about}. Write mostly about that story, with its headline "
                "figures; mention another product or company only by its name.",
    "comparison": "The question compares {about}. Give each side its own statements, each "
                  "naming the product it is about.",
    "status": "The question asks for the current status{of}. Lead with the newest article's "
              "status and its date; an older status it supersedes is background.",
    "period": "The question asks what happened {window}. Summarise each story of that "
              "period in one or two statements, newest and most important first.",
    "overview": "The question asks for an overview{of}. Give one or two statements from each "
                "of several stories rather than many from one.",
}


def check_question(question: str, limit: int) -> str:
    # undecodable bytes from a terminal arrive as lone surrogates: keep the rest of the text
    try:
        raw = question.encode("utf-8", "surrogateescape")
    except UnicodeEncodeError:
        raw = question.encode("utf-8", "replace")
    question = raw.decode("utf-8", "replace")
    cleaned = " ".join(question.split())
    if not cleaned:
        raise EmptyQuestion()
    if len(cleaned) > limit:
        raise QuestionTooLong(len(cleaned), limit)
    return cleaned


def number_sources(library: Library, articles: list[ArticleRecord]) -> list[Source]:
    sources: list[Source] = []
    trials = library.store.trials.ids_of(a.id for a in articles)
    for article in articles:
        if any(s.article_id == article.id for s in sources):
            continue
        also = library.store.articles.also_in(article.id, article.source)
        sources.append(
            Source(n=len(sources) + 1, article_id=article.id, guid=article.guid, url=article.url,
                   title=article.title, source=article.source, published=article.published,
                   also_in=also, registry_ids=trials.get(article.id, ()))
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
    new_sources = [replace(by_n[old], n=new)
                   for old, new in sorted(order.items(), key=lambda kv: kv[1]) if old in by_n]
    new_sections = {
        key: [Statement(s.text, tuple(sorted({order[n] for n in s.citations if n in by_n})))
              for s in sections.get(key, [])]
        for key in SECTION_KEYS
    }
    return new_sections, new_sources


_WINDOW_WORDS = {"this week": "in the past week", "the week": "in the past week",
                 "this past week": "in the past week", "this month": "in the past month",
                 "this year": "this year", "today": "today"}


def _scope(pq: ParsedQuery, disease: str | None) -> str:
    parts = []
    diseases = [disease] if disease else list(pq.named_diseases)
    if diseases:
        parts.append("about " + " or ".join(display_disease(d) for d in diseases))
    if pq.window:
        parts.append(_WINDOW_WORDS.get(pq.window, pq.window if pq.window.startswith(
            ("since", "in ", "during", "from")) else f"in the {pq.window}"))
    return f" ({', '.join(parts)})" if parts else ""


def not_found(library: Library, pq: ParsedQuery, subject: str | None = None,
              related: list[Source] | None = None, disease: str | None = None) -> Answer:
    suggestions = [f"{display_disease(k)} ({n} article{'s' if n != 1 else ''})"
                   for k, n in coverage(library)]
    answer = Answer(question=pq.question, found=False, sections={k: [] for k in SECTION_KEYS},
                    sources=[], mode="extractive", suggestions=suggestions,
                    related=related or [], kind=pq.kind)
    what = f"“{subject}”" if subject else "that"
    answer.notices.append(f"I found no coverage of {what} in the news I follow"
                          f"{_scope(pq, disease)}.")
    if len(related or ()) > 1:
        answer.notices.append("The closest related stories are listed below; they do not "
                              "answer the question as asked.")
    elif related:
        answer.notices.append("The closest related story is listed below; it does not answer "
                              "the question as asked.")
    return answer


def _closest(hits: list[Hit], pq: ParsedQuery) -> list[ArticleRecord]:
    """For a near miss ("CAR-T in type 1 diabetes"), the best story of the disease asked
    about (what else is tried there) and the best of what was asked about (where else it
    is tried); otherwise the best match."""
    picks = [next((h for h in hits if h.has_disease), None) if pq.named_diseases else None,
             next((h for h in hits if h.has_entity or (h.has_therapy and not pq.entities)),
                  None),
             hits[0]]
    chosen: list[Hit] = []
    for hit in picks:
        if hit is not None and not any(
                (hit.article.story_id or hit.article.id) == (c.article.story_id or c.article.id)
                for c in chosen):
            chosen.append(hit)
    return [h.article for h in chosen[:2]]


def _missing(pq: ParsedQuery, hits: list[Hit]) -> str | None:
    """What the question names that no retrieved article has together (a near miss)."""
    if any(h.meets(pq) for h in hits):
        return None
    if pq.entities and not any(h.has_entity for h in hits):
        return " ".join(pq.entities)
    asked = [*pq.entities] or [display_therapy(t) for t in specific_therapies(pq.therapies)]
    if pq.targets:  # "CD19 CAR-T in psoriasis", "BCMA-directed therapy in MG"
        aim = "/".join(pq.targets)
        asked = [f"{aim} {a}" for a in asked] or [f"{aim}-directed therapy"]
    if pq.events and not any(h.has_entity and h.has_event for h in hits):
        events = " or ".join({"hold": "clinical hold"}.get(e, e) for e in pq.events)
        return f"{events} news of {' / '.join(asked)}"
    diseases = [display_disease(d) for d in pq.named_diseases] + list(pq.population)
    if asked and diseases:
        return f"{' / '.join(asked)} in {' or '.join(diseases)}"
    return " / ".join(asked or diseases) or None


_INTENT_WORDS = {"cost": "cost, price or insurance coverage",
                 "regulatory": "an approval or other regulatory decision",
                 "money": "financing", "safety": "safety findings",
                 "recruiting": "enrolment or recruitment",
                 "durability": "how long the effect lasts",
                 "setback": "a setback (a hold, a failure or a stop)"}


def _only_planned(test: Matcher, hits: list[Hit]) -> bool:
    """The retrieved news speaks of what `test` finds as to come ("plans to start VESPER-3
    in 2027"), and no clause naming it reports it under way ("the study dosed its first
    patient in December; data are due in 2H26": the first clause)."""
    said = [(clause, is_plan(clause, h.article.published)) for h in hits
            for text in article_sentences(h.article) if test(text)
            for clause in re.split(r";\s+", text) if test(clause)]
    return any(plan for _, plan in said) and not any(
        reports_done(clause) and not plan for clause, plan in said)


def _planned(pq: ParsedQuery, hits: list[Hit]) -> str | None:
    """The results asked for, when the news speaks of them only as to come: a trial that is
    only planned ("APTUS-3"), a product's phase 2 that has yet to start, its lupus cohort
    that has yet to open. (The company beside it, "Ravelston's APTUS-3", has news of its
    own, so a named company does not count.)"""
    if not pq.asks_results or not pq.entities:
        return None
    if pq.codes and all(_only_planned(lambda t, e=e: mentions(t, e), hits) for e in pq.codes):
        return f"results of {' / '.join(pq.codes)}"
    # the reports about what was asked, not those naming it in a landscape paragraph
    about = [h for h in hits if any(mentions(t, e) for t in opening(h.article)
                                    for e in pq.entities)]
    names = " / ".join(pq.entities)
    for event in pq.events:
        if event.startswith("phase ") and _only_planned(event_pattern(event).search, about):
            return f"{event} results of {names}"
    for disease in pq.named_diseases:
        if _only_planned(disease_pattern(disease).search, about):
            return f"results of {names} in {display_disease(disease)}"
    return None


# kinds of news a trial report gives of its product without naming it each time
_OWN_NEWS = {"safety", "durability", "recruiting", "cost"}


def _unanswered_intents(pq: ParsedQuery, answer: Answer) -> list[str]:
    """What kind of news the question asks for ("will insurance pay…") that no statement of
    the answer carries: the answer is about the subject, not about what was asked of it."""
    quoted = [s for group in answer.sections.values() for s in group]
    said = " ".join(s.text for s in quoted)
    if pq.entities:
        # "approved oncology CAR-T products" in an LMR-19 story is no approval of LMR-19: a
        # question naming a product hears of that kind of news about the product itself,
        # in a statement naming it or in the headline of a report about it
        said = " ".join(t for t in (*(s.text for s in quoted), *(s.title for s in answer.sources))
                        if any(mentions(t, e) for e in pq.entities))
        # but a trial report's side effects, durability or enrolment are the product's own,
        # named or not ("Cytokine release syndrome occurred in 29 patients")
        about = {s.n for s in answer.sources if any(mentions(s.title, e) for e in pq.entities)}
        own = " ".join(s.text for s in quoted if set(s.citations) & about)
    else:
        own = said
    # (a reason is told in too many ways to say none was: "why?" only orders the answer)
    return [_INTENT_WORDS[i] for i in pq.intents if i in _INTENT_WORDS
            and not any(rx.search(own if i in _OWN_NEWS else said) for rx in INTENTS[i])]


UNANCHORED = ("The question doesn't say which trial, drug or disease it means, and there is "
              "no earlier question to go on: this is the closest story I found. Name it for a "
              "precise answer.")


def _unanchored(pq: ParsedQuery) -> bool:
    """"Why was the trial paused?" asked first: it points back at a question never asked."""
    named = pq.entities or pq.named_diseases or specific_therapies(pq.therapies) or pq.targets
    return not named and looks_like_follow_up(pq.question) and refers_back(pq.question)


def _subject(pq: ParsedQuery) -> str:
    named = [*pq.entities] or [display_therapy(t) for t in specific_therapies(pq.therapies)]
    diseases = [display_disease(d) for d in pq.named_diseases]
    if named and diseases:
        return f"{' / '.join(named)} in {' or '.join(diseases)}"
    return " / ".join(named or diseases) or "this"


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
    question = check_question(question, settings.answer.max_question_chars)
    now = library.settings.current_time(now)
    context = follow_up_context(question, history)
    pq = parse(library, question, now=now, history=context.questions)
    if days:
        since = now - timedelta(days=days)
    if since:
        pq = pq.with_since(since)
    if disease and disease not in pq.diseases:  # "what's new?" with a disease filter
        pq = replace(pq, diseases=(*pq.diseases, disease),
                     search_text=f"{pq.search_text} ({display_disease(disease)})")
    if pq.unknown_names and not pq.entities:
        answer = not_found(library, pq, " ".join(pq.unknown_names), disease=disease)
    else:
        # twice the cited maximum: the summariser picks its stories from these
        hits = rank(library, pq, now=now, disease=disease,
                    limit=settings.retrieval.answer_sources * 2)
        missing = _missing(pq, hits) if hits else None
        if not hits:
            answer = not_found(library, pq, " ".join(pq.rare_words) or None, disease=disease)
        elif missing:
            related = number_sources(library, _closest(hits, pq))
            answer = not_found(library, pq, missing, related, disease=disease)
        elif planned := _planned(pq, hits):
            # "what were the results of APTUS-3?" when APTUS-3 is a trial still to come: the
            # readout of APTUS-2 beside it must not pass for APTUS-3's
            related = number_sources(library, _closest(hits, pq))
            answer = not_found(library, pq, planned, related, disease=disease)
            answer.notices.insert(1, "The news I follow speaks of it only as still to come.")
        else:
            answer = _summarise(library, pq, hits, list(context.turns), chat_model)
            unsaid = _unanswered_intents(pq, answer)
            if answer.found and unsaid:
                answer.notices.append(
                    f"None of the news I follow reports {' or '.join(unsaid)} for "
                    f"{_subject(pq)}; below is what it does report.")
            if answer.found and not context.questions and _unanchored(pq):
                answer.notices.insert(0, UNANCHORED)
            if pq.unknown_names:
                answer.notices.insert(0, "I found no coverage of “"
                                      + " ".join(pq.unknown_names) + "” in the news I follow.")
    answer = with_registry_status(library, question, answer)
    if pq.corrections and answer.found:
        read = ", ".join(f"“{typed}” as “{meant}”" for typed, meant in pq.corrections)
        answer.notices.insert(0, f"I read {read}.")
    if pq.advice:
        answer.advice_pointer = ADVICE_POINTER
    return answer


def guidance(pq: ParsedQuery) -> str:
    about = " and ".join(pq.entities) or None
    diseases = " or ".join(display_disease(d) for d in pq.named_diseases)
    of = f" of {about or diseases}" if (about or diseases) else ""
    return _KIND_GUIDANCE[pq.kind].format(about=about or diseases or "one product", of=of,
                                          window=pq.window or "recently")


def _ordered_hits(pq: ParsedQuery, hits: list[Hit]) -> list[Hit]:
    """Articles meeting everything the question names first; the rest keep their order."""
    return [h for h in hits if h.meets(pq)] + [h for h in hits if not h.meets(pq)]


def _summarise(library: Library, pq: ParsedQuery, hits: list[Hit],
               history: list[tuple[str, str]] | None, chat_model: Any | None) -> Answer:
    settings = library.settings
    hits = _ordered_hits(pq, hits)
    cited = hits[:settings.retrieval.answer_sources * 2]
    sources = number_sources(library, [h.article for h in cited])
    notices: list[str] = []
    mode = "extractive"
    sections: dict[str, list[Statement]] | None = None
    if chat_model is not None:
        from newsbot.llm import llm_sections

        llm_sources = sources[:settings.retrieval.answer_sources]
        try:
            sections = llm_sections(chat_model, pq.question, to_passages(library, hits),
                                    llm_sources, history, timeout=settings.llm.timeout,
                                    max_statements=settings.answer.section_sentences,
                                    guidance=guidance(pq))
            mode = "llm"
        except LLMUnavailable as exc:
            log.warning("LLM failed, falling back to extractive: %s", exc)
            notices.append(f"{exc} — showing an extractive summary of the articles instead.")
    if sections is None:
        sections = summarise(pq, hits, sources, settings.answer.section_sentences)
    sections, used = renumber(sections, sources)
    if not used:
        return Answer(pq.question, False, {k: [] for k in SECTION_KEYS}, [], mode,
                      notices=notices + ["The articles I found did not contain a clear answer "
                                         "to that."], kind=pq.kind)
    return Answer(pq.question, True, sections, used, mode, notices=notices, kind=pq.kind)


def latest(library: Library, *, disease: str | None = None, count: int = 5,
           days: int | None = None, now: datetime | None = None) -> list[ArticleRecord]:
    now = library.settings.current_time(now)
    since = now - timedelta(days=days) if days else None
    articles = library.store.articles.list(since=since, disease=disease, limit=count * 4)
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
