"""The held-out evaluation corpus (`data/eval/`): load it, render its feeds, ingest it.

Items are written as JSON (see `data/eval/README.md`) and rendered here into one feed per
outlet, in that outlet's format (RSS 2.0 with or without `content:encoded`, or Atom), so
ingestion reads them through the same parser, extractor, topic filter and dedupe as any
real feed.

    python -m bench.eval_corpus --out bench/out/eval_feeds     # write the feeds
"""

from __future__ import annotations

import argparse
import html
import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import format_datetime
from pathlib import Path
from typing import Any

from bench.common import ROOT

EVAL_DIR = ROOT / "data" / "eval"
EVAL_NOW = datetime(2026, 11, 20, 12, tzinfo=UTC)
SLICES = {"dev": ("a", "b"), "test": ("c", "d"), "validation": ("e", "f"),
          "heldout": ("g", "h")}
# The store every dev and test question is asked over. The validation slices, written later
# to check that rules tuned on dev carry over to unseen writing, are stored only for their
# own questions, so adding them changed no dev or test figure.
CORPUS = ("a", "b", "c", "d")


def store_slices(split: str) -> tuple[str, ...]:
    """The slices whose items are ingested when `split`'s questions are asked. The held-out
    slices (g, h: new outlets as well as new authors) make a store of their own, since their
    lupus or MS news would answer some dev questions the dev gold does not list."""
    if split == "heldout":
        return SLICES["heldout"]
    return CORPUS + SLICES["validation"] if split == "validation" else CORPUS


@dataclass(frozen=True)
class Outlet:
    name: str
    domain: str
    kind: str  # "rss-description" | "rss-content" | "atom"


OUTLETS = {
    "meridian": Outlet("Meridian Wire", "meridianwire.example", "rss-description"),
    "heralddesk": Outlet("Northcourt Herald — Health Desk", "northcourtherald.example",
                         "rss-content"),
    "pipeline": Outlet("BioPipeline Insider", "biopipeline.example", "atom"),
    "noma": Outlet("Northern Medicines Agency — notices", "noma.example", "rss-description"),
    "alliance": Outlet("Autoimmune Alliance Bulletin", "autoimmunealliance.example",
                       "rss-content"),
    "clinedge": Outlet("ClinEdge Rheum & Neuro", "clinedge.example", "atom"),
    "ledger": Outlet("Helix Ledger", "helixledger.example", "rss-description"),
    # the held-out slices' outlets, styles the bot never saw
    "strandline": Outlet("Strandline Health Wire", "strandlinewire.example", "rss-description"),
    "kinfolk": Outlet("Kinfolk Patients' Network", "kinfolknetwork.example", "rss-content"),
    "benchmark": Outlet("Benchmark Biotech Daily", "benchmarkbiotech.example", "atom"),
    "eumob": Outlet("European Medicines Oversight Board — decisions", "eumob.example",
                    "rss-description"),
    "gazette": Outlet("Lakeshore Gazette — Health", "lakeshoregazette.example", "rss-content"),
    "grandrounds": Outlet("Grand Rounds Digest", "grandroundsdigest.example", "atom"),
}


def load_items(slices: Iterable[str] = CORPUS) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    for s in slices:
        path = EVAL_DIR / f"items_{s}.json"
        if path.exists():
            items.extend(json.loads(path.read_text(encoding="utf-8")))
    return items


def load_questions(split: str) -> list[dict[str, Any]]:
    """The questions of one split ('dev', 'test', 'validation', 'heldout' or 'all' = dev
    and test), with their slice."""
    slices = SLICES["dev"] + SLICES["test"] if split == "all" else SLICES[split]
    out: list[dict[str, Any]] = []
    for s in slices:
        path = EVAL_DIR / f"questions_{s}.json"
        if path.exists():
            out.extend({**q, "slice": s} for q in json.loads(path.read_text(encoding="utf-8")))
    return out


def plain_text(item: dict[str, Any]) -> str:
    """What a reader of the item sees: the body, or the summary of a summary-only item."""
    return item["body"] or item["summary"]


def canonical(items: list[dict[str, Any]]) -> dict[str, str]:
    """guid → the guid it stands for: a syndicated copy stands for its original."""
    return {i["guid"]: i["syndicated_of"] or i["guid"] for i in items}


def _paragraphs_html(text: str) -> str:
    return "".join(f"<p>{html.escape(p.strip())}</p>" for p in text.split("\n\n") if p.strip())


def _rss_item(item: dict[str, Any], outlet: Outlet) -> str:
    parts = [f"<title>{html.escape(item['title'])}</title>",
             f"<link>{html.escape(item['link'])}</link>",
             f'<guid isPermaLink="false">{html.escape(item["guid"])}</guid>']
    if item["published"]:
        when = datetime.fromisoformat(item["published"].replace("Z", "+00:00"))
        parts.append(f"<pubDate>{format_datetime(when, usegmt=True)}</pubDate>")
    if outlet.kind == "rss-description":
        parts.append(f"<description>{html.escape(plain_text(item))}</description>")
    else:
        parts.append(f"<description>{html.escape(item['summary'])}</description>")
        if item["body"]:
            body = _paragraphs_html(item["body"]).replace("]]>", "]]&gt;")
            parts.append(f"<content:encoded><![CDATA[{body}]]></content:encoded>")
    return "    <item>\n      " + "\n      ".join(parts) + "\n    </item>"


def _atom_entry(item: dict[str, Any]) -> str:
    parts = [f"<title>{html.escape(item['title'])}</title>",
             f'<link rel="alternate" href="{html.escape(item["link"])}"/>',
             f"<id>{html.escape(item['guid'])}</id>"]
    if item["published"]:
        parts.append(f"<published>{item['published']}</published>")
        parts.append(f"<updated>{item['published']}</updated>")
    parts.append(f"<summary>{html.escape(item['summary'])}</summary>")
    if item["body"]:
        parts.append(f'<content type="html">{html.escape(_paragraphs_html(item["body"]))}'
                     "</content>")
    return "  <entry>\n    " + "\n    ".join(parts) + "\n  </entry>"


def render_feed(key: str, items: list[dict[str, Any]]) -> str:
    outlet = OUTLETS[key]
    if outlet.kind == "atom":
        entries = "\n".join(_atom_entry(i) for i in items)
        return ('<?xml version="1.0" encoding="utf-8"?>\n'
                '<feed xmlns="http://www.w3.org/2005/Atom">\n'
                f"  <title>{html.escape(outlet.name)}</title>\n"
                f'  <link href="https://{outlet.domain}/"/>\n'
                f"  <id>https://{outlet.domain}/feed</id>\n"
                f"  <updated>{EVAL_NOW.isoformat().replace('+00:00', 'Z')}</updated>\n"
                f"{entries}\n</feed>\n")
    body = "\n".join(_rss_item(i, outlet) for i in items)
    return ('<?xml version="1.0" encoding="UTF-8"?>\n'
            '<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/">\n'
            f"  <channel>\n    <title>{html.escape(outlet.name)}</title>\n"
            f"    <link>https://{outlet.domain}/</link>\n"
            f"    <description>{html.escape(outlet.name)} (fictional evaluation data)"
            "</description>\n"
            f"{body}\n  </channel>\n</rss>\n")


def write_feeds(out_dir: Path, items: list[dict[str, Any]] | None = None) -> list[Path]:
    """One feed file per outlet, newest item first, as a real feed lists them."""
    items = load_items() if items is None else items
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = []
    for key in OUTLETS:
        mine = [i for i in items if i["outlet"] == key]
        mine.sort(key=lambda i: i["published"] or "", reverse=True)
        if not mine:
            continue
        path = out_dir / f"{key}.{'atom' if OUTLETS[key].kind == 'atom' else 'xml'}"
        path.write_text(render_feed(key, mine), encoding="utf-8")
        paths.append(path)
    return paths


def build_library(data_dir: Path, embedder: Any, slices: Iterable[str] = CORPUS,
                  **overrides: Any) -> Any:
    """A store with the corpus (`slices`) ingested as of EVAL_NOW (the caller closes it)."""
    from bench.common import bench_settings
    from ingest.pipeline import run_ingest, sources_from_args
    from newsbot.library import Library

    feeds = write_feeds(data_dir / "feeds", load_items(slices))
    library = Library.open(bench_settings(data_dir / "store", **overrides), embedder=embedder)
    run_ingest(library, sources_from_args([str(p) for p in feeds]), now=EVAL_NOW)
    return library


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "out" / "eval_feeds")
    args = parser.parse_args(argv)
    for path in write_feeds(args.out):
        print(path)


if __name__ == "__main__":
    main()
