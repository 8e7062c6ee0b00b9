"""Which of the four sections a news sentence belongs in.

What's happening — results and events; Why it matters — significance; What's next —
planned steps and dates; Beyond the headlines — cost, access, ethics, risks, side effects
and caveats. Cues are counted per section with weights; ties go to the rarer sections, since
a sentence that carries a caveat or a plan as well as a result is usually there for the
caveat or the plan. A year later than the article's own date marks a plan.
"""

from __future__ import annotations

import re
from datetime import datetime
from functools import lru_cache

_BEYOND = re.compile(
    r"(\$|€|£|\b(costs?|costly|price[ds]?|pricing|priced|list price|insurers?|insurance|"
    r"coverage decisions?|reimburs\w*|payers?|afford\w*|out-of-pocket|co-?pays?|budget|"
    r"access|equit\w*|inequit\w*|ethic\w*|consent|fertility|pregnan\w*|"
    r"side[- ]effects?|adverse|safety|toxicit\w*|cytokine release|CRS|ICANS|neurotox\w*|"
    r"infections?|deaths?|died|fatal|hospitali[sz]\w*|intensive care|malignan\w*|"
    r"secondary cancers?|risks?|boxed warning|warnings?|sceptic\w*|skeptic\w*|limited|"
    r"longer follow[- ]up|long[- ]term (?:data|follow[- ]up|effects|safety|risks?)|durab\w*|"
    r"manufactur\w*|capacity|waiting lists?|waitlists?|rural|travel|lost wages|caregivers?|"
    r"diversity|underrepresent\w*|disparit\w*|burden|shortages?|conflicts? of interest|"
    r"lymphodepl\w*|chemotherapy conditioning|conditioning chemotherapy|hypogammaglob\w*|"
    r"criticism|critics|concerns?|worr\w*|questions remain)\b)",
    re.I,
)
# Harms found in patients: the figures of a sentence naming them are safety figures, so it
# belongs with the risks however many percentages it carries.
_HARM = re.compile(
    r"\b(side[- ]effects?|adverse (?:events?|reactions?|effects?)|cytokine release|CRS|ICANS|"
    r"grade [1-5](?:[–-][1-5])?|serious (?:infections?|events?)|infections?|neutropeni\w*|"
    r"lymphopeni\w*|(?<!thrombo)cytopeni\w*|reactivation|zoster|"
    r"shingles|pneumonia|sepsis|injection[- ]site|infusion[- ]related|headaches?|nausea|"
    r"fatigue|fevers?|chills|rash\w*|(?:ALT|AST|liver[- ]enzyme) (?:flares?|elevations?|rises?)|"
    r"hypogammaglob\w*|discontinued (?:because|due)|tolerated|tolerability)\b", re.I)
# What the evidence cannot show yet (a small or uncontrolled study, an endpoint missed, an
# effect that faded, who was left out): the caveat a reader must not miss beside a result.
_CAVEAT = re.compile(
    r"\b(too (?:small|few|short|early|soon)|small (?:study|trial|number|sample|group|base|"
    r"cohort)|(?:only|just) \d+ (?:patients|people|participants)|open[- ]label|uncontrolled|"
    r"single[- ]arm|no (?:control|comparison|placebo) (?:group|arm)|without a (?:control|"
    r"placebo|comparison)|not randomi[sz]ed|not designed to|(?:cannot|can't|could not) "
    r"(?:say|tell|know|speak|conclude|rule out)|(?:no one|nobody) knows|not (?:yet )?(?:known|"
    r"clear|proof)|proof of (?:efficacy|benefit)|premature|preliminary|early days|cross-trial|"
    r"caution\w*|caveats?|limitations?|remains? (?:unclear|unknown|to be seen)|how long|"
    r"(?:did|does|do) not (?:significantly |meaningfully )?(?:respond|improve|meet|reach|"
    r"change|show|prove|mean|include)|failed to|missed|lost (?:their|its|the) (?:response|"
    r"benefit|effect)|returned after|relapsed|no head-to-head|short follow-up|"
    r"not a conclusion|not (?:included|eligible)|excluded|only (?:for )?(?:people|patients|"
    r"adults) (?:with|who))\b", re.I)
_NEXT = re.compile(
    r"\b(will|plans?|planned|planning|expects?|expected|intends?|intended|aims? to|hopes? to|"
    r"next (?:year|step|steps|phase|month|quarter)|upcoming|later this year|early next|"
    r"(?:is|are) (?:now )?(?:enrolling|recruiting)|recruitment (?:opens|will)|"
    r"enrol(?:l)?ment (?:opens|will|is expected)|is due|are due|due (?:in|by)|to begin|to start|"
    r"to open|to launch|to file|to submit|to seek|scheduled|slated|awaits?|awaiting|"
    r"pending|decision (?:is )?expected|by the end of|(?:first|second) half of|"
    r"(?:first|second|third|fourth) quarter|mid-20\d\d|late 20\d\d|early 20\d\d|"
    r"would (?:begin|start|open|follow)|going forward|in the coming|reads out)\b",
    re.I,
)
_WHY = re.compile(
    r"\b(first[- ]ever|for the first time|(?:the|be the) first (?:approved |)(?:treatment|therapy|"
    r"drug|medicine|option|product|disease-modifying)|unmet|"
    r"few (?:options|treatments|therapies)|no approved|"
    r"could (?:offer|change|transform|spare|free|mean|allow|help|reshape|become)|"
    r"may (?:offer|allow|spare|mean|help|change)|would be the first|potential to|"
    r"matters?|significan\w*|important(?:ly)?|milestone|breakthrough|landmark|"
    r"paradigm|game[- ]chang\w*|drug[- ]free|medication[- ]free|treatment[- ]free|"
    r"without (?:ongoing|chronic|long-term|daily|further)|off (?:all )?(?:medication|"
    r"immunosuppress\w*|steroids|treatment)|reset|cure|curative|proof[- ]of[- ]concept|"
    r"validat\w*|suggests?|suggesting|shows? that|means?|meaning|because|hope|hopeful|"
    r"encourag\w*|promising|for patients who|until now|so far only|currently (?:no|only)|"
    r"standard of care|life[- ]changing|quality of life|transform\w*|if confirmed)\b",
    re.I,
)
_EVENT = re.compile(
    r"\b(first (?:patients?|participants?|person|people|child|children|adults?) "
    r"(?:was |were |has been |have been )?(?:dosed|treated|enrolled|infused|randomi[sz]ed)|"
    r"dosed (?:the|its) first)\b",
    re.I,
)
_YEAR = re.compile(r"\b(20\d\d)\b")
_MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
_MONTH = r"(jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.?"
# "21 October 2026", "October 21, 2026", "Oct. 2026"
_DATE = re.compile(rf"\b(?:(\d{{1,2}}) {_MONTH}|{_MONTH} (\d{{1,2}}),?|{_MONTH}) (20\d\d)\b", re.I)
_RESULT = re.compile(r"\d+(?:\.\d+)?\s?%|\b\d+ of (?:the )?\d+\b|\bp ?[<=] ?0\.\d+|"
                     r"\b(?:fell|rose|improved|declined|dropped|increased|decreased) (?:by )?[-−]?"
                     r"\d", re.I)
# Reporting what was done or found: the stuff of "What's happening".
_REPORTED = re.compile(r"\b(reported|announced|said|showed|achieved|received|treated|dosed|"
                       r"enrolled|granted|approved|presented|published|met|missed|occurred|"
                       r"developed|placed|lifted|halted|raised|signed|closed|found|had|were)\b",
                       re.I)

# Something done to patients or by the trial: it has begun, whatever it plans next.
_DONE = re.compile(r"\b(received|treated|dosed|infused|enrolled|randomi[sz]ed|completed|met|missed|"
                   r"showed|achieved|responded|presented|read out)\b", re.I)


_FUTURE_BEFORE = re.compile(r"\b(?:will|would|to|could|may|might|shall|be)\W+(?:\w+\W+)?$", re.I)


def reports_done(sentence: str) -> bool:
    """The sentence reports something done ("dosed its first patient", "30 of 46"), not
    something to be done ("will be dosed", "to be randomised")."""
    if _RESULT.search(sentence):
        return True
    return any(not _FUTURE_BEFORE.search(sentence[:m.start()]) for m in _DONE.finditer(sentence))


def without_dates(sentence: str) -> str:
    """The sentence with its calendar dates taken out ("14 October 2026" is not a figure)."""
    return _DATE.sub(" ", sentence)


def is_plan(sentence: str, published: datetime | None) -> bool:
    """The sentence speaks of something still to come (a plan, a date after the report's)."""
    return bool(_NEXT.search(sentence)) or (published is not None and _after(sentence, published))


def is_caveat(sentence: str) -> bool:
    return bool(_CAVEAT.search(sentence))


# the trade press's halves and quarters: "1H27", "2H 2026", "H1 2027", "2Q27", "Q4 2026"
_PART = re.compile(r"\b(?:([12])H|H([12])|([1-4])Q|Q([1-4])) ?((?:20)?\d\d)\b")


def _after(sentence: str, published: datetime) -> bool:
    """The sentence names a year, or a day, month, quarter or half of it, not over by the
    article's own date: a plan, or a decision that takes effect later."""
    if any(int(y) > published.year for y in _YEAR.findall(sentence)):
        return True
    for half_a, half_b, quarter_a, quarter_b, year in _PART.findall(sentence):
        last_month = 6 * int(half_a or half_b) if (half_a or half_b) else 3 * int(
            quarter_a or quarter_b)
        if (2000 + int(year[-2:]), last_month) >= (published.year, published.month):
            return True
    for day_a, month_a, month_b, day_b, month_c, year in _DATE.findall(sentence):
        month = _MONTHS.index((month_a or month_b or month_c).lower()[:3]) + 1
        day = int(day_a or day_b or 0)
        if (int(year), month, day) > (published.year, published.month,
                                      published.day if day else 99):
            return True
    return False


SECTION_ORDER = ("whats_happening", "why_it_matters", "whats_next", "beyond_the_headlines")


def _harms(sentence: str) -> int:
    """How many harms the sentence names when they are what its figures count ("CRS occurred
    in 9 of 46"), not an aside after a result ("a 63% response, with grade 3 CRS in one")."""
    harm = _HARM.search(sentence)
    result = _RESULT.search(sentence)
    if harm is None or result is not None and result.start() < harm.start():
        return 0
    return len(_HARM.findall(sentence))


@lru_cache(maxsize=8192)
def classify(sentence: str, published: datetime | None = None, position: int = 99) -> str:
    """The section for one sentence; `position` is its index in the article (the lead of a
    news story says what happened)."""
    scores = {
        "beyond_the_headlines": 1.1 * (len(_BEYOND.findall(sentence))
                                       + len(_CAVEAT.findall(sentence))),
        "whats_next": 1.0 * len(_NEXT.findall(sentence)),
        "why_it_matters": 0.8 * len(_WHY.findall(sentence)),
    }
    if published is not None and _after(sentence, published):
        scores["whats_next"] += 1.5
    if _EVENT.search(sentence):
        scores["why_it_matters"] = max(0.0, scores["why_it_matters"] - 0.8)
    results = 0.6 * len(_RESULT.findall(sentence))
    harms = _harms(sentence)
    if harms:
        scores["beyond_the_headlines"] += 1.1 * harms + results
        results = 0.0
    happening = results
    happening += 0.4 if _REPORTED.search(sentence) else 0.0
    happening += 2.5 if position <= 1 else 0.0
    best = max(scores, key=lambda k: (scores[k], SECTION_ORDER.index(k)))
    if scores[best] == 0 or scores[best] <= happening:
        return "whats_happening"
    return best
