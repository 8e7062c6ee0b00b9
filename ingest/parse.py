"""Feed bytes → entries, via feedparser (bytes only: a URL would make it fetch by itself)."""

from __future__ import annotations

import calendar
import logging
from dataclasses import dataclass
from datetime import UTC, datetime

import feedparser

from newsbot.errors import FeedError
from newsbot.text import normalise_whitespace

log = logging.getLogger(__name__)


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
            except (OverflowError, ValueError):
                continue
    return None


def _content(entry: feedparser.FeedParserDict) -> str:
    parts = entry.get("content") or []
    # Prefer HTML bodies over plain text; several <content> elements are concatenated.
    values = [p.get("value", "") for p in parts if p.get("value")]
    return "\n".join(values)


def parse_feed(data: bytes, content_type: str = "", max_entries: int = 500) -> ParsedFeed:
    headers = {"content-type": content_type} if content_type else {}
    parsed = feedparser.parse(data, response_headers=headers, sanitize_html=True)
    problem = None
    if parsed.get("bozo"):
        problem = f"{type(parsed.bozo_exception).__name__}: {parsed.bozo_exception}"[:300]
    version = parsed.get("version", "")
    if not parsed.entries and (not version or problem):
        snippet = data[:200].lstrip().lower()
        if snippet.startswith((b"<!doctype html", b"<html")):
            raise FeedError("The URL served an HTML page, not an RSS or Atom feed.")
        if not data.strip():
            raise FeedError("The feed was empty.")
        raise FeedError(f"Not a readable RSS or Atom feed ({problem or 'no entries'}).")
    entries: list[RawEntry] = []
    for entry in parsed.entries[:max_entries]:
        link = (entry.get("link") or "").strip()
        guid = (entry.get("id") or link).strip()
        title = normalise_whitespace(entry.get("title") or "")[:500]
        entries.append(
            RawEntry(
                guid=guid[:2000],
                link=link[:2000],
                title=title,
                published=_when(entry),
                content_html=_content(entry),
                summary_html=entry.get("summary") or "",
            )
        )
    if len(parsed.entries) > max_entries:
        problem = (problem + "; " if problem else "") + (
            f"feed has {len(parsed.entries):,} entries; read the first {max_entries:,}"
        )
    title = normalise_whitespace(parsed.feed.get("title") or "")[:200]
    return ParsedFeed(title=title, entries=entries, problem=problem)
