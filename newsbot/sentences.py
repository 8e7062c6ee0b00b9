"""Plain-text helpers shared by ingest and the summariser: sentences, chunks, hashes."""

from __future__ import annotations

import hashlib
import re
import unicodedata

_ABBREVIATIONS = {
    "dr", "mr", "mrs", "ms", "prof", "inc", "ltd", "co", "corp", "jr", "sr", "st", "vs",
    "etc", "fig", "al", "approx", "no", "vol", "jan", "feb", "mar", "apr", "jun", "jul",
    "aug", "sep", "sept", "oct", "nov", "dec", "e.g", "i.e", "u.s", "u.k", "ph.d", "m.d",
}
# A sentence ends at . ! ? (optionally followed by quotes/brackets) then whitespace and a
# capital letter, digit or opening quote.
_BOUNDARY = re.compile(r"(?<=[.!?])[\"'”’)\]]*\s+(?=[\"“‘(\[]?[A-Z0-9])")
_WS = re.compile(r"[ \t\f\v\u00a0\u2000-\u200b\u202f\u205f\u3000]+")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u200e\u200f\u2028\u2029\ufeff]")
_WORD = re.compile(r"[\w'-]+", re.UNICODE)


def normalise_whitespace(text: str) -> str:
    text = unicodedata.normalize("NFC", text)
    text = _CONTROL.sub(" ", text)
    lines = [_WS.sub(" ", line).strip() for line in text.replace("\r", "\n").split("\n")]
    paragraphs: list[str] = []
    current: list[str] = []
    for line in lines:
        if line:
            current.append(line)
        elif current:
            paragraphs.append(" ".join(current))
            current = []
    if current:
        paragraphs.append(" ".join(current))
    return "\n\n".join(paragraphs)


def split_sentences(text: str, quotes: bool = False) -> list[str]:
    """Split prose into sentences, keeping abbreviations such as 'Dr.' and 'et al.' intact.
    With `quotes`, each sentence of a quotation several sentences long is quoted on its own
    (see `balance_quotes`)."""
    sentences: list[str] = []
    for paragraph in re.split(r"\n\s*\n", text):
        paragraph = " ".join(paragraph.split())
        if not paragraph:
            continue
        first = len(sentences)
        start = 0
        for match in _BOUNDARY.finditer(paragraph):
            candidate = paragraph[start : match.start()].strip()
            last_word = candidate.rsplit(" ", 1)[-1].rstrip(".").lower()
            if last_word in _ABBREVIATIONS or re.fullmatch(r"[a-z]", last_word):
                continue
            if candidate:
                sentences.append(candidate + paragraph[match.start() : match.end()].strip())
            start = match.end()
        tail = paragraph[start:].strip()
        if tail:
            sentences.append(tail)
        if quotes:
            sentences[first:] = balance_quotes(sentences[first:])
    return [s.strip() for s in sentences if s.strip()]


def balance_quotes(sentences: list[str]) -> list[str]:
    """One paragraph's sentences with each sentence of a longer quotation in quotes of its
    own: '"But the design enriches for responders.' and 'Four in ten did not respond."'
    become two whole quoted sentences instead of two halves of one."""
    out: list[str] = []
    inside = ""  # the opening mark of a quotation still open, if any
    for sentence in sentences:
        if inside and not sentence.startswith(('"', "“")):
            sentence = inside + sentence
        straight = sentence.count('"') % 2 == 1
        curly = sentence.count("“") > sentence.count("”")
        inside = '"' if straight else "“" if curly else ""
        if inside:
            sentence += '"' if straight else "”"
        out.append(sentence)
    return out


def chunk_sentences(sentences: list[str], target_chars: int, overlap: bool = True) -> list[str]:
    """Group whole sentences into chunks of about target_chars, never splitting a sentence.

    Consecutive chunks share one (short) sentence so a fact at a boundary keeps its context,
    unless `overlap` is False.
    """
    chunks: list[str] = []
    current: list[str] = []
    size = 0
    for sentence in sentences:
        if current and size + len(sentence) > target_chars:
            chunks.append(" ".join(current))
            shared = current[-1] if overlap and len(current[-1]) < target_chars // 3 else None
            current = [shared] if shared else []
            size = len(shared) if shared else 0
        current.append(sentence)
        size += len(sentence) + 1
    if current:
        text = " ".join(current)
        if not chunks or not chunks[-1].endswith(text):
            chunks.append(text)
    return chunks


def words(text: str) -> list[str]:
    return [w.lower() for w in _WORD.findall(text)]


_SUFFIX = re.compile(r"(?:ations?|isons?|ings?|es|ed|s|e)$")


def stem(word: str) -> str:
    """A crude suffix stemmer, enough to meet "compare" in "comparisons" and "result" in
    "resulted": the plural, -ed, -ing, -ation and -ison go, and 6 letters at most are kept."""
    if word.endswith(("ss", "us", "is")):
        return word[:6]
    base = _SUFFIX.sub("", word)
    return (base if len(base) >= 4 else word)[:6]


def shingles(text: str, size: int = 3) -> set[str]:
    tokens = words(text)
    if len(tokens) < size:
        return {" ".join(tokens)} if tokens else set()
    return {" ".join(tokens[i : i + size]) for i in range(len(tokens) - size + 1)}


def jaccard(a: set[str], b: set[str]) -> float:
    if not a or not b:
        return 0.0
    return len(a & b) / len(a | b)


def content_hash(text: str) -> str:
    """Hash of the text as words, so markup and spacing differences do not count."""
    return hashlib.sha256(" ".join(words(text)).encode()).hexdigest()[:32]


def stable_id(*parts: str) -> str:
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()[:24]


def truncate(text: str, limit: int, ellipsis: str = "…") -> str:
    if len(text) <= limit:
        return text
    cut = text[: max(0, limit - len(ellipsis))]
    space = cut.rfind(" ")
    if space > limit // 2:
        cut = cut[:space]
    return cut.rstrip(" ,;:") + ellipsis
