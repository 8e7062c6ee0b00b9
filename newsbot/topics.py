"""The vocabulary of the beat: autoimmune diseases, immune-reprogramming therapies, trial ids.

Used by ingest (tagging and the on-topic decision) and by retrieval (disease filters).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

# canonical key -> (display name, regex alternatives)
DISEASES: dict[str, tuple[str, tuple[str, ...]]] = {
    "lupus": ("Lupus (SLE)", (r"lupus", r"\bSLE\b", r"lupus nephritis", r"\bLN\b")),
    "myasthenia_gravis": ("Myasthenia gravis", (r"myasthenia", r"\bgMG\b", r"\bMG\b")),
    "multiple_sclerosis": ("Multiple sclerosis", (r"multiple sclerosis", r"\bMS\b", r"\bRRMS\b")),
    "systemic_sclerosis": (
        "Systemic sclerosis",
        (r"systemic sclerosis", r"scleroderma", r"\bSSc\b"),
    ),
    "rheumatoid_arthritis": ("Rheumatoid arthritis", (r"rheumatoid arthritis", r"\bRA\b")),
    "type1_diabetes": (
        "Type 1 diabetes",
        (r"type 1 diabetes", r"type-1 diabetes", r"\bT1D\b", r"juvenile diabetes"),
    ),
    "ibd": ("Inflammatory bowel disease", (r"crohn", r"ulcerative colitis", r"\bIBD\b",
                                           r"inflammatory bowel")),
    "nmosd": ("NMOSD", (r"neuromyelitis", r"\bNMOSD\b")),
    "myositis": ("Myositis", (r"myositis", r"dermatomyositis", r"anti-?synthetase",
                              r"polymyositis", r"\bIIM\b")),
    "vasculitis": ("Vasculitis", (r"vasculitis", r"\bANCA\b", r"polyangiitis", r"\bGPA\b",
                                  r"\bMPA\b", r"\bAAV\b")),
    "sjogrens": ("Sjögren's disease", (r"sj[öo]gren",)),
    "celiac": ("Celiac disease", (r"co?eliac",)),
    "psoriasis": ("Psoriasis / psoriatic arthritis", (r"psoria", r"\bPsA\b")),
    "cidp": ("CIDP", (r"\bCIDP\b", r"chronic inflammatory demyelinating")),
    "pemphigus": ("Pemphigus", (r"pemphig",)),
    "itp": ("Immune thrombocytopenia", (r"\bITP\b", r"immune thrombocytop")),
    "autoimmune_hepatitis": ("Autoimmune hepatitis", (r"autoimmune hepatitis", r"\bAIH\b")),
    # two diseases, not one: an overactive thyroid (Graves', and the eye disease it brings)
    # and a failing one (Hashimoto's); "autoimmune thyroid disease" is either
    "thyroid": ("Graves' disease / thyroid eye disease", (
        r"graves'? disease", r"graves'", r"graves'? (?:orbitopathy|ophthalmopathy)",
        r"thyroid eye disease", r"\bTED\b", r"autoimmune thyroid")),
    "hashimoto": ("Hashimoto's thyroiditis", (r"hashimoto", r"autoimmune thyroid")),
    # psoriatic arthritis is psoriasis's: a question about ankylosing spondylitis is not
    # answered by a psoriatic-arthritis trial
    "spondyloarthritis": ("Spondyloarthritis", (r"ankylosing spondylitis", r"spondyloarthritis",
                                                r"\baxSpA\b", r"\bnr-axSpA\b")),
    "antiphospholipid": ("Antiphospholipid syndrome", (r"antiphospholipid", r"\bAPS\b")),
    "autoimmune_encephalitis": ("Autoimmune encephalitis", (
        r"autoimmune encephalitis", r"anti-NMDA", r"NMDA[- ]receptor encephalitis",
        r"limbic encephalitis")),
    # two diseases, not one: a vitiligo question is not answered by an alopecia trial
    "vitiligo": ("Vitiligo", (r"vitiligo",)),
    "alopecia_areata": ("Alopecia areata", (
        r"alopecia areata", r"alopecia(?! (?:from|after|due to|caused by))",
        r"(?<!no )\bhair loss\b(?! (?:from|after|due to|caused by|is a side))")),
    "transplant": ("Transplant tolerance", (
        r"(?:kidney|liver|organ|islet|renal|heart|lung)[- ]transplant", r"transplant recipients?",
        r"transplant (?:rejection|tolerance)", r"graft rejection")),
    "autoimmune_general": (
        "Autoimmune disease",
        (r"autoimmun", r"auto-immun", r"immune[- ]mediated"),
    ),
}

THERAPIES: dict[str, tuple[str, tuple[str, ...]]] = {
    "car_t": ("CAR-T", (r"\bCAR[- ]?T\b", r"\bcar-t\b", r"chimeric antigen receptor(?: \(CAR\))? T",
                        r"\bCAR therap",
                        r"\bCAR T-cells?\b")),
    "in_vivo_car_t": ("In vivo CAR-T", (r"\bin[- ]vivo\b[^.]{0,40}\bCAR\b",
                                        r"\bCAR\b[^.]{0,60}\bin[- ]vivo\b",
                                        r"\bT[- ]cells? in[- ]vivo\b")),
    "car_nk": ("CAR-NK", (r"\bCAR[- ]?NK\b", r"\bcar-nk\b", r"chimeric antigen receptor NK",
                          r"chimeric antigen receptor natural killer")),
    "t_cell_engager": (
        "T-cell engager",
        (r"t[- ]cell engager", r"bispecific", r"\bTCE\b", r"CD19\s?[x×]\s?CD3",
         r"BCMA\s?[x×]\s?CD3"),
    ),
    "treg": ("Treg therapy", (r"\bTregs?\b", r"regulatory t[- ]cells?", r"CAR[- ]Tregs?")),
    "car_treg": ("CAR-Treg therapy", (r"\bCAR[- ]?Tregs?\b", r"chimeric antigen receptor "
                                      r"(?:regulatory|Treg)")),
    "caar_t": ("CAAR-T", (r"\bCAAR[- ]?T\b", r"chimeric autoantibody receptor")),
    "tolerogenic_vaccine": (
        "Tolerogenic vaccine",
        (r"tolerogenic", r"\binverse\W{0,2}(?: or tolerance)? vaccines?", r"tolerance vaccines?",
         r"antigen[- ]specific (?:immune )?tolerance",
         r"tolerance[- ]inducing", r"antigen[- ]specific immunotherap", r"toleri[sz]ing",
         r"peptide immunotherap"),
    ),
    # a kind of cell therapy people ask for by name ("an off-the-shelf CAR-T"): made from
    # donor cells, not the patient's own
    "allogeneic": ("Off-the-shelf (allogeneic) cell therapy",
                   (r"\ballogeneic\b", r"off[- ]the[- ]shelf", r"donor[- ]derived")),
    "b_cell_depletion": (
        "B-cell depletion",
        (r"b[- ]cell depletion", r"anti-?CD20", r"\bCD19\b", r"\bBCMA\b", r"\bCD20\b",
         r"rituximab", r"obinutuzumab", r"ocrelizumab"),
    ),
    "fcrn": ("FcRn blocker", (r"\bFcRn\b", r"efgartigimod", r"rozanolixizumab", r"nipocalimab")),
    "stem_cell": ("Stem-cell transplant", (r"stem[- ]cell transplant", r"\bHSCT\b",
                                           r"immune reset")),
    # a family asked for by its common name ("MS cell therapy"): any of its members, but
    # not a vaccine's "regulatory T cells" nor an "off-the-shelf" antibody (see FAMILIES)
    "cell_therapy": ("Cell therapy", (r"\bcell(?:ular)?[- ]therap(?:y|ies)\b",
                                      r"\bcell[- ]based (?:therap|treatment)",
                                      r"\bengineered (?:immune |T[- ]?)?cells\b",
                                      r"\bCAR[- ]?(?:T|NK|Tregs?)\b", r"\bCAAR[- ]?T\b",
                                      r"chimeric (?:auto)?antibody receptor",
                                      r"chimeric antigen receptor",
                                      r"\bTregs? (?:cell )?therap",
                                      r"regulatory T[- ]cell therap")),
}
# A kind of therapy named by its family: a question or an article naming a member is tagged
# with the member alone ("CAR-T cell therapy" is CAR-T); a watch for the family is told of
# its members' news.
FAMILIES = {"cell_therapy": ("car_t", "in_vivo_car_t", "car_nk", "treg", "car_treg", "caar_t",
                             "allogeneic")}

ONCOLOGY = (
    r"lymphoma", r"leuka?emia", r"myeloma", r"\btumou?rs?\b", r"\bcancers?\b", r"oncolog",
    r"carcinoma", r"solid tumou?r",
)
SCIENCE_CONTEXT = (
    r"\btrial\b", r"phase [1-3I]+", r"\bFDA\b", r"\bEMA\b", r"approv", r"patients?",
    r"remission", r"therap", r"treat", r"immune", r"antibod", r"\bcells?\b",
    r"insurance", r"reimburse", r"\bcost", r"price", r"access", r"ethic",
)

NCT_RE = re.compile(r"\bNCT\d{8}\b")
# Targets, disease and method acronyms, agencies, meetings, journals and company suffixes:
# they narrow a topic but never name one product, trial or company.
GENERIC_TERM = re.compile(
    r"^(?:CD\d{1,3}[A-Z]?|BCMA|FcRn|CAR|CAR-?T|CAR-?NK|CAAR-?T|CAR-?Tregs?|TCE|CRS|ICANS|IEC|"
    r"mRNA|DNA|RNA|IL-?\d+|TNF|JAK|BTK|HLA(?:-?\w+)?|MHC|IgG\d?|IgA|IgE|GLP-?1|"
    r"CD19xCD3|BCMAxCD3|B-?cells?|T-?cells?|Tregs?|MRI|HSCT|"
    r"SLE|LN|MS|MG|gMG|RA|SSc|T1D|IBD|UC|NMOSD|CIDP|ITP|ANCA|COVID-?19|"
    r"ORR|CRR|PFS|OS|AE|SAE|QALY|BLA|NDA|MAA|CHMP|PRIME|RMAT|"
    # lab tests, scores, care settings and trade shorthand: what a report measures
    # or where, never whom it is about ("LDL cholesterol rose in 14%", "a subtherapeutic INR")
    r"LDL|HDL|ALT|AST|INR|CRP|ESR|e?GFR|UPCR|UACR|ANA|dsDNA|TSH|TPO(?:-?RAs?)?|"
    r"IVIG|PLEX|DVT|ICU|UVB|ECG|EKG|EEG|CMV|EBV|HIV|HBV|HCV|aPL|GvHD|TCR|LNP|"
    r"EDSS|MG-?ADL|QMG|mRSS|CRISS(?:-?25)?|SLEDAI(?:-?2K)?|BILAG|DORIS|LLDAS|SRI(?:-?4)?|DAS28|"
    r"HAQ|MoCA|ACR(?:20|50|70)|IQR|BMI|KOL|COGS|CMC|CDMO|"
    r"FDA|EMA|NMA|NoMA|NICE|ICER|MHRA|NIH|NHS|CDC|WHO|US|UK|EU|USA|"
    r"Europe|European|America|American|Americas|Asia|Asian|Africa|African|Canada|Australia|"
    r"Japan|China|India|Germany|France|Spain|Italy|Britain|England|Switzerland|Netherlands|"
    r"EULAR|ACR|ASH|AAN|ECTRIMS|DDW|ADA|EASD|FOCIS|NEJM|JAMA|BMJ|"
    r"Q[1-4]|H[12]|AI|CEO|CFO|CMO|R&D|IPO|AGM|PDF|x|vs|"
    r"Bio|Biosciences|Therapeutics|Pharma|Pharmaceuticals|Biopharma|Biologics|Biotech|Inc|"
    r"Ltd|AG|SA|plc|Corp|Cell|Cells|Medicines|Agency|Notice|Trial|Study|Phase)$",
    re.I,
)


def is_generic(token: str) -> bool:
    return bool(GENERIC_TERM.match(token) or GENERIC_TERM.match(token.replace("-", "")))


def _compile(table: dict[str, tuple[str, tuple[str, ...]]]) -> dict[str, re.Pattern[str]]:
    out: dict[str, re.Pattern[str]] = {}
    for key, (_, alternatives) in table.items():
        # Acronyms (word-bounded, all caps) are matched case-sensitively; words are not.
        parts = [f"(?-i:{a})" if a.startswith(r"\b") and a[2:4].isupper() else a
                 for a in alternatives]
        out[key] = re.compile("|".join(parts), re.IGNORECASE)
    return out


_DISEASE_RE = _compile(DISEASES)
_THERAPY_RE = _compile(THERAPIES)
_ONCOLOGY_RE = re.compile("|".join(ONCOLOGY), re.IGNORECASE)
_SCIENCE_RE = re.compile("|".join(SCIENCE_CONTEXT), re.IGNORECASE)


def count_matches(pattern: re.Pattern[str], text: str) -> int:
    return sum(1 for _ in pattern.finditer(text))


def detect_diseases(text: str) -> tuple[str, ...]:
    return tuple(k for k, rx in _DISEASE_RE.items() if rx.search(text))


def detect_therapies(text: str) -> tuple[str, ...]:
    return narrowest(tuple(k for k, rx in _THERAPY_RE.items() if rx.search(text)))


def narrowest(therapies: tuple[str, ...]) -> tuple[str, ...]:
    """The therapies less a family one of whose members is there too."""
    return tuple(t for t in therapies if not set(FAMILIES.get(t, ())) & set(therapies))


# A therapy named more specifically stands for itself: "CAR-Treg" is not any Treg mention.
NARROWER = {"car_treg": "treg", "caar_t": "car_t", "in_vivo_car_t": "car_t"}


def specific_therapies(therapies: tuple[str, ...]) -> tuple[str, ...]:
    broader = {NARROWER[t] for t in therapies if t in NARROWER}
    return tuple(t for t in therapies if t not in broader)


def disease_pattern(key: str) -> re.Pattern[str]:
    return _DISEASE_RE[key]


def therapy_pattern(key: str) -> re.Pattern[str]:
    return _THERAPY_RE[key]


def find_trial_ids(text: str) -> tuple[str, ...]:
    return tuple(dict.fromkeys(NCT_RE.findall(text)))


def disease_key(name: str) -> str | None:
    """Map what a user typed ("MS", "lupus", "Myasthenia gravis") to a disease key."""
    cleaned = name.strip()
    if not cleaned:
        return None
    lowered = cleaned.lower().replace("-", "_").replace(" ", "_")
    if lowered in DISEASES:
        return lowered
    for key, (display, _) in DISEASES.items():
        if display.lower() == cleaned.lower():
            return key
    found = detect_diseases(cleaned)
    return found[0] if found else None


def display_disease(key: str) -> str:
    return DISEASES.get(key, (key, ()))[0]


def display_therapy(key: str) -> str:
    return THERAPIES.get(key, (key, ()))[0]


@dataclass(frozen=True)
class TopicDecision:
    on_topic: bool
    score: float
    reason: str
    diseases: tuple[str, ...]
    therapies: tuple[str, ...]


def classify(title: str, text: str, threshold: float) -> TopicDecision:
    """Score how squarely an article sits on the beat, with a reason a moderator can read.

    The title counts double. Autoimmune disease and an immune therapy together score high;
    oncology terms without any autoimmune mention mark oncology-only news.
    """
    body = f"{title}\n{title}\n{text}"
    disease_hits = {k: count_matches(rx, body) for k, rx in _DISEASE_RE.items()}
    therapy_hits = {k: count_matches(rx, body) for k, rx in _THERAPY_RE.items()}
    diseases = tuple(k for k, n in disease_hits.items() if n)
    therapies = narrowest(tuple(k for k, n in therapy_hits.items() if n))
    n_disease = sum(disease_hits.values())
    n_therapy = sum(n for k, n in therapy_hits.items() if k not in FAMILIES)
    n_onc = count_matches(_ONCOLOGY_RE, body)
    n_science = count_matches(_SCIENCE_RE, body)

    disease_part = min(1.0, n_disease / 3)
    therapy_part = min(1.0, n_therapy / 3)
    science_part = min(1.0, n_science / 6)
    score = 0.5 * disease_part + 0.3 * therapy_part + 0.2 * science_part
    if not diseases:
        score = min(score, 0.3)
    if n_onc and n_onc > 2 * max(n_disease, 1):
        score *= 0.4  # mostly about cancer: oncology-only unless autoimmunity dominates
    score = round(score, 3)

    names_d = ", ".join(display_disease(d) for d in diseases) or "none"
    names_t = ", ".join(display_therapy(t) for t in therapies) or "none"
    if not diseases and n_onc:
        reason = f"oncology only (no autoimmune disease mentioned); therapies: {names_t}"
    elif not diseases:
        reason = "no autoimmune disease mentioned"
    elif n_onc and n_onc > 2 * max(n_disease, 1):
        reason = f"mostly oncology ({n_onc} cancer terms) despite: {names_d}"
    else:
        reason = f"diseases: {names_d}; therapies: {names_t}"
    return TopicDecision(score >= threshold, score, reason, diseases, therapies)


@lru_cache(maxsize=1024)
def mention_pattern(name: str) -> re.Pattern[str] | None:
    """A name as written in running text: word-bounded, "VX-19" also as "VX 19" or "VX19"."""
    parts = [re.escape(p) for p in re.split(r"[-\s]+", name.strip()) if p]
    if not parts:
        return None
    joined = r"[-\s]?".join(parts)
    return re.compile(rf"(?<![\w]){joined}(?![\w])", re.I)
