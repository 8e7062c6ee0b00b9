"""A Chroma server that is down at start or goes away mid-run: clear errors, then recovery
without restarting the process; and an `ingest --watch` worker sharing the server."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from pathlib import Path

import pytest

from ingest.pipeline import run_ingest, sources_from_args
from newsbot.errors import StoreUnavailable
from newsbot.library import Library
from newsbot.retrieval import Query, retrieve
from tests.conftest import SAMPLE_FEEDS
from tests.doubles import HashingEmbedder
from tests.test_chroma_server import BIN, HOOKS, free_port, server_settings, start_chroma

pytestmark = pytest.mark.server
FEEDS = [str(SAMPLE_FEEDS / n) for n in ("biowire_daily.xml", "immune_frontier_news.xml")]


def start_on(path: Path, port: int):
    """start_chroma picks its own port; restart on a known one by retrying until it is ours."""
    import tests.test_chroma_server as cs

    original = cs.free_port
    cs.free_port = lambda: port
    try:
        return start_chroma(path)
    finally:
        cs.free_port = original


def test_down_at_start_then_recovers_without_restart(tmp_path):
    port = free_port()
    settings = server_settings(tmp_path, port)
    library = Library.open(settings, embedder=HashingEmbedder(), tolerate_store_down=True)
    try:
        with pytest.raises(StoreUnavailable, match=f"server 127.0.0.1:{port}"):
            retrieve(library, Query("lupus CAR-T"))
        with pytest.raises(StoreUnavailable):
            run_ingest(library, sources_from_args(FEEDS))
        from newsbot.status import status

        assert "Could not open the vector store" in (status(library).last_result or "")
        server = start_on(tmp_path / "chroma", port)
        try:
            report = run_ingest(library, sources_from_args(FEEDS))  # same Library, no restart
            assert report.status == "ok" and report.total("new") > 0
            assert retrieve(library, Query("lupus nephritis CAR-T"))
            assert set(library.store.vectors.all_ids()) == {
                r["id"] for r in library.store.sqlite.execute("SELECT id FROM chunks")}
        finally:
            server.stop()
    finally:
        library.close()


def test_server_dies_mid_run_then_comes_back(tmp_path):
    server = start_chroma(tmp_path / "chroma")
    settings = server_settings(tmp_path, server.port)
    library = Library.open(settings, embedder=HashingEmbedder())
    try:
        run_ingest(library, sources_from_args(FEEDS[:1]))
        assert retrieve(library, Query("lupus nephritis CAR-T"))
        server.stop()
        with pytest.raises(StoreUnavailable):
            retrieve(library, Query("lupus nephritis CAR-T"))
        server = start_on(tmp_path / "chroma", settings.storage.chroma_port)
        assert retrieve(library, Query("lupus nephritis CAR-T")), "data survived the restart"
        report = run_ingest(library, sources_from_args(FEEDS))
        assert report.status == "ok"
    finally:
        library.close()
        server.stop()


def test_watch_worker_shares_the_server(tmp_path, feed_server):
    server = start_chroma(tmp_path / "chroma")
    settings = server_settings(tmp_path, server.port)
    feed_url = feed_server.add_file("/w.xml", Path(FEEDS[0]))
    env = {k: v for k, v in os.environ.items() if not k.startswith("NEWSBOT_")}
    env.update({
        # the worktree's code (inherited PYTHONPATH), not whatever the venv has installed
        "PYTHONPATH": os.pathsep.join(filter(None, [str(HOOKS), os.environ.get("PYTHONPATH")])),
        "NEWSBOT_TEST_EMBEDDER": "hashing",
        "NEWSBOT_DATA_DIR": str(settings.storage.data_dir), "NEWSBOT_CHROMA_HOST": "127.0.0.1",
        "NEWSBOT_REGISTRY__BASE_URL": "http://0.0.0.0:9/api/v2",  # no registry in tests
        "NEWSBOT_CHROMA_PORT": str(server.port),
        "NEWSBOT_CHROMA_COLLECTION": settings.storage.chroma_collection,
        "NEWSBOT_FETCH_ARTICLE_PAGES": "false", "NEWSBOT_INGEST_INTERVAL": "1",
        "NEWSBOT_ALLOW_HOSTS": "127.0.0.1",
    })
    worker = subprocess.Popen([str(BIN / "newsbot"), "ingest", "--watch", "--json", feed_url],
                              env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                              text=True)
    library = Library.open(settings, embedder=HashingEmbedder())  # the "bot" side
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and len(feed_server.hits("/w.xml")) < 3:
            time.sleep(0.2)
        assert len(feed_server.hits("/w.xml")) >= 3, "the worker runs on its interval"
        stored = set(library.store.vectors.all_ids())
        assert stored and stored == {
            r["id"] for r in library.store.sqlite.execute("SELECT id FROM chunks")}
        assert retrieve(library, Query("lupus nephritis CAR-T"))
    finally:
        worker.send_signal(signal.SIGINT)
        out, _ = worker.communicate(timeout=30)
        library.close()
        server.stop()
    reports = [json.loads(chunk) for chunk in _json_objects(out)]
    assert reports[0]["totals"]["new"] == 5 and reports[1]["totals"]["new"] == 0


def _json_objects(text: str) -> list[str]:
    decoder, objects, index = json.JSONDecoder(), [], 0
    while index < len(text):
        if text[index].isspace():
            index += 1
            continue
        _, end = decoder.raw_decode(text, index)
        objects.append(text[index:end])
        index = end
    return objects
