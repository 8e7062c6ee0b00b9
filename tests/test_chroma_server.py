"""The store through a real Chroma server (`chroma run` from the venv), shared by two processes.

The in-process Library and a `newsbot` subprocess use the same server and the same data dir
(SQLite in WAL mode). Both embed with the HashingEmbedder (the subprocess through
tests/subprocess_hooks), whose similarities run lower than MiniLM's: hence min_relevance 0.2.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from ingest.pipeline import run_ingest, sources_from_args
from newsbot.errors import StoreUnavailable
from newsbot.library import Library
from newsbot.retrieval import Query, retrieve
from newsbot.settings import Settings
from tests.conftest import SAMPLE_FEEDS, make_settings
from tests.doubles import HashingEmbedder
from tests.loopback import free_port

pytestmark = pytest.mark.server

BIN = Path(sys.executable).parent
HOOKS = Path(__file__).resolve().parent / "subprocess_hooks"
LATER = SAMPLE_FEEDS / "the_rheum_report.xml"  # ingested by the second process
FIRST = [str(p) for p in sorted(SAMPLE_FEEDS.glob("*.xml")) if p != LATER]


@dataclass
class ChromaServer:
    process: subprocess.Popen[bytes]
    port: int

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)


def start_chroma(path: Path) -> ChromaServer:
    port = free_port()
    log = (path.parent / f"chroma-{port}.log").open("wb")
    process = subprocess.Popen(
        [str(BIN / "chroma"), "run", "--path", str(path), "--host", "127.0.0.1",
         "--port", str(port)],
        stdout=log, stderr=subprocess.STDOUT,
    )
    log.close()
    server = ChromaServer(process, port)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"chroma run exited with {process.returncode}; see {log.name}")
        try:
            beat = httpx.get(f"http://127.0.0.1:{port}/api/v2/heartbeat", timeout=1,
                             trust_env=False)
            if beat.is_success:
                return server
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    server.stop()
    raise RuntimeError(f"chroma run did not answer its heartbeat within 30 s; see {log.name}")


@pytest.fixture(scope="module")
def chroma_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ChromaServer]:
    server = start_chroma(tmp_path_factory.mktemp("chroma-server") / "db")
    try:
        yield server
    finally:
        server.stop()
    assert server.process.poll() is not None, "the server process is gone after the tests"


def server_settings(tmp_path: Path, port: int, **overrides: object) -> Settings:
    base: dict[str, object] = {
        "chroma_host": "127.0.0.1", "chroma_port": port, "fetch_article_pages": False,
        "chroma_collection": f"t{uuid.uuid4().hex[:12]}", "min_relevance": 0.2,
    }
    return make_settings(tmp_path, **{**base, **overrides})


def newsbot(settings: Settings, *args: str) -> subprocess.CompletedProcess[str]:
    """The real CLI in another process, on the same server and data dir."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("NEWSBOT_")}
    env.update({
        "PYTHONPATH": os.pathsep.join(filter(None, [str(HOOKS), env.get("PYTHONPATH")])),
        "NEWSBOT_TEST_EMBEDDER": "hashing",
        "NEWSBOT_DATA_DIR": str(settings.storage.data_dir),
        "NEWSBOT_CHROMA_HOST": str(settings.storage.chroma_host),
        "NEWSBOT_CHROMA_PORT": str(settings.storage.chroma_port),
        "NEWSBOT_CHROMA_COLLECTION": settings.storage.chroma_collection,
        "NEWSBOT_REGISTRY__BASE_URL": "http://0.0.0.0:9/api/v2",  # no registry in tests
        "NEWSBOT_FETCH_ARTICLE_PAGES": "false",
        "NEWSBOT_MIN_RELEVANCE": str(settings.retrieval.min_relevance),
    })
    return subprocess.run([str(BIN / "newsbot"), *args], env=env,
                          cwd=settings.storage.data_dir.parent,
                          capture_output=True, text=True, timeout=60, check=False)


def chroma_ids(library: Library) -> set[str]:
    return set(library.store.vectors.all_ids())


def sqlite_chunk_ids(library: Library) -> set[str]:
    return {r["id"] for r in library.store.sqlite.execute("SELECT id FROM chunks")}


def test_ingest_and_retrieve_through_the_server(tmp_path: Path, chroma_server: ChromaServer):
    settings = server_settings(tmp_path, chroma_server.port)
    library = Library.open(settings, embedder=HashingEmbedder())
    try:
        assert library.store.vectors.description == f"Chroma server 127.0.0.1:{chroma_server.port}"
        report = run_ingest(library, sources_from_args(FIRST))
        assert report.status == "ok" and report.total("new") >= 20
        assert not settings.storage.chroma_path.exists(), "nothing embedded in the data dir"
        ids = chroma_ids(library)
        assert ids and ids == sqlite_chunk_ids(library)

        passages = retrieve(library, Query("lupus nephritis CAR-T"))
        assert passages
        assert all("lupus" in p.article.diseases for p in passages)
        top = {p.article.guid for p in passages[:4]}
        assert top & {"https://biowire.example/wire/2026/11/10/lumora-bio-lmr-19-phase-2",
                      "ifn-2026-11-10-lumora-lmr19-lumen2"}, top

        # The server holds the vectors: a plain client sees the same collection.
        import chromadb

        direct = chromadb.HttpClient(host="127.0.0.1", port=chroma_server.port)
        collection = direct.get_collection(settings.storage.chroma_collection)
        assert collection.count() == len(ids)
        lumora = collection.get(where={"trial_ids": "NCT06123456"}, include=["metadatas"])
        assert lumora["ids"] and all(m["d_lupus"] for m in lumora["metadatas"])
    finally:
        library.close()


def test_a_second_process_shares_the_store(tmp_path: Path, chroma_server: ChromaServer):
    settings = server_settings(tmp_path, chroma_server.port)
    library = Library.open(settings, embedder=HashingEmbedder())
    try:
        run_ingest(library, sources_from_args(FIRST))
        before = chroma_ids(library)

        # While this Library stays open, another process reads what it stored …
        searched = newsbot(settings, "search", "--json", "lupus nephritis CAR-T")
        assert searched.returncode == 0, searched.stderr
        hits = json.loads(searched.stdout)
        assert hits and "ifn-2026-11-10-lumora-lmr19-lumen2" in {h["guid"] for h in hits[:5]}

        # … and adds a feed of its own, which this process then sees in both stores.
        ingested = newsbot(settings, "ingest", "--json", str(LATER))
        assert ingested.returncode == 0, ingested.stderr
        assert json.loads(ingested.stdout)["totals"]["new"] == 5
        after = chroma_ids(library)
        assert after > before and after == sqlite_chunk_ids(library)
        rheum = {a.id for a in library.store.articles.list() if a.feed_url == str(LATER)}
        assert len(rheum) == 5 and {c.rsplit("-", 1)[0] for c in after - before} == rheum
        passages = retrieve(library, Query("LUMEN-2 lupus nephritis complete renal response"))
        assert "tag:rheumreport.example,2026-11-11:/articles/4471" in {
            p.article.guid for p in passages}
    finally:
        library.close()


def test_unreachable_server_is_a_clear_error(tmp_path: Path):
    port = free_port()  # nothing listens here
    started = time.monotonic()
    with pytest.raises(StoreUnavailable) as caught:
        Library.open(server_settings(tmp_path, port), embedder=HashingEmbedder())
    assert time.monotonic() - started < 15
    message = str(caught.value)
    assert message.startswith(f"Could not open the vector store (server 127.0.0.1:{port}): ")
    assert "connect" in message.lower(), message


def test_server_lost_while_open(tmp_path: Path):
    server = start_chroma(tmp_path / "db")
    try:
        library = Library.open(server_settings(tmp_path, server.port), embedder=HashingEmbedder())
        run_ingest(library, sources_from_args(FIRST[:1]))
        assert library.store.vectors.count() > 0
        server.stop()
        lost = r"^Vector store count failed \(server 127\.0\.0\.1:\d+\): "
        with pytest.raises(StoreUnavailable, match=lost):
            library.store.vectors.count()
        library.close()
    finally:
        server.stop()
