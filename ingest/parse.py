"""Feed bytes → entries, via feedparser (bytes only: a URL would make it fetch by itself)."""

from __future__ import annotations

import calendar
import logging
import re
from dataclasses import dataclass
from datetime import UTC, datetime

import feedparser

from ingest.extract import html_to_text, mostly_utf8
from newsbot.errors import FeedError
from newsbot.sentences import normalise_whitespace

log = logging.getLogger(__name__)
# Problems that say nothing about the feed's structure: a wrong media type or charset label.
_HARMLESS = ("CharacterEncodingOverride", "NonXMLContentType")
# A numeric character reference to no character (a lone surrogate, beyond U+10FFFF, NUL)
# makes feedparser raise for the whole feed; it becomes U+FFFD and costs only that character.
_CHAR_REF = re.compile(rb"&#(?:[xX]([0-9a-fA-F]{1,12})|([0-9]{1,12}));")
_PROLOG_ENCODING = re.compile(
    rb"""^(?:\xef\xbb\xbf)?\s*<\?xml[^>]*?encoding\s*=\s*["']([A-Za-z0-9._:-]+)""")
_CHARSET = re.compile(r"charset\s*=\s*[\"']?([A-Za-z0-9._:-]+)", re.I)
# Dates before this are placeholders ("0001-01-01", the Unix epoch), not publication dates.
EARLIEST = datetime(1970, 1, 2, tzinfo=UTC)
_HTML_START = re.compile(rb"^(?:\s|<!--.*?-->|<\?xml[^>]*>)*<(?:!doctype\s+html|html|head)\b",
                         re.IGNORECASE | re.DOTALL)


@dataclass(frozen=True)
class RawEntry:
    guid: str
    link: str
    title: str
    published: datetime | None
    content_html: str
    summary_html: str


@dataclass(frozen=True)
class ParsedFeed:
    title: str
    entries: list[RawEntry]
    problem: str | None  # feedparser's bozo exception, reported but not raised


def _when(entry: feedparser.FeedParserDict) -> datetime | None:
    """The item's date; a date that is out of range or a placeholder counts as unknown."""
    for key in ("published_parsed", "updated_parsed", "created_parsed"):
        value = entry.get(key)
        if value:
            try:
                when = datetime.fromtimestamp(calendar.timegm(value), UTC)
            except (OverflowError, ValueError, OSError, TypeError):
                continue
            if when >= EARLIEST:
                return when
    return None


def _valid_ref(match: re.Match[bytes]) -> bytes:
    hex_digits, decimal = match.groups()
    code = int(hex_digits, 16) if hex_digits else int(decimal)
    if code == 0 or 0xD800 <= code <= 0xDFFF or code > 0x10FFFF:
        return b"&#xFFFD;"
    return match.group(0)


def repair(data: bytes, content_type: str = "") -> bytes:
    """Feed bytes with what would sink the whole feed mended locally: references to
    characters that cannot exist, and stray bytes in a UTF-8 document."""
    data = _CHAR_REF.sub(_valid_ref, data)
    prolog = _PROLOG_ENCODING.match(data)
    declared = prolog.group(1).decode().lower() if prolog else None
    header = _CHARSET.search(content_type)
    labelled = header.group(1).lower() if header else None
    if {declared, labelled} <= {None, "utf-8", "utf8"} and mostly_utf8(data):
        data = data.decode("utf-8", errors="replace").encode("utf-8")
    return data


def _text(value: object) -> str:
    """A field as text with nothing that cannot be stored (lone surrogates)."""
    if not isinstance(value, str):
        return ""
    return value.encode("utf-8", errors="replace").decode("utf-8")


def _entry(entry: feedparser.FeedParserDict) -> RawEntry:
    link = _text(entry.get("link")).strip()
    guid = (_text(entry.get("id")) or link).strip()
    return RawEntry(
        guid=guid[:2000],
        link=link[:2000],
        title=_plain(entry, "title", 500),
        published=_when(entry),
        content_html=_content(entry),
        summary_html=_text(entry.get("summary")),
    )


def _content(entry: feedparser.FeedParserDict) -> str:
    parts = entry.get("content") or []
    # Prefer HTML bodies over plain text; several <content> elements are concatenated.
    values = [_text(p.get("value")) for p in parts if p.get("value")]
    return "\n".join(values)


def _plain(container: feedparser.FeedParserDict, key: str, limit: int) -> str:
    """A title as one line of text: feedparser leaves markup and entities in HTML titles."""
    value = _text(container.get(key))
    kind = (container.get(f"{key}_detail") or {}).get("type", "text/plain")
    if "html" in kind:
        value = html_to_text(value)
    return " ".join(normalise_whitespace(value).split())[:limit]


def _describe(exc: BaseException) -> str:
    """feedparser's bozo exception in words ('<unknown>:4:18: …' → 'line 4, column 18: …')."""
    text = re.sub(r"<unknown>:(\d+):(\d+):", r"line \1, column \2:", str(exc))
    return f"{type(exc).__name__}: {text}"[:300]


def _unreadable(data: bytes, content_type: str, version: str, problem: str | None) -> FeedError:
    if not data.strip():
        return FeedError("The feed was empty.")
    head = data[:2048].lstrip(b"\xef\xbb\xbf")
    served_html = content_type.lower().startswith("text/html") and not version
    if served_html or _HTML_START.match(head):
        return FeedError("The URL served an HTML page, not an RSS or Atom feed.")
    return FeedError(f"Not a readable RSS or Atom feed ({problem or 'no entries'}).")


def parse_feed(data: bytes, content_type: str = "", max_entries: int = 500, *,
               base_url: str = "") -> ParsedFeed:
    """Entries of a feed; base_url (where it was fetched) resolves relative links."""
    headers = {"content-type": content_type} if content_type else {}
    if base_url:
        headers = {"content-type": content_type or "application/xml",
                   "content-location": base_url}
    parsed = feedparser.parse(repair(data, content_type), response_headers=headers,
                              sanitize_html=True)
    problem = _describe(parsed.bozo_exception) if parsed.get("bozo") else None
    version = parsed.get("version", "")
    harmless = problem is None or problem.startswith(_HARMLESS)
    if not parsed.entries and not (version and harmless):
        raise _unreadable(data, content_type, version, problem)
    entries: list[RawEntry] = []
    unreadable = 0
    for entry in parsed.entries[:max_entries]:
        try:
            entries.append(_entry(entry))
        except Exception:  # one item that cannot be read costs that item, not the feed
            log.warning("unreadable item skipped", exc_info=True)
            unreadable += 1
    if unreadable:
        problem = (problem + "; " if problem else "") + f"{unreadable} unreadable item(s) skipped"
    if len(parsed.entries) > max_entries:
        problem = (problem + "; " if problem else "") + (
            f"feed has {len(parsed.entries):,} entries; read the first {max_entries:,}"
        )
    return ParsedFeed(title=_plain(parsed.feed, "title", 200), entries=entries, problem=problem)
