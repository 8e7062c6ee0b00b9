"""What must never reach readers as a quoted statement, judged by the shape of the sentence
rather than by a list of known phrasings:

- it speaks *to* someone: the reader ("you", "your") or a machine (a role prefix such as
  "SYSTEM:", model markup, "the assistant must…", "any summary of this article should…");
- it gives an order: a clause in the imperative ("Ignore…", "Do not…", "Please…");
- it tells patients to start, stop or change a treatment ("lupus patients should stop
  prednisone", "it is safe to halve the dose"), whoever says so. Advice to leave treatment
  as it is ("patients should not stop their medication") is quoted only as clearly
  reported speech: a named or definite source (the FDA, Lumora Bio, Dr Chen, the company)
  with a reporting verb in the same sentence; vague sources ("experts say") do not count;
- it claims a product cures a disease, unless the claim is negated or hedged ("too early
  to call it a cure", "could one day cure").

Orders and words to the reader are dropped even inside attributed quotes: an answer that
repeats them would give the order itself. The same test guards extractive sentences and the
statements a language model writes.
"""

from __future__ import annotations

import functools
import re
import unicodedata

_INVISIBLE = re.compile(r"[\u00ad\u200b-\u200f\u202a-\u202e\u2060-\u2064\ufeff]")
_MARKUP = re.compile(r"<\|[^|>]{0,40}\|>|\[/?(?:inst|sys|system|assistant|user)\]|<</?sys>>|"
                     r"</?(?:system|assistant|user|instructions?|prompt|s)>|\{\{|\}\}", re.I)
_MARKDOWN = re.compile(r"\[([^\]]*)\]\([^)]*\)|[*_`~]+|^\s*(?:#{1,6}|>+|[-+] )\s*", re.M)
_ROLE = re.compile(
    r"^\W*(?:system|sys|assistant|user|developer|dev|admin(?:istrator)?|root|operator|"
    r"moderator|human|ai|a\.i\.|bot|chatbot|model|llm|gpt|newsbot|prompt|instructions?|"
    r"override|jailbreak|système|systeme|sistema|assistente|asistente|assistent)"
    r"(?:\s+(?:message|prompt|note|override|instructions?|update|mode))?\s*(?:\([^)]{0,30}\))?"
    r"(?:\s*(?::|>|\]|\||->|=>|—|–)|\W*$)", re.I)
_HEADING_ROLE = re.compile(r"^\s*(?:#{1,6}|\*\*|__)\s*(?:system|assistant|developer|admin|"
                           r"instructions?|prompt|note to|override)\b", re.I)
_SECOND_PERSON = re.compile(
    r"\b(?i:you|your|yours|yourself|yourselves|you'?re|you'?ve|you'?ll|you'?d|thou|thee)\b|"
    r"\b(?i:vous|votre|usted|ustedes|vosotros|você|vocês)\b|\b(?:toi|dich|deine?)\b")
# A machine as the one addressed: the assistant, a model, whatever summarises this text.
_MACHINE = (r"(?:assistants?|chat\s?bots?|bots?|a\.?i\.?(?:\s+(?:systems?|models?|tools?|"
            r"agents?|assistants?))?|artificial intelligence|(?:large\s+)?language models?|"
            r"llms?|gpts?|newsbot|summari[sz]ers?|crawlers?|agents?|models?)")
_THIS_TEXT = (r"(?:this|the present|the following|the above|these)\s+(?:article|text|page|"
              r"document|passage|message|content|story|post|feed|item|paragraph|section)")
_OUTPUT = r"(?:answers?|summar(?:y|ies)|responses?|outputs?|replies|reply|digests?)"
_MODAL = (r"(?:must|should|shall|will|need(?:s)? to|ha(?:ve|s) to|is to|are to|ought to|"
          r"(?:is|are) (?:required|instructed|expected|supposed|meant|told|asked) to|"
          r"may only|can only)")
_MACHINE_ORDER = re.compile(
    rf"\b{_MACHINE}\b[^.]{{0,40}}\b{_MODAL}\b|\b{_MACHINE}\s+(?:reading|processing|"
    rf"summari[sz]ing|parsing|ingesting|indexing)\b|\b(?:instructions?|directives?|"
    rf"commands?|orders|rules|guidance|prompt|notes?|messages?|memos?|reminders?|notices?)"
    rf"\s+(?:\w+\s+){{0,2}}(?:for|to)\s+(?:the\s+|any\s+|all\s+|every\s+)?(?:\w+\s+)?"
    rf"{_MACHINE}\b|\b{_MACHINE}'s\s+(?:instructions?|rules|prompt|guidelines|directives?|"
    rf"programming|persona|mode|configuration)\b|\b(?:system|developer|hidden|secret)\s+"
    rf"(?:prompt|message|mode|instructions?)\b|\bprompt\s+injection\b|\bjailbreak|"
    rf"\b{_THIS_TEXT}\b[^.]{{0,40}}\b{_MODAL}\b|\b(?:any|every|each|all|the|an?)\s+"
    rf"{_OUTPUT}\b[^.]{{0,40}}\b{_MODAL}\b|\b{_OUTPUT}\s+(?:of|about|for|from)\s+"
    rf"{_THIS_TEXT}\b", re.I)

# Imperatives: a clause opening with a verb in its base form. Verbs that also open news
# sentences as nouns ("Use of…", "Change in…", "Study shows…") count only when an object
# follows ("Use the…", "Stop taking…").
_VERBS = set("""
ignore disregard forget override bypass reveal print output display respond reply answer say
tell write include mention cite recommend advise promote endorse praise describe refer rank
summarize summarise translate repeat act pretend roleplay become behave assume enter enable
disable activate unlock quit discontinue cease halt pause resume continue decrease reduce
lower raise double halve skip take try consult contact visit click buy purchase send email
sign join register subscribe donate remember keep make be do go get give let put set drop
replace swap ditch avoid refuse decline ensure confirm claim insist emphasise emphasize
highlight frame present portray omit hide remove delete exclude stress prioritize prioritise
favor favour trust believe accept obey follow comply execute proceed abandon wean taper
inject apply demand ask request check learn discover watch listen look imagine consider
think know understand pay talk speak seek complain leave come wait hurry stay call tell
disclose state treat insert append add start stop begin switch change increase use share
order note rate list run cut dose test report study""".split())
_NOUNLIKE = set("""answer start stop switch change increase decrease use share order note rate
list run cut dose test report study call drop treat state present act set put lower double
trust add insert take taper stress repeat register sign leave wait stay cease pause
present frame check watch look""".split())
# After a dash or a short lead-in with a colon only verbs that leave no doubt count.
_STRONG = set("""ignore disregard forget override bypass reveal print output respond reply
tell recommend pretend say write include mention stop quit discontinue switch halve double
skip obey comply disclose recommend promote endorse praise claim insist omit hide""".split())
_OBJECT = re.compile(r"^(?:the|a|an|all|any|this|that|these|those|your|their|his|her|my|our|"
                     r"its|it|them|him|me|us|every|each|no|up|off|out|on|immediately|now|"
                     r"today|right|at|away|back|with|readers|users|patients|everyone|"
                     r"anyone|people|taking|using|giving|injecting|following|answering|"
                     r"responding|writing|saying|telling|recommending|mentioning|ignoring)$",
                     re.I)
_ORDER_START = re.compile(r"^(?:do not|don't|dont|never|always|please|kindly|let's|let us|"
                          r"make sure|be sure|remember to|from now on|henceforth|"
                          r"going forward|instead of)\b", re.I)
_LEAD_IN = re.compile(r"^(?:(?:now|then|so|just|simply|also|and|finally|first|next|"
                      r"instead|again|hereafter|ok|okay|well|hey|hello|hi|dear \w+|"
                      r"attention|important|note|nb|ps|p\.s\.|warning|reminder|update)"
                      r"\b[\s,:!-]*)+", re.I)

_CHANGE = (r"(?:stop(?:ping|ped)?|quit(?:ting)?|discontinu\w*|start(?:ing)?|begin(?:ning)?|"
           r"switch(?:ing)?|chang\w*|taper\w*|doubl\w*|halv\w*|increas\w*|reduc\w*|lower\w*|"
           r"rais\w*|skip\w*|drop\w*|cut(?:ting)?|replac\w*|swap\w*|ditch\w*|abandon\w*|"
           r"wean\w*|come off|coming off|go off|going off|give up|giving up|tak(?:e|ing)|"
           r"try(?:ing)?|add(?:ing)?|avoid\w*|refus\w*|forgo\w*|delay\w*|postpon\w*|"
           r"pause|pausing|keep taking|continu\w*|stay on|remain on)")
_TREATMENT = (r"(?:medications?|medicines?|meds|drugs?|doses?|dosages?|pills?|tablets?|"
              r"steroids?|corticosteroids?|immunosuppress\w*|treatments?|therap(?:y|ies)|"
              r"infusions?|injections?|insulin|biologics?|prescriptions?|regimens?|"
              r"vaccin\w*|chemo\w*|[a-z]{3,}(?:mab|nib|cel|sone|olone|cept|limus|statin|pril|"
              r"olol|azole|mide|prine|quine|olate|trexate|porin|cycline|stigmine|amine|azine|parin|"
              r"oxin)s?)")
# Who the advice is for: patients, people with a disease, anyone, no one …
_GROUP = (r"(?:patients?|people|persons?|anyone|everyone|everybody|no one|nobody|those|"
          r"individuals|sufferers|readers|adults|children|kids|parents|women|men|members|"
          r"someone|somebody|one)")
_DEONTIC = (r"(?:must|should|shall|ought to|need(?:s)? to|ha(?:ve|s) to|had better|"
            r"can (?:now |safely |simply |just )?|could safely|may safely|"
            r"(?:are|is) (?:advised|urged|encouraged|told|asked|recommended|free|able) to)")
_ADVICE = re.compile(
    rf"(?<!whether )(?<!if )\b{_GROUP}\b(?:\s+[\w'-]+){{0,6}}?\s+(?<!often )(?<!usually )"
    rf"(?<!typically )(?<!sometimes )(?<!whether )(?<!if ){_DEONTIC}\s*(?:not\s+)?(?:\w+\s+){{0,2}}"
    rf"{_CHANGE}\b[^.;]{{0,60}}\b{_TREATMENT}\b|"
    rf"\b(?:advis|urg|encourag|tell|told|instruct|recommend|ask)\w*\s+(?:\w+\s+){{0,3}}"
    rf"{_GROUP}\s+to\s+(?:\w+\s+){{0,2}}{_CHANGE}\b[^.;]{{0,60}}\b{_TREATMENT}\b|"
    rf"\b(?:it's|it is|it was|is|are) (?:now )?(?:safe|fine|ok|okay|time|best|wise|better|"
    rf"advisable) to\s+(?:\w+\s+){{0,2}}{_CHANGE}\b[^.;]{{0,60}}\b{_TREATMENT}\b|"
    rf"\b(?:there is |there's )?no (?:need|reason) to\s+(?:\w+\s+){{0,2}}{_CHANGE}\b"
    rf"[^.;]{{0,60}}\b{_TREATMENT}\b|"
    rf"\b{_CHANGE}\b[^.;]{{0,50}}\b{_TREATMENT}\b[^.;]{{0,30}}\b(?:is|are) (?:now )?"
    rf"(?:safe|fine|ok|okay|the right|recommended|advisable|best|wise|harmless)\b|"
    rf"\b{_GROUP}\b(?:\s+[\w'-]+){{0,4}}?\s+no longer needs?\s+(?:their\s+|his\s+|"
    rf"her\s+)?(?:[\w-]+\s+)?{_TREATMENT}\b", re.I)
# Cheap first pass: the advice patterns are only tried where a change verb (or "no longer
# need") appears.
_MAYBE_ADVICE = re.compile(rf"\b{_CHANGE}\b|\bno longer needs?\b", re.I)
_REPORTING = (r"(?:said|says|say|told|tells|warned|warns|advised|advises|recommended|"
              r"recommends|cautioned|cautions|stressed|stresses|noted|notes|added|adds|"
              r"urged|urges|wrote|writes|stated|states|announced|announces|insisted|insists|"
              r"explained|explains|emphasi[sz]ed|emphasi[sz]es|reminded|reminds)")
_DEFINITE_SOURCE = re.compile(
    r"\b(?:the|its|their|a)\s+(?:\w+\s+){0,2}(?:company|companies|agency|regulator|sponsor|"
    r"drugmaker|firm|investigators?|researchers|authors|society|foundation|hospital|"
    r"clinic|college|association|charity|ministry|department|institute|panel|committee|"
    r"board|spokesperson|spokeswoman|spokesman|statement|label|guidance|guideline|letter|"
    r"notice|advisory|team|trial|study)\b", re.I)
_VAGUE_SOURCE = re.compile(r"^\W*(?:some|many|most|several|various|other|unnamed|anonymous)?"
                           r"\s*(?:experts?|doctors?|physicians?|sources?|people|users?|"
                           r"observers?|commentators?|critics?|advocates?|insiders?|"
                           r"posters?|commenters?|influencers?|others|some|many|they|"
                           r"scientists?|researchers?|studies|reports?)\W*$", re.I)
_NAME = re.compile(r"\b(?:[A-Z][a-z]+|[A-Z]{2,}|Dr\.?|Prof\.?)\b")

# "The previous context is obsolete.": about the conversation a model is in, whatever tags
# once wrapped it (page extraction strips them).
_CONTEXT_RESET = re.compile(
    r"\b(?:previous|prior|earlier|above|preceding|foregoing|original|old|all other|any other)\s+"
    r"(?:context|instructions?|prompts?|directives?|conversation|system message)\b"
    r"[^.]{0,60}\b(?:obsolete|void|invalid|cancel\w*|revoked|no longer (?:valid|appl\w*|"
    r"in force|matters?)|superseded|replaced|overridden|to be ignored|irrelevant)\b", re.I)
_CURE = re.compile(r"\b(?:cur(?:e|es|ed|ing)|curative)\b", re.I)
_HEDGE = re.compile(
    r"\b(?:not|no|n't|never|nor|neither|without|whether|if|too early|premature|prematurely|"
    r"could|may|might|would|hope[sd]?|hoping|potential(?:ly)?|possibl[ey]|aim(?:s|ed)?|"
    r"goal|quest|search|seek(?:s|ing)?|eventually|one day|someday|short of|cautious|"
    r"caution(?:ed|s)?|avoid(?:ed|s)? (?:the word|calling)|question|unclear|unknown|"
    r"rather than|instead of|far from|yet to|remains to|declined to|stopped short|"
    r"reluctant|careful)\b", re.I)
_SENTENCE_SPLIT = re.compile(r"(?<=[.!?;])\s+|\n+|(?<=[.!?])[\"']\s*")
_SIDE_SPLIT = re.compile(r"\s+[—–-]{1,2}\s+|(?<=:)\s+")


@functools.lru_cache(maxsize=16384)  # the same articles' sentences come up again and again
def is_unsafe(text: str) -> bool:
    return unsafe_reason(text) is not None


def unsafe_reason(text: str) -> str | None:
    """Why the text may not be quoted as a statement, or None when it may."""
    raw = _INVISIBLE.sub("", unicodedata.normalize("NFKC", text))
    if _MARKUP.search(raw):
        return "markup aimed at a language model"
    if _HEADING_ROLE.match(raw):
        return "a role prefix"
    plain = _plain(raw)
    if _quotes_our_prompt(plain):
        return "repeats our own prompt"
    if _SECOND_PERSON.search(plain):
        return "addresses the reader"
    if _MACHINE_ORDER.search(plain):
        return "addresses an assistant"
    if _CONTEXT_RESET.search(plain):
        return "speaks of the conversation, not the news"
    clauses = [c for c in _SENTENCE_SPLIT.split(plain) if c.strip()]
    for clause in clauses:
        if _ROLE.match(clause):
            return "a role prefix"
        head, *rest = _SIDE_SPLIT.split(clause)
        if _imperative(head, _VERBS):
            return "gives an instruction"
        if len(head.split()) <= 4 and head.rstrip().endswith(":") and rest:
            head, rest = rest[0], rest[1:]  # "Note: …", "Her checklist: …"
            if _imperative(head, _VERBS):
                return "gives an instruction"
        if any(_imperative(part, _STRONG) for part in rest):
            return "gives an instruction"
    advice = _ADVICE.search(plain) if _MAYBE_ADVICE.search(plain) else None
    if advice and not (_keeps_course(plain[max(0, advice.start() - 20):advice.end()])
                       and _clearly_reported(plain)):
        return "tells patients to change a treatment"
    if any(_CURE.search(c) and not _HEDGE.search(c) for c in clauses):
        return "claims a cure"
    return None


_LEAK_WORDS = 6


@functools.lru_cache(maxsize=1)
def _prompt_ngrams() -> frozenset[str]:
    """Every run of six words in our prompt templates: a statement repeating one leaks the
    prompt, whatever the model was asked."""
    from newsbot.prompts import PROMPTS_DIR

    grams: set[str] = set()
    for path in sorted(PROMPTS_DIR.glob("*.md")):
        tokens = _words(path.read_text(encoding="utf-8"))
        grams |= {" ".join(tokens[i:i + _LEAK_WORDS])
                  for i in range(len(tokens) - _LEAK_WORDS + 1)}
    return frozenset(grams)


def _words(text: str) -> list[str]:
    return _WORD.findall(text.lower())


_WORD = re.compile(r"[a-z0-9]+")


def _quotes_our_prompt(text: str) -> bool:
    tokens = _words(text)
    grams = _prompt_ngrams()
    return any(" ".join(tokens[i:i + _LEAK_WORDS]) in grams
               for i in range(len(tokens) - _LEAK_WORDS + 1))


def _plain(text: str) -> str:
    text = _MARKDOWN.sub(lambda m: m.group(1) or " ", text)
    text = re.sub(r"[“”„‟«»「」『』〝〞]", '"', text)
    text = re.sub(r"[‘’‚‛‹›]", "'", text)
    return re.sub(r"[ \t]+", " ", text).strip()


def _imperative(clause: str, verbs: set[str]) -> bool:
    clause = re.sub(r"^[\W_]+", "", clause)  # quotes, ¡ ¿, bullets, brackets
    clause = _LEAD_IN.sub("", clause)
    clause = re.sub(r"^[\W_]+", "", clause)
    if _ORDER_START.match(clause):
        return True
    tokens = re.findall(r"[A-Za-z][A-Za-z'-]*", clause[:80])
    if not tokens or not clause[:1].isalpha():
        return False
    first = tokens[0].lower()
    if first not in verbs or tokens[0].isupper() and len(tokens[0]) > 1:
        return False  # an acronym ("CAR") is no verb
    if first in _NOUNLIKE:
        return len(tokens) > 1 and bool(_OBJECT.match(tokens[1]))
    follower = tokens[1].lower() if len(tokens) > 1 else ""
    # "Report finds…", "Trust in…": the verb-looking word is the subject
    return not re.match(r"^(?:of|in|for|from|is|was|are|were|has|had|have|will|may|can|"
                        r"could|would|shows?|finds?|says?|suggests?|\w+ed)$", follower)


_STAY = re.compile(
    r"\b(?:not|n't|never)\s+(?:\w+\s+)?(?:stop\w*|quit\w*|discontinu\w*|skip\w*|drop\w*|"
    r"cut\w*|abandon\w*|ditch\w*|come off|go off|give up|chang\w*|switch\w*|reduc\w*|"
    r"lower\w*|paus\w*|delay\w*|postpon\w*|tak\w+ (?:\w+ )?(?:off|out))\b|"
    r"\b(?:continu\w*|keep taking|stay on|remain on)\b|\b(?:no one|nobody)\b", re.I)


def _keeps_course(advice: str) -> bool:
    """Advice to leave a treatment as it is ("should not stop", "should continue")."""
    return bool(_STAY.search(advice))


def _clearly_reported(sentence: str) -> bool:
    """Advice that the sentence attributes to a named or definite source."""
    match = re.search(r"\baccording to\s+([^,;.]{2,60})", sentence, re.I)
    sources = [match.group(1)] if match else []
    for found in re.finditer(rf"\b{_REPORTING}\b", sentence, re.I):
        segments = re.split(r"[,;\"]", sentence[:found.start()])
        after = re.split(r"[,;.\"]", sentence[found.end():])[0]
        sources += [segments[-1], " ".join(after.split()[:5])]
        if len(segments) > 1 and len(segments[0].split()) <= 4:
            sources.append(segments[0])  # "Dr. Hannah Reyes, a rheumatologist, said …"
    return any(_specific(s) for s in sources)


def _specific(source: str) -> bool:
    source = source.strip()
    if not source or _VAGUE_SOURCE.match(source):
        return False
    if _DEFINITE_SOURCE.search(source):
        return True
    words = source.split()
    named = [w for w in words[1:] if _NAME.match(w)] + (
        [words[0]] if words and (words[0].isupper() or words[0].rstrip(".") in {"Dr", "Prof"})
        else [])
    if words and _NAME.match(words[0]) and len(words) <= 4 and not _VAGUE_SOURCE.match(words[0]):
        named.append(words[0])  # "Lumora said", "Chen said"
    return bool(named)
