"""The `newsbot` command line and the local console, end to end over the sample feeds."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from cli.console import run_console
from cli.main import main
from tests.conftest import SAMPLE_FEEDS, sample_urls

ROOT = Path(__file__).resolve().parent.parent


def newsbot(capsys, *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out = capsys.readouterr()
    return code, out.out, out.err


def test_help_lists_subcommands():
    result = subprocess.run([sys.executable, "-m", "cli.main", "--help"], capture_output=True,
                            text=True, cwd=ROOT, check=True)
    for command in ("ingest", "articles", "feeds", "ask", "search", "digest", "console", "bot"):
        assert command in result.stdout


@pytest.mark.model
def test_ingest_json_then_unchanged(capsys, sample_server, monkeypatch):
    monkeypatch.setenv("NEWSBOT_ALLOW_HOSTS", "127.0.0.1")
    code, out, _ = newsbot(capsys, "ingest", "--json", *sample_urls(sample_server))
    assert code == 0
    report = json.loads(out)
    assert report["totals"]["new"] == 28 and report["totals"]["off_topic"] == 9
    assert report["chunks_embedded"] > 0
    code, out, _ = newsbot(capsys, "ingest", "--json", *sample_urls(sample_server))
    again = json.loads(out)
    assert again["chunks_embedded"] == 0
    assert all(f["status"] == "not_modified" for f in again["feeds"])

    code, out, _ = newsbot(capsys, "articles", "--json", "--all")
    rows = json.loads(out)
    assert len(rows) == 38 and {"guid", "on_topic", "relevance", "story_id",
                                "duplicate_of"} <= set(rows[0])
    code, out, _ = newsbot(capsys, "articles", "--json")
    assert len(json.loads(out)) == 28

    code, out, _ = newsbot(capsys, "ask", "--json", "What happened with LMR-19?")
    answer = json.loads(out)
    assert answer["found"] and answer["mode"] == "extractive"
    assert set(answer["sections"]) == {"whats_happening", "why_it_matters", "whats_next",
                                       "beyond_the_headlines"}
    assert {"n", "guid", "url", "title", "source", "published"} <= set(answer["sources"][0])

    code, out, _ = newsbot(capsys, "search", "--json", "-k", "3", "FcRn myasthenia")
    hits = json.loads(out)
    assert 1 <= len(hits) <= 3 and "FcRn" in hits[0]["title"]

    # "now" pinned: "this week" reads the same on every run, in ask and in search alike
    week_start = "2026-11-19T12:00:00+00:00"
    code, out, _ = newsbot(capsys, "ask", "--json", "--now", "2026-11-26T12:00:00Z",
                           "What happened in lupus this week?")
    answer = json.loads(out)
    assert code == 0 and answer["found"] and answer["kind"] == "period"
    assert all(s["published"] >= week_start for s in answer["sources"])
    monkeypatch.setenv("NEWSBOT_NOW", "2026-11-26T12:00:00Z")
    code, out, _ = newsbot(capsys, "search", "--json", "lupus news this week")
    hits = json.loads(out)
    assert hits and all(h["published"] >= week_start for h in hits)
    monkeypatch.delenv("NEWSBOT_NOW")

    code, out, _ = newsbot(capsys, "ask", "What happened with LMR-19?")
    assert "## What's happening" in out and "Sources" in out and "not medical advice" in out

    code, out, err = newsbot(capsys, "ask", "x" * 5000)
    assert code == 2 and "5,000 characters" in err


def test_feeds_add_validates_and_lists(capsys, feed_server):
    good = feed_server.add_file("/good.xml", SAMPLE_FEEDS / "biowire_daily.xml")
    feed_server.add("/page.html", __import__("tests.feed_server", fromlist=["Route"]).Route(
        body=b"<!doctype html><html><body>hi</body></html>", content_type="text/html"))
    code, _, err = newsbot(capsys, "feeds", "add", "ftp://example.org/feed")
    assert code == 2 and "http" in err
    code, _, err = newsbot(capsys, "feeds", "add", feed_server.url("/page.html"))
    assert code == 2 and "HTML page" in err
    code, out, _ = newsbot(capsys, "feeds", "add", good)
    assert code == 0 and "BioWire Daily" in out
    code, out, _ = newsbot(capsys, "feeds", "list")
    assert good in out
    code, out, _ = newsbot(capsys, "feeds", "remove", good)
    assert code == 0
    code, out, _ = newsbot(capsys, "feeds", "list")
    assert good not in out


def test_bot_without_token_explains(capsys):
    code, _, err = newsbot(capsys, "bot")
    assert code == 2 and "DISCORD_TOKEN" in err and "console" in err


def test_bad_configuration_is_reported(capsys, monkeypatch):
    monkeypatch.setenv("NEWSBOT_EMBEDDING_BACKEND", "gpu")
    code, _, err = newsbot(capsys, "status")
    assert code == 2 and "NEWSBOT_EMBEDDING__BACKEND" in err


@pytest.mark.model
def test_console_scripted(sample_library):
    commands = "\n".join([
        "help", "What is new with LMR-19?", "what about for MS?", "latest lupus 2", "status",
        "sources", "digest", "ask " + "y" * 5000, "quit", "ask never reached",
    ]) + "\n"
    out = io.StringIO()
    assert run_console(sample_library, None, io.StringIO(commands), out) == 0
    text = out.getvalue()
    assert "Commands" in text
    assert text.count("## What's happening") >= 2
    assert "Multiple sclerosis" in text or "multiple sclerosis" in text
    assert "Stored:" in text and "articles in" in text
    assert "Sorry — That question is 5,000 characters long" in text
    assert "never reached" not in text


@pytest.mark.parametrize(("args", "message"), [
    (["ask", "--days", "0", "lupus"], "--days must be between 1 and 36,500"),
    (["ask", "--days", "-3", "lupus"], "--days must be between 1 and 36,500"),
    (["search", "--days", "999999999", "lupus"], "--days must be between 1 and 36,500"),
    (["search", "-k", "0", "lupus"], "-k must be between 1 and 100"),
])
def test_out_of_range_numbers_get_a_one_line_error(capsys, args, message):
    with pytest.raises(SystemExit) as exit_info:
        main(args)
    err = capsys.readouterr().err
    assert exit_info.value.code == 2 and message in err and "Traceback" not in err


def test_make_run_is_wired():
    makefile = (ROOT / "Makefile").read_text()
    assert "newsbot start" in makefile and "pytest" in makefile
    ci = (ROOT / ".ci" / "run").read_text()
    assert "make test" in ci
    assert os.access(ROOT / ".ci" / "run", os.R_OK)


def test_a_demo_store_of_another_embedding_is_rebuilt_not_refused(tmp_path, monkeypatch, capsys):
    """The demo store is made from the bundled feeds only: one embedded by an older backend
    is removed and made again, where a real store is refused (tests/test_embedding_kinds)."""
    import argparse

    from cli import commands
    from newsbot.errors import EmbeddingMismatch
    from newsbot.settings import Settings

    settings = Settings(data_dir=tmp_path / "data")
    stale = settings.storage.data_dir / "demo" / "chroma" / "old-vectors"
    stale.parent.mkdir(parents=True)
    stale.write_text("fp32")
    calls: list[bool] = []

    def fake_demo(demo_settings, files):
        calls.append(stale.exists())
        if len(calls) == 1:
            raise EmbeddingMismatch("holds fp32 vectors")
        assert demo_settings.storage.data_dir == settings.storage.data_dir / "demo" and files
        return 0

    monkeypatch.setattr(commands, "_demo", fake_demo)
    assert commands.demo(argparse.Namespace(), settings) == 0
    assert calls == [True, False]
    assert "rebuilding it from the bundled sample feeds" in capsys.readouterr().err
