"""Chunking: an article's text cut into embedding-sized pieces, and the text embedded for each."""

from __future__ import annotations

from newsbot.models import ArticleRecord, Chunk
from newsbot.sentences import chunk_sentences, split_sentences

# What is embedded per chunk (bench/RESULTS.md, "Ingest throughput and int8"): the title in
# front of every chunk ("every"), of the first one only ("first"), or of none ("none"); and
# whether consecutive chunks share a sentence.
EMBED_TITLE = "every"
CHUNK_OVERLAP = True


def make_chunks(record: ArticleRecord, target_chars: int) -> list[Chunk]:
    pieces = chunk_sentences(split_sentences(record.text), target_chars,
                             overlap=CHUNK_OVERLAP) or [record.title]
    return [Chunk(f"{record.id}-{i}", record.id, i, text) for i, text in enumerate(pieces)]


def embedding_text(title: str, chunk_index: int, text: str) -> str:
    """The text embedded for one chunk: the chunk, with the article's title in front."""
    if EMBED_TITLE == "every" or (EMBED_TITLE == "first" and chunk_index == 0):
        return f"{title}. {text}"
    return text
