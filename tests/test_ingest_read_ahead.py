"""Reading the next feed while the current one is embedded stores exactly what a run that
reads one feed at a time stores."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

from ingest import pipeline
from ingest.pipeline import FeedSource, run_ingest
from newsbot.library import Library
from tests.conftest import SAMPLE_NOW, make_settings, sample_urls
from tests.doubles import HashingEmbedder


def _stored(library: Library) -> dict[str, Any]:
    def rows(sql: str) -> list[tuple]:
        return [tuple(r) for r in library.store.sqlite.execute(sql)]

    chunk_ids = sorted(library.store.vectors.all_ids())
    got = library.store.vectors._call("read", "get", ids=chunk_ids, include=["embeddings"])
    vectors = dict(zip(got["ids"], np.asarray(got["embeddings"]), strict=True))
    return {
        "articles": rows("SELECT id, guid, url, title, source, feed_url, published, text, "
                         "content_hash, on_topic, relevance, reason, story_id, duplicate_of, "
                         "chunk_count FROM articles ORDER BY id"),
        "chunks": rows("SELECT id, article_id, idx, text FROM chunks ORDER BY id"),
        "links": rows("SELECT * FROM story_links ORDER BY 1, 2"),
        "feeds": rows("SELECT url, name, etag, last_modified, error_count, last_error "
                      "FROM feeds ORDER BY url"),
        "chroma": chunk_ids,
        "vectors": np.stack([vectors[i] for i in chunk_ids]).round(6).tolist(),
    }


def _ingest(root: Path, urls: list[str], read_ahead: bool,
            monkeypatch: pytest.MonkeyPatch) -> tuple[dict[str, Any], list[dict]]:
    monkeypatch.setattr(pipeline, "READ_AHEAD", read_ahead)
    library = Library.open(make_settings(root), embedder=HashingEmbedder())
    try:
        sources = [FeedSource(u, trusted=False) for u in urls]
        reports = [run_ingest(library, sources, now=SAMPLE_NOW, full=full)
                   for full in (False, True)]
        feeds = [r.to_json()["feeds"] for r in reports]
        return _stored(library), feeds
    finally:
        library.close()


def test_read_ahead_stores_what_a_serial_run_stores(tmp_path: Path, sample_server,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    # a feed repeated, and one that fails, among the sample feeds
    urls = sample_urls(sample_server)
    urls = urls[:3] + [sample_server.url("/feeds/missing.xml")] + urls[3:] + urls[:1]
    started: list[str] = []
    real_start = pipeline._Reader.start

    def counting_start(self: pipeline._Reader, source: FeedSource, seen: set[str]):
        started.append(source.url)
        return real_start(self, source, seen)

    monkeypatch.setattr(pipeline._Reader, "start", counting_start)
    serial = _ingest(tmp_path / "serial", urls, False, monkeypatch)
    assert not started
    ahead = _ingest(tmp_path / "ahead", urls, True, monkeypatch)
    assert len(started) == 2 * (len(urls) - 1)  # every feed but the repeat, in both runs

    stored_serial, reports_serial = serial
    stored_ahead, reports_ahead = ahead
    assert stored_serial["articles"] and stored_serial["chroma"]
    for key in stored_serial:
        assert stored_ahead[key] == stored_serial[key], key
    assert reports_ahead == reports_serial
    first = reports_ahead[0]
    # the repeat is read in its turn, after its first read stored the validators: 304
    assert first[3]["status"] == "error" and first[-1]["status"] == "not_modified"
    assert sum(f["new"] for f in first) > 20
    assert sum(f["updated"] for f in reports_ahead[1]) > 20  # --full: read and embedded again
