"""`newsbot trial ID`: a trial's cached registry record and the stored stories naming it."""

from __future__ import annotations

import argparse
from datetime import datetime

from cli.main import print_json
from newsbot.settings import Settings
from newsbot.store import Store
from newsbot.trial_ids import CTGOV
from newsbot.trials import look_up


def add_parser(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser("trial", help="a trial's registry record and the stories naming it")
    p.add_argument("id", help="NCT, EU CT, EudraCT or ISRCTN id, or a trial acronym")
    p.add_argument("--json", action="store_true")
    p.add_argument("--refresh", action="store_true",
                   help="ask the registry for the record now (ClinicalTrials.gov ids)")


def run(args: argparse.Namespace, settings: Settings) -> int:
    from ingest.registry import refresh_trials

    with Store.open(settings, vectors=False) as store:
        if not store.read_only:
            store.trials.index_articles()
        view = look_up(store, args.id)
        if view is None:
            print(f"newsbot: {args.id!r} is not a trial id (NCT…, EU CT, EudraCT, ISRCTN) or "
                  "an acronym the news ties to one.")
            return 1
        note = None
        if args.refresh and view.id.registry == CTGOV:
            report = refresh_trials(store, settings, ids=[view.id.id], force=True)
            if report.unreachable:
                note = "registry unreachable; showing the cached record"
            view = look_up(store, view.id.id) or view
    rid, cached, stories, acronym = view.id, view.cached, view.stories, view.acronym
    if rid.registry == CTGOV and not stories and cached is None:
        print(f"newsbot: no stored story names {rid.id}, and its registry record was never "
              "fetched (try --refresh).")
        return 1
    if args.json:
        print_json({"id": rid.id, "registry": rid.registry, "acronym": acronym,
                    "url": rid.url, "record": cached.record.to_json()
                    if cached and cached.record else None,
                    "found": cached.found if cached else None,
                    "fetched_at": cached.fetched_at if cached else None, "note": note,
                    "stories": [{"title": a.title, "source": a.source, "url": a.url,
                                 "published": a.published} for a in stories]})
        return 0
    name = f"{acronym} ({rid.id})" if acronym else rid.id
    print(f"{name} — {rid.url}")
    if note:
        print(note)
    if cached is not None and not cached.found:
        print(f"Not in the registry (checked {cached.checked_at:%Y-%m-%d}).")
    elif cached is not None and cached.record is not None:
        r = cached.record
        age = _age(cached.fetched_at)
        print(f"{r.title}")
        print(f"Status: {r.status_text} ({r.status_date or 'undated'})"
              + (f"; why stopped: {r.why_stopped}" if r.why_stopped else "")
              + ("; results posted" if r.has_results else ""))
        print(f"Phase: {r.phase_text}")
        print(f"Conditions: {', '.join(r.conditions) or '—'}")
        print(f"Interventions: {', '.join(r.interventions) or '—'}")
        if r.enrollment is not None:
            print(f"Enrolment: {r.enrollment} ({(r.enrollment_type or '').lower()})")
        print("Countries: " + (", ".join(f"{c} ({n})" for c, n in r.countries) or "—"))
        print(f"Last update: {r.last_update or '—'}; fetched {age}")
    elif rid.registry == CTGOV:
        print("The registry record has not been fetched yet (newsbot trial ID --refresh).")
    print(f"Stories naming it ({len(stories)}):")
    for a in stories:
        date = f"{a.published:%Y-%m-%d}" if a.published else "undated"
        print(f"  {date} {a.source}: {a.title} — {a.url}")
    return 0


def _age(when: datetime | None) -> str:
    if when is None:
        return "never"
    from datetime import UTC

    hours = (datetime.now(UTC) - when).total_seconds() / 3600
    return f"{when:%Y-%m-%d %H:%M} UTC ({hours:.0f} h ago)" if hours < 48 else \
        f"{when:%Y-%m-%d} ({hours / 24:.0f} days ago)"
