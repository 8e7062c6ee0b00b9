"""Article text: HTML → clean prose without scripts, tracking pixels or newsletter junk."""

from __future__ import annotations

import codecs
import html as htmllib
import re
from urllib.parse import urlsplit

import lxml.html
from lxml import etree

from newsbot.sentences import normalise_whitespace

_DROP_TAGS = ("script", "style", "noscript", "iframe", "form", "button", "svg", "img",
              "video", "audio", "object", "embed", "nav", "footer", "aside", "template")
_BLOCK_TAGS = {"p", "div", "br", "li", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote",
               "section", "article", "tr", "ul", "ol", "figure", "figcaption", "header",
               "main", "table", "td", "th", "dl", "dt", "dd", "pre", "hr", "address"}
_JUNK = re.compile(
    r"^(share (this|on)|subscribe\b|sign up\b|follow us\b|advertisement\b|read more\b|"
    r"click here\b|related( articles| stories)?:?$|copyright\b|©|all rights reserved|"
    r"this article (was|is) (originally )?(published|syndicated)|newsletter\b|"
    r"tweet\b|email this\b|print\b$)",
    re.IGNORECASE,
)
JUNK_MAX_CHARS = 300  # a longer paragraph is prose, whatever its first words
# Characters lxml refuses (and nobody reads): C0 controls except tab/newline, DEL, surrogates.
_UNSAFE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff]")
_DECLARED_CHARSET = re.compile(
    rb"""<meta[^>]+charset\s*=\s*["']?\s*([a-z0-9_.:-]+)|<\?xml[^>]+encoding\s*=\s*["']([a-z0-9_.:-]+)""",
    re.IGNORECASE,
)
MAX_TEXT_CHARS = 60_000


def html_to_text(html: str) -> str:
    """Text of an HTML fragment with paragraphs kept and junk removed."""
    if not html or not html.strip():
        return ""
    html = _UNSAFE.sub(" ", html)
    if "<" not in html:
        return drop_junk_lines(normalise_whitespace(htmllib.unescape(html)))[:MAX_TEXT_CHARS]
    try:
        root = lxml.html.fragment_fromstring(html, create_parent="div")
    except (etree.ParserError, ValueError):
        text = htmllib.unescape(re.sub(r"<[^>]+>", " ", html))
        return drop_junk_lines(normalise_whitespace(text))[:MAX_TEXT_CHARS]
    for bad in root.xpath("|".join(f"//{t}" for t in _DROP_TAGS)):
        bad.drop_tree()
    for element in root.iter():
        if isinstance(element.tag, str) and element.tag.lower() in _BLOCK_TAGS:
            element.tail = "\n\n" + (element.tail or "")
            if element.tag.lower() != "br":
                element.text = "\n\n" + (element.text or "")
    text = root.text_content()
    return drop_junk_lines(normalise_whitespace(text))[:MAX_TEXT_CHARS]


def drop_junk_lines(text: str) -> str:
    """Drop short paragraphs that are page furniture ('Share this article', 'Subscribe …')."""
    paragraphs = [p for p in text.split("\n\n") if p.strip() and not _is_junk(p.strip())]
    return "\n\n".join(paragraphs)


def _is_junk(paragraph: str) -> bool:
    return len(paragraph) <= JUNK_MAX_CHARS and bool(_JUNK.match(paragraph))


def mostly_utf8(data: bytes) -> bool:
    """Invalid UTF-8 that is UTF-8 all the same: more valid multi-byte characters than bad
    bytes. One stray byte must not make a whole UTF-8 document read as a legacy code page
    ("Café" → "CafĂŠ"); text in a legacy code page has next to no valid UTF-8 sequences."""
    text = data.decode("utf-8", errors="replace")
    bad = text.count("\ufffd") - data.count("\ufffd".encode())
    good = sum(1 for ch in text if ord(ch) > 127) - text.count("\ufffd")
    return bad > 0 and good >= bad


def _declared(data: bytes) -> str | None:
    match = _DECLARED_CHARSET.search(data[:4096])
    return (match.group(1) or match.group(2)).decode("ascii").lower() if match else None


def decode_page(data: bytes) -> str:
    """Bytes of a page as text: UTF-8 (a few bad bytes replaced), else the charset the page
    declares, else cp1252."""
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return data.decode("utf-16", errors="replace")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    declared = _declared(data)
    if declared in (None, "utf-8", "utf8") and mostly_utf8(data):
        return data.decode("utf-8-sig", errors="replace")
    if declared:
        if declared in {"iso-8859-1", "latin-1", "latin1", "us-ascii", "ascii"}:
            declared = "windows-1252"  # what browsers do: cp1252 is a superset in practice
        try:
            return data.decode(declared)
        except (LookupError, UnicodeDecodeError):
            pass
    # Undeclared and not UTF-8: what browsers assume for Western pages.
    return data.decode("windows-1252", errors="replace")


def page_to_text(html: bytes | str, url: str = "") -> str:
    """Main text of a full article page (trafilatura), falling back to the body's text."""
    import trafilatura

    if isinstance(html, bytes):
        html = decode_page(html)
    html = _UNSAFE.sub(" ", html)
    extracted = trafilatura.extract(
        html, url=url or None, include_comments=False, include_tables=False,
        include_images=False, favor_precision=True,
        deduplicate=False,  # its cache spans calls: a page seen twice would lose paragraphs
    )
    if extracted and len(extracted) > 200:
        return drop_junk_lines(normalise_whitespace(extracted.replace("\n", "\n\n")))[
            :MAX_TEXT_CHARS
        ]
    try:
        root = lxml.html.document_fromstring(html)
        body = root.find("body")
        fragment = lxml.html.tostring(body if body is not None else root, encoding="unicode")
    except (etree.ParserError, ValueError):
        return ""
    return html_to_text(fragment)


def is_safe_link(url: str) -> bool:
    """An http(s) link with a host: not javascript:, data:, file: or a malformed URL."""
    url = url.strip()
    if not url.lower().startswith(("http://", "https://")) or re.search(r"[\s\x00-\x1f]", url):
        return False
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 -- raises ValueError for a port that is not a number
    except ValueError:
        return False
    return bool(parts.hostname)
