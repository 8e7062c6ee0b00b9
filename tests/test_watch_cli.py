"""`newsbot follow|following|unfollow|alerts` over the sample feeds (hashing embedder)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from cli.main import main
from ingest.pipeline import run_ingest, sources_from_args
from newsbot.library import Library
from newsbot.settings import Settings
from tests.conftest import SAMPLE_FEEDS, SAMPLE_NOW
from tests.doubles import HashingEmbedder


@pytest.fixture
def cli_store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The sample feeds stored; the CLI opens that store with the hashing embedder."""
    import cli.commands

    monkeypatch.setenv("NEWSBOT_FEEDS_FILE", str(tmp_path / "feeds.toml"))
    monkeypatch.setenv("NEWSBOT_CHROMA_COLLECTION", "test")

    @contextmanager
    def opened(settings: Settings, **_: object) -> Iterator[Library]:
        with Library.open(settings, embedder=HashingEmbedder()) as library:
            yield library

    monkeypatch.setattr(cli.commands, "opened", opened)
    with opened(Settings(_env_file=None)) as library:  # type: ignore[call-arg]
        run_ingest(library, sources_from_args([str(p) for p in sorted(
            SAMPLE_FEEDS.glob("*.xml"))]), now=SAMPLE_NOW)


def newsbot(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out = capsys.readouterr()
    return code, out.out, out.err


def test_follow_shows_what_it_will_match_and_alerts_lists_the_matches(
        cli_store: None, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = newsbot(capsys, "follow", "LMR-19")
    assert code == 0 and "will match: LMR-19" in out
    code, out, _ = newsbot(capsys, "follow", "myasthenia gravis", "--immediate")
    assert code == 0 and "(immediate)" in out and "will match: Myasthenia gravis" in out

    code, out, _ = newsbot(capsys, "following", "--json")
    watches = json.loads(out)["watches"]
    assert [(w["topic"], w["immediate"]) for w in watches] == [
        ("LMR-19", False), ("myasthenia gravis", True)]

    code, out, _ = newsbot(capsys, "alerts", "--json")
    found = json.loads(out)["alerts"]
    by_topic = {}
    for a in found:
        by_topic.setdefault(a["watch"]["topic"], []).append(a["item"]["title"])
    assert by_topic["LMR-19"] == [
        "Lumora Bio reports 65% complete renal response rate for LMR-19 in lupus nephritis"]
    assert any("ortefcimab" in t for t in by_topic["myasthenia gravis"])
    assert all("myasthenia" in t.lower() or "registry" in t.lower()
               for t in by_topic["myasthenia gravis"])

    code, out, _ = newsbot(capsys, "alerts", "--since", "2026-11-15")
    assert code == 0 and "LMR-19" not in out.split("matches.")[0].replace("[#1 LMR-19]", "")
    assert "[#1 LMR-19]" not in out and "[#2 myasthenia gravis]" in out


def test_bad_topics_and_ids_get_one_line(cli_store: None,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = newsbot(capsys, "follow", "   ")
    assert code == 2 and err.count("\n") == 1 and "topic" in err
    code, _, err = newsbot(capsys, "follow", "x" * 500)
    assert code == 2 and "characters" in err
    code, _, err = newsbot(capsys, "unfollow", "42")
    assert code == 1 and "no topic #42" in err
    newsbot(capsys, "follow", "CAR-T in lupus")
    code, out, _ = newsbot(capsys, "unfollow", "1")
    assert code == 0 and "CAR-T in lupus" in out
    code, out, _ = newsbot(capsys, "following")
    assert "You follow no topics yet" in out


def test_the_per_user_limit_is_read_from_a_nested_variable(
        cli_store: None, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NEWSBOT_WATCH__MAX_PER_USER", "1")
    assert newsbot(capsys, "follow", "LMR-19")[0] == 0
    assert newsbot(capsys, "follow", "lmr-19", "--immediate")[0] == 0  # the same topic again
    code, _, err = newsbot(capsys, "follow", "CAR-T in lupus")
    assert code == 2 and "the most topics allowed (1)" in err and err.count("\n") == 1
