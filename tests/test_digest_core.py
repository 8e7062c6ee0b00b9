"""The digest as the core builds it (the Discord delivery is tested in test_digest_bot)."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from cli.main import main
from newsbot.chart import articles_per_disease, disease_chart_png
from newsbot.digest import build_digest, digest_text
from tests.conftest import SAMPLE_FEEDS, SAMPLE_NOW

pytestmark = pytest.mark.model


def test_digest_groups_stories_and_ranks_by_outlets(sample_library):
    digest = build_digest(sample_library, since=SAMPLE_NOW - timedelta(days=1),
                          now=SAMPLE_NOW + timedelta(minutes=1))
    assert digest.article_count == 28 and len(digest.outlets) == 7
    top = digest.top[0]
    assert len(top.outlets) == 3 and ("Lumora" in top.headline or "LMR-19" in top.headline)
    headlines = [s.headline for s in digest.top + digest.others]
    assert len(headlines) == len(set(headlines)) == 26  # the three Lumora takes are one
    assert all(s.sections for s in digest.top)
    text = digest_text(digest)
    assert "## Also new" in text and "not medical advice" in text


def test_nothing_new_after_the_period(sample_library):
    digest = build_digest(sample_library, since=SAMPLE_NOW + timedelta(minutes=1),
                          now=SAMPLE_NOW + timedelta(days=1))
    assert digest.empty and "Nothing new" in digest_text(digest)


def test_digest_cli_json(capsys):
    feeds = [str(SAMPLE_FEEDS / name) for name in ("biowire_daily.xml", "the_rheum_report.xml")]
    assert main(["ingest", "--json", *feeds]) == 0
    capsys.readouterr()
    assert main(["digest", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["articles"] == 10 and data["top"] and "sections" in data["top"][0]
    lumora = [s for s in data["top"] if "LMR-19" in s["headline"] or "LUMEN-2" in s["headline"]]
    assert len(lumora) == 1 and len(lumora[0]["outlets"]) == 2


def test_chart_counts_and_png(sample_library):
    counts = articles_per_disease(sample_library, SAMPLE_NOW)
    assert counts and max(counts, key=counts.get) == "lupus"
    png = disease_chart_png(sample_library, SAMPLE_NOW)
    assert png and png.startswith(b"\x89PNG")
