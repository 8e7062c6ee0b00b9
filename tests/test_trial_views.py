"""Trials in the digest, in answers and through `newsbot trial`, with the registry fake."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from cli.main import main
from cli.render_answer import answer_text
from cli.render_digest import digest_text
from ingest.registry import refresh_trials
from newsbot.answering import answer_question
from newsbot.digest import build_digest
from newsbot.library import Library
from tests.registry_server import RegistryServer
from tests.test_registry import LATER, news, registry  # noqa: F401 (fixtures)


def _change(news: Library, registry: RegistryServer) -> None:  # noqa: F811
    registry.study("NCT06123456", "NCT06123456_active.json", etag='"lumen-v2"')
    refresh_trials(news.store, news.settings, now=LATER)


def test_status_change_is_a_trial_update_in_the_digest(news: Library,  # noqa: F811
                                                       registry: RegistryServer) -> None:  # noqa: F811
    _change(news, registry)
    digest = build_digest(news, since=LATER - timedelta(hours=24), now=LATER + timedelta(hours=1))
    assert [u.nct_id for u in digest.trial_updates] == ["NCT06123456"]
    text = digest_text(digest)
    assert "## Trial updates" in text
    assert ("- LUMEN-2 (NCT06123456): Recruiting → Active, not recruiting (2026-11) — "
            "https://clinicaltrials.gov/study/NCT06123456") in text
    assert digest.to_json()["trial_updates"][0]["new_status"] == "ACTIVE_NOT_RECRUITING"


def test_answer_leads_with_the_registry_status_cited_to_the_record(
        news: Library, registry: RegistryServer) -> None:  # noqa: F811
    _change(news, registry)
    answer = answer_question(news, "Is the LUMEN-2 trial of lupus CAR-T still recruiting?",
                             now=LATER)
    assert answer.found
    first = answer.sections["whats_happening"][0]
    assert first.citations == (1,)
    assert "“Active, not recruiting”" in first.text and "2026-11" in first.text
    assert answer.sources[0].registry and answer.sources[0].url.endswith("NCT06123456")
    news_sources = [s for s in answer.sources if not s.registry]
    assert news_sources, "the news answer is still there"
    assert any(r.id == "NCT06123456" for s in news_sources for r in s.registry_ids)
    assert "trials: LUMEN-2 (NCT06123456) https://clinicaltrials.gov/study/NCT06123456" in \
        answer_text(answer)


def test_an_unknown_trial_id_is_said_in_one_line(news: Library) -> None:  # noqa: F811
    answer = answer_question(news, "Is NCT09999999 recruiting?", now=LATER)
    assert "NCT09999999 is not in the ClinicalTrials.gov registry" in " ".join(answer.notices)


def test_cli_trial_shows_the_record_and_the_stories(news: Library,  # noqa: F811
                                                   capsys: pytest.CaptureFixture[str],
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NEWSBOT_DATA_DIR", str(news.settings.storage.data_dir))
    news.close()
    assert main(["trial", "lumen-2"]) == 0
    out = capsys.readouterr().out
    assert "LUMEN-2 (NCT06123456) — https://clinicaltrials.gov/study/NCT06123456" in out
    assert "Status: Recruiting (2026-09)" in out and "Phase: Phase 2" in out
    assert "Countries: Germany (2), France (1), United States (1)" in out
    assert "LUMEN-2: CD19 CAR-T keeps lupus nephritis in remission" in out
    assert main(["trial", "NCT06901234", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["record"]["why_stopped"] == "Sponsor decision after a clinical hold"
    assert main(["trial", "NOT-A-TRIAL"]) == 1
    assert capsys.readouterr().out.count("\n") == 1
    # the registry down: --refresh says so and shows the cached record
    assert main(["trial", "NCT06123456", "--refresh"]) == 0
    out = capsys.readouterr().out
    assert "registry unreachable" in out and "Status: Recruiting" in out


