"""Feed bytes → entries, via feedparser (bytes only: a URL would make it fetch by itself)."""

from __future__ import annotations

import calendar
import logging
import re
from dataclasses import dataclass
from datetime import UTC, datetime

import feedparser

from ingest.extract import html_to_text
from newsbot.errors import FeedError
from newsbot.text import normalise_whitespace

log = logging.getLogger(__name__)
# Problems that say nothing about the feed's structure: a wrong media type or charset label.
_HARMLESS = ("CharacterEncodingOverride", "NonXMLContentType")
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
    for key in ("published_parsed", "updated_parsed", "created_parsed"):
        value = entry.get(key)
        if value:
            try:
                return datetime.fromtimestamp(calendar.timegm(value), UTC)
            except (OverflowError, ValueError, OSError):
                continue
    return None


def _content(entry: feedparser.FeedParserDict) -> str:
    parts = entry.get("content") or []
    # Prefer HTML bodies over plain text; several <content> elements are concatenated.
    values = [p.get("value", "") for p in parts if p.get("value")]
    return "\n".join(values)


def _plain(container: feedparser.FeedParserDict, key: str, limit: int) -> str:
    """A title as one line of text: feedparser leaves markup and entities in HTML titles."""
    value = container.get(key) or ""
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
    parsed = feedparser.parse(data, response_headers=headers, sanitize_html=True)
    problem = _describe(parsed.bozo_exception) if parsed.get("bozo") else None
    version = parsed.get("version", "")
    harmless = problem is None or problem.startswith(_HARMLESS)
    if not parsed.entries and not (version and harmless):
        raise _unreadable(data, content_type, version, problem)
    entries: list[RawEntry] = []
    for entry in parsed.entries[:max_entries]:
        link = (entry.get("link") or "").strip()
        guid = (entry.get("id") or link).strip()
        entries.append(
            RawEntry(
                guid=guid[:2000],
                link=link[:2000],
                title=_plain(entry, "title", 500),
                published=_when(entry),
                content_html=_content(entry),
                summary_html=entry.get("summary") or "",
            )
        )
    if len(parsed.entries) > max_entries:
        problem = (problem + "; " if problem else "") + (
            f"feed has {len(parsed.entries):,} entries; read the first {max_entries:,}"
        )
    return ParsedFeed(title=_plain(parsed.feed, "title", 200), entries=entries, problem=problem)
