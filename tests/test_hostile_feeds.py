"""Hostile feeds: each is bounded in time and memory, reported, and stores nothing harmful."""

from __future__ import annotations

import gzip
import time
import tracemalloc

import pytest

from ingest.pipeline import FeedSource, run_ingest
from tests.feed_server import Route

LUPUS = ("Patients with lupus treated with CD19 CAR-T cells in a phase 2 trial reached "
         "drug-free remission, the investigators reported at the meeting. ")


def rss(items: str, title: str = "Hostile") -> bytes:
    return (f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
            f"<title>{title}</title>{items}</channel></rss>").encode()


def item(n: int, title: str = "CAR-T for lupus", link: str | None = None,
         body: str = LUPUS * 3) -> str:
    link = link if link is not None else f"https://h.example/{n}"
    return (f"<item><title>{title} {n}</title><link>{link}</link>"
            f"<guid isPermaLink='false'>g-{n}</guid>"
            f"<pubDate>Tue, 10 Nov 2026 10:00:00 GMT</pubDate>"
            f"<description><![CDATA[{body}]]></description></item>")


def ingest(library, url: str):
    start = time.monotonic()
    tracemalloc.start()
    try:
        report = run_ingest(library, [FeedSource(url, trusted=False)])
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return report.feeds[0], time.monotonic() - start, peak


@pytest.fixture
def small_caps(library):
    library.settings = library.settings.replace(
        max_feed_bytes=1_000_000, fetch_total_timeout=2.0, fetch_timeout=1.0,
        fetch_retries=0, fetch_article_pages=False)
    return library


def test_entity_bomb(small_caps, feed_server):
    lol = '<!ENTITY lol "lol">' + "".join(
        f'<!ENTITY lol{i} "{"&lol" + str(i - 1) + ";" if i > 1 else "&lol;"}' * 10 + '">'
        for i in range(1, 10))
    body = (f'<?xml version="1.0"?><!DOCTYPE rss [{lol}]><rss version="2.0"><channel>'
            f"<title>Bomb</title><item><title>&lol9;</title><guid>b</guid>"
            f"<description>{LUPUS}</description></item></channel></rss>").encode()
    report, seconds, peak = ingest(small_caps, feed_server.add("/bomb.xml", Route(body=body)))
    assert seconds < 10 and peak < 200_000_000
    assert report.error or report.warning, "the bomb is reported, not silently parsed"
    for article in small_caps.store.articles.list(include_skipped=True):
        assert len(article.title) <= 500 and "lollollol" not in article.text


def test_gigabyte_response_is_cut(small_caps, feed_server):
    url = feed_server.add("/endless.xml", Route(endless=True))
    report, seconds, peak = ingest(small_caps, url)
    assert report.status == "error"
    assert "limit" in report.error or "longer than" in report.error
    assert seconds < 10 and peak < 50_000_000


def test_gzip_bomb_is_cut_after_decompression(small_caps, feed_server):
    bomb = gzip.compress(b"<rss>" + b" " * 200_000_000, compresslevel=9)
    assert len(bomb) < 300_000
    url = feed_server.add("/gz.xml", Route(body=bomb, headers={"Content-Encoding": "gzip"}))
    report, seconds, peak = ingest(small_caps, url)
    assert report.status == "error" and "limit" in report.error
    assert peak < 50_000_000


def test_slow_never_ending_stream_times_out(small_caps, feed_server):
    url = feed_server.add("/slow.xml", Route(endless=True))
    small_caps.settings = small_caps.settings.replace(max_feed_bytes=10**9)
    report, seconds, _ = ingest(small_caps, url)
    assert report.status == "error" and "longer than" in report.error
    assert seconds < 10


def test_five_thousand_entries_are_bounded(small_caps, feed_server):
    body = rss("".join(item(n, title="Weather", body="Sunny with clouds.") for n in range(5000)))
    small_caps.settings = small_caps.settings.replace(
        max_feed_bytes=5_000_000, max_entries_per_feed=300)
    report, seconds, _ = ingest(small_caps, feed_server.add("/many.xml", Route(body=body)))
    assert report.entries == 300 and "5,000 entries" in (report.warning or "")
    assert report.off_topic == 300


def test_huge_titles_control_chars_scripts_and_js_links(small_caps, feed_server):
    huge = "CAR-T lupus " + "A" * 1_000_000
    items = (
        item(1, title=huge)
        + item(2, title="Lupus\x00\x07 CAR-T\x1b[31m results", body=LUPUS + "\x0b\x0c")
        + item(3, link="javascript:alert(document.cookie)")
        + item(4, body=LUPUS + "<script>steal()</script><p onclick='x()'>Tap</p>"
                 "<img src='https://track.example/pixel.gif'>" + LUPUS)
    )
    small_caps.settings = small_caps.settings.replace(max_feed_bytes=3_000_000)
    report, _, _ = ingest(small_caps, feed_server.add("/nasty.xml", Route(body=rss(items))))
    assert report.status == "ok" and report.errors == 0
    stored = {a.guid: a for a in small_caps.store.articles.list(include_skipped=True)}
    assert len(stored["g-1"].title) <= 500
    assert "\x00" not in stored["g-2"].title and "\x1b" not in stored["g-2"].title
    assert "\x0b" not in stored["g-2"].text
    assert stored["g-3"].url == ""  # a javascript: link is never kept or fetched
    text = stored["g-4"].text
    assert "steal" not in text and "onclick" not in text and "pixel" not in text
    assert not any("javascript" in r.path for r in feed_server.requests)


# --- one bad item costs one item (issue 13) ---------------------------------------------------


@pytest.fixture
def keep_all(small_caps):
    """These feeds repeat one body: keep each item rather than collapse copies."""
    small_caps.settings = small_caps.settings.replace(
        near_duplicate_jaccard=2.0, story_similarity=2.0)
    return small_caps


def no_tracebacks(caplog) -> None:
    assert not [r for r in caplog.records if r.exc_info], "a traceback was logged"


@pytest.mark.parametrize("reference", ["&#xD800;", "&#55296;", "&#xDFFF;", "&#x110000;",
                                       "&#99999999999;", "&#0;"])
def test_reference_to_no_character_costs_one_character(keep_all, feed_server, caplog,
                                                       reference):
    items = "".join(item(n) for n in range(5)) + item(5, title=f"CAR-T {reference} for lupus")
    report, _, _ = ingest(keep_all, feed_server.add("/refs.xml", Route(body=rss(items))))
    assert report.status == "ok" and report.entries == 6 and report.errors == 0, report
    stored = {a.guid: a for a in keep_all.store.articles.list(include_skipped=True)}
    assert len(stored) == 6
    assert stored["g-5"].title == "CAR-T \ufffd for lupus 5"
    no_tracebacks(caplog)


@pytest.mark.parametrize("date", ["Mon, 01 Jan 0001 00:00:00 GMT", "0001-01-01T00:00:00Z",
                                  "Thu, 01 Jan 1970 00:00:00 GMT", "Tue, 99 Zzz 99999 99:99:99",
                                  "yesterday-ish"])
def test_impossible_or_placeholder_date_is_stored_as_unknown(keep_all, feed_server, caplog,
                                                             date):
    odd = item(2).replace("Tue, 10 Nov 2026 10:00:00 GMT", date)
    report, _, _ = ingest(keep_all, feed_server.add("/dates.xml",
                                                      Route(body=rss(item(1) + odd + item(3)))))
    assert report.status == "ok" and report.errors == 0 and report.new == 3, report
    stored = {a.guid: a for a in keep_all.store.articles.list()}
    assert stored["g-2"].published is None, stored["g-2"].published
    assert stored["g-1"].published is not None and stored["g-2"].ingested_at is not None
    no_tracebacks(caplog)


def test_one_bad_byte_keeps_utf8_around_it(keep_all, feed_server):
    for k, content_type in enumerate(("application/rss+xml; charset=utf-8", "application/xml")):
        body = rss(item(10 * k + 1, title="Café “lupus” CAR-T")
                   + item(10 * k + 2, title="Sjögren’s CAR-T"))
        bad = body.replace("“lupus”".encode(), "“lupus”".encode() + b"\xff", 1)
        url = feed_server.add(f"/bad-{len(content_type)}.xml",
                              Route(body=bad, content_type=content_type))
        report, _, _ = ingest(keep_all, url)
        assert report.status == "ok" and report.entries == 2
        titles = {a.title for a in keep_all.store.articles.list() if a.feed_url == url}
        assert titles == {f"Café “lupus”\ufffd CAR-T {10 * k + 1}",
                          f"Sjögren’s CAR-T {10 * k + 2}"}, titles


def test_article_page_with_one_bad_byte_stays_utf8():
    from ingest.extract import decode_page

    page = "<html><meta charset='utf-8'><p>Café “lupus” — Sjögren’s</p></html>".encode()
    assert decode_page(page[:30] + b"\xff" + page[30:]).count("Café “lupus” — Sjögren’s") == 1
    legacy = "<p>Café “lupus” — Sjögren’s</p>".encode("cp1252")
    assert "Café “lupus” — Sjögren’s" in decode_page(legacy), "cp1252 is still read as such"


def test_ipv6_literal_links_are_kept(keep_all, feed_server, caplog):
    public = "http://[2606:4700:4700::1111]/news/lupus-car-t"
    loopback = f"http://[::1]:{feed_server.port}/page.html"
    items = item(1, link=public) + item(2, link=loopback + "?utm_source=feed") + item(3)
    keep_all.settings = keep_all.settings.replace(
        fetch_article_pages=True, allow_hosts="127.0.0.1")
    report, seconds, _ = ingest(keep_all, feed_server.add("/v6.xml", Route(body=rss(items))))
    assert report.status == "ok" and report.errors == 0 and report.new == 3, report
    urls = {a.guid: a.url for a in keep_all.store.articles.list()}
    assert urls["g-1"] == public and urls["g-2"] == loopback
    assert not any(r.path == "/page.html" for r in feed_server.requests), "[::1] not fetched"
    no_tracebacks(caplog)
