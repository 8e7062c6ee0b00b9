"""Trial registry records (ClinicalTrials.gov API v2 shape) and the status changes between
two of them. Pure: parsing a study's JSON and comparing two records; the store caches them
and ingest/registry.py fetches them."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from newsbot.models import ArticleRecord
from newsbot.trial_ids import CTGOV, RegistryId, parse_id, registry_url

if TYPE_CHECKING:
    from newsbot.store import Store

STATUS_WORDS = {
    "NOT_YET_RECRUITING": "Not yet recruiting", "RECRUITING": "Recruiting",
    "ENROLLING_BY_INVITATION": "Enrolling by invitation",
    "ACTIVE_NOT_RECRUITING": "Active, not recruiting", "SUSPENDED": "Suspended",
    "TERMINATED": "Terminated", "COMPLETED": "Completed", "WITHDRAWN": "Withdrawn",
    "UNKNOWN": "Unknown status", "AVAILABLE": "Available", "NO_LONGER_AVAILABLE":
    "No longer available", "TEMPORARILY_NOT_AVAILABLE": "Temporarily not available",
    "APPROVED_FOR_MARKETING": "Approved for marketing", "WITHHELD": "Withheld",
}
PHASE_WORDS = {"EARLY_PHASE1": "Early phase 1", "PHASE1": "Phase 1", "PHASE2": "Phase 2",
               "PHASE3": "Phase 3", "PHASE4": "Phase 4", "NA": "Not applicable"}


class MalformedRecord(ValueError):
    """A registry answer that is not a study record of the expected shape."""


def status_words(status: str) -> str:
    return STATUS_WORDS.get(status, status.replace("_", " ").capitalize())


@dataclass(frozen=True)
class TrialRecord:
    """What newsbot keeps of one ClinicalTrials.gov study."""

    nct_id: str
    title: str
    acronym: str | None
    status: str                 # overallStatus, e.g. RECRUITING
    status_date: str | None     # statusVerifiedDate ("2026-10" or "2026-10-02")
    why_stopped: str | None
    phases: tuple[str, ...]
    conditions: tuple[str, ...]
    interventions: tuple[str, ...]
    enrollment: int | None
    enrollment_type: str | None  # ACTUAL | ESTIMATED
    countries: tuple[tuple[str, int], ...]  # (country, sites), most sites first
    last_update: str | None     # lastUpdatePostDateStruct.date
    has_results: bool

    @property
    def url(self) -> str:
        return registry_url(CTGOV, self.nct_id)

    @property
    def status_text(self) -> str:
        return status_words(self.status)

    @property
    def phase_text(self) -> str:
        return "/".join(PHASE_WORDS.get(p, p) for p in self.phases) or "no phase given"

    def to_json(self) -> dict[str, object]:
        return {"nct_id": self.nct_id, "title": self.title, "acronym": self.acronym,
                "status": self.status, "status_date": self.status_date,
                "why_stopped": self.why_stopped, "phases": list(self.phases),
                "conditions": list(self.conditions), "interventions": list(self.interventions),
                "enrollment": self.enrollment, "enrollment_type": self.enrollment_type,
                "countries": {c: n for c, n in self.countries},
                "last_update": self.last_update, "has_results": self.has_results,
                "url": self.url}


def _module(section: dict[str, Any], name: str) -> dict[str, Any]:
    value = section.get(name) or {}
    if not isinstance(value, dict):
        raise MalformedRecord(f"{name} is not an object")
    return value


def _strings(values: object, key: str | None = None) -> tuple[str, ...]:
    if not isinstance(values, list):
        return ()
    out = []
    for value in values:
        item = value.get(key) if key and isinstance(value, dict) else value
        if isinstance(item, str) and item.strip():
            out.append(item.strip())
    return tuple(dict.fromkeys(out))


def record_from_json(data: object, expected_id: str | None = None) -> TrialRecord:
    """A TrialRecord from one `/studies/{nctId}` answer; MalformedRecord if it is not one."""
    if not isinstance(data, dict) or not isinstance(data.get("protocolSection"), dict):
        raise MalformedRecord("no protocolSection")
    section = data["protocolSection"]
    ident = _module(section, "identificationModule")
    status = _module(section, "statusModule")
    design = _module(section, "designModule")
    nct_id = ident.get("nctId")
    overall = status.get("overallStatus")
    if not isinstance(nct_id, str) or not isinstance(overall, str):
        raise MalformedRecord("no nctId or overallStatus")
    if expected_id and nct_id.upper() != expected_id.upper():
        raise MalformedRecord(f"asked for {expected_id}, got {nct_id}")
    enrollment = _module(design, "enrollmentInfo")
    count = enrollment.get("count")
    locations = _module(section, "contactsLocationsModule").get("locations") or []
    countries = Counter(loc.get("country") for loc in locations
                        if isinstance(loc, dict) and isinstance(loc.get("country"), str))
    last_update = _module(status, "lastUpdatePostDateStruct").get("date")
    why = status.get("whyStopped")
    return TrialRecord(
        nct_id=nct_id, title=str(ident.get("briefTitle") or ""),
        acronym=ident.get("acronym") if isinstance(ident.get("acronym"), str) else None,
        status=overall,
        status_date=status.get("statusVerifiedDate") or last_update,
        why_stopped=why if isinstance(why, str) and why.strip() else None,
        phases=_strings(design.get("phases")),
        conditions=_strings(_module(section, "conditionsModule").get("conditions")),
        interventions=_strings(_module(section, "armsInterventionsModule")
                               .get("interventions"), "name"),
        enrollment=count if isinstance(count, int) else None,
        enrollment_type=enrollment.get("type") if isinstance(enrollment.get("type"), str)
        else None,
        countries=tuple(sorted(countries.items(), key=lambda kv: (-kv[1], kv[0]))),
        last_update=last_update if isinstance(last_update, str) else None,
        has_results=bool(data.get("hasResults")),
    )


@dataclass(frozen=True)
class TrialUpdate:
    """A registry change worth telling: the overall status changed, or results were posted."""

    nct_id: str
    acronym: str | None
    title: str
    old_status: str | None
    new_status: str
    status_date: str | None
    observed_at: datetime
    why_stopped: str | None = None
    results_posted: bool = False

    @property
    def url(self) -> str:
        return registry_url(CTGOV, self.nct_id)

    @property
    def name(self) -> str:
        return f"{self.acronym} ({self.nct_id})" if self.acronym else self.nct_id

    @property
    def change(self) -> str:
        """'Recruiting → Terminated (why: …)', or 'results posted'."""
        parts = []
        if self.old_status and self.old_status != self.new_status:
            parts.append(f"{status_words(self.old_status)} → {status_words(self.new_status)}")
        if self.results_posted:
            parts.append("results posted")
        text = "; ".join(parts) or status_words(self.new_status)
        if self.why_stopped and self.new_status in {"TERMINATED", "SUSPENDED", "WITHDRAWN"}:
            text += f" (why stopped: {self.why_stopped})"
        return text

    def to_json(self) -> dict[str, object]:
        return {"nct_id": self.nct_id, "acronym": self.acronym, "title": self.title,
                "old_status": self.old_status, "new_status": self.new_status,
                "status_date": self.status_date, "observed_at": self.observed_at.isoformat(),
                "why_stopped": self.why_stopped, "results_posted": self.results_posted,
                "change": self.change, "url": self.url}


def change_between(old: TrialRecord | None, new: TrialRecord,
                   observed_at: datetime) -> TrialUpdate | None:
    """The update `new` is over `old`; None for a first sighting or nothing worth telling."""
    if old is None:
        return None
    moved = old.status != new.status
    results = new.has_results and not old.has_results
    if not moved and not results:
        return None
    return TrialUpdate(new.nct_id, new.acronym, new.title, old.status, new.status,
                       new.status_date, observed_at, new.why_stopped, results)


@dataclass(frozen=True)
class CachedTrial:
    """What the store holds of one NCT id: its last good record (if any) and how the last
    check went. `found` is False once the registry said it has no such study (404)."""

    nct_id: str
    record: TrialRecord | None
    found: bool
    fetched_at: datetime | None  # when the record was last fetched (200 or 304)
    checked_at: datetime         # when the registry was last asked
    etag: str | None = None
    last_modified: str | None = None
    last_error: str | None = None


@dataclass(frozen=True)
class TrialView:
    """One trial as `/trial` and `newsbot trial` show it: its id, the acronym the news ties
    to it, its cached registry record (ClinicalTrials.gov ids only) and the stories naming it."""

    id: RegistryId
    acronym: str | None
    cached: CachedTrial | None
    stories: list[ArticleRecord]

    @property
    def name(self) -> str:
        return f"{self.acronym} ({self.id.id})" if self.acronym else self.id.id


def look_up(store: Store, text: str) -> TrialView | None:
    """The trial `text` names (an id, or an acronym the news ties to one), or None."""
    rid = parse_id(text) or store.trials.by_acronym(text)
    if rid is None:
        return None
    cached = store.trials.cached(rid.id) if rid.registry == CTGOV else None
    record = cached.record if cached else None
    acronym = (record.acronym if record else None) or store.trials.acronym_of(rid.id)
    return TrialView(rid, acronym, cached, store.trials.articles_mentioning(rid.id))
