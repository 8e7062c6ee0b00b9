"""The default summariser: picks real sentences from the retrieved articles for the four
sections, so every statement is quoted news with its citations.

What it picks follows the question's kind. A question that names a product, trial or
company is answered mostly from that story (its figures, what it means, what comes next,
its risks and costs), and a sentence that names some other product is left out. An overview
takes one or two statements from each of several stories; a period question reads like a
digest of that period. Sentences that lean on a previous one ("It requires…", "They
plan…") are never used; "The company plans…" only where the answer is about that company.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from dataclasses import dataclass, field

from newsbot.models import SECTION_KEYS, ArticleRecord, Source, Statement
from newsbot.query import ParsedQuery, intent_headline
from newsbot.retrieval import (
    Hit,
    Matcher,
    aliases,
    article_sentences,
    asked_things,
    defines,
    mentions,
    opening,
)
from newsbot.safety import is_unsafe
from newsbot.sections import classify, is_caveat, without_dates
from newsbot.sentences import jaccard, shingles, stem, words
from newsbot.topics import disease_pattern, is_generic, specific_therapies, therapy_pattern

MIN_CHARS, MAX_CHARS = 28, 420
# How a sentence earns its place: its story's rank, the question's words it carries, how
# much of its story's vocabulary it shares (the facts several outlets and paragraphs repeat),
# how many figures it carries, how much it says, how near the top of its article it stands,
# and which of the story's outlets it comes from (the best-matching article speaks first);
# less for textbook background, more for a caveat, for what sets two sides apart in a
# comparison and for the kind of news asked for. Overlap outweighs centrality
# (bench/RESULTS.md, fifth pass): what was asked before what the story repeats. A fit of
# these weights on dev did not beat them (sixth pass).
WEIGHTS = {"story": 1.0, "overlap": 0.8, "central": 0.2, "figures": 0.45, "length": 0.3,
           "lead": 0.1, "outlet": -0.25, "background": -0.35, "caveat": 0.4, "contrast": 0.6,
           "intent": 0.3}
OUTLETS = 3  # an answer reads this many of a story's reports (a digest story all)
PLAN_WORDS = 0.15  # two plans of one trial in one year share this much wording to be one
SPARE = 2  # once each section's room is spent, leftovers may pass it by this many
HAPPENING_EXTRA = 2  # results are what most questions ask: two more of them
FULL_FIGURES, FULL_LENGTH = 3, 250  # more figures or characters than this earn no more
# a figure, not the digits of a code (CD19, VLC-310, NCT07110233, SLEDAI-2K)
_YEAR = re.compile(r"\b20\d\d\b")
_WHOLE_CODE = re.compile(r"\b[A-Z][A-Za-z0-9]*(?:-[A-Za-z0-9]+)*\b")
_FIGURE = re.compile(r"(?<![\w.,-])\d+(?:[.,]\d+)?%?(?![\w-])")
_PRONOUN_START = re.compile(
    r"^(this|these|that|those|it|its|they|their|them|he|she|his|her|such|both|also|but|and|"
    r"or|however|meanwhile|still|yet|so|which|another|other|others|the other|in addition|"
    r"additionally|similarly|likewise|instead|here|then(?!-)|"
    r"(?:\w+ )?(?:of|among|for) (?:them|these|those)|"
    r"(?:first|second|third|fourth|fifth)(?:ly)?(?=,)|finally|lastly|"
    r"there(?! (?:is|are|was|were|has|have|had|will|would|could|may|might)\b))\b", re.I)
# "But the trial was small." says the fact without the sentence it answers; so does "No. All
# nine people tested negative." without a newsletter's question ("Was the virus there?")
_CONJUNCTION = re.compile(r"^(?:(?:but|and|yet|still),?|(?:yes|no)[.,!]) (?=\S)", re.I)
# "When their B cells returned…": a pronoun in the opening clause points at a sentence that
# is not quoted.
_PRONOUN_CLAUSE = re.compile(r"^(when|after|before|because|if|once|while|since|although|as|"
                             r"until|unless|like) (they|their|them|it|its|he|his|she|her)\b|"
                             # "Since March, it has held milk.": the subject after an opening
                             # phrase of time or place
                             r"^[^,;:]{2,30}, (?:it|they|he|she)\b(?! (?:is|was) (?:unclear|"
                             r"too early|not known))|"
                             # "Blocking it speeds the clearance…": what "it" is went before
                             r"^\w+ing (?:it|them|this|these|those)\b", re.I)
_DEFINITE_START = re.compile(
    r"^(the|a) (company|firm|biotech|drugmaker|developer|sponsor|drug|therapy|treatment|"
    r"product|candidate|trial|study|agency|regulator|group|team|researchers|investigators|"
    r"programme|program|approach|cells?|infusion|patients?|participants?|results?|data|"
    r"findings|decision|approval|deal|hold|announcement|move|agreement|offering|label)\b", re.I)
# One patient's life story ("takes no lupus medication", "the 34-year-old paralegal"): in an
# answer it reads as what the treatment does for anyone, so it is quoted only where the
# question asks what patients have been through.
_PERSONAL_STORY = re.compile(r"\b(takes? no|no longer takes?|stopped taking|came off|"
                             r"\d+-year-old|(?:she|he) (?:says|said|recalls|recalled))\b|"
                             r"\b[A-Z][a-z]+, \d{1,2}, (?:a|an|who)\b|"  # "Rao, 38, a teacher"
                             r"^(?!.*\b(?:said|says|told|added|noted|according)\b)"
                             r".*\b(?:she|her|he|his)\b", re.I)
_ASKS_EXPERIENCE = re.compile(r"\b(experiences?|what (?:is|was|'s) it like|stor(?:y|ies)|"
                              r"testimon\w*|patients? (?:say|describe|tell))\b", re.I)
# One person's own treatment story: never quoted under a personal medical question, where it
# would read as an example to follow.
_ANECDOTE = re.compile(r"\b(she|he|her|his|my|i)\b|\b(takes? no|no longer takes?|stopped taking|"
                       r"came off|\d+-year-old)\b", re.I)
# a patient a report introduces by name and age ("Raymond Delacroix, 44, …"): what that
# person takes or did is one person's story, as a pronoun's is
_PERSON = re.compile(r"(?<!Dr\. )(?<!Dr )(?<!Prof\. )\b([A-Z][a-z]+(?: [A-Z][a-z'’-]+)?)"
                     r"(?:, (?:a |an )?\d{1,2}(?:,|-year-old\b)| \(\d{1,2}\))")
_BOILERPLATE = re.compile(r"\b(?:does|do|did)(?: not|n't) (?:provide|give|offer|constitute) "
                          r"(?:medical |personal )?advice|\bnot (?:intended as )?medical advice|"
                          r"\ball rights reserved\b|\bthis (?:article|story) (?:was|has been) "
                          r"(?:updated|corrected)", re.I)
_CALL_TO_ACTION = re.compile(r"^(what you can do|how to help|sign (?:up|our|the)|join (?:us|our)|"
                             r"register (?:now|for|here)|subscribe|click|read more|email us|"
                             r"share your|tell us|donate)\b", re.I)
# Money talk — proceeds, share moves, price targets: news for investors, quoted for a
# patient's question only when it asks about money or names the company.
_FINANCE = re.compile(r"\b(proceeds|shares (?:rose|fell|jumped|slumped|climbed|dropped|gained|"
                      r"lost|were up|were down|closed)|stock (?:rose|fell)|price target|"
                      r"(?:stock|shares)\W{1,3}[+−-] ?\d|market cap\b|"
                      r"shares of [A-Z]\S*(?: [A-Z]\S*)? "
                      r"(?:rose|fell|jumped|slumped|climbed|dropped|gained|lost|surged|sank)|"
                      r"investors?|financing|funding round|series [a-d]\b|IPO|market "
                      r"capitali[sz]ation|valuation|earnings|guidance|cash runway|runway into|"
                      r"in cash|cash to last|headcount|employees|layoffs?|job cuts|"
                      r"dealmaking|"
                      r"underwriters?|(?:share|stock|public|accelerated) offering|"
                      r"rais(?:ed|es|ing) (?:[$€£]|CHF ?|US\$)?\d[\d.,]* ?"
                      r"(?:million|billion|m|bn)\b)", re.I)
_DATELINE = re.compile(r"^[A-Z][A-Z .,'-]{2,40}, [A-Z][a-z]{2,4}\.? \d{1,2}(?: \([^)]{1,40}\))?"
                       r"\s*[—–-]+\s*")
_LABEL = re.compile(r"^(why it matters|what's next|what’s next|what comes next|the bottom line|"
                    r"bottom line|the big picture|big picture|background|context|beyond the "
                    r"headlines|what's happening|what’s happening|what this means for you|"
                    r"what it means)\s*[:—–-]\s*", re.I)
_LABEL_SECTION = {"why it matters": "why_it_matters", "what's next": "whats_next",
                  "what’s next": "whats_next", "what comes next": "whats_next",
                  "beyond the headlines": "beyond_the_headlines",
                  "what this means for you": "why_it_matters",
                  "what it means": "why_it_matters"}
_CODE = re.compile(r"(?<!-)\b(?:[A-Z][A-Za-z]{0,6}-?\d{1,4}[A-Za-z]?|[A-Z]{3,}(?:-\d{1,3})?)\b")
# Textbook background ("CAR-T is a treatment that reprograms…", "The main known side effect
# is…") names nobody, counts nothing and reports nothing done: true of every story, news of
# none. It yields to what was reported unless the question asks what something is.
_NUMBER_WORD = re.compile(r"\b(one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|"
                          r"dozen|half|third|quarter|hundreds?|thousands?)\b", re.I)
_REPORTED_DONE = re.compile(r"\b(was|were|had|did|has been|have been|said|says|told|reported|"
                            r"announced|showed|found|met|missed|received|treated|enrolled|"
                            r"dosed|presented|published|approved|granted|lifted|placed|paused|"
                            r"halted|started|began|signed|raised|filed|plans?|expects?|will)\b",
                            re.I)
_PROPER = re.compile(r"(?<=[\w,;:)] )[A-Z][\w'’-]*")
# What a comparison turns on: the sentence that sets one side against the other.
_CONTRAST = re.compile(r"\b(compar\w*|than|unlike|whereas|versus|vs\.?|differ\w*|"
                       r"head-to-head|cross-trial|rather than|instead of|without|no need|"
                       r"advantage|edge over)\b", re.I)
# (not a regulator: "The Northern Medicines Agency", "the European Medicines Oversight Board")
_COMPANY = re.compile(r"\b(?!The )([A-Z][a-z]+(?: [A-Z][a-z]+)?) (?:Bio|Biosciences|"
                      r"Therapeutics|Pharma|Pharmaceuticals|Biopharma|Biologics|Biotech|"
                      r"Medicines|Cell Therapies|Cell Sciences|Immunology|Immunotherapeutics|"
                      r"Biotherapeutics|Genomics|Health)\b(?! (?:Agency|Authority|Board|"
                      r"Oversight|Evaluation|Regulatory|Committee|Council|Service|Products))")
# where something stands now: "still some years away", "has not yet", "remains on hold"
_STANDING = re.compile(r"\b(still|not yet|yet to|remains?|remained|so far|to date|no longer|"
                       r"currently|as of now)\b", re.I)
# "The company expects…", "It is given every six months": who is meant is named just before
_COMPANY_START = re.compile(r"^The (?:company|firm|biotech|drugmaker|developer)\b")
_IT_START = re.compile(r"^It(?= (?:is|was|has|had|will|would|also|requires?d?|needs|works|"
                       r"targets|uses|blocks|binds|acts|can|could|received|showed|met)\b)")
# "It is too early to say", "It is unclear whether…": no antecedent at all
_EXPLETIVE = re.compile(r"^It (?:is|was|will be|would be|has been|remains|may be|could be)"
                        r"(?: not| still| now| also)? (?:\w+ly )?(?:unclear|clear|known|unknown|"
                        r"possible|impossible|likely|unlikely|too|important|hard|difficult|"
                        r"easy|early|worth|necessary|essential|true|expected|thought|hoped|"
                        r"estimated|the first time|a (?:long|big)|time)\b|\bwhether\b|"
                        r"^It (?:is|was) \S+ (?:that|to)\b")
_SUBJECT = re.compile(r"^((?:[A-Z][\w'’-]*\d[\w-]*|[A-Z][a-z]+(?:[A-Z][a-z]+)?|[A-Z]{3,}[\w-]*)"
                      r"(?: \([^)]{2,40}\))?)(?= (?:is|was|has|had|will|works|targets|uses|"
                      r"blocks|binds|received|showed|met|became|won)\b)")
# What a trial or a report found ("Side effects were mostly headache…"): whose finding it is
# must be clear where the answer tells several stories
_FINDING = re.compile(r"\b(patients?|participants?|side effects?|adverse|dos(?:ed|es?|ing)|"
                      r"respon(?:se|ses|ded|ders?)|remissions?|infusions?|cohorts?|placebo|"
                      r"endpoints?|enrol(?:l?ed|ment)|treated|safety|grade [1-5])\b", re.I)
# an international non-proprietary name names its product (ortefcimab, obecabtagene autoleucel)
_DRUG_NAME = re.compile(r"\b[a-z]{3,}(?:mab|cel|cept|nib|tide|stat)\b", re.I)


@dataclass
class Candidate:
    text: str
    source_n: int
    story: str
    story_rank: int
    position: int
    score: float
    section: str
    citations: set[int] = field(default_factory=set)
    shingles: set[str] = field(default_factory=set)
    features: dict[str, float] = field(default_factory=dict)  # the terms of its score
    subject: str | None = None  # what its story is about: a product or trial code, a company
    own: frozenset[str] = frozenset()  # the names its story's reports open with


def strip_label(sentence: str) -> tuple[str, str | None]:
    """'Why it matters: X' → ('X', 'why_it_matters'): outlets' own labels are strong cues."""
    match = _LABEL.match(sentence)
    if not match:
        return sentence, None
    rest = sentence[match.end():]
    if not rest:
        return sentence, None
    return rest[0].upper() + rest[1:], _LABEL_SECTION.get(match.group(1).lower())


def _self_contained(sentence: str) -> str | None:
    """The sentence as a statement that stands on its own, or None where it leans on the one
    before ("It requires…", "When their B cells returned…")."""
    mark = sentence[:1] if sentence[:1] in "\"“" else ""  # a quotation is read inside its marks
    body = sentence[len(mark):]
    match = _CONJUNCTION.match(body)
    if match:
        rest = body[match.end():]
        body = rest[0].upper() + rest[1:]
    if _PRONOUN_START.match(body) or _PRONOUN_CLAUSE.match(body):
        return None
    return mark + body


# A quotation split into its sentences: only the last says who spoke ('…," said Dr. Osei.')
_SPEECH = r"(?:said|says|added|adds|noted|notes|explained|explains|warned|commented|told \w+)"
_SPOKEN = re.compile(rf"\b{_SPEECH}\b|\baccording to\b", re.I)
_SPEAKER = re.compile(rf"[”\"],? {_SPEECH} ((?:Dr\.? |Prof\.? )?[A-Z][\w'’.-]*(?: [A-Z][\w'’.-]*)"
                      rf"{{0,3}})|[”\"],? ((?:Dr\.? |Prof\.? )?[A-Z][\w'’.-]*(?: [A-Z][\w'’.-]*)"
                      rf"{{0,3}}) {_SPEECH}\b")


def speaker(sentence: str, following: list[str]) -> str | None:
    """Who spoke a quoted sentence that does not say so itself: the name the rest of its
    quotation gives; None where it is not a quotation or says who spoke. "" where nobody is
    named (it is not quoted then: a patient's or a doctor's words read as the news's)."""
    if sentence[:1] not in "\"“" or _SPOKEN.search(sentence):
        return None
    for later in following:
        match = _SPEAKER.search(later)
        if match:
            return match.group(1) or match.group(2)
        if later[:1] not in "\"“":  # the quotation ended without a name
            break
    return ""


def resolve(sentence: str, previous: str, company: str | None,
            proper: frozenset[str] = frozenset()) -> str:
    """The sentence with its opening reference named, in brackets, where the text says whom
    it means: "The company expects…" in a report about one company, "It is given every six
    months" after a sentence whose subject is the product. Otherwise as it is. `proper`: the
    words its report capitalises mid-sentence (a brand, "Pellova", not "Researchers")."""
    if company and _COMPANY_START.match(sentence):
        return _COMPANY_START.sub(f"[{company}]", sentence, count=1)
    if _IT_START.match(sentence) and not _EXPLETIVE.search(sentence):
        subject = _SUBJECT.match(previous)
        name = subject.group(1) if subject else ""
        # a product, not the company ("Valdrin has…" then "It had been paused": the trial)
        if name and not is_generic(name) and (names_in(name) or name in proper) and not (
                company and name.split()[0] in company):
            return f"[{name}]" + sentence[2:]
    return sentence


def _people(text: str) -> re.Pattern[str]:
    """What finds the patients a report introduces by name and age, by either name."""
    names = {part for match in _PERSON.finditer(text) for part in (match.group(1),
                                                                   match.group(1).split()[-1])}
    names = {n for n in names if not is_generic(n)}
    if not names:
        return re.compile(r"(?!)")
    return re.compile(r"\b(?:" + "|".join(map(re.escape, sorted(names))) + r")\b")


def _definite(sentence: str) -> bool:
    """'The company plans…' (unclear which company), but not 'The Agency has…' (a proper
    name: the regulator whose notice it is)."""
    match = _DEFINITE_START.match(sentence)
    return bool(match) and not match.group(2)[0].isupper()


def usable(sentence: str) -> bool:
    """Whole, self-contained sentences only: no fragments, no instructions, no advice."""
    return well_formed(sentence) and not is_unsafe(sentence.strip())


def well_formed(sentence: str) -> bool:
    """A whole sentence of news: no fragment, list, call to action or disclaimer. (The
    safety check, far costlier, runs on the few sentences an answer keeps.)"""
    s = sentence.strip()
    if not (MIN_CHARS <= len(s) <= MAX_CHARS):
        return False
    if not s[0].isupper() and not s[0].isdigit() and s[0] not in "\"“'‘[":
        return False
    if s[-1] not in ".!\"”’)":
        return False
    if s.count("“") != s.count("”") or s.count('"') % 2:
        return False
    # a newsletter's list, call to action or disclaimer: not news
    return not ("•" in s or _CALL_TO_ACTION.match(s) or _BOILERPLATE.search(s))


def _main_company(article: ArticleRecord) -> str | None:
    """The company a report is about: the first one its headline or opening names."""
    match = _COMPANY.search(f"{article.title}. {article.text[:600]}")
    return match.group(0) if match else None


def _story_subject(article: ArticleRecord) -> str | None:
    """What a report is about, as it names it: the first product or trial code of its
    headline (else of its opening), else the company its headline names."""
    for text in (article.title, _DATELINE.sub("", article.text[:600])):
        # a code with a number (LMR-19, LUMEN-2), not capitals alone ("SAN DIEGO")
        codes = [m for m in _CODE.findall(text)
                 if any(ch.isdigit() for ch in m) and not is_generic(m)]
        if codes:
            return codes[0]
    company = _COMPANY.search(article.title)
    return company.group(0) if company else None


def _names_nothing(sentence: str) -> bool:
    """No product, trial, company or other proper name in the sentence (its first word aside)."""
    return not (names_in(sentence) or _DRUG_NAME.search(sentence) or any(
        len(w) > 1 and not is_generic(w.removesuffix("'s")) for w in _PROPER.findall(sentence)))


def attribute(kept: list[Candidate]) -> None:
    """In an answer telling several stories, a finding that names nobody ("Side effects were
    mostly headache…") would read as the neighbouring statement's: its story's subject is
    named before it, in brackets."""
    if len({c.story for c in kept}) < 2:
        return
    for cand in kept:
        if cand.subject and _unnamed_finding(cand.text, {cand.subject, *cand.own}):
            cand.text = f"[{cand.subject}] {cand.text}"


def _unnamed_finding(text: str, own: set[str]) -> bool:
    """A finding that names nobody, its story's own names included ("Veridane is…"); not a
    quotation (whose words are its speaker's, not its story's)."""
    return (text[:1] not in "\"“" and bool(_FINDING.search(text)) and _names_nothing(text)
            and not any(mentions(text, name.split()[0]) for name in own))


def names_in(sentence: str) -> set[str]:
    """Product codes, trial acronyms and company names a sentence mentions."""
    found = {m for m in _CODE.findall(sentence) if not is_generic(m)}
    found |= set(_COMPANY.findall(sentence))
    return found


def _about_other(sentence: str, asked: tuple[str, ...], own: set[str]) -> bool:
    """The sentence names a product or company, none of them asked about or the story's own."""
    if any(mentions(sentence, a) for a in asked):
        return False
    named = names_in(sentence)
    return bool(named) and not any(any(mentions(n, o) or mentions(o, n) for o in own)
                                   for n in named)


def background(sentence: str) -> bool:
    """A timeless explanation, no news: no figure, no name but the field's own terms, and
    nothing said, found or done."""
    if _FIGURE.search(sentence) or _NUMBER_WORD.search(sentence):
        return False
    if _REPORTED_DONE.search(sentence) or names_in(sentence):
        return False
    return all(len(w) == 1 or is_generic(w) or is_generic(w.removesuffix("'s"))
               for w in _PROPER.findall(sentence))


def _twins(a: Candidate, b: Candidate) -> bool:
    """The same fact in other words: shared wording, or the same figures and vocabulary."""
    if jaccard(a.shingles, b.shingles) >= 0.45:
        return True
    numbers = re.compile(r"\d+(?:[.,]\d+)?%?")
    shared = set(numbers.findall(a.text)) & set(numbers.findall(b.text))
    if len(shared) < 2:
        return False
    wa = {w for w in words(a.text) if len(w) > 3}
    wb = {w for w in words(b.text) if len(w) > 3}
    if jaccard(wa, wb) >= 0.2:
        return True
    # "Median proteinuria fell from 3.1 g/g to 0.4 g/g" beside "Median urine protein-to-
    # creatinine ratio fell from 3.1 g/g at baseline to 0.4 g/g …, and 38 of 48 …": one
    # telling carries every figure of the other, and a figure no count of doses could be
    # (within one story, where the fuller telling takes the other's place)
    if a.story != b.story:
        return False
    if a.section == b.section == "whats_next" and _one_plan(a.text, b.text):
        return True
    fa, fb = set(_FIGURE.findall(a.text)), set(_FIGURE.findall(b.text))
    telling = {f for f in fa & fb if not f.isdigit() or int(f) > 12}
    return len(fa & fb) >= 2 and bool(telling) and (fa <= fb or fb <= fa)


def _one_plan(a: str, b: str) -> bool:
    """Two outlets' tellings of one plan: "…plans a larger study, TIDEWATER-LN2, starting in
    spring 2027" and "…plans to start a 60-patient pivotal study, TIDEWATER-LN2, in the
    second quarter of 2027": the same trial or product, the same year, much the same words."""
    if not (_codes(a) & _codes(b)) or not (set(_YEAR.findall(a)) & set(_YEAR.findall(b))):
        return False
    wa = {stem(w) for w in words(a) if len(w) > 3}
    wb = {stem(w) for w in words(b) if len(w) > 3}
    return jaccard(wa, wb) >= PLAN_WORDS


def _codes(text: str) -> set[str]:
    """Whole product and trial codes ("TIDEWATER-LN2", not its "TIDEWATER" nor a "CAR-T")."""
    return {c for c in _WHOLE_CODE.findall(text)
            if (any(ch.isdigit() for ch in c) or c.replace("-", "").isupper()) and len(c) > 2
            and not is_generic(c)}


def _telling(text: str) -> set[str]:
    """The figures of a sentence that say something: not a dose count, a phase, a year or
    a day of the month."""
    return {f for f in _FIGURE.findall(without_dates(text))
            if not f.isdigit() or 12 < int(f) < 1900}


def _told(cand: Candidate, kept: list[Candidate]) -> bool:
    """Every figure the sentence tells (two or more) is already in the story's statements:
    "Thirty-one patients (65%) … 38 (79%) …" after "31 of 48 (65%)" and "38 of 48 (79%)"."""
    figures = _telling(cand.text)
    told = set().union(*(_telling(k.text) for k in kept)) if kept else set()
    return len(figures) >= 2 and figures <= told


def _fuller(a: Candidate, b: Candidate) -> bool:
    """`a` carries every figure of `b` and more."""
    fa, fb = set(_FIGURE.findall(a.text)), set(_FIGURE.findall(b.text))
    return fb < fa


@dataclass(frozen=True)
class Plan:
    """How many stories an answer draws on and how many statements each may give."""

    stories: int
    first_story: int
    per_story: int
    total: int


def plan_for(pq: ParsedQuery, per_section: int) -> Plan:
    """The shape of the answer for the kind of question; `per_section` (3 by default)
    scales it, so a larger setting gives longer answers of the same shape."""
    if pq.kind == "story":  # one story of the digest, told by its outlets
        return Plan(stories=1, first_story=3 * per_section, per_story=0, total=3 * per_section)
    if pq.kind in ("specific", "status") and pq.entities:
        shape = (2, 13, 2, 14)  # mostly the story of the product asked about
    elif pq.kind == "comparison":
        shape = (4, 8, 4, 14)  # each side heard
    elif pq.kind == "period":
        shape = (6, 6, 3, 14)  # a digest of the period
    elif pq.kind == "status":
        shape = (3, 9, 3, 12)
    else:
        shape = (4, 9, 3, 14)  # an overview: several stories
    scale = max(1.0, per_section / 3)
    stories, first, per_story, total = (max(1, round(n * scale)) for n in shape)
    return Plan(stories, first, per_story, min(total, 4 * per_section + HAPPENING_EXTRA))


def _about(group: list[Hit], needs: list[list[Matcher]]) -> bool:
    """Some report of the story names, in its headline or its first third, one thing of each
    of `needs`: the story is about them, not one that mentions them in passing at the end."""
    for hit in group:
        start = opening(hit.article)
        if all(any(test(text) for text in start for test in tests) for tests in needs):
            return True
    return False


def _subject(pq: ParsedQuery, hits: list[Hit]) -> list[list[Matcher]]:
    """What a story must be about to be told beside the best one: the products asked about
    (or their codes), else the kind of therapy asked about; and the disease asked about."""
    needs: list[list[Matcher]] = []
    if pq.entities:
        names = (*pq.entities, *aliases([h.article for h in hits], pq.entities))
        needs.append([lambda text, n=n: mentions(text, n) for n in names])
    elif specific_therapies(pq.therapies):
        needs.append([therapy_pattern(t).search for t in specific_therapies(pq.therapies)])
    if needs and pq.named_diseases:
        needs.append([disease_pattern(d).search for d in pq.named_diseases])
    return needs


def _stories(hits: list[Hit], pq: ParsedQuery, plan: Plan) -> list[list[Hit]]:
    """Hits grouped by story, in rank order, drawn from the articles that have everything
    the question names (the product, the disease, the therapy) when there are such."""
    meet = {h.article.story_id for h in hits if h.meets(pq) and h.article.story_id}
    # another outlet's report of a story that meets the question stays with it, though it
    # calls the drug by its brand and never says "FcRn blocker", or a patients' desk never
    # says "alopecia areata" but "bald patches"
    pool = [h for h in hits if h.meets(pq) or h.article.story_id in meet and (
        h.has_disease or h.has_therapy) and (h.has_entity or not pq.entities)] or hits
    groups: dict[str, list[Hit]] = {}
    for hit in pool:
        groups.setdefault(hit.article.story_id or hit.article.id, []).append(hit)
    ordered = list(groups.values())
    tests = _subject(pq, pool) if pq.kind != "comparison" else []
    if tests:
        # a question naming a product or a kind of therapy hears the stories about it, not
        # ones naming it in passing; the best-ranked story is told whatever it is
        ordered = ordered[:1] + [g for g in ordered[1:] if _about(g, tests)]
    if pq.kind == "comparison" and len(pq.entities) >= 2:
        # one story per asked product first, so both sides are heard
        firsts: list[list[Hit]] = []
        for entity in pq.entities:
            for group in ordered:
                if group not in firsts and any(
                        mentions(f"{h.article.title} {h.article.text}", entity) for h in group):
                    firsts.append(group)
                    break
        ordered = firsts + [g for g in ordered if g not in firsts]
    return ordered[:plan.stories]


def _idf(hits: list[Hit]) -> dict[str, float]:
    docs = [{stem(w) for w in words(h.article.text)} for h in hits]
    df = Counter(w for d in docs for w in d)
    n = max(1, len(docs))
    return {w: math.log(1 + n / c) for w, c in df.items()}


def _weights(sentence: str, idf: dict[str, float]) -> Counter[str]:
    counts = Counter(stem(w) for w in words(sentence) if len(w) > 2)
    return Counter({w: n * idf.get(w, 1.0) for w, n in counts.items()})


def _cosine(a: Counter[str], b: Counter[str]) -> float:
    dot = sum(x * b.get(w, 0.0) for w, x in a.items())
    norm = math.sqrt(sum(x * x for x in a.values()) * sum(x * x for x in b.values()))
    return dot / norm if norm else 0.0


def _candidates(pq: ParsedQuery, stories: list[list[Hit]], number: dict[str, int],
                single_story: bool) -> list[Candidate]:
    all_hits = [h for group in stories for h in group]
    idf = _idf(all_hits)
    q_words = {stem(w) for w in words(pq.search_text) if len(w) > 2}
    norm = sum(idf.get(w, 1.0) for w in q_words) or 1.0
    out: list[Candidate] = []
    tests = _subject(pq, all_hits) if pq.entities else []
    # in a comparison each side's story speaks as the first one does
    sides = len(pq.entities) - 1 if pq.kind == "comparison" else 0
    explains = pq.asks_what_is
    things = asked_things(pq) if pq.asks_definition else []
    # money talk answers a question about money or about a company (a name, not only codes
    # and trials, and not only as an owner: "Is Tarrowmere's TRW-202 trial still on hold?"),
    # not one after a product's news or its results
    names_company = any(e not in pq.codes and not re.search(
        rf"\b{re.escape(e)}['’]s\b", pq.question, re.I) for e in pq.entities)
    # (nor one asking why something happened: the share fall after a hold is not its cause)
    money_off_topic = "money" not in pq.intents and (
        not names_company or pq.asks_results or "cause" in pq.intents)
    for story_rank, group in enumerate(stories):
        story = group[0].article.story_id or group[0].article.id
        about = bool(tests) and _about(group, tests)
        own = {n for h in group for n in names_in(f"{h.article.title}. {h.article.text[:600]}")}
        # a digest story is told from all of its outlets; an answer from its best three
        outlets = group if pq.kind == "story" else group[:OUTLETS]
        texts = [(outlet_rank, hit, position, raw) for outlet_rank, hit in enumerate(outlets)
                 for position, raw in enumerate(article_sentences(hit.article))]
        vectors = [_weights(raw, idf) for *_, raw in texts]
        companies = {h.article.id: _main_company(h.article) for h in outlets}
        propers = {h.article.id: frozenset(_PROPER.findall(h.article.text)) for h in outlets}
        people = {h.article.id: _people(h.article.text) for h in outlets}
        subject = _story_subject(group[0].article)
        centroid: Counter[str] = Counter()
        for vector in vectors:
            centroid.update(vector)
        for index, ((outlet_rank, hit, position, raw), vector) in enumerate(
                zip(texts, vectors, strict=True)):
            article = hit.article
            sentence, label = strip_label(_DATELINE.sub("", raw))
            if position:
                sentence = resolve(sentence, texts[index - 1][3], companies.get(article.id),
                                   propers[article.id])
            standalone = _self_contained(sentence) if well_formed(sentence) else None
            if standalone is None:
                continue
            sentence = standalone
            if sentence[:1] in "\"“":
                who = speaker(sentence, [t[3] for t in texts[index + 1:index + 4]
                                         if t[1] is hit])
                if who == "":
                    continue
                if who:
                    sentence = f"{sentence} [{who}]"
            if pq.advice and (_ANECDOTE.search(sentence) or people[article.id].search(
                    sentence)) or _PERSONAL_STORY.search(
                    sentence) and not _ASKS_EXPERIENCE.search(pq.question):
                continue
            # (in a comparison, a sentence setting the two apart is kept though it speaks of
            # investors: "…a far higher bar than SRI-4 — and investors will want to see…")
            if money_off_topic and _FINANCE.search(sentence) and not (
                    pq.kind == "comparison" and _CONTRAST.search(sentence)):
                continue
            # "The company plans…" is clear only where the answer is about that company
            if _definite(sentence) and not (
                    (single_story and story_rank == 0) or (pq.entities and about)):
                continue
            if pq.entities and pq.kind != "overview" and _about_other(
                    sentence, pq.entities, own if story_rank == 0 or about
                    else set()):
                continue
            section = label or classify(sentence, article.published, position)
            on_point = any(intent_headline(i).search(sentence) for i in pq.intents)
            if things and defines(sentence, things):
                # "What is an inverse vaccine?": what it is, first, as the news of the answer
                on_point, section = True, "whats_happening"
            if (pq.kind == "status" and section == "whats_next" and _STANDING.search(sentence)
                    and (on_point or not pq.intents)):
                # "Has any CAR-T been approved yet?": where it stands ("approval is still
                # some years away") answers it, though it speaks of what is to come
                section = "whats_happening"
            features = {
                "story": 1 / (1 + max(0, story_rank - sides)),
                "overlap": sum(idf.get(w, 1.0) for w in q_words & set(vector)) / norm,
                "central": _cosine(vector, centroid),
                "figures": min(len(_FIGURE.findall(sentence)), FULL_FIGURES) / FULL_FIGURES,
                "length": min(len(sentence), FULL_LENGTH) / FULL_LENGTH,
                "lead": 1 / (1 + position),
                "outlet": outlet_rank,
                "background": float(not explains and background(sentence)),
                "caveat": float(is_caveat(sentence)),
                "contrast": float(pq.kind == "comparison" and bool(_CONTRAST.search(sentence))),
                # the kind of news asked for ("side effects?")
                "intent": float(on_point),
            }
            if features["background"] and section == "whats_happening":
                continue  # a textbook line is context, never the news of what is happening
            score = sum(WEIGHTS[name] * value for name, value in features.items())
            n = number[article.id]
            out.append(Candidate(sentence, n, story, story_rank, position, score, section,
                                 {n}, shingles(sentence, 2), features, subject,
                                 frozenset(own)))
    return out


def summarise(pq: ParsedQuery, hits: list[Hit], sources: list[Source],
              per_section: int) -> dict[str, list[Statement]]:
    """The four sections for the question from the ranked hits (sections may be empty)."""
    plan = plan_for(pq, per_section)
    stories = _stories(hits, pq, plan)
    number = {s.article_id: s.n for s in sources}
    stories = [[h for h in g if h.article.id in number] for g in stories]
    stories = [g for g in stories if g]
    if 0 < len(stories) < plan.stories:  # fewer stories than planned: each may say more
        share = plan.total // len(stories)
        plan = Plan(len(stories), max(plan.first_story, share), max(plan.per_story, share),
                    plan.total)
    single = len(stories) == 1 or bool(pq.entities and pq.kind in ("specific", "status"))
    candidates = sorted(_candidates(pq, stories, number, single), key=lambda c: -c.score)
    kept = _select(pq, plan, candidates, per_section)
    # a statement (not a report's lead) whose figures the story's other statements all tell
    # again says nothing of its own: its room goes to the next
    told = [c for c in kept if c.position > 1
            and _told(c, [k for k in kept if k is not c and k.story == c.story])]
    if told:
        dropped = min(told, key=lambda c: c.score)
        kept = _select(pq, plan, [c for c in candidates if c is not dropped], per_section)
    if not pq.entities or pq.kind == "comparison":  # else all its stories are the product's
        attribute(kept)
    return _arrange(pq, kept)


def _select(pq: ParsedQuery, plan: Plan, candidates: list[Candidate],
            per_section: int) -> list[Candidate]:
    """The statements an answer keeps, best first within the plan's budgets and rooms."""
    kept: list[Candidate] = []
    per_story: Counter[str] = Counter()
    per_sec: Counter[str] = Counter()
    story_rank = {c.story: c.story_rank for c in candidates}

    spare = 0  # extra room in every section once the sections' own room is spent
    fill = False  # once all else is spent, a story may pass its budget (a thin first story)

    # results are what most questions ask, side effects or cost what some do: that section
    # has more room
    asked = ("beyond_the_headlines" if {"safety", "cost"} & set(pq.intents)
             else "whats_happening")

    def room(cand: Candidate) -> int:
        return per_section + spare + (HAPPENING_EXTRA if cand.section == asked else 0)

    def take(cand: Candidate) -> bool:
        if is_unsafe(cand.text):
            return False  # an instruction, an order to patients or a cure claim: never quoted
        twin = next((k for k in kept if _twins(k, cand)), None)
        if twin is not None:
            twin.citations |= cand.citations  # the same fact from another outlet: cite both
            if _fuller(cand, twin) and cand.story == twin.story and (
                    cand.section == twin.section or per_sec[cand.section] < room(cand)):
                # "30 of 46 (65%) … versus 7 of 22 (32%)" over "65% versus 32%": the telling
                # with every figure of the other and more is quoted
                cand.citations |= twin.citations
                per_sec[twin.section] -= 1
                per_sec[cand.section] += 1
                kept[kept.index(twin)] = cand
            return False
        if _told(cand, [k for k in kept if k.story == cand.story]):
            return False
        budget = plan.first_story if story_rank[cand.story] == 0 else plan.per_story
        if (per_story[cand.story] >= budget and not fill) or per_sec[cand.section] >= room(cand):
            return False
        if len(kept) >= plan.total:
            return False
        kept.append(cand)
        per_story[cand.story] += 1
        per_sec[cand.section] += 1
        return True

    # each story's best statement first, then the best of each section, then by score
    for story in dict.fromkeys(c.story for c in candidates):
        best = next((c for c in candidates if c.story == story), None)
        if best is not None:
            take(best)
    for section in SECTION_KEYS:
        for cand in candidates:
            if cand.section == section and cand not in kept and take(cand):
                break
    for cand in candidates:
        if cand not in kept:
            take(cand)
    # a story with more to say on its risks (or its plans) than the room a section has: the
    # statements left over still go in, up to the answer's length
    spare = SPARE
    for cand in candidates:
        if cand not in kept:
            take(cand)
    # a first story of one short notice must not leave the answer at four lines while the
    # next story about the same product has more to say: budgets shape, they do not starve
    fill, spare = True, 0
    for cand in candidates:
        if cand not in kept:
            take(cand)
    return kept


def _arrange(pq: ParsedQuery, kept: list[Candidate]) -> dict[str, list[Statement]]:
    """The kept statements in their sections, in reading order."""
    # an overview's or a period's section opens with one statement from each story (the first
    # lines, all a chat shows before "Show more", then span the stories); an answer about one
    # product tells its story first
    span = pq.kind in ("overview", "period")
    best_of_story: dict[tuple[str, str], Candidate] = {}
    for cand in sorted(kept, key=lambda c: -c.score):
        best_of_story.setdefault((cand.story, cand.section), cand)

    def order(c: Candidate) -> tuple[bool, bool, int, bool, int, int]:
        # "side effects?": within each section the statements about them come first
        on_point = bool(c.features.get("intent"))
        later = span and best_of_story[(c.story, c.section)] is not c
        # a story's lead, as any of its outlets told it, comes before the detail; a fact
        # several outlets report is placed with the first of them, whichever telling is quoted
        return (not on_point, later, c.story_rank, c.position > 1, min(c.citations), c.position)

    return {
        key: [Statement(c.text, tuple(sorted(c.citations)))
              for c in sorted((c for c in kept if c.section == key), key=order)]
        for key in SECTION_KEYS
    }
