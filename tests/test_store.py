"""The store is the only code that speaks SQL or Chroma; its journal repairs and reports a
half-written article once; the records open alone beside the process holding the vectors."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

import pytest

from newsbot.library import Library
from newsbot.models import ArticleRecord, Chunk
from newsbot.settings import Settings
from newsbot.store import ArticleWrite, Repair, Store, StoryLink
from tests.doubles import HashingEmbedder

ROOT = Path(__file__).resolve().parent.parent
SPEAKS_STORAGE = re.compile(
    r"\.execute(?:many|script)?\(|^\s*(?:import|from)\s+(?:sqlite3|chromadb)\b", re.MULTILINE)


def test_only_the_store_speaks_sql_or_chroma() -> None:
    offenders = []
    for path in sorted(ROOT.rglob("*.py")):
        relative = path.relative_to(ROOT)
        if relative.parts[0] in {"tests", ".venv", "data"} or \
                relative.parts[:2] == ("newsbot", "store"):
            continue
        offenders += [f"{relative}: {m.group(0).strip()}"
                      for m in SPEAKS_STORAGE.finditer(path.read_text(encoding="utf-8"))]
    assert offenders == []


def _write(article_id: str, embedder: HashingEmbedder) -> ArticleWrite:
    text = "CAR-T therapy put lupus nephritis into remission in a phase 1 trial."
    record = ArticleRecord(
        id=article_id, guid=article_id, url=f"https://example.org/{article_id}",
        title="CAR-T in lupus", source="Example", feed_url="https://example.org/feed",
        published=datetime(2026, 11, 20, tzinfo=UTC), ingested_at=datetime.now(UTC),
        text=text, content_hash=f"hash-{article_id}", on_topic=True, relevance=1.0,
        reason="test", diseases=("lupus",), story_id=article_id, chunk_count=1)
    chunks = [Chunk(f"{article_id}-0", article_id, 0, text)]
    vectors = embedder.encode([text])
    return ArticleWrite(record, "entry", chunks, vectors, vectors[0],
                        StoryLink(article_id, article_id, None, "first report", 0.0))


def test_journal_repairs_a_half_written_article_and_reports_it_once(
        library: Library, embedder: HashingEmbedder) -> None:
    store = library.store
    store.journal.write([_write("kept", embedder), _write("torn", embedder)])
    assert store.articles.counts()["articles"] == 2
    assert store.stories.links()["kept"].reason == "first report"
    # as a run killed after its Chroma write leaves it: the journal entry is still there
    store.sqlite.execute("INSERT INTO pending (article_id, content_hash, chunk_ids) "
                         "VALUES ('torn', 'hash-torn', '[\"torn-0\"]')")

    assert store.journal.repair() == Repair(1)
    assert store.journal.repair() == Repair(0)
    assert store.articles.get("torn") is None and store.vectors.ids_for_article("torn") == []
    assert store.articles.get("kept") is not None
    assert store.vectors.ids_for_article("kept") == ["kept-0"]
    assert store.journal.take_repaired() == 1
    assert store.journal.take_repaired() == 0, "reported by one ingest run only"


def test_records_open_alone_beside_the_vector_holder(settings: Settings) -> None:
    with Store.open(settings) as full, Store.open(settings, vectors=False) as records:
        assert records.feeds.add("https://example.org/feed.xml", "Example", "test")
        assert [f.url for f in full.feeds.list()] == ["https://example.org/feed.xml"]
        with pytest.raises(RuntimeError):
            records.vectors.all_ids()
