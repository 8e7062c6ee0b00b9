"""Article text: HTML → clean prose without scripts, tracking pixels or newsletter junk."""

from __future__ import annotations

import re

import lxml.html
from lxml import etree

from newsbot.text import normalise_whitespace

_DROP_TAGS = ("script", "style", "noscript", "iframe", "form", "button", "svg", "img",
              "video", "audio", "object", "embed", "nav", "footer", "aside", "template")
_BLOCK_TAGS = {"p", "div", "br", "li", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote",
               "section", "article", "tr", "ul", "ol", "figure", "figcaption", "header"}
_JUNK = re.compile(
    r"^(share (this|on)|subscribe\b|sign up\b|follow us\b|advertisement\b|read more\b|"
    r"click here\b|related( articles| stories)?:?$|copyright\b|©|all rights reserved|"
    r"this article (was|is) (originally )?(published|syndicated)|newsletter\b|"
    r"tweet\b|email this\b|print\b$)",
    re.IGNORECASE,
)
MAX_TEXT_CHARS = 60_000


def html_to_text(html: str) -> str:
    """Text of an HTML fragment with paragraphs kept and junk removed."""
    if not html or not html.strip():
        return ""
    if "<" not in html:
        return drop_junk_lines(normalise_whitespace(html))
    try:
        root = lxml.html.fragment_fromstring(html, create_parent="div")
    except (etree.ParserError, ValueError):
        return drop_junk_lines(normalise_whitespace(re.sub(r"<[^>]+>", " ", html)))
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
    paragraphs = [p for p in text.split("\n\n") if p.strip() and not _JUNK.match(p.strip())]
    return "\n\n".join(paragraphs)


def page_to_text(html: bytes | str, url: str = "") -> str:
    """Main text of a full article page (trafilatura), falling back to the body's text."""
    import trafilatura

    if isinstance(html, bytes):
        html = html.decode("utf-8", errors="replace")
    extracted = trafilatura.extract(
        html, url=url or None, include_comments=False, include_tables=False,
        include_images=False, favor_precision=True, deduplicate=True,
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
    return url.lower().startswith(("http://", "https://"))
