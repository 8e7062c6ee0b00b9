"""A followed trial alerts on its registry status change, once; other topics don't."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from ingest.pipeline import run_ingest, sources_from_args
from ingest.registry import refresh_trials
from newsbot.library import Library
from newsbot.watch_check import due_alerts, follow, record
from tests.conftest import SAMPLE_NOW
from tests.doubles import HashingEmbedder
from tests.registry_server import RegistryServer
from tests.test_registry import LATER, NEWS, registry, registry_settings  # noqa: F401


@pytest.fixture
def followed(tmp_path: Path, registry: RegistryServer) -> Iterator[Library]:  # noqa: F811
    library = Library.open(registry_settings(tmp_path, registry), embedder=HashingEmbedder())
    run_ingest(library, sources_from_args([str(NEWS)]), now=SAMPLE_NOW)
    follow(library, 1, 10, "LUMEN-2", immediate=False, now=SAMPLE_NOW)
    follow(library, 1, 11, "FcRn blockers in myasthenia gravis", immediate=False, now=SAMPLE_NOW)
    yield library
    library.close()


def test_a_followed_trials_status_change_alerts_once(followed: Library,
                                                     registry: RegistryServer) -> None:  # noqa: F811
    registry.study("NCT06123456", "NCT06123456_active.json", etag='"lumen-v2"')
    refresh_trials(followed.store, followed.settings, now=LATER)
    alerts = due_alerts(followed, LATER + timedelta(minutes=1))
    assert [(a.user_id, a.item.kind) for a in alerts] == [(10, "trial_update")]
    item = alerts[0].item
    assert item.title == "LUMEN-2 (NCT06123456): Recruiting → Active, not recruiting"
    assert item.url == "https://clinicaltrials.gov/study/NCT06123456"
    record(followed, alerts[0], "dm", LATER + timedelta(minutes=1))
    assert due_alerts(followed, LATER + timedelta(minutes=2)) == []


def test_no_change_no_trial_alert(followed: Library) -> None:
    assert due_alerts(followed, LATER) == []
