"""Discord-safe text: escaping feed-supplied strings, safe links, and splitting at safe points.

Pure functions (no I/O). Everything that came from a feed, an LLM or a user goes through
`escape()` before it is put into a message, so `@everyone`, role mentions, masked links and
other markdown tricks are shown as text instead of acting.
"""

from __future__ import annotations

import re
from urllib.parse import quote, urlsplit

import discord.utils

ELLIPSIS = "…"
# Tokens a cut must never fall inside: markdown links, citations like [12], escapes (\*),
# and angle-bracket forms (<https://…>, <#123>, <t:…>).
_PROTECTED = re.compile(
    r"\[(?:\\.|[^\[\]\n\\])*\]\([^()\s]*\)"  # [label](url), label may hold \] escapes
    r"|\[\d+\]"  # [12]
    r"|\\."  # \* \_ \[ …
    r"|<[^<>\s]{1,200}>"
)
_MENTION = re.compile(r"@(?=everyone\b|here\b|[!&]?\d)")
_WHITESPACE = re.compile(r"\s+")
_BRACKET = re.compile(r"\\.|[\[\]]")


def escape(text: str | None, *, one_line: bool = True) -> str:
    """Feed or user text made inert: markdown escaped, mentions broken, brackets escaped."""
    if not text:
        return ""
    if one_line:
        text = _WHITESPACE.sub(" ", text).strip()
    text = discord.utils.escape_markdown(text)
    # Every backslash is now half of an escape pair; escape the brackets left bare, so no
    # `[label](url)` can form (escape_markdown leaves lone brackets alone).
    text = _BRACKET.sub(lambda m: m.group() if len(m.group()) == 2 else "\\" + m.group(), text)
    text = discord.utils.escape_mentions(text)
    # escape_mentions only knows 17-20 digit ids and @everyone/@here; break every other
    # `@` form too (<@&123>, <@!42>), whatever the length of the id.
    return _MENTION.sub("@\u200b", text)


def safe_url(url: str | None) -> str | None:
    """An http(s) URL usable inside `[label](url)`, or None when it cannot be linked safely."""
    if not url:
        return None
    url = url.strip()
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc or len(url) > 1000:
        return None
    return quote(url, safe="/:?#[]@!$&'*+,;=%~-._")  # encodes ( ) < > spaces and quotes


def url_text(url: str) -> str:
    """A URL shown without a preview (`<url>`), or as escaped text when it is not linkable."""
    target = safe_url(url)
    return f"<{target}>" if target else shorten(escape(url), 200)


def link(label: str, url: str | None) -> str:
    """`[label](url)` with an already-escaped label; just the label when the URL is unsafe."""
    target = safe_url(url)
    return f"[{label}]({target})" if target else label


def _protected_spans(text: str) -> list[tuple[int, int]]:
    return [m.span() for m in _PROTECTED.finditer(text)]


def _inside(pos: int, spans: list[tuple[int, int]]) -> bool:
    return any(start < pos < end for start, end in spans)


def cut_point(text: str, limit: int) -> int:
    """Where to cut `text` so the head is at most `limit` long: at a line break if one is in
    the second half, else at a space, never inside a link, citation or escape sequence."""
    if len(text) <= limit:
        return len(text)
    spans = _protected_spans(text[: limit + 200])
    newline = text.rfind("\n", 0, limit + 1)
    if newline >= limit // 2:
        return newline
    for pos in range(limit, 0, -1):
        if text[pos] == " " and not _inside(pos, spans):
            return pos
    if newline > 0:
        return newline
    for pos in range(limit, 0, -1):  # one giant word: a hard cut outside protected tokens
        if not _inside(pos, spans):
            return pos
    return limit


def split_text(text: str, limit: int) -> list[str]:
    """Chunks of at most `limit` characters, cut only at safe points; no empty chunks."""
    chunks: list[str] = []
    rest = text.strip()
    while rest:
        cut = cut_point(rest, limit)
        head = rest[:cut].rstrip()
        if head:
            chunks.append(head)
        rest = rest[cut:].lstrip()
    return chunks


def shorten(text: str, limit: int) -> str:
    """`text` cut at a safe point to fit `limit` characters, with an ellipsis if cut."""
    if len(text) <= limit:
        return text
    return text[: cut_point(text, limit - len(ELLIPSIS))].rstrip() + ELLIPSIS


def strip_bot_mention(content: str, bot_id: int) -> str:
    return re.sub(rf"<@!?{bot_id}>", " ", content).strip()
