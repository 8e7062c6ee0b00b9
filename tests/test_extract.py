"""HTML → article text: what is kept, what is dropped, and which links count as article links."""

from __future__ import annotations

import pytest

from ingest.extract import MAX_TEXT_CHARS, drop_junk_lines, html_to_text, is_safe_link, page_to_text

FRAGMENT = """
<p>Lumora Bio&rsquo;s CAR-T <b>LMR-19</b> cleared lupus nephritis in 31 of 48 patients.</p>
<script>window.track('pageview'); document.write('<p>INJECTED</p>');</script>
<style>.promo { display: block }</style>
<img src="https://px.example/pixel.gif?u=1" width="1" height="1" alt="tracking pixel">
<p>Safety &amp; tolerability:&nbsp;CRS in 60%&nbsp;&middot; grade&nbsp;1&ndash;2 &raquo; no
deaths.</p>
<!-- an editor's comment that readers never see -->
<noscript><img src="https://px.example/noscript.gif"></noscript>
<iframe src="https://video.example/embed/1">Video</iframe>
<p>Share this article</p>
<p>Subscribe to our newsletter</p>
<p>The phase 3 trial is expected to start in 2027.</p>
"""


def test_fragment_keeps_paragraphs_and_drops_scripts_pixels_and_junk():
    text = html_to_text(FRAGMENT)
    assert text.split("\n\n") == [
        "Lumora Bio’s CAR-T LMR-19 cleared lupus nephritis in 31 of 48 patients.",
        "Safety & tolerability: CRS in 60% · grade 1–2 » no deaths.",
        "The phase 3 trial is expected to start in 2027.",
    ]
    for gone in ("track", "INJECTED", "display", "pixel", "editor", "Video", "Share", "Subscribe"):
        assert gone not in text


@pytest.mark.parametrize(("html", "expected"), [
    pytest.param("Fish &amp; chips&nbsp;for&#160;two &#8212; &lt;b&gt;",
                 "Fish & chips for two — <b>", id="entities-in-text-without-tags"),
    pytest.param("<p>a&nbsp;&nbsp; b</p><p>\u00a0</p><p>c\u2003d</p>", "a b\n\nc d",
                 id="nbsp-and-unicode-spaces"),
    pytest.param("<p>bell\x07 null\x00 esc\x1b del\x7f</p><p>ok\x0b</p>", "bell null esc del\n\nok",
                 id="control-characters"),
    pytest.param("plain\x00text with a NUL", "plain text with a NUL", id="control-plain-text"),
    pytest.param("<table><tr><td>Week 52</td><td>65%</td></tr></table>", "Week 52\n\n65%",
                 id="table-cells-not-glued"),
    pytest.param("<ul><li>one</li><li>two</li></ul>line<br>break", "one\n\ntwo\n\nline\n\nbreak",
                 id="lists-and-br"),
    pytest.param("<nav>Home | News</nav><p>Body</p><footer>Imprint</footer><aside>Ad</aside>",
                 "Body", id="nav-footer-aside"),
    pytest.param("<form><input name=q><button>Go</button></form><p>Body</p>", "Body",
                 id="forms-and-buttons"),
    pytest.param("<p>Unclosed <b>bold <i>and italic", "Unclosed bold and italic",
                 id="broken-markup"),
    pytest.param("<script>only()</script>", "", id="nothing-left"),
    pytest.param("", "", id="empty"),
    pytest.param("   \n ", "", id="blank"),
])
def test_html_to_text(html: str, expected: str):
    assert html_to_text(html) == expected


def test_text_is_capped():
    text = html_to_text("<p>" + "lupus " * 20_000 + "</p>")
    assert len(text) == MAX_TEXT_CHARS
    assert len(html_to_text("lupus " * 20_000)) == MAX_TEXT_CHARS


@pytest.mark.parametrize(("paragraph", "dropped"), [
    ("Share this article", True),
    ("Share on Twitter", True),
    ("Subscribe to our newsletter", True),
    ("SUBSCRIBE to our newsletter for weekly updates.", True),
    ("Sign up for alerts", True),
    ("Follow us on Mastodon", True),
    ("Advertisement", True),
    ("Read more: CAR-T in lupus", True),
    ("Related stories:", True),
    ("© 2026 Immune Frontier News", True),
    ("Copyright 2026 BioWire Daily", True),
    ("This article was originally published by BioWire Daily.", True),
    ("Print", True),
    # prose that merely starts like furniture stays
    ("Subscribers to the patient registry will be contacted in January.", False),
    ("Printed consent forms were translated into six languages.", False),
    ("Sharing data between sites sped up enrolment.", False),
    ("Subscribe " + "and the registry team will send yearly follow-up questionnaires. " * 5,
     False),
])
def test_drop_junk_lines(paragraph: str, dropped: bool):
    text = f"First paragraph about lupus.\n\n{paragraph}\n\nLast paragraph."
    kept = drop_junk_lines(text).split("\n\n")
    assert kept[0] == "First paragraph about lupus." and kept[-1] == "Last paragraph."
    assert (paragraph not in kept) is dropped


@pytest.mark.parametrize(("url", "safe"), [
    ("https://immunefrontier.example/news/1", True),
    ("HTTP://BioWire.example/wire", True),
    ("  https://padded.example/a  ", True),
    ("javascript:alert(document.cookie)", False),
    ("JavaScript:void(0)", False),
    (" javascript:alert(1)", False),
    ("data:text/html;base64,PHNjcmlwdD4=", False),
    ("vbscript:msgbox(1)", False),
    ("file:///etc/passwd", False),
    ("ftp://files.example/x", False),
    ("mailto:news@example.org", False),
    ("/relative/path", False),
    ("//protocol-relative.example/x", False),
    ("http://", False),
    ("http:///no-host", False),
    ("http://[::1/broken", False),
    ("http://bad-port.example:99999/", False),
    ("http://spaces .example/", False),
    ("http://newline.example/\nSet-Cookie:x", False),
    ("", False),
])
def test_is_safe_link(url: str, safe: bool):
    assert is_safe_link(url) is safe


PAGE = """<!DOCTYPE html><html lang="en"><head><meta charset="{charset}">
<title>Lupus CAR-T | Immune Frontier News</title>
<script>window.dataLayer=[];trackPageview();</script><style>.ad{{color:red}}</style></head>
<body>
<header><a href="/">Immune Frontier News</a><nav><ul><li><a href="/news">News</a></li>
<li><a href="/opinion">Opinion</a></li><li><a href="/about">About us</a></li></ul></nav></header>
<div class="ad-slot advertisement"><p>ADVERT: Try FlexiJoint supplements today!</p></div>
<main><article>
<h1>CAR-T clears lupus nephritis in most patients</h1>
<p>Lumora Bio said on Tuesday that its CD19 CAR-T therapy LMR-19 produced a complete renal
response in 31 of 48 patients with lupus nephritis at week 52 of the LUMEN-2 trial.</p>
<p>Renée Sætre, a patient in Zürich, said: “I had forgotten what normal felt like” – and
thirty-eight patients were off all immunosuppressants at one year.</p>
<p>Share this article</p>
<p>The company plans to meet the FDA in early 2027 and to start a phase 3 trial that year.</p>
<img src="https://px.example/t.gif?id=1" width="1" height="1" alt="">
<p>Subscribe to our newsletter</p>
</article>
<aside class="related"><h3>Related stories</h3><ul><li><a href="/x">Inverse vaccines for MS</a>
</li><li><a href="/y">Payers and CAR-T prices</a></li></ul></aside>
</main>
<div id="cookie-banner">We use cookies to improve your experience. Accept all cookies</div>
<footer><p>© 2026 Immune Frontier News. All rights reserved.</p>
<a href="/privacy">Privacy policy</a> <a href="/terms">Terms</a></footer>
</body></html>"""


@pytest.mark.parametrize("charset", ["utf-8", "windows-1252", "iso-8859-1"])
def test_full_page_gives_main_text(charset: str):
    raw = PAGE.format(charset=charset)
    if charset == "iso-8859-1":  # no curly quotes or en dash in Latin-1
        raw = raw.replace("“", '"').replace("”", '"').replace("–", "-")
    text = page_to_text(raw.encode(charset), "https://immunefrontier.example/news/lumora")
    paragraphs = text.split("\n\n")
    assert paragraphs[0] == "CAR-T clears lupus nephritis in most patients"
    assert paragraphs[-1].startswith("The company plans to meet the FDA in early 2027")
    assert "complete renal response in 31 of 48 patients" in text
    assert "Renée Sætre, a patient in Zürich" in text, "declared charset honoured"
    for gone in ("Opinion", "About us", "FlexiJoint", "Related stories", "Payers", "cookies",
                 "All rights reserved", "Privacy", "Share this", "Subscribe", "trackPageview",
                 "color:red", "\ufffd"):
        assert gone not in text, gone


def test_short_page_falls_back_to_body_text():
    page = (b"<html><head><title>T</title><script>x()</script></head><body><nav>Menu</nav>"
            b"<p>Short lupus note.</p><p>Second line.</p><footer>Imprint</footer></body></html>")
    assert page_to_text(page) == "Short lupus note.\n\nSecond line."


def test_page_text_from_str_and_undeclared_charset():
    assert "Renée" in page_to_text(PAGE.format(charset="utf-8"))
    undeclared = PAGE.replace('<meta charset="{charset}">', "").replace("{{", "{")
    undeclared = undeclared.replace("}}", "}").replace("“", '"').replace("”", '"')
    text = page_to_text(undeclared.replace("–", "-").encode("cp1252"))
    assert "\ufffd" not in text and "complete renal response" in text


def test_same_page_extracted_again_keeps_every_paragraph():
    """A long-running bot sees a page again (an update, a syndicated copy): same text."""
    page = PAGE.format(charset="utf-8").encode()
    first = page_to_text(page)
    assert all(page_to_text(page) == first for _ in range(4))
