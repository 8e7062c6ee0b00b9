"""The command line as its users expect (issue 12): the real `newsbot` entry point, run as a
subprocess, over feeds served from loopback or read from the bundled sample files.

The subprocesses use the fast hashing embedder (tests/subprocess_hooks) except where the
real model's one-time export is what is tested.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import SAMPLE_FEEDS
from tests.feed_server import FeedServer, Route

NEWSBOT = Path(sys.executable).parent / "newsbot"
ROOT = Path(__file__).resolve().parent.parent
HOOKS = Path(__file__).resolve().parent / "subprocess_hooks"
BIOWIRE = SAMPLE_FEEDS / "biowire_daily.xml"
RHEUM = SAMPLE_FEEDS / "the_rheum_report.xml"


def environment(tmp_path: Path, hashing: bool = True, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("NEWSBOT_") and k not in {"OPENAI_API_KEY", "DISCORD_TOKEN",
                                                         "COLUMNS", "LINES"}}
    paths = [str(HOOKS)] if hashing else []
    env.update({
        "PYTHONPATH": os.pathsep.join([*paths, str(ROOT)]),
        "NEWSBOT_DATA_DIR": str(tmp_path / "data"),
        "NEWSBOT_REGISTRY__BASE_URL": "http://0.0.0.0:9/api/v2",  # no registry in tests
        "NEWSBOT_FEEDS_FILE": str(tmp_path / "feeds.toml"),
        "NEWSBOT_MODEL_CACHE_DIR": os.environ["NEWSBOT_MODEL_CACHE_DIR"],
        "NEWSBOT_FETCH_ARTICLE_PAGES": "false",
        "NEWSBOT_ALLOW_HOSTS": "127.0.0.1",
        "NEWSBOT_RETRY_BACKOFF": "0.01",
        "NEWSBOT_MIN_RELEVANCE": "0.1",  # the hashing embedder's similarities run low
        "NEWSBOT_NOW": "2026-11-26T12:00:00Z",
    })
    if hashing:
        env["NEWSBOT_TEST_EMBEDDER"] = "hashing"
    env.update(extra)
    return env


def newsbot(tmp_path: Path, *args: str, stdin: str | None = None, hashing: bool = True,
            timeout: float = 120, **extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(NEWSBOT), *args], env=environment(tmp_path, hashing, **extra),
                          cwd=tmp_path, input=stdin, capture_output=True, text=True,
                          timeout=timeout, check=False)


def no_traceback(result: subprocess.CompletedProcess[str]) -> None:
    assert "Traceback" not in result.stderr and "Exception ignored" not in result.stderr


# --- item 1: an LLM that cannot be built --------------------------------------------------


def test_llm_without_api_key_answers_extractively_with_one_line_notice(tmp_path):
    assert newsbot(tmp_path, "ingest", str(BIOWIRE)).returncode == 0
    result = newsbot(tmp_path, "ask", "--json", "What happened with the lupus trial hold?",
                     NEWSBOT_LLM_MODEL="openai:gpt-4o-mini")
    no_traceback(result)
    assert result.returncode == 0
    assert '"mode": "extractive"' in result.stdout
    notice = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(notice) == 1 and "openai:gpt-4o-mini" in notice[0]
    assert "extractive" in notice[0] and "Missing credentials" in notice[0]


def test_unknown_llm_provider_also_falls_back(tmp_path):
    assert newsbot(tmp_path, "ingest", str(BIOWIRE)).returncode == 0
    result = newsbot(tmp_path, "ask", "What happened with the lupus trial hold?",
                     NEWSBOT_LLM_MODEL="nosuchprovider:model-x")
    no_traceback(result)
    assert result.returncode == 0 and "## What's happening" in result.stdout
    assert len(result.stderr.strip().splitlines()) == 1


# --- item 3: an empty store; the demo keeps to its sample feeds --------------------------


@pytest.mark.parametrize("args", [["ask", "What is new in lupus?"], ["search", "lupus"],
                                  ["digest"], ["ask", "--json", "lupus news"]])
def test_empty_store_says_nothing_has_been_ingested(tmp_path, args):
    result = newsbot(tmp_path, *args)
    no_traceback(result)
    assert result.returncode == 1 and result.stdout == ""
    assert "Nothing has been ingested" in result.stderr
    assert "newsbot ingest" in result.stderr and "newsbot demo" in result.stderr
    assert "no coverage" not in result.stderr


def test_empty_store_points_at_the_demo_data_when_it_exists(tmp_path):
    demo = newsbot(tmp_path, "demo", stdin="quit\n")
    assert demo.returncode == 0
    result = newsbot(tmp_path, "ask", "What is new in lupus?")
    assert result.returncode == 1
    assert f"NEWSBOT_DATA_DIR={tmp_path / 'data' / 'demo'}" in result.stderr


def test_demo_reingest_reads_only_the_sample_feeds(tmp_path):
    with FeedServer() as server:  # feeds.toml's "real" feed, served on loopback
        real = server.add_file("/real.xml", RHEUM)
        (tmp_path / "feeds.toml").write_text(f'[[feeds]]\nurl = "{real}"\nname = "Real"\n')
        result = newsbot(tmp_path, "demo", stdin="reingest\nsources\nstatus\nquit\n")
        assert server.requests == []
    no_traceback(result)
    assert result.returncode == 0
    samples = sorted(SAMPLE_FEEDS.glob("*.xml"))
    assert f"{len(samples)} feed(s):" in result.stdout
    assert real not in result.stdout and "Real" not in result.stdout
    listed = [line for line in result.stdout.splitlines() if " | last success " in line]
    assert len(listed) == len(samples)
    assert all(any(str(p) in line for p in samples) for line in listed)


# --- item 7: the console's `latest` ----------------------------------------------------------


def test_console_latest_rejects_unknown_diseases_and_counts(tmp_path):
    script = "latest cancer 3\nlatest foo bar 3\nlatest 0\nlatest lupus 30\nlatest lupus 2\n"
    result = newsbot(tmp_path, "demo", stdin=script + "quit\n")
    no_traceback(result)
    replies = [r.strip() for r in result.stdout.split("\n\n") if r.strip()]
    assert replies[0].startswith("Sorry — Unknown disease 'cancer'. Try one of: Lupus")
    assert replies[1].startswith("Sorry — Unknown disease 'foo bar'. Try one of: Lupus")
    assert replies[2] == "Sorry — The number of stories must be between 1 and 25."
    assert replies[3] == "Sorry — The number of stories must be between 1 and 25."
    assert all("\n" not in reply for reply in replies[:4])  # one line each
    stories = replies[4].splitlines()
    assert len(stories) == 2 and all(line.startswith("- ") for line in stories)


# --- item 8: output --------------------------------------------------------------------------


@pytest.mark.model
def test_first_run_shows_the_model_export_as_its_own_step_without_library_noise(tmp_path):
    cache = tmp_path / "fresh-models"
    result = newsbot(tmp_path, "ingest", str(BIOWIRE), hashing=False, timeout=600,
                     NEWSBOT_MODEL_CACHE_DIR=str(cache))
    no_traceback(result)
    assert result.returncode == 0
    lines = result.stderr.splitlines()
    assert lines[0].startswith("Now following")
    assert lines[1].startswith("One-time setup: exporting the embedding model to ONNX")
    assert re.fullmatch(r"Embedding model ready \(\d+ s\)\.", lines[2])
    assert len(lines) == 3, result.stderr  # no onnxruntime INFO lines (fusion_base, …)
    again = newsbot(tmp_path, "ask", "lupus trial hold", hashing=False,
                    NEWSBOT_MODEL_CACHE_DIR=str(cache))
    assert again.returncode == 0 and again.stderr == ""  # exported once


def test_library_info_lines_only_with_verbose(tmp_path):
    with FeedServer() as server:
        url = server.add_file("/rheum.xml", RHEUM)
        quiet = newsbot(tmp_path, "ingest", url)
        loud = newsbot(tmp_path, "--verbose", "ingest", "--full", url)
    assert quiet.returncode == 0 and "HTTP Request" not in quiet.stderr
    assert " INFO " not in quiet.stderr
    assert loud.returncode == 0 and "INFO httpx: HTTP Request: GET " + url in loud.stderr


def test_each_failed_feed_is_reported_once(tmp_path):
    with FeedServer() as server:
        good = server.add_file("/rheum.xml", RHEUM)
        bad = server.add("/down.xml", Route(status=500))
        result = newsbot(tmp_path, "ingest", good, bad, COLUMNS="100")
    no_traceback(result)
    assert result.returncode == 0
    assert "WARNING" not in result.stderr
    everything = result.stdout + result.stderr
    assert everything.count("HTTP 500") == 1
    assert f"failed: {bad}: " in result.stdout
    assert "1 feed(s) failed" in " ".join(result.stdout.split())


@pytest.mark.parametrize("columns", [80, 200])
def test_report_table_follows_the_terminal_width(tmp_path, columns):
    long_path = "/" + "very-long-feed-path-" * 6 + "rheum.xml"
    with FeedServer() as server:
        url = server.add(long_path, Route(status=404))
        server.add_file("/rheum.xml", RHEUM)
        result = newsbot(tmp_path, "ingest", server.url("/rheum.xml"), url,
                         COLUMNS=str(columns))
    widths = [len(line) for line in result.stdout.splitlines()]
    assert max(widths) <= columns
    if columns > 160:  # not fixed at 160 either: the long address gets a line of its own
        assert max(widths) > 160 and url in result.stdout
    else:
        assert "The Rheum Report" in result.stdout and "FAILED" in result.stdout


@pytest.mark.parametrize("args", [["articles", "--json"], ["digest"],
                                  ["ask", "What happened with the lupus trial hold?"]])
def test_closed_pipe_ends_quietly_like_git(tmp_path, args):
    """`newsbot articles --json | head`: no BrokenPipeError, the exit status git has."""
    assert newsbot(tmp_path, "ingest", str(BIOWIRE), str(RHEUM)).returncode == 0
    with subprocess.Popen([str(NEWSBOT), *args], env=environment(tmp_path), cwd=tmp_path,
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) as proc:
        assert proc.stdout is not None
        proc.stdout.close()  # the reader is gone before the first line is written
        _, err = proc.communicate(timeout=120)
    assert "Traceback" not in err and "BrokenPipe" not in err and "Exception" not in err
    git_status = -signal.SIGPIPE  # what `git log | head` ends with
    assert proc.returncode == git_status


@pytest.mark.parametrize(("dotenv", "names"), [
    ("NEWSBOT_TOPIC_TRESHOLD=0.7\n", ["NEWSBOT_TOPIC_TRESHOLD", "NEWSBOT_TOPICS__THRESHOLD"]),
    ("NEWSBOT_FETCH_TIMEOUT=fast\n", ["NEWSBOT_FETCH__TIMEOUT", "'fast'"]),
    ("NEWSBOT_LLM_API_KY=sk-secret-1234\n", ["NEWSBOT_LLM_API_KY", "NEWSBOT_LLM__API_KEY"]),
])
def test_dotenv_typo_is_one_line_naming_the_setting(tmp_path, dotenv, names):
    (tmp_path / ".env").write_text(dotenv)
    result = newsbot(tmp_path, "status")
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("newsbot: configuration error: ")
    assert all(name in lines[0] for name in names)
    assert "pydantic" not in lines[0] and "validation error" not in lines[0]
    assert "sk-secret" not in lines[0]


# --- item 9: feeds ------------------------------------------------------------------------------


def test_other_spellings_of_a_followed_feed_are_already_followed_without_a_fetch(tmp_path):
    with FeedServer() as server:
        url = server.add_file("/rheum.xml", RHEUM)
        added = newsbot(tmp_path, "feeds", "add", url)
        assert added.returncode == 0 and "Now following The Rheum Report" in added.stdout
        fetched = len(server.requests)
        port = server.port
        spellings = [f"HTTP://127.0.0.1:{port}/rheum.xml?utm_source=x&utm_medium=rss",
                     f"http://127.0.0.1:{port}/rheum.xml/", f"  {url}#top  "]
        for spelling in spellings:
            again = newsbot(tmp_path, "feeds", "add", spelling)
            assert again.returncode == 0, again.stderr
            assert again.stdout.startswith("Already following The Rheum Report")
        assert len(server.requests) == fetched  # answered from the store, nothing fetched
        ingested = newsbot(tmp_path, "ingest", "--json", spellings[0])
        assert ingested.returncode == 0 and "Now following" not in ingested.stderr
    offline = newsbot(tmp_path, "feeds", "add", url)  # the server is gone now
    assert offline.returncode == 0 and offline.stdout.startswith("Already following")
    assert "tried" not in offline.stderr
    listed = newsbot(tmp_path, "feeds", "list").stdout.splitlines()
    assert len(listed) == 1 and url in listed[0] and listed[0].endswith("| ok")
    removed = newsbot(tmp_path, "feeds", "remove", spellings[1])
    assert removed.returncode == 0
    assert newsbot(tmp_path, "feeds", "list").stdout == ""


def test_feed_files_are_accepted_the_same_way_by_feeds_add_and_ingest(tmp_path):
    shutil.copy(RHEUM, tmp_path / "rheum.xml")
    (tmp_path / "notes.txt").write_text("just words, no feed")
    added = newsbot(tmp_path, "feeds", "add", "rheum.xml")
    assert added.returncode == 0 and "Now following The Rheum Report" in added.stdout
    ingested = newsbot(tmp_path, "ingest", "./rheum.xml")
    assert ingested.returncode == 0 and "Now following" not in ingested.stderr
    listed = newsbot(tmp_path, "feeds", "list").stdout.splitlines()
    assert len(listed) == 1 and str(tmp_path / "rheum.xml") in listed[0]
    assert listed[0].endswith("| ok")

    new_file = newsbot(tmp_path, "ingest", str(BIOWIRE))  # a new file: followed, and said so
    assert new_file.stderr.startswith(f"Now following {BIOWIRE}")
    for bad, message in [("missing.xml", "No feed file at"), ("notes.txt", "RSS or Atom feed")]:
        refused = newsbot(tmp_path, "feeds", "add", bad)
        assert refused.returncode == 2 and message in refused.stderr
        assert len(refused.stderr.strip().splitlines()) == 1
    assert newsbot(tmp_path, "feeds", "remove", "rheum.xml").returncode == 0
    assert len(newsbot(tmp_path, "feeds", "list").stdout.splitlines()) == 1


def test_feed_states_never_fetched_ok_failing_since(tmp_path):
    with FeedServer() as server:
        flaky = server.add_file("/flaky.xml", RHEUM)
        assert newsbot(tmp_path, "feeds", "add", flaky).returncode == 0
        listed = newsbot(tmp_path, "feeds", "list").stdout
        assert listed.strip().endswith("| never fetched")
        assert newsbot(tmp_path, "ingest").returncode == 0
        assert newsbot(tmp_path, "feeds", "list").stdout.strip().endswith("| ok")
        server.add("/flaky.xml", Route(status=500))
        newsbot(tmp_path, "ingest")
        once = newsbot(tmp_path, "feeds", "list").stdout.strip()
        newsbot(tmp_path, "ingest")
        twice = newsbot(tmp_path, "feeds", "list").stdout.strip()
    since = re.search(r"\| failing since (\d{4}-\d\d-\d\d \d\d:\d\d) UTC \(once\): ", once)
    assert since, once
    assert f"| failing since {since.group(1)} UTC (2 times): " in twice
    assert "HTTP 500" in twice
