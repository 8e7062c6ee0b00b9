"""The trial registry client: ClinicalTrials.gov API v2 records of the NCT ids stated in
stored articles, fetched through the same guarded fetch as feeds (SSRF guard, size cap,
one deadline per request), politely: conditional requests with the validators the registry
sent, a pause between requests, only records older than `registry.refresh_after`, and the
whole refresh bounded in time. Nothing here runs on an answer's path."""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime

import httpx

from ingest.fetch import HTTPStatusError, fetch, make_client
from newsbot.errors import FeedError
from newsbot.settings import Settings
from newsbot.store import Store
from newsbot.trials import TrialUpdate, record_from_json

log = logging.getLogger(__name__)


@dataclass
class RefreshReport:
    checked: int = 0        # requests answered (200, 304 or 404)
    fetched: int = 0        # new or changed records
    not_modified: int = 0   # 304
    missing: list[str] = field(default_factory=list)     # not in the registry (404)
    malformed: list[str] = field(default_factory=list)   # answered, but not a study record
    failed: list[str] = field(default_factory=list)      # one line per failure
    left: int = 0           # due but not asked: the time budget was spent or the registry down
    updates: list[TrialUpdate] = field(default_factory=list)
    unreachable: bool = False

    def to_json(self) -> dict[str, object]:
        return {"checked": self.checked, "fetched": self.fetched,
                "not_modified": self.not_modified, "missing": self.missing,
                "malformed": self.malformed, "failed": self.failed, "left": self.left,
                "unreachable": self.unreachable,
                "updates": [u.to_json() for u in self.updates]}


def study_url(settings: Settings, nct_id: str) -> str:
    return f"{settings.registry.base_url.rstrip('/')}/studies/{nct_id}"


def refresh_trials(store: Store, settings: Settings, *, ids: Iterable[str] | None = None,
                   force: bool = False, now: datetime | None = None,
                   client: httpx.Client | None = None,
                   sleep: Callable[[float], None] = time.sleep) -> RefreshReport:
    """Fetch the records that are due (or `ids`; `force` asks even for fresh ones) within
    `registry.refresh_seconds`. A transport failure (registry down, too slow) ends the run:
    the rest waits for the next one, with the cached records kept."""
    reg = settings.registry
    now = settings.current_time(now)
    store.trials.index_articles()
    if ids is None:
        due = store.trials.due(now if force else now - reg.refresh_after)
    else:
        due = [i for i in dict.fromkeys(ids) if force or _stale(store, i, now, settings)]
    report = RefreshReport()
    if not due:
        return report
    ends = time.monotonic() + reg.refresh_seconds
    owned = client is None
    client = client or make_client(settings)
    try:
        for index, nct_id in enumerate(due):
            if index and reg.request_interval > 0:
                if time.monotonic() + reg.request_interval >= ends:
                    report.left = len(due) - index
                    break
                sleep(reg.request_interval)
            if time.monotonic() >= ends:
                report.left = len(due) - index
                break
            if not _check_one(store, settings, client, nct_id, now, ends, report):
                report.unreachable = True
                report.left = len(due) - index - 1
                break
    finally:
        if owned:
            client.close()
    return report


def _stale(store: Store, nct_id: str, now: datetime, settings: Settings) -> bool:
    cached = store.trials.cached(nct_id)
    return cached is None or cached.checked_at < now - settings.registry.refresh_after


def _check_one(store: Store, settings: Settings, client: httpx.Client, nct_id: str,
               now: datetime, ends: float, report: RefreshReport) -> bool:
    """Ask the registry for one record; False when it could not be reached at all."""
    cached = store.trials.cached(nct_id)
    have = cached is not None and cached.record is not None
    try:
        result = fetch(client, study_url(settings, nct_id), settings,
                       max_bytes=settings.registry.max_record_bytes, trusted=False,
                       etag=cached.etag if have and cached else None,
                       last_modified=cached.last_modified if have and cached else None,
                       accept="application/json", deadline=ends)
    except HTTPStatusError as exc:
        report.checked += 1
        if exc.status == 404:
            store.trials.missing(nct_id, now)
            report.missing.append(nct_id)
        else:
            store.trials.failed(nct_id, str(exc), now)
            report.failed.append(f"{nct_id}: {exc}")
        return True
    except FeedError as exc:
        log.info("registry unreachable for %s: %s", nct_id, exc)
        report.failed.append(f"{nct_id}: {exc}")
        return False
    report.checked += 1
    if result.not_modified:
        store.trials.not_modified(nct_id, now)
        report.not_modified += 1
        return True
    try:
        raw = json.loads(result.content)
        record = record_from_json(raw, nct_id)
    except ValueError as exc:  # bad JSON, or MalformedRecord
        log.warning("registry record of %s is malformed (%s); the cached one is kept",
                    nct_id, str(exc)[:120])
        store.trials.failed(nct_id, f"malformed record: {str(exc)[:120]}", now)
        report.malformed.append(nct_id)
        return True
    update = store.trials.save(record, raw, etag=result.etag,
                               last_modified=result.last_modified, now=now)
    report.fetched += 1
    if update is not None:
        report.updates.append(update)
    return True
