"""All benchmarks in one go (`make bench`), sized to finish in under 15 minutes on 2 cores.

Prints each table as it is measured and writes every figure, with the machine, to
bench/out/results.json. Each benchmark can also be run on its own with larger sizes:
`python -m bench.<name> --help`.

    python -m bench.run_all                 # the make bench defaults
    python -m bench.run_all --quick         # a smaller, ~3-minute pass
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

from bench.common import OUT_DIR, default_backend, machine, offline_env, progress


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter,
                                     epilog=__doc__.split("\n\n", 1)[1])
    parser.add_argument("--quick", action="store_true", help="smaller sizes (~3 minutes)")
    parser.add_argument("--ingest-n", type=int, help="articles for the ingest benchmark (250)")
    parser.add_argument("--ingest-repeats", type=int, help="ingest repeats, median (2)")
    parser.add_argument("--sizes", help="answer-latency store sizes (1000,10000,50000)")
    parser.add_argument("--json", type=Path, default=OUT_DIR / "results.json",
                        help="where to write all figures (bench/out/results.json)")
    args = parser.parse_args(argv)
    offline_env()
    from bench import (
        answer_latency,
        answer_quality,
        embedding_backend,
        ingest_throughput,
        story_grouping,
        watch_matching,
    )

    backend = default_backend()
    ingest_n = args.ingest_n or (100 if args.quick else 250)
    ingest_repeats = args.ingest_repeats or (1 if args.quick else 2)
    sizes = [int(s) for s in (args.sizes or ("1000,10000" if args.quick
                                              else "1000,10000,50000")).split(",")]
    results: dict[str, Any] = {"machine": machine(), "command": " ".join(sys.argv),
                               "backend": backend}
    started = time.perf_counter()

    progress("answer quality (held-out corpus, test split)")
    quality = answer_quality.measure("test", backend=backend)
    print(answer_quality.report(quality), flush=True)
    results["answer_quality"] = quality

    progress("story grouping (held-out corpus, dev and test splits)")
    grouping = story_grouping.measure(("dev", "test"), backend=backend)
    print(story_grouping.report(grouping), flush=True)
    results["story_grouping"] = grouping

    progress("watch matching (held-out corpus, dev and test splits)")
    watches = watch_matching.measure(watch_matching.minilm(backend))
    print(watch_matching.report(watches), flush=True)
    results["watch_matching"] = watches

    progress("embedding backends")
    backends = embedding_backend.measure(n=40 if args.quick else 60, repeats=3)
    print(embedding_backend.report(backends), flush=True)
    results["embedding_backend"] = backends

    progress(f"ingest throughput ({ingest_n} articles × {ingest_repeats})")
    ingest = ingest_throughput.measure(ingest_n, ingest_repeats, backend=backend)
    print(ingest_throughput.report(ingest), flush=True)
    results["ingest_throughput"] = ingest.figures()

    progress(f"answer latency ({', '.join(f'{s:,}' for s in sizes)} articles)")
    latency = answer_latency.run(sizes, rounds=1, backend=backend)
    print(answer_latency.report(latency), flush=True)
    results["answer_latency"] = latency

    results["minutes"] = (time.perf_counter() - started) / 60
    print(f"\nall benchmarks: {results['minutes']:.1f} min on {results['machine']['nproc']} "
          f"cores ({results['machine']['cpu']}); figures in {args.json}")
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(results, indent=2, default=str))
    return results


if __name__ == "__main__":
    main()
