"""Story grouping: outlets' reports of one event join one story, with a recorded reason;
the same company's other news and the same drug's other trial stay apart; a later outlet
joins the existing story; `newsbot stories` lists them and re-groups a store.

Real ingestion of feed files with the real MiniLM model; the corpus-level figures are
guarded against bench/story_grouping.py on the held-out corpus."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from email.utils import format_datetime
from html import escape
from pathlib import Path

import pytest

from bench import story_grouping
from cli.main import main
from ingest.grouping import figures_in
from ingest.pipeline import run_ingest, sources_from_args
from ingest.stories import list_stories
from newsbot.library import Library
from newsbot.models import ArticleRecord
from tests.conftest import make_settings

pytestmark = pytest.mark.model
NOW = datetime(2026, 3, 20, 12, tzinfo=UTC)

WIRE = ("Xerava Bio's XR-5 clears lupus in 9 of 12 patients",
        datetime(2026, 3, 10, 9, tzinfo=UTC),
        "BASEL, March 10 (Wire) — Xerava Bio said its CD19 CAR-T XR-5 put 9 of 12 patients "
        "with refractory lupus into drug-free remission in the SUMMIT-1 trial. The response "
        "rate of 75% beat the company's own target, and no patient had severe cytokine "
        "release syndrome. Xerava shares rose 22% to $41.50. The company plans a pivotal "
        "study in 2027.")
DESK = ("A one-time cell treatment freed some lupus patients from daily pills",
        datetime(2026, 3, 12, 7, tzinfo=UTC),
        "People with severe lupus who received a single infusion of their own re-engineered "
        "immune cells stopped needing their usual medicines, according to early results. "
        "In the study, 9 of 12 patients reached remission, about 75%, after one dose of "
        "XR-5, a treatment called CAR-T that retrains the immune system. Doctors caution "
        "that the study was small and follow-up is short.")
OTHER_TRIAL = ("XR-5 starts HORIZON-2 in lupus nephritis",
               datetime(2026, 3, 13, 9, tzinfo=UTC),
               "Xerava Bio dosed the first patient with lupus nephritis in HORIZON-2, a new "
               "study of its CD19 CAR-T XR-5 in people whose kidneys are inflamed by lupus. "
               "The trial will enrol 40 patients across 12 sites and report in 2027.")
FINANCING = ("Xerava Bio raises $150m Series C to push XR-5 lupus CAR-T",
             datetime(2026, 3, 11, 15, tzinfo=UTC),
             "Xerava Bio raised $150m in a Series C financing led by Harbour Ventures to fund "
             "its lupus CAR-T XR-5, after data from SUMMIT-1 in which 9 of 12 patients "
             "reached remission. The money extends its runway into 2028, the company said.")


def write_feed(path: Path, name: str, items: list[tuple[str, datetime, str]]) -> str:
    entries = "".join(
        f"<item><title>{escape(t)}</title><link>https://{name}.example/{i}</link>"
        f"<guid>{name}-{i}</guid><pubDate>{format_datetime(d, usegmt=True)}</pubDate>"
        f"<description>{escape(body)}</description></item>"
        for i, (t, d, body) in enumerate(items))
    path.write_text(f'<?xml version="1.0"?><rss version="2.0"><channel><title>{name}</title>'
                    f"<link>https://{name}.example/</link>{entries}</channel></rss>",
                    encoding="utf-8")
    return str(path)


@pytest.fixture
def grouped(tmp_path: Path, minilm) -> Library:
    library = Library.open(make_settings(tmp_path), embedder=minilm)
    run_ingest(library, sources_from_args([write_feed(tmp_path / "wire.xml", "wire", [WIRE])]),
               now=NOW)
    later = [write_feed(tmp_path / "desk.xml", "desk", [DESK]),
             write_feed(tmp_path / "trade.xml", "trade", [OTHER_TRIAL, FINANCING])]
    run_ingest(library, sources_from_args(later), now=NOW)
    yield library
    library.close()


def by_title(library: Library) -> dict[str, ArticleRecord]:
    return {a.title: a for a in library.store.articles.list()}


def test_later_outlet_joins_the_existing_story_with_its_reason(grouped: Library) -> None:
    articles = by_title(grouped)
    wire, desk = articles[WIRE[0]], articles[DESK[0]]
    assert wire.story_id == wire.id, "the first report heads its story"
    assert desk.story_id == wire.id, "a later outlet's report joins the existing story"
    reason = grouped.store.stories.links()[desk.id].reason
    assert "same product XR-5" in reason and "shared figure" in reason
    assert "published within 2 days" in reason
    (story,) = [s for s in list_stories(grouped.store) if len(s.members) > 1]
    assert story.head.id == wire.id and {m.article.id for m in story.members} == {wire.id,
                                                                                   desk.id}


def test_hard_negatives_stay_apart(grouped: Library) -> None:
    articles = by_title(grouped)
    story = articles[WIRE[0]].story_id
    assert articles[OTHER_TRIAL[0]].story_id != story, "the same drug in another trial"
    assert articles[FINANCING[0]].story_id != story, "the same company's other news"


def test_figures_keep_their_units() -> None:
    assert figures_in("9 of 12 patients, 75 percent, shares at $41.50; $150m raised") == {
        "9/12", "75%", "$41.50", "$150m"}


def test_stories_command_lists_and_regroups(grouped: Library, capsys) -> None:
    articles = by_title(grouped)
    wire, desk = articles[WIRE[0]], articles[DESK[0]]
    conn = grouped.store.sqlite  # a store grouped by an older rule
    conn.execute("UPDATE articles SET story_id = id")
    conn.execute("DELETE FROM story_links")
    grouped.close()

    assert main(["stories", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["stories"] == []
    assert main(["stories", "--regroup", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["regrouped"]["moved"] == 1
    (story,) = data["stories"]
    assert story["story_id"] == wire.id and story["headline"] == WIRE[0]
    assert [m["id"] for m in story["members"]] == [wire.id, desk.id]
    assert "same product XR-5" in story["members"][1]["reason"]
    assert main(["stories"]) == 0
    text = capsys.readouterr().out
    assert WIRE[0] in text and "same product XR-5" in text and "1 story" in text


def test_corpus_figures_hold(minilm, tmp_path: Path) -> None:
    """Just under the figures measured by bench/story_grouping.py (bench/RESULTS.md)."""
    result = story_grouping.measure(("dev", "test"), embedder=minilm, workdir=tmp_path)
    for split, floor in (("dev", 0.97), ("test", 0.9)):
        rules = result["splits"][split]
        ours, before = rules["newsbot (as ingested)"], rules["main-branch rule (before)"]
        assert ours["recall"] >= floor and ours["hard_merged"] == 0
        assert ours["other_merged"] == 0
        assert ours["recall"] > before["recall"] + 0.2
        assert rules["newsbot (after `stories --regroup`)"]["recall"] >= floor
