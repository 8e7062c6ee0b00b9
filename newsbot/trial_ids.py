"""Trial registry ids in running text: ClinicalTrials.gov (NCT), EU CT and EudraCT numbers,
ISRCTN; and the trial's acronym when the text states both together ("the KAIROS-1 trial
(NCT01234567)"). Pure functions: no store, no network."""

from __future__ import annotations

import re
from dataclasses import dataclass

CTGOV = "ctgov"
EUCT = "euct"
EUDRACT = "eudract"
ISRCTN = "isrctn"
REGISTRY_NAMES = {CTGOV: "ClinicalTrials.gov", EUCT: "EU CTIS", EUDRACT: "EudraCT",
                  ISRCTN: "ISRCTN"}

_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = (
    (CTGOV, re.compile(r"\bNCT[\s-]?(\d{8})\b", re.I)),
    (EUCT, re.compile(r"\b((?:19|20)\d{2}-5\d{5}-\d{2}-\d{2})\b")),
    (EUDRACT, re.compile(r"\b((?:19|20)\d{2}-\d{6}-\d{2})\b(?!-\d)")),
    (ISRCTN, re.compile(r"\bISRCTN[\s-]?(\d{8})\b", re.I)),
)
# A trial acronym: capitals (and digits), perhaps in hyphenated parts: KAIROS-1, RESET-SLE.
_ACRONYM = re.compile(r"\b[A-Z][A-Z0-9]{2,}(?:-[A-Za-z0-9]+)*\b")
# Words that may stand between an acronym and its id ("the KAIROS-1 phase 2 trial, registered
# as NCT…"); anything else means the two are not tied to each other.
_BEFORE_GLUE = re.compile(
    r"^(?:[\s,:;(\[]|\b(?:the|a|an|pivotal|phase|[1-4]|[1-4][ab]|i{1,3}|iv|i/ii|ii/iii|1/2|"
    r"2/3|trial|study|studies|registered|registration|as|under|with|at|identifier|id|number|"
    r"no\.?|nct|clinicaltrials\.gov|is|was|known|listed|on|of)\b)*$", re.I)
_AFTER_GLUE = re.compile(
    r"^(?:[\s,:;(\[]|\b(?:the|a|an|also|known|as|called|dubbed|named|or|i\.e\.|pivotal|"
    r"phase|[1-4]|trial|study)\b)*$", re.I)
# Capitalised words that are never a trial's name.
_NOT_ACRONYMS = frozenset({
    "FDA", "EMA", "MHRA", "NIH", "NCT", "ISRCTN", "EUDRACT", "CAR", "CAR-T", "CAR-NK",
    "CAAR-T", "CD19", "CD20", "BCMA", "SLE", "MS", "MG", "SSC", "RMAT", "BLA", "IND", "USA",
    "THE", "PHASE", "TRIAL", "STUDY", "EULAR", "ACR", "ASH", "AAN", "ECTRIMS", "EU", "CTIS",
    "III", "II", "IV", "NEJM", "CEO", "PRIME", "AAV", "ITP", "RA", "NMOSD", "CIDP",
})
_WINDOW = 80


@dataclass(frozen=True)
class RegistryId:
    registry: str  # ctgov | euct | eudract | isrctn
    id: str        # canonical spelling: NCT01234567, 2023-512345-12-00, ISRCTN12345678
    acronym: str | None = None

    @property
    def url(self) -> str:
        return registry_url(self.registry, self.id)

    @property
    def label(self) -> str:
        return f"{self.acronym} ({self.id})" if self.acronym else self.id


def registry_url(registry: str, trial_id: str) -> str:
    if registry == CTGOV:
        return f"https://clinicaltrials.gov/study/{trial_id}"
    if registry == EUCT:
        return f"https://euclinicaltrials.eu/search-for-clinical-trials/?lang=en&EUCT={trial_id}"
    if registry == EUDRACT:
        return f"https://www.clinicaltrialsregister.eu/ctr-search/search?query={trial_id}"
    return f"https://www.isrctn.com/{trial_id}"


def _canonical(registry: str, digits: str) -> str:
    return {CTGOV: f"NCT{digits}", ISRCTN: f"ISRCTN{digits}"}.get(registry, digits)


def parse_id(text: str) -> RegistryId | None:
    """The registry id `text` is (whole), in canonical spelling; None if it is none."""
    cleaned = text.strip()
    for registry, pattern in _PATTERNS:
        match = pattern.fullmatch(cleaned)
        if match:
            return RegistryId(registry, _canonical(registry, match.group(1)))
    return None


def _sentence_bounds(text: str, start: int, end: int) -> tuple[int, int]:
    left = max(text.rfind(". ", 0, start), text.rfind("\n", 0, start))
    right_candidates = [i for i in (text.find(". ", end), text.find("\n", end)) if i != -1]
    return (left + 1 if left != -1 else 0), (min(right_candidates) if right_candidates
                                             else len(text))


def _acronym_near(text: str, start: int, end: int) -> str | None:
    """The acronym stated with the id at text[start:end]: just before it (only glue words
    between), else just after it."""
    lo, hi = _sentence_bounds(text, start, end)
    before = text[max(lo, start - _WINDOW):start]
    for match in reversed(list(_ACRONYM.finditer(before))):
        name = match.group(0)
        if _is_acronym(name) and _BEFORE_GLUE.match(before[match.end():]):
            return name
    after = text[end:min(hi, end + _WINDOW)]
    for match in _ACRONYM.finditer(after):
        name = match.group(0)
        if _is_acronym(name) and _AFTER_GLUE.match(after[:match.start()]):
            return name
        break
    return None


def _is_acronym(name: str) -> bool:
    if name.upper() in _NOT_ACRONYMS or parse_id(name) or name.isdigit():
        return False
    return sum(c.isalpha() for c in name.split("-")[0]) >= 3


def find_registry_ids(text: str) -> tuple[RegistryId, ...]:
    """Every registry id in `text`, once each, in order of first mention, with the acronym
    the text ties to it (the first one stated with any of its mentions)."""
    first: dict[tuple[str, str], int] = {}
    acronyms: dict[tuple[str, str], str | None] = {}
    for registry, pattern in _PATTERNS:
        for match in pattern.finditer(text):
            key = (registry, _canonical(registry, match.group(1)))
            first.setdefault(key, match.start())
            if acronyms.get(key) is None:
                acronyms[key] = _acronym_near(text, *match.span())
    return tuple(RegistryId(reg, tid, acronyms[(reg, tid)])
                 for reg, tid in sorted(first, key=first.__getitem__))
