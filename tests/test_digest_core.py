"""The digest as the core builds it (the Discord delivery is tested in test_digest_bot)."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from bot.chart import chart_png
from cli.main import main
from cli.render_digest import digest_text
from newsbot.chart import articles_per_disease, disease_chart
from newsbot.digest import build_digest
from newsbot.models import SECTION_KEYS, SECTION_TITLES
from tests.conftest import SAMPLE_FEEDS, SAMPLE_NOW

pytestmark = pytest.mark.model


MONTH = SAMPLE_NOW - timedelta(days=30)
LATER = SAMPLE_NOW + timedelta(minutes=1)


def test_digest_groups_stories_and_ranks_by_outlets(sample_library):
    digest = build_digest(sample_library, since=MONTH, now=LATER)
    assert digest.article_count == 28 and len(digest.outlets) == 7 and digest.backlog == 0
    top = digest.top[0]
    assert len(top.outlets) == 3 and "LMR-19" in top.headline
    headlines = [s.headline for s in digest.stories]
    assert len(headlines) == len(set(headlines)) == 26  # the three Lumora takes are one
    assert all(s.sections for s in digest.top)
    scores = [s.score for s in digest.top]
    assert scores == sorted(scores, reverse=True)
    text = digest_text(digest)
    assert "## Also new" in text and "not medical advice" in text


def test_each_story_is_told_once_from_all_its_outlets(sample_library):
    digest = build_digest(sample_library, since=MONTH, now=LATER)
    lumora = digest.top[0]
    assert {s.source for s in lumora.sources} == set(lumora.outlets)  # each outlet linked
    statements = [x for key in SECTION_KEYS for x in lumora.sections.get(key, [])]
    assert any(len(x.citations) >= 2 for x in statements), "a fact two outlets carry cites both"
    texts = [x.text for x in statements]
    assert len(texts) == len(set(texts))
    for story in digest.top:
        numbers = {s.n for s in story.sources}
        assert all(set(x.citations) <= numbers for k in SECTION_KEYS
                   for x in story.sections.get(k, []))


def test_empty_sections_are_left_out(sample_library):
    digest = build_digest(sample_library, since=MONTH, now=LATER)
    data = digest.to_json()
    for story in data["top"]:
        assert all(story["sections"].values()), "a section with nothing in it is not listed"
    text = digest_text(digest)
    assert "No supporting coverage" not in text
    for title in SECTION_TITLES.values():
        assert f"**{title}**\n#" not in text and f"**{title}**\n\n" not in text


def test_first_digest_after_a_backlog_ingest_is_catching_up(sample_library):
    """Everything was ingested at SAMPLE_NOW, published days or weeks before."""
    digest = build_digest(sample_library, since=SAMPLE_NOW - timedelta(hours=1), now=LATER)
    assert digest.backlog == 24 and not digest.empty
    text = digest_text(digest)
    assert "catching up: 24 older stories — /latest to browse" in text
    assert "LMR-19" not in text, "weeks-old stories are not presented as new"
    nxt = build_digest(sample_library, since=LATER, now=LATER + timedelta(days=1))
    assert nxt.empty and nxt.backlog == 0 and "Nothing new" in digest_text(nxt)


def test_undated_items_count_from_ingestion_and_never_lead(sample_library):
    digest = build_digest(sample_library, since=SAMPLE_NOW - timedelta(hours=1), now=LATER)
    undated = [s for s in digest.stories if not s.dated]
    assert any("Explainer" in s.headline for s in undated), "counted from when it was ingested"
    assert digest.top == [], "no story here has a publication date in the period"
    month = build_digest(sample_library, since=MONTH, now=LATER)
    assert all(s.dated for s in month.top)
    # a preview dated months ahead is stored at its ingestion time: no date to trust either
    assert not any("spring meeting" in s.headline for s in month.top)


def test_nothing_new_after_the_period(sample_library):
    digest = build_digest(sample_library, since=SAMPLE_NOW + timedelta(minutes=1),
                          now=SAMPLE_NOW + timedelta(days=1))
    assert digest.empty and "Nothing new" in digest_text(digest)


def test_digest_cli_json(capsys):
    feeds = [str(SAMPLE_FEEDS / name) for name in ("biowire_daily.xml", "the_rheum_report.xml")]
    assert main(["ingest", "--json", "--now", "2026-11-26T12:00:00Z", *feeds]) == 0
    capsys.readouterr()
    assert main(["digest", "--json", "--now", "2026-11-26T13:00:00Z",
                 "--since", "2026-11-01"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["articles"] == 10 and data["top"] and "sections" in data["top"][0]
    lumora = [s for s in data["top"] if "LMR-19" in s["headline"] or "LUMEN-2" in s["headline"]]
    assert len(lumora) == 1 and len(lumora[0]["outlets"]) == 2
    assert len(lumora[0]["links"]) == 2
    assert main(["digest", "--json", "--now", "2026-11-26T13:00:00Z"]) == 0
    day = json.loads(capsys.readouterr().out)
    assert day["backlog"] > 0 and day["top"] == []


def test_chart_counts_and_png(sample_library):
    counts = articles_per_disease(sample_library, SAMPLE_NOW)
    assert counts and max(counts, key=counts.get) == "lupus"
    chart = disease_chart(sample_library, SAMPLE_NOW)
    assert chart and chart.bars[0] == ("Lupus (SLE)", counts["lupus"]) and chart.days == 7
    assert [n for _, n in chart.bars] == list(counts.values())
    png = chart_png(chart)
    assert png and png.startswith(b"\x89PNG")
