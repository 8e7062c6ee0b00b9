"""One writer on the embedded store, secrets kept out of output, disk-full handling."""

from __future__ import annotations

import json
import logging
import os
import sqlite3
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from cli.render_status import status_text
from ingest.pipeline import FeedSource, run_ingest
from newsbot.errors import StoreLocked
from newsbot.library import Library
from newsbot.status import status
from newsbot.store import sqlite as db
from tests.conftest import SAMPLE_FEEDS, make_settings
from tests.doubles import HashingEmbedder

ROOT = Path(__file__).resolve().parent.parent


def test_second_process_gets_a_clear_error(library, settings):
    env = {**os.environ, "NEWSBOT_DATA_DIR": str(settings.storage.data_dir)}
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
        "import sys; from newsbot.store.vectors import _lock_data_dir; from pathlib import Path;"
        "_lock_data_dir(Path(sys.argv[1])); print('locked', flush=True); sys.stdin.read()"
    )
    data = tmp_path / "shared"
    child = subprocess.Popen([sys.executable, "-c", code, str(data)], cwd=ROOT,
                             stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert child.stdout and child.stdout.readline().strip() == "locked"
        from tests.doubles import HashingEmbedder

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

    library.store._db._local = __import__("threading").local()  # new connections: the cap
    monkeypatch.setattr(db, "connect", tiny)
    report = run_ingest(library, feed)
    assert report.total("errors") > 0
    assert any("full" in e for f in report.feeds for e in f.entry_errors)
    monkeypatch.setattr(db, "connect", real_connect)
    library.store._db._local = __import__("threading").local()
    report = run_ingest(library, feed)
    assert report.total("errors") == 0
    chroma = set(library.store.vectors.all_ids())
    records = {r["id"] for r in library.store.sqlite.execute("SELECT id FROM chunks")}
    assert chroma == records and records
    assert library.store.sqlite.execute("SELECT COUNT(*) FROM pending").fetchone()[0] == 0
    with pytest.raises(sqlite3.OperationalError):
        tiny(library.settings.storage.sqlite_path).execute(
            "INSERT INTO meta VALUES ('x', ?)", ("y" * 200_000,))


# --- a read-only data dir and a full disk, for real (issue 13, items 8 and 12) ---------------
# A read-only bind mount and a small tmpfs, each in a private mount namespace (`unshare -m`)
# that vanishes with the shell: the `newsbot` command runs against them unchanged.

HOOKS = ROOT / "tests" / "subprocess_hooks"
FEED_FILE = SAMPLE_FEEDS / "the_rheum_report.xml"


def _can_mount() -> bool:
    try:
        probe = subprocess.run(["unshare", "-m", "sh", "-c", "mount -t tmpfs none /mnt"],
                               capture_output=True, timeout=20)
    except (OSError, subprocess.SubprocessError):
        return False
    return probe.returncode == 0


needs_mounts = pytest.mark.skipif(not _can_mount(), reason="needs unshare -m and mount")


def _in_namespace(script: str, tmp_path: Path, data_dir: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": f"{ROOT}{os.pathsep}{HOOKS}",
           "NEWSBOT_TEST_EMBEDDER": "hashing", "NEWSBOT_DATA_DIR": str(data_dir),
           "NEWSBOT_FETCH_ARTICLE_PAGES": "false", "NEWSBOT_NOW": "2026-11-26T12:00:00Z",
           "NB": f"{sys.executable} -m cli.main", "OUT": str(tmp_path / "out")}
    (tmp_path / "out").mkdir(exist_ok=True)
    return subprocess.run(["unshare", "-m", "sh", "-c", f"set -u\ncd {ROOT}\n{script}"],
                          env=env, capture_output=True, text=True, timeout=600)


def _outputs(tmp_path: Path, name: str) -> tuple[int, str, str]:
    out = tmp_path / "out"
    return (int((out / f"{name}.rc").read_text()), (out / f"{name}.stdout").read_text(),
            (out / f"{name}.stderr").read_text())


def _run_steps(steps: dict[str, str]) -> str:
    return "\n".join(f'{command} >"$OUT/{name}.stdout" 2>"$OUT/{name}.stderr"; '
                     f'echo $? >"$OUT/{name}.rc"' for name, command in steps.items())


@needs_mounts
def test_read_only_data_dir_is_served_read_only(tmp_path):
    data = tmp_path / "data"
    library = Library.open(make_settings(tmp_path, data_dir=data), embedder=HashingEmbedder())
    run_ingest(library, [FeedSource(str(FEED_FILE), True)])
    stored = len(library.store.articles.list())
    library.close()
    mount = tmp_path / "backup"
    mount.mkdir()
    steps = {
        "status": '$NB status', "articles": '$NB articles --json',
        "ask": "$NB ask \"What were the LUMEN-2 results in lupus nephritis?\" --json",
        "search": '$NB search "LUMEN-2 lupus nephritis" --json',
        "ingest": f'$NB ingest {FEED_FILE}',
        "ingest_json": f'$NB ingest {FEED_FILE} --json', "feeds_remove": '$NB feeds remove x',
    }
    result = _in_namespace(
        f"mount --bind {data} {mount} && mount -o remount,bind,ro {mount} || exit 97\n"
        f"touch {mount}/probe 2>/dev/null && exit 98\n"
        f"export NEWSBOT_DATA_DIR={mount}\n" + _run_steps(steps), tmp_path, mount)
    assert result.returncode not in (97, 98), result.stderr
    for name in steps:
        assert "Traceback" not in _outputs(tmp_path, name)[2], (name, _outputs(tmp_path, name))

    rc, out, _ = _outputs(tmp_path, "status")
    assert rc == 0 and f"Stored: {stored} articles" in out and "(read-only)" in out, out
    rc, out, _ = _outputs(tmp_path, "articles")
    assert rc == 0 and len(json.loads(out)) == stored
    rc, out, _ = _outputs(tmp_path, "ask")
    assert rc == 0 and json.loads(out)["found"] is True
    rc, out, _ = _outputs(tmp_path, "search")
    assert rc == 0 and json.loads(out)
    refusal = (f"newsbot: The news store in {mount} is read-only: ask, search, status and "
               "articles work, but nothing can be ingested or changed until it is writable.")
    rc, out, err = _outputs(tmp_path, "ingest")
    assert rc == 2 and err.strip().splitlines() == [refusal], err
    rc, out, err = _outputs(tmp_path, "ingest_json")
    report = json.loads(out)
    assert rc == 2 and report["status"] == "failed" and report["error"] in refusal
    rc, _, err = _outputs(tmp_path, "feeds_remove")
    assert rc == 2 and err.strip().splitlines() == [refusal]
    assert not list(Path(tempfile.gettempdir()).glob("newsbot-read-only-*")), "copy removed"


@needs_mounts
def test_full_disk_reported_per_article_status_works_json_always(tmp_path):
    data = tmp_path / "data"
    library = Library.open(make_settings(tmp_path, data_dir=data), embedder=HashingEmbedder())
    report = run_ingest(library, [FeedSource(str(f), True) for f in SAMPLE_FEEDS.glob("*.xml")])
    stored = len(library.store.articles.list())
    library.close()
    disk, after = tmp_path / "disk", tmp_path / "after"
    disk.mkdir()
    feeds = " ".join(str(f) for f in sorted(SAMPLE_FEEDS.glob("*.xml")))
    steps_full = {"full_ingest": f"$NB ingest --full --json {feeds}", "full_status": "$NB status"}
    steps_freed = {"freed_ingest": f"$NB ingest --full --json {feeds}"}
    result = _in_namespace(
        f"mount -t tmpfs -o size=8m tmpfs {disk} || exit 97\n"
        f"cp -a {data} {disk}/data\n"
        f"free=$(df -k {disk} | tail -1 | awk '{{print $4}}')\n"
        f"dd if=/dev/zero of={disk}/fill bs=1k count=$((free - 1200)) 2>/dev/null\n"
        + _run_steps(steps_full) + f"\nrm {disk}/fill\n" + _run_steps(steps_freed)
        + f"\ncp -a {disk}/data {after}", tmp_path, disk / "data")
    assert result.returncode != 97, result.stderr

    rc, out, err = _outputs(tmp_path, "full_ingest")
    full = json.loads(out)  # --json prints JSON, whatever happened
    assert "Traceback" not in err
    errors = [e for f in full["feeds"] for e in f["entry_errors"]] + [
        f["error"] for f in full["feeds"] if f["error"]] + [full.get("error") or ""]
    assert any("disk is full" in e for e in errors), full
    assert full["totals"]["errors"] > 0 or full["status"] in {"partial", "failed"}
    rc, out, err = _outputs(tmp_path, "full_status")
    assert rc == 0 and "Stored:" in out and "Traceback" not in err, (out, err)

    rc, out, _ = _outputs(tmp_path, "freed_ingest")
    freed = json.loads(out)
    assert freed["status"] == "ok" and freed["totals"]["errors"] == 0, freed
    library = Library.open(make_settings(tmp_path, data_dir=after), embedder=HashingEmbedder())
    try:
        assert len(library.store.articles.list()) == stored, "space freed: the next run completes"
        chroma = set(library.store.vectors.all_ids())
        records = {r["id"] for r in library.store.sqlite.execute("SELECT id FROM chunks")}
        assert chroma == records and records, "nothing half-stored"
        assert library.store.sqlite.execute("SELECT COUNT(*) FROM pending").fetchone()[0] == 0
    finally:
        library.close()
    assert report.status == "ok"
