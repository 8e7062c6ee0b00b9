"""One writer on the embedded store, secrets kept out of output, disk-full handling."""

from __future__ import annotations

import logging
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from ingest.pipeline import FeedSource, run_ingest
from newsbot import db
from newsbot.errors import StoreLocked
from newsbot.library import Library
from newsbot.status import status, status_text
from tests.conftest import SAMPLE_FEEDS, make_settings

ROOT = Path(__file__).resolve().parent.parent


def test_second_process_gets_a_clear_error(library, settings):
    env = {**os.environ, "NEWSBOT_DATA_DIR": str(settings.data_dir), "HF_HUB_OFFLINE": "1"}
    result = subprocess.run([sys.executable, "-m", "cli.main", "status"], cwd=ROOT, env=env,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 2
    assert f"in use by pid {os.getpid()}" in result.stderr
    assert "NEWSBOT_CHROMA_HOST" in result.stderr


def test_lock_is_released_on_close(settings, embedder):
    first = Library.open(settings, embedder=embedder)
    first.close()
    second = Library.open(settings, embedder=embedder)  # no StoreLocked
    second.close()


def test_lock_blocks_a_second_holder_in_a_child_process(tmp_path):
    code = (
        "import sys; from newsbot.vectorstore import _lock_data_dir; from pathlib import Path;"
        "_lock_data_dir(Path(sys.argv[1])); print('locked', flush=True); sys.stdin.read()"
    )
    data = tmp_path / "shared"
    child = subprocess.Popen([sys.executable, "-c", code, str(data)], cwd=ROOT,
                             stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert child.stdout and child.stdout.readline().strip() == "locked"
        from newsbot.embedding import HashingEmbedder

        with pytest.raises(StoreLocked):
            Library.open(make_settings(tmp_path, data_dir=data), embedder=HashingEmbedder())
    finally:
        child.kill()
        child.wait()


def test_secrets_never_in_status_or_logs(tmp_path, embedder, caplog):
    token, key = "MTIz.discord-secret-token", "sk-very-secret-key"
    settings = make_settings(tmp_path, discord_token=token, llm_api_key=key,
                             llm_model="openai:gpt-4o-mini")
    caplog.set_level(logging.DEBUG)
    library = Library.open(settings, embedder=embedder)
    try:
        run_ingest(library, [FeedSource(str(SAMPLE_FEEDS / "the_rheum_report.xml"), True)])
        text = status_text(status(library))
    finally:
        library.close()
    everything = text + caplog.text + repr(settings) + str(settings.model_dump())
    assert token not in everything and key not in everything
    assert "openai:gpt-4o-mini" in text


def test_disk_full_reports_and_recovers(library, monkeypatch):
    feed = [FeedSource(str(SAMPLE_FEEDS / "the_rheum_report.xml"), True)]
    real_connect = db.connect

    def tiny(path):  # SQLite's own "database or disk is full", as on a full disk
        conn = real_connect(path)
        pages = conn.execute("PRAGMA page_count").fetchone()[0]
        conn.execute(f"PRAGMA max_page_count = {pages + 2}")
        return conn

    library._local = __import__("threading").local()  # new connections pick up the cap
    monkeypatch.setattr(db, "connect", tiny)
    report = run_ingest(library, feed)
    assert report.total("errors") > 0
    assert any("full" in e for f in report.feeds for e in f.entry_errors)
    monkeypatch.setattr(db, "connect", real_connect)
    library._local = __import__("threading").local()
    report = run_ingest(library, feed)
    assert report.total("errors") == 0
    chroma = set(library.store.all_ids())
    records = {r["id"] for r in library.db.execute("SELECT id FROM chunks")}
    assert chroma == records and records
    assert library.db.execute("SELECT COUNT(*) FROM pending").fetchone()[0] == 0
    with pytest.raises(sqlite3.OperationalError):
        tiny(library.settings.sqlite_path).execute(
            "INSERT INTO meta VALUES ('x', ?)", ("y" * 200_000,))
