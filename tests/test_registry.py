"""The registry client against a loopback fake of the ClinicalTrials.gov API v2: records
cached, a status change between two fetches, 304, 404, a malformed record, a slow server,
the rate limit and the refresh age."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from ingest.pipeline import run_ingest, sources_from_args
from ingest.registry import refresh_trials
from newsbot.library import Library
from newsbot.settings import Settings
from tests.conftest import SAMPLE_NOW, make_settings
from tests.doubles import HashingEmbedder
from tests.registry_server import FIXTURES, RegistryServer

NEWS = FIXTURES / "trial_news.xml"
LATER = SAMPLE_NOW + timedelta(days=2)


def registry_settings(tmp_path: Path, server: RegistryServer, **registry: object) -> Settings:
    return make_settings(tmp_path, registry={"base_url": server.api, "request_interval": 0,
                                             **registry})


@pytest.fixture
def registry() -> Iterator[RegistryServer]:
    with RegistryServer() as server:
        server.study("NCT06123456", "NCT06123456_recruiting.json", etag='"lumen-v1"')
        server.study("NCT06901234", "NCT06901234_terminated.json", etag='"stl-v1"')
        server.study("NCT06234567", "NCT06234567_malformed.json")
        yield server  # NCT09999999 is not served: 404, as the real API answers


@pytest.fixture
def news(tmp_path: Path, registry: RegistryServer) -> Iterator[Library]:
    """The trial news ingested (the refresh after it reaches the fake registry)."""
    library = Library.open(registry_settings(tmp_path, registry), embedder=HashingEmbedder())
    run_ingest(library, sources_from_args([str(NEWS)]), now=SAMPLE_NOW)
    yield library
    library.close()


def test_ingest_keeps_the_ids_and_refreshes_their_records(news: Library,
                                                          registry: RegistryServer) -> None:
    store = news.store
    known = {r.id: r.acronym for r in store.trials.known()}
    assert known == {"NCT06123456": "LUMEN-2", "NCT06901234": None, "NCT06234567": "RESET",
                     "NCT09999999": None, "2024-512345-12-00": None, "ISRCTN12345678": None}
    lumen = store.trials.cached("NCT06123456").record
    assert (lumen.status, lumen.status_date, lumen.phases, lumen.enrollment) == (
        "RECRUITING", "2026-09", ("PHASE2",), 48)
    assert lumen.countries == (("Germany", 2), ("France", 1), ("United States", 1))
    assert lumen.interventions == ("LUM-101", "Fludarabine", "Cyclophosphamide")
    assert lumen.conditions == ("Lupus Nephritis", "Systemic Lupus Erythematosus")
    assert lumen.last_update == "2026-09-18" and lumen.acronym == "LUMEN-2"
    stellan = store.trials.cached("NCT06901234").record
    assert stellan.why_stopped == "Sponsor decision after a clinical hold"
    assert stellan.has_results
    missing = store.trials.cached("NCT09999999")
    assert missing is not None and not missing.found and missing.record is None
    broken = store.trials.cached("NCT06234567")
    assert broken.record is None and "malformed" in broken.last_error
    # only ClinicalTrials.gov ids are asked for; a first sighting is no update
    assert {r.path.rsplit("/", 1)[1] for r in registry.requests} == {
        "NCT06123456", "NCT06901234", "NCT06234567", "NCT09999999"}
    assert store.trials.updates(since=SAMPLE_NOW - timedelta(days=30)) == []


def test_a_status_change_between_two_fetches_is_an_update(news: Library,
                                                          registry: RegistryServer) -> None:
    registry.study("NCT06123456", "NCT06123456_active.json", etag='"lumen-v2"')
    report = refresh_trials(news.store, news.settings, now=LATER)
    assert [u.nct_id for u in report.updates] == ["NCT06123456"]
    # the unchanged record was asked conditionally and answered 304
    assert registry.hits("/api/v2/studies/NCT06901234")[-1].headers["if-none-match"] == \
        '"stl-v1"'
    assert report.not_modified == 1 and report.missing == ["NCT09999999"]
    update = news.store.trials.updates(since=LATER - timedelta(hours=1))[0]
    assert (update.old_status, update.new_status, update.status_date) == (
        "RECRUITING", "ACTIVE_NOT_RECRUITING", "2026-11")
    assert update.acronym == "LUMEN-2" and update.url.endswith("/study/NCT06123456")
    assert update.change == "Recruiting → Active, not recruiting"
    assert news.store.trials.cached("NCT06123456").record.enrollment == 52
    assert news.store.trials.updates(since=LATER + timedelta(hours=1)) == []
    assert news.store.trials.updates(since=SAMPLE_NOW, nct_ids=["NCT06901234"]) == []


def test_termination_with_its_reason_and_posted_results(tmp_path: Path,
                                                        registry: RegistryServer) -> None:
    settings = registry_settings(tmp_path, registry)
    with Library.open(settings, embedder=HashingEmbedder()) as library:
        run_ingest(library, sources_from_args([str(NEWS)]), now=SAMPLE_NOW)
        # the record as it was before: recruiting, no results
        raw = (FIXTURES / "NCT06901234_terminated.json").read_text()
        earlier = raw.replace('"TERMINATED"', '"RECRUITING"').replace(
            '"hasResults": true', '"hasResults": false')
        registry.study("NCT06901234", earlier.encode(), etag='"t0"')
        refresh_trials(library.store, settings, ids=["NCT06901234"], force=True, now=LATER)
        registry.study("NCT06901234", "NCT06901234_terminated.json", etag='"t1"')
        later = LATER + timedelta(days=1)
        report = refresh_trials(library.store, settings, ids=["NCT06901234"], force=True,
                                now=later)
    update = report.updates[0]
    assert update.results_posted and update.new_status == "TERMINATED"
    assert update.change == ("Recruiting → Terminated; results posted (why stopped: Sponsor "
                             "decision after a clinical hold)")


def test_a_malformed_record_keeps_the_record_as_before(news: Library,
                                                       registry: RegistryServer,
                                                       caplog: pytest.LogCaptureFixture) -> None:
    registry.study("NCT06123456", b'{"protocolSection": {"identificationModule": 3}}')
    report = refresh_trials(news.store, news.settings, ids=["NCT06123456"], force=True,
                            now=LATER)
    assert report.malformed == ["NCT06123456"] and report.updates == []
    cached = news.store.trials.cached("NCT06123456")
    assert cached.record.status == "RECRUITING" and "malformed" in cached.last_error
    lines = [r.getMessage() for r in caplog.records if "malformed" in r.getMessage()]
    assert len(lines) == 1 and "\n" not in lines[0]
    registry.study("NCT06123456", b"<html>maintenance</html>")
    report = refresh_trials(news.store, news.settings, ids=["NCT06123456"], force=True,
                            now=LATER)
    assert report.malformed == ["NCT06123456"]
    assert news.store.trials.cached("NCT06123456").record.status == "RECRUITING"


def test_a_slow_registry_is_cut_off_by_the_deadline_and_the_rest_waits(
        news: Library, registry: RegistryServer) -> None:
    for nct in ("NCT06123456", "NCT06901234"):
        registry.study(nct, "NCT06123456_active.json", delay=5)
    settings = news.settings.model_copy(update={"registry": news.settings.registry.model_copy(
        update={"refresh_seconds": 0.5})})
    started = time.monotonic()
    report = refresh_trials(news.store, settings, force=True, now=LATER)
    assert time.monotonic() - started < 2.5
    assert report.unreachable and report.left >= 1
    assert news.store.trials.cached("NCT06123456").record.status == "RECRUITING"


def test_refresh_is_polite_paced_and_only_for_stale_records(news: Library,
                                                            registry: RegistryServer) -> None:
    asked = len(registry.requests)
    assert refresh_trials(news.store, news.settings, now=SAMPLE_NOW + timedelta(hours=1)
                          ).checked == 0
    assert len(registry.requests) == asked  # all younger than registry.refresh_after
    pauses: list[float] = []
    settings = news.settings.model_copy(update={"registry": news.settings.registry.model_copy(
        update={"request_interval": 0.25})})
    report = refresh_trials(news.store, settings, now=LATER, sleep=pauses.append)
    assert report.checked == 4 and pauses == [0.25] * 3
