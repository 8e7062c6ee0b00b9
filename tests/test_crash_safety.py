"""A `newsbot ingest` killed with SIGKILL at many moments leaves a store that opens consistent
(Library.open repairs half-done writes), and a rerun ends exactly where an uninterrupted run
does.

The subprocess is the real CLI. tests/subprocess_hooks/sitecustomize.py, put on its
PYTHONPATH, swaps in the fast HashingEmbedder and kills the process just before or just after
its Nth Chroma write (NEWSBOT_TEST_KILL=before:N|after:N); a few kills are by wall-clock time.
"""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

from ingest.pipeline import run_ingest, sources_from_args
from newsbot.library import Library
from newsbot.settings import Settings
from newsbot.store.vectors import VectorStore, release_lock
from tests.conftest import SAMPLE_FEEDS, make_settings
from tests.doubles import HashingEmbedder

NEWSBOT = Path(sys.executable).parent / "newsbot"
HOOKS = Path(__file__).resolve().parent / "subprocess_hooks"
FILES = [str(p) for p in sorted(SAMPLE_FEEDS.glob("*.xml"))]
ON_TOPIC_ARTICLES = 28
# A fresh run writes each feed's new articles to Chroma in one upsert: 7 writes in all.
KILLS = ["before:1", "after:1", "before:2", "after:3", "before:4", "after:5", "before:6",
         "after:7"]


def store_settings(data_dir: Path) -> Settings:
    return make_settings(data_dir.parent, data_dir=data_dir, fetch_article_pages=False)


def newsbot_ingest(data_dir: Path, kill: str | None = None, *, timed_kill: float | None = None,
                   ) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("NEWSBOT_")}
    env.update({
        "PYTHONPATH": os.pathsep.join(filter(None, [str(HOOKS), env.get("PYTHONPATH")])),
        "NEWSBOT_TEST_EMBEDDER": "hashing",
        "NEWSBOT_DATA_DIR": str(data_dir),
        "NEWSBOT_REGISTRY__BASE_URL": "http://0.0.0.0:9/api/v2",  # no registry in tests
        "NEWSBOT_CHROMA_COLLECTION": store_settings(data_dir).storage.chroma_collection,
        "NEWSBOT_FETCH_ARTICLE_PAGES": "false",
    })
    if kill:
        env["NEWSBOT_TEST_KILL"] = kill
    args = [str(NEWSBOT), "ingest", "--json", *FILES]
    if timed_kill is None:
        return subprocess.run(args, env=env, cwd=data_dir.parent, capture_output=True,
                              text=True, timeout=60, check=False)
    with subprocess.Popen(args, env=env, cwd=data_dir.parent, stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, text=True) as proc:
        time.sleep(timed_kill)
        proc.send_signal(signal.SIGKILL)
        out, err = proc.communicate(timeout=60)
        return subprocess.CompletedProcess(args, proc.returncode, out, err)


@dataclass(frozen=True)
class Final:
    articles: frozenset[tuple[object, ...]]
    chroma_ids: frozenset[str]
    counts: dict[str, int]


def final_state(library: Library) -> Final:
    rows = library.store.articles.list(include_skipped=True)
    return Final(
        articles=frozenset((a.id, a.on_topic, a.duplicate_of, a.story_id, a.chunk_count,
                            a.content_hash) for a in rows),
        chroma_ids=frozenset(library.store.vectors.all_ids()),
        counts=library.store.articles.counts(),
    )


def close(library: Library) -> None:
    from chromadb.api.client import SharedSystemClient

    library.close()
    SharedSystemClient.clear_system_cache()  # the next open reads what other processes wrote


def assert_consistent(library: Library) -> None:
    """Both stores agree chunk by chunk and nothing is left half-done."""
    conn = library.store.sqlite
    assert conn.execute("SELECT COUNT(*) FROM pending").fetchone()[0] == 0
    sqlite_chunks = {r["id"] for r in conn.execute("SELECT id FROM chunks")}
    assert sqlite_chunks == set(library.store.vectors.all_ids())
    for article in library.store.articles.list(include_skipped=True):
        chunks = conn.execute("SELECT COUNT(*) FROM chunks WHERE article_id = ?",
                              (article.id,)).fetchone()[0]
        in_chroma = len(library.store.vectors.ids_for_article(article.id))
        if article.on_topic and article.duplicate_of is None:
            assert article.chunk_count == chunks == in_chroma >= 1, article.id
        else:
            assert article.chunk_count == chunks == in_chroma == 0, article.id


def raw_view(data_dir: Path) -> tuple[int, set[str], set[str]]:
    """(pending rows, SQLite chunk ids, Chroma ids) as the killed process left them."""
    with sqlite3.connect(store_settings(data_dir).storage.sqlite_path) as conn:
        pending = conn.execute("SELECT COUNT(*) FROM pending").fetchone()[0]
        sqlite_chunks = {r[0] for r in conn.execute("SELECT id FROM chunks")}
    chroma_ids = set(VectorStore(store_settings(data_dir)).all_ids())
    release_lock(data_dir)
    return pending, sqlite_chunks, chroma_ids


@pytest.fixture(scope="module")
def uninterrupted(tmp_path_factory: pytest.TempPathFactory) -> Final:
    data_dir = tmp_path_factory.mktemp("uninterrupted") / "data"
    done = newsbot_ingest(data_dir)
    assert done.returncode == 0, done.stderr
    totals = json.loads(done.stdout)["totals"]
    assert totals["new"] == ON_TOPIC_ARTICLES and totals["errors"] == 0
    library = Library.open(store_settings(data_dir), embedder=HashingEmbedder())
    try:
        assert_consistent(library)
        return final_state(library)
    finally:
        close(library)


@pytest.mark.parametrize("kill", KILLS)
def test_killed_at_a_chroma_write_repairs_and_reruns(tmp_path: Path, uninterrupted: Final,
                                                     kill: str):
    data_dir = tmp_path / "data"
    killed = newsbot_ingest(data_dir, kill)
    assert killed.returncode == -signal.SIGKILL, killed.stderr

    when, _, _ = kill.partition(":")
    pending, sqlite_chunks, chroma_ids = raw_view(data_dir)
    assert pending >= 1, "killed inside the journalled window"
    if when == "after":
        assert chroma_ids > sqlite_chunks, "Chroma holds chunks SQLite never recorded"
    else:
        assert chroma_ids == sqlite_chunks

    library = Library.open(store_settings(data_dir), embedder=HashingEmbedder())
    try:
        assert_consistent(library)
        kept = library.store.articles.counts()["articles"]
        assert kept == len({c.rsplit("-", 1)[0] for c in sqlite_chunks}), "committed kept"
        assert kept < ON_TOPIC_ARTICLES
        report = run_ingest(library, sources_from_args(FILES))
        assert report.status == "ok" and report.total("new") == ON_TOPIC_ARTICLES - kept
        assert_consistent(library)
        assert final_state(library) == uninterrupted
    finally:
        close(library)


@pytest.fixture(scope="module")
def run_seconds(tmp_path_factory: pytest.TempPathFactory) -> float:
    started = time.monotonic()
    done = newsbot_ingest(tmp_path_factory.mktemp("timing") / "data")
    assert done.returncode == 0, done.stderr
    return time.monotonic() - started


@pytest.mark.parametrize("fraction", [0.5, 0.65, 0.8, 0.95])
def test_killed_at_a_moment_in_time(tmp_path: Path, uninterrupted: Final, fraction: float,
                                    run_seconds: float):
    """Anywhere, even inside Chroma or SQLite: the kill lands wherever the clock says."""
    data_dir = tmp_path / "data"
    newsbot_ingest(data_dir, timed_kill=run_seconds * fraction)
    library = Library.open(store_settings(data_dir), embedder=HashingEmbedder())
    try:
        assert_consistent(library)
        assert run_ingest(library, sources_from_args(FILES)).status == "ok"
        assert_consistent(library)
        assert final_state(library) == uninterrupted
    finally:
        close(library)


def test_killed_again_and_again_then_finished_by_the_cli(tmp_path: Path, uninterrupted: Final):
    """Each run repairs the last one's leftovers itself (the CLI's own Library.open), gets
    further, and the last, uninterrupted run ends where a single clean run would."""
    data_dir = tmp_path / "data"
    stored = []
    # from the second run on, the first write is the repair of the previous kill
    for kill in ("after:2", "after:3", "before:3", "after:3"):
        killed = newsbot_ingest(data_dir, kill)
        assert killed.returncode == -signal.SIGKILL, killed.stderr
        _, sqlite_chunks, _ = raw_view(data_dir)
        stored.append(len(sqlite_chunks))
    assert stored == sorted(stored) and stored[-1] > stored[0], "every run gets further"

    done = newsbot_ingest(data_dir)
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["status"] == "ok" and report["totals"]["errors"] == 0
    library = Library.open(store_settings(data_dir), embedder=HashingEmbedder())
    try:
        assert_consistent(library)
        assert final_state(library) == uninterrupted
    finally:
        close(library)

