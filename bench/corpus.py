"""A synthetic but realistic news corpus for the benchmarks, built from the sample feeds.

Each generated article starts from one of the sample items (on-topic and off-topic, in their
natural mix) and is varied so that no two are duplicates for newsbot's dedupe: companies,
product codes, trial ids, people and figures are replaced, words are swapped for synonyms,
the body paragraphs are reordered (one may be dropped, a context paragraph may be added),
and outlets and dates are spread over a year. The articles are written as RSS 2.0 files of
`per_file` items each and can be served from the loopback FeedServer of the test suite.

    python -m bench.corpus --n 500 --out bench/out/corpus
"""

from __future__ import annotations

import argparse
import html
import random
import re
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.utils import format_datetime
from pathlib import Path

from bench.common import ROOT, SAMPLE_FEEDS, SAMPLE_NOW

OUTLETS = (
    ("Immune Frontier News", "immunefrontier.example"),
    ("The Rheum Report", "rheumreport.example"),
    ("BioWire Daily", "biowire.example"),
    ("Patient Voices Weekly", "patientvoices.example"),
    ("Cell Therapy Gazette", "celltherapygazette.example"),
    ("General Health Times", "generalhealthtimes.example"),
    ("Neuroimmunology Today", "neuroimmunologytoday.example"),
    ("Clinical Trials Ledger", "trialsledger.example"),
    ("Lupus Community Post", "lupuspost.example"),
    ("Biotech Morning", "biotechmorning.example"),
    ("Health Policy Wire", "healthpolicywire.example"),
    ("Translational Medicine Review", "tmreview.example"),
)
_STEMS = ("Ar", "Bel", "Cor", "Dal", "Eri", "Fen", "Gal", "Hal", "Ist", "Jor", "Kel", "Lum",
          "Mor", "Nev", "Ost", "Pry", "Quil", "Ros", "Sel", "Tal", "Umb", "Ver", "Wyn", "Zel")
_ENDS = ("ova", "tis", "ara", "en", "ion", "ix", "wen", "ane", "ora", "eth", "ius", "yn")
_KINDS = ("Bio", "Biosciences", "Therapeutics", "Pharma", "Biopharma", "Biologics")
_FIRST = ("Amara", "Bastien", "Chen", "Daria", "Emeka", "Farah", "Goran", "Hana", "Ines",
          "Jonas", "Kavya", "Liam", "Mirela", "Nikhil", "Oona", "Pablo", "Rania", "Sven",
          "Tamsin", "Umar", "Vera", "Wei", "Yara", "Zoltan")
_LAST = ("Abara", "Brandt", "Castellanos", "Dimitrova", "Eriksen", "Fonseca", "Gupta",
         "Haddad", "Ivanova", "Jensen", "Kowalczyk", "Lindqvist", "Moreau", "Nakamura",
         "Okafor", "Petrov", "Quispe", "Rossi", "Santos", "Tanaka", "Udeh", "Varga", "Weber")
_SYNONYMS = (
    (r"\bpatients\b", ("participants", "people", "volunteers")),
    (r"\btrial\b", ("study", "clinical trial")),
    (r"\bsaid\b", ("reported", "noted", "told reporters", "stated")),
    (r"\bresults\b", ("data", "findings", "outcomes")),
    (r"\bcompany\b", ("developer", "biotech", "firm")),
    (r"\bresearchers\b", ("investigators", "scientists", "the study team")),
    (r"\bshowed\b", ("suggested", "indicated", "found")),
    (r"\bexperts\b", ("specialists", "independent physicians", "clinicians")),
    (r"\bexpected\b", ("anticipated", "planned", "slated")),
    (r"\btreatment\b", ("therapy", "intervention")),
    (r"\bsevere\b", ("serious", "hard-to-treat")),
    (r"\bearly\b", ("initial", "preliminary")),
    (r"\bapproved\b", ("cleared", "authorised")),
    (r"\bstudy\b", ("trial", "programme", "research")),
    (r"\bpeople\b", ("patients", "individuals")),
    (r"\bfirst\b", ("initial", "earliest")),
    (r"\bshows?\b", ("demonstrates", "points to")),
    (r"\bmonths\b", ("months of follow-up", "months later")),
    (r"\bweeks\b", ("weeks of treatment", "weeks afterwards")),
    (r"\bbegin\b", ("start", "get under way")),
    (r"\bannounced\b", ("disclosed", "revealed", "unveiled")),
    (r"\bplans\b", ("intends", "aims")),
    (r"\bhowever\b", ("still", "even so")),
    (r"\blarge\b", ("big", "sizeable")),
    (r"\bsmall\b", ("modest", "limited")),
    (r"\bdoctors\b", ("physicians", "specialists")),
    (r"\bcould\b", ("might", "may")),
    (r"\bmost\b", ("the majority of", "many")),
)
_ROLES = ("an immunologist", "a rheumatologist", "a neurologist", "a health economist",
          "a patient advocate", "a clinical pharmacologist", "a bioethicist", "a nephrologist")
_PLACES = ("Leeds", "Lyon", "Uppsala", "Porto", "Kraków", "Utrecht", "Basel", "Turin",
           "Aarhus", "Ghent", "Bergen", "Toronto", "Denver", "Melbourne", "Osaka", "Austin")
_VERDICTS = ("were encouraging but preliminary", "needed confirmation in larger groups",
             "matched what her clinic had seen", "raised questions about durability",
             "were worth watching closely", "would interest many of his patients",
             "left open who would pay", "deserved a randomised follow-up")
_CONTEXT = (
    "Several academic centres are running similar studies, and investigators say pooled "
    "follow-up data will be needed before the approach can be offered outside trials.",
    "Patient advocates welcomed the news but asked sponsors to publish full safety data, "
    "including infections and hospital stays, rather than headline response rates.",
    "Analysts noted that manufacturing capacity, not demand, is likely to limit how many "
    "people with autoimmune disease can be treated in the next few years.",
    "Regulators have asked developers of cell therapies for autoimmune disease to plan for "
    "long-term follow-up, including monitoring for secondary cancers.",
    "Clinicians cautioned that small single-arm studies can overstate benefit and said "
    "randomised comparisons with current standard of care are still missing.",
    "The study was funded by the sponsor; several investigators reported consulting fees "
    "from companies developing competing immune therapies.",
    "Independent rheumatologists said the durability of remission, and whether patients can "
    "stay off all immunosuppressants, will decide how widely the approach is used.",
    "Insurers have not yet said how they would cover one-time immune therapies, and hospital "
    "networks are still working out which centres could deliver them safely.",
)
_GENERIC_CODES = {"COVID-19", "IL-6", "IL-17", "IL-23", "CAR-T", "HLA-2", "TNF-A", "CAR-NK",
                  "LUMEN-2", "LUMEN-3", "CD19", "CD20", "CD3"}
_COMPANY = re.compile(r"\b([A-Z][a-z]+)(?= (?:Bio|Biosciences|Therapeutics|Pharma|Biopharma|"
                      r"Biologics|Biotech)\b)")
_CODE = re.compile(r"\b(?:NCT\d{8}|[A-Z]{2,5}-\d{1,4}[A-Z]?)\b")
_PERSON = re.compile(r"\b(Dr\.|Prof\.|Professor) [A-Z][\w’'-]+(?: [A-Z][\w’'-]+)?")
_NUMBER = re.compile(r"(?<![\w.-])(\d{1,3}(?:,\d{3})*(?:\.\d+)?)(?![\w-]|\.\d)")
_YEAR = re.compile(r"^(19|20)\d\d$")


@dataclass(frozen=True)
class Template:
    title: str
    paragraphs: tuple[str, ...]
    on_topic_hint: bool  # from the manifest's vocabulary: used to add context paragraphs


@dataclass(frozen=True)
class Article:
    guid: str
    link: str
    title: str
    outlet: str
    published: datetime
    paragraphs: tuple[str, ...]

    @property
    def text(self) -> str:
        return "\n\n".join(self.paragraphs)


def load_templates(feeds_dir: Path = SAMPLE_FEEDS) -> list[Template]:
    """The distinct sample items (a republished or syndicated copy is kept once)."""
    from ingest.extract import html_to_text
    from ingest.parse import parse_feed
    from newsbot.sentences import split_sentences
    from newsbot.topics import classify

    templates: list[Template] = []
    seen: set[str] = set()
    for path in sorted(feeds_dir.glob("*.xml")):
        for entry in parse_feed(path.read_bytes()).entries:
            text = html_to_text(entry.content_html) or html_to_text(entry.summary_html)
            key = " ".join(text.split()[:40])
            if not text or key in seen:
                continue
            seen.add(key)
            paragraphs = [p for p in text.split("\n\n") if p.strip()]
            if len(paragraphs) == 1:  # wire copy: one long paragraph → groups of sentences
                sentences = split_sentences(paragraphs[0])
                paragraphs = [" ".join(sentences[i:i + 2]) for i in range(0, len(sentences), 2)]
            on_topic = classify(entry.title, text, 0.5).on_topic
            templates.append(Template(entry.title, tuple(paragraphs), on_topic))
    return templates


class _Varier:
    """Consistent replacements within one article (the same company is renamed once)."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.names: dict[str, str] = {}
        self.swaps = [(re.compile(pattern), options) for pattern, options in _SYNONYMS]
        self.scale = rng.uniform(0.6, 1.4)

    def _company(self, match: re.Match[str]) -> str:
        key = match.group(1)
        if key not in self.names:
            self.names[key] = self.rng.choice(_STEMS) + self.rng.choice(_ENDS)
        return self.names[key]

    def _code(self, match: re.Match[str]) -> str:
        code = match.group(0)
        if code.upper() in _GENERIC_CODES:
            return code
        if code not in self.names:
            if code.startswith("NCT"):
                self.names[code] = f"NCT0{self.rng.randrange(10**7):07d}"
            else:
                letters = "".join(self.rng.choice("ABCDEFGHKLMNPRSTVXZ")
                                  for _ in range(self.rng.choice((2, 3, 3, 4))))
                self.names[code] = f"{letters}-{self.rng.randrange(1, 999)}"
        return self.names[code]

    def _person(self, match: re.Match[str]) -> str:
        key = match.group(0)
        if key not in self.names:
            self.names[key] = (f"{match.group(1)} {self.rng.choice(_FIRST)} "
                               f"{self.rng.choice(_LAST)}")
        return self.names[key]

    def _number(self, match: re.Match[str]) -> str:
        raw = match.group(1)
        before = match.string[max(0, match.start() - 6):match.start()].lower()
        if _YEAR.match(raw) or before.endswith(("phase ", "grade ")):
            return raw
        value = float(raw.replace(",", ""))
        new = value * self.scale
        if "." in raw:
            return f"{new:.1f}"
        new_int = max(1, round(new))
        if match.string[match.end():match.end() + 1] == "%":
            new_int = min(new_int, 99)
        return f"{new_int:,}" if "," in raw else str(new_int)

    def learn(self, texts: list[str]) -> None:
        """Find the company names first, so every mention (not only 'X Bio') is renamed."""
        for text in texts:
            for match in _COMPANY.finditer(text):
                self._company(match)

    def _swap(self, options: tuple[str, ...]) -> object:
        return lambda m: m.group(0) if self.rng.random() < 0.35 else self.rng.choice(options)

    def text(self, text: str) -> str:
        companies = [k for k in self.names if k.isalpha()]
        if companies:
            text = re.sub(rf"\b({'|'.join(companies)})\b", lambda m: self.names[m.group(1)],
                          text)
        text = _CODE.sub(self._code, text)
        text = _PERSON.sub(self._person, text)
        text = _NUMBER.sub(self._number, text)
        for pattern, options in self.swaps:
            text = pattern.sub(self._swap(options), text)  # type: ignore[arg-type]
        return text

    def thin(self, paragraph: str) -> str:
        """Drop some sentences after the first: reporters cut copy differently."""
        from newsbot.sentences import split_sentences

        sentences = split_sentences(paragraph)
        kept = sentences[:1] + [s for s in sentences[1:] if self.rng.random() > 0.2]
        return " ".join(kept)

    def quote(self) -> str:
        return (f"{self.rng.choice(_FIRST)} {self.rng.choice(_LAST)}, "
                f"{self.rng.choice(_ROLES)} in {self.rng.choice(_PLACES)} who was not "
                f"involved, said the results {self.rng.choice(_VERDICTS)}.")


def make_article(template: Template, index: int, seed: int = 0,
                 now: datetime = SAMPLE_NOW) -> Article:
    rng = random.Random(seed * 1_000_003 + index)
    varier = _Varier(rng)
    varier.learn([template.title, *template.paragraphs])
    head, *body = (varier.thin(varier.text(p)) for p in template.paragraphs)
    rng.shuffle(body)
    if len(body) >= 3 and rng.random() < 0.5:
        body.pop(rng.randrange(len(body)))
    if template.on_topic_hint and rng.random() < 0.7:
        body.insert(rng.randrange(len(body) + 1), rng.choice(_CONTEXT))
    if rng.random() < 0.8:
        body.insert(rng.randrange(len(body) + 1), varier.quote())
    outlet, domain = OUTLETS[rng.randrange(len(OUTLETS))]
    published = now - timedelta(days=rng.uniform(0.5, 365), minutes=rng.randrange(1440))
    title = varier.text(template.title)
    slug = re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")[:60]
    return Article(
        guid=f"bench-{seed}-{index:06d}",
        link=f"https://{domain}/news/{published:%Y/%m/%d}/{slug}-{index}",
        title=title, outlet=outlet, published=published, paragraphs=(head, *body),
    )


def generate(n: int, seed: int = 0, now: datetime = SAMPLE_NOW) -> list[Article]:
    """n articles cycling through the sample items (so the on/off-topic mix is preserved)."""
    templates = load_templates()
    order = list(range(len(templates)))
    random.Random(seed).shuffle(order)
    return [make_article(templates[order[i % len(order)]], i, seed, now) for i in range(n)]


def to_rss(articles: list[Article], channel: str) -> bytes:
    items = []
    for a in sorted(articles, key=lambda x: x.published, reverse=True):
        body = "\n".join(f"<p>{html.escape(p, quote=False)}</p>" for p in a.paragraphs)
        summary = html.escape(a.paragraphs[0][:300], quote=False)
        items.append(
            "    <item>\n"
            f"      <title>{html.escape(a.title, quote=False)}</title>\n"
            f"      <link>{html.escape(a.link)}</link>\n"
            f'      <guid isPermaLink="false">{a.guid}</guid>\n'
            f"      <pubDate>{format_datetime(a.published, usegmt=True)}</pubDate>\n"
            f"      <dc:creator>{html.escape(a.outlet)} newsroom</dc:creator>\n"
            f"      <description>{summary}</description>\n"
            f"      <content:encoded><![CDATA[{body}]]></content:encoded>\n"
            "    </item>"
        )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/" '
        'xmlns:dc="http://purl.org/dc/elements/1.1/">\n  <channel>\n'
        f"    <title>{html.escape(channel)}</title>\n"
        "    <link>https://bench.example/</link>\n"
        "    <description>Generated benchmark feed (fictional).</description>\n"
        + "\n".join(items) + "\n  </channel>\n</rss>\n"
    ).encode()


def feed_files(articles: list[Article], per_file: int = 50) -> dict[str, bytes]:
    """Feed path → RSS bytes, `per_file` items per feed."""
    out: dict[str, bytes] = {}
    for start in range(0, len(articles), per_file):
        number = start // per_file
        out[f"/bench/feed-{number:03d}.xml"] = to_rss(
            articles[start:start + per_file], f"Bench feed {number} ({OUTLETS[number % 12][0]})"
        )
    return out


def write_corpus(articles: list[Article], out_dir: Path, per_file: int = 50) -> list[Path]:
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = []
    for path, body in feed_files(articles, per_file).items():
        target = out_dir / Path(path).name
        target.write_bytes(body)
        paths.append(target)
    return paths


@contextmanager
def serve(files: dict[str, bytes], etag: str | None = None) -> Iterator[tuple[object, list[str]]]:
    """Serve feed bytes from the loopback FeedServer; yields (server, urls)."""
    if str(ROOT) not in sys.path:  # tests/ is not installed: import it from the checkout
        sys.path.append(str(ROOT))
    from tests.feed_server import FeedServer, Route

    with FeedServer() as server:
        urls = [server.add(path, Route(body=body, etag=etag)) for path, body in files.items()]
        yield server, urls


def set_etag(server: object, etag: str | None) -> None:
    """Give every route a new validator (same bytes): the next fetch downloads in full."""
    for route in server.routes.values():  # type: ignore[attr-defined]
        route.etag = etag


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, default=500, help="articles to generate (500)")
    parser.add_argument("--seed", type=int, default=0, help="random seed (0)")
    parser.add_argument("--per-file", type=int, default=50, help="items per feed file (50)")
    parser.add_argument("--out", type=Path, default=Path("bench/out/corpus"),
                        help="directory for the RSS files (bench/out/corpus)")
    args = parser.parse_args(argv)
    paths = write_corpus(generate(args.n, args.seed), args.out, args.per_file)
    print(f"wrote {args.n} articles in {len(paths)} feed file(s) to {args.out}")


if __name__ == "__main__":
    main()
