"""Query understanding, in one place: what a question asks for, before anything is searched.

`understand` turns a question (and the conversation before it) into a `ParsedQuery`: the
time window it names, the diseases and therapies, the products, companies, trials and codes
it names, and the kind of question. `ask`, `search`, the console and the bot all go through
it, so "this week" or "CD19-directed" mean the same everywhere.

It is pure: what the store knows (whether a word occurs in it, the names it holds) comes in
through a `Lexicon`, so the rules can be tested without a store.
"""

from __future__ import annotations

import calendar
import difflib
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from functools import lru_cache

from newsbot.topics import (
    DISEASES,
    THERAPIES,
    detect_diseases,
    detect_therapies,
    disease_pattern,
    is_generic,
    therapy_pattern,
)

KINDS = ("specific", "comparison", "status", "period", "overview", "story")

STOPWORDS = frozenset(
    "a an and are as at be been being but by can could did do does for from had has have how "
    "i in into is it its me my new news of on or our should so than that the their them there "
    "these this those to up was were what whats when where which who why will with would you "
    "your about any anything latest recent happening tell show give update updates week today "
    "month year years days day past last since ago there's what's it's please summarise "
    "summarize summary give me list explain describe overview know hear heard going on "
    "weeks months good bad big major biggest important interesting happened happen happens "
    "lately".split()
)
# Words a question starts with that are never names, even capitalised.
_OPENERS = frozenset(
    "give tell show list summarise summarize explain describe compare find share what whats "
    "how why when where which who is are was were has have had do does did can could should "
    "would will any anything latest recent new news update updates please and also so but "
    "hi hello hey ok okay i me my we our".split()
)
_TOKEN = re.compile(r"[A-Za-z0-9]+(?:[-'’][A-Za-z0-9]+)*")
# Targets and generic science acronyms: they narrow a topic but are not one product.
_CODE = re.compile(r"^(?=.*\d)(?=.*[A-Za-z])[A-Za-z0-9]+(?:-[A-Za-z0-9]+)*$")
_MONTHS = {name.lower(): n for n, name in enumerate(calendar.month_name) if name}
_MONTHS.update({name.lower(): n for n, name in enumerate(calendar.month_abbr) if name})
_MONTHS["sept"] = 9
_MONTH_RX = "|".join(sorted(_MONTHS, key=len, reverse=True))
_UNITS = {"day": 1, "week": 7, "month": 30, "year": 365}
_NUMBERS = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
            "eight": 8, "nine": 9, "ten": 10, "twelve": 12, "a": 1, "an": 1}
_STATUS = re.compile(
    r"\b(still|status|currently|right now|as of now|now|anymore|any more|yet|resumed?|paused|"
    r"on hold|halted|stopped|suspended|terminated|recruiting|enrolling|approved yet|"
    r"where (?:does|do|is|are) .{1,40} stand|"
    r"has .{1,40} been (?:approved|cleared|filed|resumed|lifted)|lifted|is .{1,40} open)\b",
    re.I,
)
_COMPARE = re.compile(r"\b(compare[ds]?|comparison|versus|vs\.?|differ(?:ence|ent|s)? "
                      r"(?:between|from)|better than|head[- ]to[- ]head|how does .{1,60} stack)\b",
                      re.I)
# Events a question about a named product can presuppose: "why was X put on hold?" is
# answered only by news of X's hold, not by other news of X.
EVENTS = {
    "hold": re.compile(r"\b(on hold|clinical hold|put on hold|paused?|halt(?:ed)?|suspend(?:ed)?|"
                       r"suspension|stopped|stop(?:s|ping)? (?:its|the|their|a|this) (?:\S+ ){0,3}"
                       r"(?:trials?|study|studies|programm?e?|development|dosing|enrol\w*|"
                       r"recruit\w*))\b", re.I),
    "termination": re.compile(r"\b(terminat\w*|discontinu\w*|scrapped|abandon\w*|"
                              r"shut down)\b", re.I),
    "designation": re.compile(r"\b(orphan|breakthrough|fast[- ]track\w*|designat\w*|"
                              r"PRIME|RMAT|priority (?:review|medicines?|development))\b", re.I),
    "death": re.compile(r"\b(die[ds]?|dying|deaths?|fatal\w*)\b", re.I),
}
# What kind of news a question is after, and the headlines that carry that kind: "did X get
# any regulatory status?" is answered by the designation notice, not by X's trial results.
INTENTS: dict[str, tuple[re.Pattern[str], re.Pattern[str]]] = {
    "regulatory": (
        re.compile(r"\b(regulat\w*|designations?|approv\w*|authori[sz]\w*|fast[- ]track\w*|"
                   r"orphan|priority|licen[cs]\w*|label|(?:FDA|EMA|MHRA|agency|regulators?)(?:'s)? "
                   r"(?:decid\w*|decisions?|ruled?|rulings?|said|do|did))\b", re.I),
        # "no approved treatments" says what is missing, not what a regulator did
        re.compile(r"\b(designations?|designated|eligibility|(?<!no )(?<!not )approv\w*|"
                   r"authori[sz]ation|"
                   r"fast[- ]track|orphan|priority|breakthrough|accelerated|notice|licen[cs]\w*|"
                   r"label)\b", re.I)),
    "safety": (
        re.compile(r"\b(safe|safety|side[- ]effects?|risks?|deaths?|died|toxicit\w*|"
                   r"adverse)\b", re.I),
        re.compile(r"\b(safety|safe|side[- ]effects?|risks?|deaths?|died|toxicit\w*|hold|"
                   r"halt\w*|paused?|warnings?|malignan\w*|CRS|ICANS|liver|adverse)\b", re.I)),
    "money": (
        re.compile(r"\b(financ\w*|funding|fund(?:ed|s)?|raised?|raising|invest\w*|IPO|"
                   r"offering|deals?|acqui\w*|buyout|partnership|licensing|shares|stocks?|"
                   r"share price|market cap\w*)\b", re.I),
        re.compile(r"\b(financ\w*|funding|raises?|raised|IPO|offering|deal|acqui\w*|buys?|"
                   r"partner\w*|licen[cs]\w*|investors?|\$\d|million|billion)\b", re.I)),
    "recruiting": (
        re.compile(r"\b(recruit\w*|enrol(?:l)?(?:ing|s)?|sign(?:ing)? up|tak(?:e|ing) part|"
                   r"join(?:ing)? (?:a |the |an? )?(?:\w+ )?(?:trials?|stud(?:y|ies))|"
                   r"eligib\w*|who can join)\b", re.I),
        re.compile(r"\b(recruit\w*|enrol(?:l)?(?:ing|s)?|"
                   r"enrol(?:l)?ment (?:is )?(?:open|reopen)\w*|to be eligible|who can join|"
                   r"(?:sites?|trial|study) (?:opens?|reopens?|will open)|inclusion criteria|"
                   # "has opened CARMEN (NCT07456789), a phase 1/2 trial"
                   r"(?:has |have )?(?:opened|launched) [^.]{0,40}\b(?:trial|study))\b",
                   re.I)),
    "durability": (
        re.compile(r"\b(how long\b[^?.]{0,60}\blasts?|durab\w*|lasting|wears? off|"
                   r"long[- ]term (?:effects?|benefits?|results?|outcomes?|remission)|"
                   r"relapses?|come back|comes back)\b", re.I),
        re.compile(r"\b(durab\w*|how long|lasts?|lasting|relaps\w*|returned|came back|"
                   r"wore off|lost (?:their|its|the) (?:response|benefit|effect)|"
                   r"(?:months|years) later|remain(?:ed|s)? in remission|sustained|"
                   r"median follow-up)\b", re.I)),
    "setback": (
        re.compile(r"\b(bad news|setbacks?|went wrong|gone wrong|problems?|failures?|failed|"
                   r"fail|(?:put|placed) on (?:a )?(?:clinical |partial )?hold)\b", re.I),
        # "placed on clinical hold", not "lifted its hold"
        re.compile(r"\b(fail\w*|(?:placed|put|imposed)\b(?: \S+){0,6} on (?:a )?(?:clinical |"
                   r"partial )?hold|(?:placed|put|imposed|issued) (?:a |an )?(?:full |partial )?"
                   r"clinical hold|halted|paused|stopped|suspended|missed|discontinu\w*|"
                   r"setbacks?|terminat\w*|rejected|withdr[ae]w\w*|deaths?|died)\b", re.I)),
    # "why was it stopped?": the reason, not the news that followed
    "cause": (
        re.compile(r"\b(why\b(?! (?:it|this|that) matters?)|what (?:caused|led to|triggered|"
                   r"prompted)|(?:the )?reasons? (?:for|behind|why))", re.I),
        re.compile(r"\b(because|due to|caused|triggered|prompted|owing to|reasons?|linked to|"
                   r"follow(?:s|ed)\b(?!-)|following (?:a|an|the)\b|in the wake of|"
                   r"attributed to|led to|in response to|after (?:a|an|the|one|two|\w+ "
                   r"patients?)\b)", re.I)),
    "cost": (
        re.compile(r"\b(costs?|price[ds]?|pricing|afford\w*|insurance|insurers?|coverage|"
                   r"reimburs\w*|pay(?:ers?)?)\b", re.I),
        re.compile(r"\b(costs?|price[ds]?|pricing|afford\w*|insurers?|coverage|reimburs\w*|"
                   r"payers?|value|access)\b", re.I)),
}


def intents(question: str) -> tuple[str, ...]:
    return tuple(k for k, (asks, _) in INTENTS.items() if asks.search(question))


# "a CD19-directed CAR-T", "anti-BCMA": the antigen a therapy aims at is part of what is asked
_TARGET = re.compile(r"\b(?:anti-?)?(CD\d{1,3}[a-z]?|BCMA|CCR\d{1,2}|CXCR\d|BAFF-?R?|IL-?\d{1,2}R?|"
                     r"HLA-[A-Z]{1,3}\d{0,2})(?![A-Za-z0-9])")


def targets(question: str) -> tuple[str, ...]:
    """The antigens named, IL-6 written as IL6 (target_pattern matches both)."""
    return tuple(dict.fromkeys(m.replace("-", "") if m.startswith("IL") else m
                               for m in _TARGET.findall(question)))


@lru_cache(maxsize=256)
def target_pattern(target: str) -> re.Pattern[str]:
    """A target however it is written: CD19, CD-19, anti-CD19, IL-6 or IL6."""
    core = re.escape(target).replace(r"\-", "-?")
    if target.startswith("IL"):
        core = "IL-?" + re.escape(target[2:])
    elif target.startswith("CD"):
        core = "CD-?" + re.escape(target[2:])
    return re.compile(rf"\b{core}(?![\d])", re.I)


def intent_headline(intent: str) -> re.Pattern[str]:
    return INTENTS[intent][1]


# Who a question is about, when that narrows the news: "is CAR-T safe for kids?" is not
# answered by adult trials.
POPULATIONS = {
    "children": re.compile(r"\b(kids?|child(?:ren)?|pediatric|paediatric|adolescents?|teens?|"
                           r"teenagers?|juvenile|infants?|babies|baby)\b", re.I),
    "pregnancy": re.compile(r"\b(pregnan\w*|expecting a baby|breast-?feeding)\b", re.I),
}
_PHASE = re.compile(r"\bphase[- ]?(1/2|2/3|1b|2a|2b|[1-3]|iii|ii|i)\b", re.I)
_ROMAN = {"i": "1", "ii": "2", "iii": "3"}


def _events(question: str) -> tuple[str, ...]:
    found = [k for k, rx in EVENTS.items() if rx.search(question)]
    phase = _PHASE.search(question)
    if phase:  # "the phase 3 results of X": news of X's phase 3, not of its phase 1
        found.append(f"phase {_ROMAN.get(phase.group(1).lower(), phase.group(1).lower())}")
    return tuple(found)


def event_pattern(event: str) -> re.Pattern[str]:
    if event.startswith("phase "):
        n = event.split(" ", 1)[1]
        roman = {v: k for k, v in _ROMAN.items()}.get(n, n)
        return re.compile(rf"\bphase[- ]?(?:{re.escape(n)}|{re.escape(roman)})\b", re.I)
    return EVENTS[event]


_RECENT = re.compile(r"\b(latest|newest|most recent|recent(?:ly)?|new|updates?|so far|lately|"
                     r"of late|these days)\b", re.I)
_PERIOD = re.compile(r"\b(summar(?:is|iz)e|round[- ]?up|recap|digest|overview|what happened|"
                     r"what(?:'s| has) happened|news|headlines|catch me up|brief me)\b", re.I)


# (a question about one's own family is as personal: "My son was just diagnosed…", "My sister
# has lupus. Can she get the new cell therapy?")
ADVICE = re.compile(
    r"\b(should (i|my|we)|can i|could i|is it safe (for me|to)|do i need|my (medication|"
    r"meds|dose|doctor|treatment|symptoms)|stop (taking|my)|switch (to|from)|"
    r"am i eligible|would i qualify|my (?:son|daughter|child|kid|baby|wife|husband|partner|"
    r"mother|mom|mum|father|dad|sister|brother)(?:'s)?|can (?:she|he) (?:get|take|have|join|"
    r"try|receive|qualify|stop|start))\b",
    re.I,
)


def asks_for_advice(question: str) -> bool:
    """A personal medical question: answered with a clinician pointer and general news."""
    return bool(ADVICE.search(question))


@dataclass(frozen=True)
class Lexicon:
    """What the store knows, for the parser: occurrence checks and known names."""

    contains: Callable[[str], bool] = lambda term: False
    names: Callable[[], Iterable[str]] = lambda: ()
    common: frozenset[str] = frozenset()


@dataclass(frozen=True)
class ParsedQuery:
    question: str                 # as asked, whitespace-normalised
    search_text: str              # what retrieval embeds and matches (context, corrections)
    kind: str                     # one of KINDS
    diseases: tuple[str, ...] = ()
    therapies: tuple[str, ...] = ()
    entities: tuple[str, ...] = ()        # named products/companies/trials found in the store
    unknown_names: tuple[str, ...] = ()   # names the store has never seen
    since: datetime | None = None
    until: datetime | None = None
    window: str | None = None             # how the window was asked ("this week")
    corrections: tuple[tuple[str, str], ...] = ()
    follow_up: bool = False
    terms: tuple[str, ...] = field(default=())  # content words for keyword search
    rare_words: tuple[str, ...] = ()      # unfamiliar words the store does not contain
    events: tuple[str, ...] = ()          # events the question presupposes ("hold")
    advice: bool = False                  # a personal medical question
    population: tuple[str, ...] = ()      # who it is about, when named ("children")
    intents: tuple[str, ...] = ()         # the kind of news asked for ("regulatory")
    targets: tuple[str, ...] = ()         # antigens a therapy is asked to aim at ("CD19")

    def with_since(self, since: datetime) -> ParsedQuery:
        """The same question limited to news since `since` (CLI --days/--since)."""
        return replace(self, since=since, until=None, window=f"since {since:%d %b %Y}")

    @property
    def wants_recent(self) -> bool:
        return self.kind in ("status", "period") or bool(_RECENT.search(self.question))

    @property
    def asks_results(self) -> bool:
        return bool(_RESULTS.search(self.question))

    @property
    def asks_what_is(self) -> bool:
        """"What is a T-cell engager?", "How does CAR-T work?": an explanation is asked for."""
        return bool(_WHAT_IS.search(self.question))

    @property
    def asks_definition(self) -> bool:
        """What the thing is ("What is a CAAR-T?", "How does an inverse vaccine work?"), not
        one side of it ("What are the side effects of CAR-T?"), what someone is doing with
        it, or how it compares ("how does X compare with Y?")."""
        return bool(_DEFINITION.search(self.question)) and not _COMPARE.search(self.question)

    @property
    def named_diseases(self) -> tuple[str, ...]:
        return tuple(d for d in self.diseases if d != "autoimmune_general")

    @property
    def codes(self) -> tuple[str, ...]:
        """The products and trials named by a code or an acronym ("LMR-19", "LUMEN-2"), not
        by a name that may be a company's ("Lumora")."""
        return tuple(e for e in self.entities if any(ch.isdigit() for ch in e) or e.isupper())


# "What is a T-cell engager?" (not "What's new / happened / the latest …?": news)
_WHAT_IS = re.compile(r"\b(what(?: is| are|'s|’s)(?! (?:new|newest|happened|happening|been|"
                      r"going|next|latest|up|changed|the (?:latest|status|news|update|"
                      r"outlook))\b)|what does|how does|how do|how is|explain|"
                      r"mean(?:s|ing)?)\b", re.I)
_DEFINITION = re.compile(
    r"^\W*(?:so,? |and |but )?what(?:'s|’s| is| are) "
    r"(?!(?:(?:an?|the) )?\w+(?:[- ]\w+)? (?:of|for|in|on|with|from|about|at|to)\b)"
    r"(?![^?]*\b\w{3,}ing\b)"
    r"[^?]{1,60}\??\s*$|\bhow (?:does|do) [^?]{1,100}\bwork\b|\bwhat does [^?]{1,60}\bmean\b|"
    r"\bexplain\b", re.I)
# "what did the data show?", "how did its first patients do?": the readout is asked for, not
# the financing that paid for the trial
_RESULTS = re.compile(r"\b(results?|data|show(?:ed|n|s)?|readouts?|findings?|efficacy|effective|"
                      r"outcomes?|how (?:well|good)|how (?:did|do|does|are|is|were|was)\b[^?]{0,50}"
                      r"\b(?:do|doing|did|perform\w*|fare\w*|respond\w*)|"
                      r"(?<!how )\b(?:does|did|do|is|are) [^?]{0,40}\bwork(?:s|ed|ing)?)\b", re.I)
_FOLLOW_UP = re.compile(r"^(and|what about|how about|what of|and for|also|same for|why|"
                        r"how so|tell me more|more|what else|any other|is it|are they|"
                        r"does it|do they|was it|were they|when|who|how much|how many)\b", re.I)
_PRONOUN = re.compile(r"\b(it|its|they|them|their|(?:this|that|these|those)(?! (?:week|month|"
                      r"year|quarter|morning|spring|summer|autumn|fall|winter|days?)\b)|"
                      r"the trial|the drug|the company|the therapy|the study|the treatment|"
                      r"the product)\b", re.I)


def refers_back(question: str) -> bool:
    """The question points at something said before ("it", "the trial")."""
    return bool(_PRONOUN.search(question))


def looks_like_follow_up(question: str) -> bool:
    """A question that leans on the previous turn: a short elliptical one ("what about for
    MS?"), or one that names nothing of its own to be about ("What side effects were
    seen?", "How does that compare with the first patients they reported?")."""
    stripped = question.strip()
    if _FOLLOW_UP.match(stripped):
        return True
    if len(_TOKEN.findall(stripped)) <= 8 and _PRONOUN.search(stripped):
        return True
    # "any news this week?" asks for a digest, not more of the last subject
    return not (_names_subject(stripped) or _PERIOD.search(stripped))


def _names_subject(question: str) -> bool:
    """A disease, a kind of therapy, an antigen, or a product, trial or company name."""
    if set(detect_diseases(question)) - {"autoimmune_general"} or detect_therapies(question):
        return True
    if targets(question):
        return True
    empty = Lexicon()
    return any(_name_like(part, position, empty)
               for position, token in enumerate(_TOKEN.findall(question))
               for part in _entity_parts(token.replace("’", "'").removesuffix("'s")
                                         .rstrip("'")))


def time_window(question: str, now: datetime) -> tuple[datetime | None, datetime | None,
                                                         str | None]:
    """(since, until, phrase) for the window a question names, read against `now`."""
    q = question.lower()
    rules: list[tuple[str, Callable[[re.Match[str]], tuple[datetime, datetime | None]]]] = [
        (r"\b(?:in the |over the |during the |within the )?(?:last|past|previous) "
         r"(\d{1,3}|one|two|three|four|five|six|seven|eight|nine|ten|twelve|a|an)?\s*"
         r"(day|week|month|year)s?\b",
         lambda m: (now - timedelta(days=_UNITS[m.group(2)]
                                    * _count(m.group(1) or "1")), None)),
        (r"\b(\d{1,3}|one|two|three|four|five|six|seven|eight|nine|ten|twelve) "
         r"(day|week|month|year)s? ago\b",
         lambda m: (now - timedelta(days=_UNITS[m.group(2)] * _count(m.group(1))), None)),
        (r"\btoday\b|\blast 24 hours\b|\bpast 24 hours\b",
         lambda m: (now - timedelta(days=1), None)),
        (r"\bthis week\b|\bthe week\b|\bthis past week\b",
         lambda m: (now - timedelta(days=7), None)),
        (r"\bthis month\b", lambda m: (now - timedelta(days=30), None)),
        (r"\bthis year\b", lambda m: (datetime(now.year, 1, 1, tzinfo=UTC), None)),
        (rf"\bsince (?:early |mid[- ]|late )?(?:(\d{{1,2}}) )?({_MONTH_RX})\b\.?(?: (\d{{1,2}}))?"
         r"(?:,? (20\d\d))?",
         lambda m: (_month_start(m, now), None)),
        (r"\bsince (20\d\d)\b",
         lambda m: (datetime(int(m.group(1)), 1, 1, tzinfo=UTC), None)),
        (rf"\b(?:in|during|from) ({_MONTH_RX})\b(?:,? (20\d\d))?",
         lambda m: _month_range(m, now)),
        (r"\b(?:in|during) (20\d\d)\b",
         lambda m: (datetime(int(m.group(1)), 1, 1, tzinfo=UTC),
                    datetime(int(m.group(1)) + 1, 1, 1, tzinfo=UTC))),
    ]
    for pattern, build in rules:
        match = re.search(pattern, q)
        if match:
            since, until = build(match)
            return since, until, match.group(0).strip()
    return None, None, None


def _count(word: str) -> int:
    return int(word) if word.isdigit() else _NUMBERS.get(word, 1)


def _month_start(m: re.Match[str], now: datetime) -> datetime:
    month = _MONTHS[m.group(2)]
    day = int(m.group(1) or m.group(3) or 1)
    year = int(m.group(4)) if m.group(4) else (now.year if month <= now.month else now.year - 1)
    day = min(day, calendar.monthrange(year, month)[1])
    return datetime(year, month, day, tzinfo=UTC)


def _month_range(m: re.Match[str], now: datetime) -> tuple[datetime, datetime]:
    month = _MONTHS[m.group(1)]
    year = int(m.group(2)) if m.group(2) else (now.year if month <= now.month else now.year - 1)
    start = datetime(year, month, 1, tzinfo=UTC)
    end = datetime(year + (month == 12), month % 12 + 1, 1, tzinfo=UTC)
    return start, end


# words of the topic patterns, their escapes (\b, \W) taken out first: "\binverse" is
# "inverse", else "inverse" would be corrected to the pattern's "binverse"
_DOMAIN_WORDS = frozenset(
    w for _, alts in (*DISEASES.values(), *THERAPIES.values()) for a in alts
    for w in re.findall(r"[a-z]{5,}", re.sub(r"\\[a-zA-Z]", " ", a).lower())
) | frozenset(
    "lupus nephritis myasthenia gravis sclerosis scleroderma systemic multiple diabetes celiac "
    "coeliac crohn colitis ulcerative pemphigus vulgaris vasculitis myositis dermatomyositis "
    "rheumatoid arthritis sjogren transplant tolerance tolerogenic vaccine vaccines engager "
    "engagers regulatory chimeric antigen receptor autoimmune autoimmunity immune immunology "
    "therapy therapies treatment remission relapse relapsing progressive neuromyelitis optica "
    "inflammatory demyelinating polyneuropathy thrombocytopenia psoriasis psoriatic clinical "
    "trial trials approval approved results phase bispecific antibody antibodies allogeneic "
    "autologous infusion cytokine syndrome neurotoxicity kidney nephrology rheumatology "
    "neurology insulin islet proteinuria effects safety deaths price prices insurance "
    "recruiting enrolling enrolment durable lasting setbacks hepatitis vitiligo alopecia "
    "thyroid spondylitis encephalitis antiphospholipid".split()
)


def _correct(word: str, lexicon: Lexicon) -> str | None:
    """A likely intended domain word or stored name for a misspelt one ('lupis' → 'lupus',
    'Verdiane' → 'Veridane'); stored names keep their own spelling and case."""
    lowered = word.lower()
    if len(lowered) < 5 or lowered in _DOMAIN_WORDS or lowered in lexicon.common:
        return None
    word = difflib.get_close_matches(lowered, list(_DOMAIN_WORDS), n=1, cutoff=0.8)
    if word:
        return word[0] if word[0] != lowered else None
    # a stored name only when it is a slip of the same name ("Verdiane"), not another
    # plausible one ("Veridian"): a closer match, same first letter
    names = {n.lower(): n for n in lexicon.names() if len(n) >= 5 and n[0].lower() == lowered[0]}
    match = difflib.get_close_matches(lowered, list(names), n=1, cutoff=0.85)
    return names[match[0]] if match and match[0] != lowered else None


# What people type, and how the news says it: acronyms and lay wording expanded for search
# (added to the search text, never replacing what was asked).
_EXPANSIONS: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(pattern, flags), expansion) for pattern, flags, expansion in (
        (r"\bLN\b", 0, "lupus nephritis"),
        (r"\bSLE\b", 0, "systemic lupus erythematosus"),
        (r"\bg?MG\b", 0, "myasthenia gravis"),
        (r"\b(?:RR|P|SP)?MS\b", 0, "multiple sclerosis"),
        (r"\bRA\b", 0, "rheumatoid arthritis"),
        (r"\b(?:dc|lc)?SSc\b", 0, "systemic sclerosis scleroderma"),
        (r"\bT1D\b", 0, "type 1 diabetes"),
        (r"\bUC\b", 0, "ulcerative colitis"),
        (r"\bIBD\b", 0, "inflammatory bowel disease Crohn's colitis"),
        (r"\bNMOSD\b", 0, "neuromyelitis optica"),
        (r"\bCIDP\b", 0, "chronic inflammatory demyelinating polyneuropathy"),
        (r"\bITP\b", 0, "immune thrombocytopenia"),
        (r"\bAAV\b", 0, "ANCA-associated vasculitis"),
        (r"\bTCEs?\b", 0, "T-cell engager bispecific antibody"),
        (r"\bCRS\b", 0, "cytokine release syndrome"),
        (r"\bICANS\b", 0, "neurotoxicity"),
        (r"\bTregs?\b", 0, "regulatory T cells"),
        (r"\bCAAR[- ]?T\b", 0, "chimeric autoantibody receptor T cells"),
        (r"\bHSCT\b", 0, "stem cell transplant"),
        (r"off[- ]the[- ]shelf|donor[- ](?:derived|cells?)", re.I, "allogeneic donor-derived"),
        (r"\b(?:your|their|his|her|my|patients'?) own (?:immune )?(?:cells|t cells)",
         re.I, "autologous CAR-T cells"),
        (r"\breprogramm?(?:ed|ing|e)?\b|\bengineered (?:immune )?cells\b", re.I,
         "CAR-T cell therapy engineered"),
        (r"inverse vaccine|teach(?:es)? the immune system|retrain|tolerance vaccine", re.I,
         "tolerogenic vaccine immune tolerance"),
        (r"\b(?:shot|jab)s?\b", re.I, "injection vaccine"),
        (r"\bkidneys?\b", re.I, "renal nephritis"),
        (r"side[- ]effects?|\bsafe(?:ty)?\b", re.I, "safety adverse events"),
        (r"\b(?:cost|price|pay|afford|insurance)\w*", re.I, "price cost reimbursement"),
        (r"\b(?:join|eligible|eligibility|sign up|enrol\w*|recruit\w*)\b", re.I,
         "recruiting enrolment eligibility"),
        (r"\b(?:stopped|paused|halted|on hold|suspended)\b", re.I, "clinical hold halt"),
        (r"\bapprov\w*", re.I, "approval authorisation"),
    ))


def expand(text: str) -> str:
    extra = [exp for rx, exp in _EXPANSIONS if rx.search(text)]
    return f"{text} ({'; '.join(extra)})" if extra else text


# Endings of international nonproprietary drug names (antibodies, fusion proteins, cell and
# gene therapies, kinase inhibitors): lowercase in the news, yet each names one product.
_INN = re.compile(r"^[a-z]{3,}(?:mab|cept|cel|gene|tinib|ciclib|parib|limus)$")


@lru_cache(maxsize=8192)
def _is_term(token: str) -> bool:
    """The whole token is a disease or therapy name ('MS', 'CAR-T'); 'ZENITH-MG' is not."""
    return any(p.fullmatch(token) for key in DISEASES for p in [disease_pattern(key)]) or any(
        p.fullmatch(token) for key in THERAPIES for p in [therapy_pattern(key)])


def _name_like(token: str, position: int, lexicon: Lexicon) -> bool:
    """Product codes, trial acronyms and proper names, as opposed to ordinary words."""
    lowered = token.lower()
    if is_generic(token) or lowered in STOPWORDS or len(token) < 3:
        return False
    if _is_term(token) or lowered in _DOMAIN_WORDS:
        return False
    if lowered in _MONTHS:
        return False
    if _CODE.match(token):
        return not token.isdigit() and not re.fullmatch(r"\d+(?:st|nd|rd|th|s|mg|kg|ml|%)", lowered)
    if token.isupper() and len(token) >= 3:
        return True
    if _INN.match(lowered):  # a drug's generic name: "ortefcimab", "obecabtagene"
        return True
    if not token[0].isupper():
        return False
    if position == 0:
        return lowered not in _OPENERS and lowered not in lexicon.common
    return lowered not in lexicon.common or lexicon.contains(token)


def _unfamiliar(token: str, position: int, lexicon: Lexicon) -> bool:
    """A word that is neither everyday English nor in the store ('zorblatt', 'Alzheimer')."""
    lowered = token.lower()
    if not token.isalpha() or len(token) < 4 or lowered in STOPWORDS or lowered in _OPENERS:
        return False
    if lowered in _DOMAIN_WORDS or lowered in _MONTHS or is_generic(token):
        return False
    if detect_diseases(token) or detect_therapies(token) or lexicon.contains(token):
        return False
    capitalised = token[0].isupper() and position > 0
    return capitalised or (len(token) >= 5 and lowered not in lexicon.common)


def _entity_parts(token: str) -> list[str]:
    """'CD19-directed' → ['CD19', 'directed']; codes like 'VX-19' or 'ZORA-PMS' stay whole."""
    if "-" in token and token.upper() == token:
        return [token]
    if "-" in token and not _CODE.match(token):
        return token.split("-")
    if "-" in token and _CODE.match(token):
        head, _, tail = token.partition("-")
        if tail.isalpha() and len(tail) > 3:  # 'CD19-directed', 'anti-FcRn'
            return [head, tail]
    return [token]


# How people describe a kind of therapy without its name; only wording that can mean nothing
# else ("a shot that teaches the immune system to stop attacking" is a tolerogenic vaccine).
_LAY_THERAPIES = {
    "tolerogenic_vaccine": re.compile(
        r"\b(?:vaccines?|shots?|jabs?|injections?)\b[^.?!]{0,25}\b(?:teach|train|retrain|"
        r"re-?educat)\w*\s+(?:the |your |a person's |their )?immune system", re.I),
}


def lay_therapies(text: str) -> tuple[str, ...]:
    return tuple(key for key, rx in _LAY_THERAPIES.items() if rx.search(text))


def understand(question: str, *, now: datetime | None = None,
               history: list[str] | None = None, lexicon: Lexicon | None = None) -> ParsedQuery:
    lexicon = lexicon or Lexicon()
    now = now or datetime.now(UTC)
    question = " ".join(question.split())
    follow_up = bool(history) and looks_like_follow_up(question)
    since, until, window = time_window(question, now)

    corrections: list[tuple[str, str]] = []
    tokens = _TOKEN.findall(question)
    fixed = question
    for token in tokens:
        token = token.replace("’", "'").removesuffix("'s").rstrip("'")  # "Yelowpine's"
        if token.isalpha() and not lexicon.contains(token):
            better = _correct(token, lexicon)
            if better:
                corrections.append((token, better))
                fixed = re.sub(rf"\b{re.escape(token)}\b", better, fixed)
    diseases = detect_diseases(fixed)
    therapies = detect_therapies(fixed) or lay_therapies(fixed)
    if len(therapies) > 1 and targets(fixed):
        # "a CD19-directed CAR-T" asks for a CAR-T aimed at CD19, not for B-cell depletion too
        therapies = detect_therapies(_TARGET.sub(" ", fixed)) or therapies

    entities: list[str] = []
    unknown: list[str] = []
    rare: list[str] = []
    for position, token in enumerate(_TOKEN.findall(fixed)):
        if window and token.lower() in window:
            continue
        plain = token.replace("’", "'")
        possessive = plain.endswith("'s") or plain.endswith("'")
        for part in _entity_parts(plain.removesuffix("'s").rstrip("'")):
            if _name_like(part, position, lexicon):
                (entities if lexicon.contains(part) else unknown).append(part)
            elif _unfamiliar(part, position, lexicon):
                # a capitalised eponym ("Alzheimer's") names a disease; other unfamiliar
                # words may be synonyms of something covered, so they only raise the bar
                (unknown if possessive and part[0].isupper() else rare).append(part)
    entities = list(dict.fromkeys(entities))

    context = ""
    if follow_up and history:
        # the previous question as it was read, itself perhaps a follow-up ("what about for
        # MS?" after "CAR-T for lupus?"): "is it safe?" then asks about CAR-T in MS
        previous = understand(history[-1], now=now, history=history[:-1], lexicon=lexicon)
        if diseases and not entities:
            # "what about for MS?" moves the previous subject (CAR-T) to another disease:
            # keep the therapy, not the old disease or the old product
            context = " ".join(THERAPIES[t][0] for t in previous.therapies)
        else:
            context = previous.search_text
            entities = entities or list(previous.entities)
        diseases = diseases or previous.diseases
        therapies = therapies or previous.therapies
        if since is None and previous.since is not None:
            since, until, window = previous.since, previous.until, previous.window
    wanted = intents(fixed)  # "side efects" asks after safety too
    advice = asks_for_advice(question)
    if advice:  # search the news on the subject, not on "should I stop taking my…"
        fixed = ADVICE.sub(" ", fixed)
    search_text = expand(f"{context} {fixed}".strip() if context else fixed)
    kind = _kind(question, entities, since is not None)
    words = (t.replace("’", "'").removesuffix("'s") for t in _TOKEN.findall(search_text))
    terms = tuple(dict.fromkeys(
        t for t in words
        if t.lower() not in STOPWORDS and len(t) > 1
        and not (window and t.lower() in window)))
    return ParsedQuery(
        question=question, search_text=search_text, kind=kind, diseases=diseases,
        therapies=therapies, entities=tuple(entities), unknown_names=tuple(unknown),
        since=since, until=until, window=window, corrections=tuple(corrections),
        follow_up=follow_up, terms=terms, rare_words=tuple(rare),
        events=_events(question) if entities and kind != "status" else (),
        advice=advice,
        population=tuple(k for k, rx in POPULATIONS.items() if rx.search(question)),
        intents=wanted,
        targets=() if entities else targets(question),
    )


# "why is it still on hold?" asks where it stands; "why was it put on hold?" how it began
_NOW_ASKED = re.compile(r"\b(still|now|anymore|any more|yet|currently)\b", re.I)
# "why was it put on hold in the first place?": how it began, not where it stands now
_ORIGIN = re.compile(r"\b(in the first place|originally|to begin with|how did it start)\b", re.I)


def _kind(question: str, entities: list[str], windowed: bool) -> str:
    if len(entities) >= 2 and _COMPARE.search(question) or (
            _COMPARE.search(question) and " and " in question.lower()):
        return "comparison"
    if _STATUS.search(question) and not _ORIGIN.search(question) and not (
            INTENTS["cause"][0].search(question) and not _NOW_ASKED.search(question)):
        return "status"  # (not "why was it put on hold?", which asks how it began)
    if entities:
        return "specific"
    if windowed or _PERIOD.search(question) and re.search(r"\b(week|month|today|latest)\b",
                                                          question, re.I):
        return "period"
    return "overview"


def names_in(text: str, common: frozenset[str] = frozenset()) -> list[str]:
    """Product codes, trial and drug names and other proper names in running text (an
    article, not a question), by the rules a question's names are found by."""
    lexicon = Lexicon(common=common)
    parts = dict.fromkeys(  # each distinct word judged once: an article repeats its names
        p for token in _TOKEN.findall(text)
        for p in _entity_parts(token.replace("’", "'").removesuffix("'s").rstrip("'")))
    return [p for p in parts if _name_like(p, 1, lexicon)]
