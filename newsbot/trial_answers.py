"""The registry's word in an answer: when a question names a trial (its registry id, or an
acronym the news ties to one), or asks whether a trial is recruiting or stopped and a cited
article names one, the cached ClinicalTrials.gov status with its date leads the answer as a
statement cited to the registry record. Only the cache is read: an answer never waits on
the registry."""

from __future__ import annotations

import re
from dataclasses import replace

from newsbot.library import Library
from newsbot.models import SECTION_KEYS, Answer, Source, Statement
from newsbot.trial_ids import CTGOV, REGISTRY_NAMES, find_registry_ids
from newsbot.trials import CachedTrial, TrialRecord

_STATUS_QUESTION = re.compile(
    r"\b(recruit\w*|enrol\w*|enroll\w*|status|still (?:open|running|going)|terminated|"
    r"suspended|halted|stopped|withdrawn|completed|results? (?:posted|out|in))\b", re.I)
# words typed the way acronyms are: KAIROS-1, lumen-2, RESET
_NAME_LIKE = re.compile(r"\b[A-Za-z][A-Za-z0-9]*(?:-[A-Za-z0-9]+)+\b|\b[A-Z][A-Z0-9]{2,}\b")


def named_trials(library: Library, question: str) -> list[str]:
    """NCT ids the question names, directly or by an acronym the news ties to one."""
    ids = [r.id for r in find_registry_ids(question) if r.registry == CTGOV]
    for word in _NAME_LIKE.findall(question):
        tied = library.store.trials.by_acronym(word)
        if tied is not None and tied.registry == CTGOV:
            ids.append(tied.id)
    return list(dict.fromkeys(ids))


def with_registry_status(library: Library, question: str, answer: Answer) -> Answer:
    """`answer` with the registry status of the trial asked about in front, if cached."""
    named = named_trials(library, question)
    candidates = named
    if not candidates and answer.found and _STATUS_QUESTION.search(question):
        candidates = [r.id for s in answer.sources for r in s.registry_ids
                      if r.registry == CTGOV][:1]
    if not candidates:
        return answer
    nct_id = candidates[0]
    cached = library.store.trials.cached(nct_id)
    if cached is None or cached.record is None:
        if nct_id in named:
            answer.notices.append(_unknown_notice(nct_id, cached))
        return answer
    acronym = cached.record.acronym or library.store.trials.acronym_of(nct_id)
    return _lead_with(answer, _statement(cached.record, cached, acronym),
                      registry_source(cached.record, acronym))


def registry_source(record: TrialRecord, acronym: str | None, n: int = 1) -> Source:
    name = f"{acronym} ({record.nct_id})" if acronym else record.nct_id
    return Source(n=n, article_id="", guid=record.url, url=record.url,
                  title=f"Registry record of {name}: {record.title}",
                  source=REGISTRY_NAMES[CTGOV], published=None, registry=True)


def _statement(record: TrialRecord, cached: CachedTrial, acronym: str | None) -> str:
    name = f"{acronym} ({record.nct_id})" if acronym else record.nct_id
    dates = []
    if record.status_date:
        dates.append(f"status verified {record.status_date}")
    if record.last_update:
        dates.append(f"record last updated {record.last_update}")
    if cached.fetched_at:
        dates.append(f"fetched {cached.fetched_at:%Y-%m-%d}")
    text = f"ClinicalTrials.gov lists {name} as “{record.status_text}”"
    text += f" ({'; '.join(dates)})." if dates else "."
    if record.why_stopped:
        text += f" Why stopped: {record.why_stopped}."
    if record.has_results:
        text += " Results are posted on the registry."
    return text


def _unknown_notice(nct_id: str, cached: CachedTrial | None) -> str:
    if cached is not None and not cached.found:
        return (f"{nct_id} is not in the ClinicalTrials.gov registry (checked "
                f"{cached.checked_at:%Y-%m-%d}).")
    return f"The registry record of {nct_id} has not been fetched yet."


def _lead_with(answer: Answer, text: str, source: Source) -> Answer:
    """The statement first, cited [1]; the news sources move up by one."""
    shifted = {key: [Statement(s.text, tuple(n + 1 for n in s.citations))
                     for s in answer.sections.get(key, [])] for key in SECTION_KEYS}
    shifted["whats_happening"].insert(0, Statement(text, (1,)))
    sources = [source] + [replace(s, n=s.n + 1) for s in answer.sources]
    notices = list(answer.notices)
    if not answer.found:
        notices.append("The trial's registry record is below; the news I follow does not "
                       "cover the question.")
    return replace(answer, found=True, sections=shifted, sources=sources, notices=notices,
                   suggestions=[] if not answer.found else answer.suggestions)
