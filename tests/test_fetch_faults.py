"""Feeds that fail or misbehave, served from loopback: the run goes on with the other feeds,
the failure is reported per feed and counted in the feeds table, and nothing stored is lost.

Each failing case first ingests a good feed at the URL that will fail, then runs again with
the fault in place next to a second, good feed.
"""

from __future__ import annotations

import re
import socket
import time
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import pytest

from ingest.fetch import fetch, make_client
from ingest.pipeline import FeedSource, run_ingest
from newsbot.errors import BlockedAddress, FeedError
from newsbot.library import Library
from tests.conftest import FIXTURES, SAMPLE_FEEDS
from tests.feed_server import FeedServer, Route
from tests.loopback import free_port

NOW = datetime(2026, 11, 26, 12, tzinfo=UTC)
FEEDS = FIXTURES / "feeds"
GOOD = SAMPLE_FEEDS / "immune_frontier_news.xml"  # stored first, at the URL that then fails
OTHER = FIXTURES / "feeds" / "roundup_small.xml"  # good, small; runs beside the failure
MIB = 1024 * 1024


@pytest.fixture
def lib(library: Library) -> Library:
    """No article-page fetches unless a test asks: the sample links point at .example hosts."""
    library.settings = library.settings.replace(fetch_article_pages=False)
    return library


def untrusted(url: str) -> FeedSource:
    return FeedSource(url, trusted=False)


@dataclass(frozen=True)
class Stored:
    articles: dict[str, tuple[str, int]]  # id -> (content_hash, chunk_count)
    feed_of: dict[str, str]  # id -> feed_url
    sqlite_chunks: frozenset[str]
    chroma_ids: frozenset[str]


def stored(library: Library) -> Stored:
    rows = library.store.articles.list(include_skipped=True)
    return Stored(
        articles={a.id: (a.content_hash, a.chunk_count) for a in rows},
        feed_of={a.id: a.feed_url for a in rows},
        sqlite_chunks=frozenset(r["id"] for r in
                                library.store.sqlite.execute("SELECT id FROM chunks")),
        chroma_ids=frozenset(library.store.vectors.all_ids()),
    )


def fixture(name: str) -> bytes:
    return (FEEDS / name).read_bytes()


# --- failing feeds ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Fault:
    route: Callable[[str], Route | None]  # given the feed's own URL; None = the path is gone
    error: str  # regex the reported error must match
    settings: dict[str, Any] = field(default_factory=dict)
    hits: int = 1  # requests the failing URL receives in the failing run
    max_seconds: float = 4.0
    min_seconds: float = 0.0


FAULTS = [
    pytest.param(Fault(lambda _: Route(body=fixture("malformed_unrecoverable.xml")),
                       r"^Not a readable RSS or Atom feed \(SAXParseException: line 2, column"),
                 id="malformed-xml-no-entries"),
    pytest.param(Fault(lambda _: Route(body=fixture("html_page.html"),
                                       content_type="text/html; charset=utf-8"),
                       r"^The URL served an HTML page, not an RSS or Atom feed\.$"),
                 id="html-page"),
    pytest.param(Fault(lambda _: Route(body=fixture("html_page.html"),
                                       content_type="application/rss+xml"),
                       r"^The URL served an HTML page"),
                 id="html-page-labelled-as-rss"),
    pytest.param(Fault(lambda _: Route(body=fixture("empty.xml")), r"^The feed was empty\.$"),
                 id="empty-body"),
    pytest.param(Fault(lambda _: Route(body=b"<rss>" + b" " * (10 * MIB) + b"</rss>"),
                       r"is 10,485,771 bytes; the limit is 10,485,760", max_seconds=3),
                 id="over-10MB-declared"),
    pytest.param(Fault(lambda _: Route(endless=True),
                       r"larger than the 4,000-byte limit; not read further",
                       settings={"max_feed_bytes": 4000}, max_seconds=3),
                 id="endless-stream-capped"),
    pytest.param(Fault(lambda _: Route(body=b"<rss>" + b" " * (8 * MIB), gzip=True),
                       r"larger than the 1,048,576-byte limit",
                       settings={"max_feed_bytes": MIB}, max_seconds=3),
                 id="gzip-bomb-capped-after-decoding"),
    pytest.param(Fault(lambda _: Route(body=b"\x1f\x8b\x08\x00not really gzip" * 20,
                                       headers={"Content-Encoding": "gzip"}),
                       r"sent a body that could not be decoded \(gzip\): Error -3"),
                 id="corrupt-gzip"),
    pytest.param(Fault(lambda _: Route(body=b"...", headers={"Content-Encoding": "br"}),
                       r"used an unsupported content encoding 'br'\.$"),
                 id="unasked-for-encoding"),
    pytest.param(Fault(lambda _: Route(body=GOOD.read_bytes(), delay=3),
                       r"timed out after 0\.5s \(tried 2 times\)\.$",
                       # the good feed shares the loopback host: keep it under the budget
                       # of timeouts per host (test_fetch_deadlines covers that budget)
                       settings={"fetch_timeout": 0.5, "fetch_retries": 1,
                                 "host_max_timeouts": 3}, hits=2,
                       max_seconds=2.8),
                 id="slow-server-timeout"),
    pytest.param(Fault(lambda _: None, r"answered HTTP 404\.$"), id="feed-disappeared-404"),
    pytest.param(Fault(lambda _: Route(status=410, body=b"gone", content_type="text/plain"),
                       r"answered HTTP 410\.$"), id="gone-410"),
    pytest.param(Fault(lambda _: Route(status=500, body=b"oops", content_type="text/plain"),
                       r"answered HTTP 500 \(tried 3 times\)\.$",
                       settings={"fetch_retries": 2, "retry_backoff": 0.1}, hits=3,
                       min_seconds=0.3),
                 id="http-500-retried-with-backoff"),
    pytest.param(Fault(lambda url: Route(redirect_to=url), r"redirected more than 5 times",
                       hits=6),
                 id="redirect-loop"),
    pytest.param(Fault(lambda _: Route(redirect_to="http://169.254.169.254/latest/meta-data/"),
                       r"non-public address \(169\.254\.169\.254\)"),
                 id="redirect-to-metadata-address"),
]


@pytest.mark.parametrize("fault", FAULTS)
def test_failing_feed_is_reported_and_loses_nothing(lib, feed_server: FeedServer, fault: Fault):
    target = feed_server.add_file("/target.xml", GOOD)
    first = run_ingest(lib, [untrusted(target)], now=NOW)
    assert first.feeds[0].status == "ok" and first.total("new") >= 5
    before = stored(lib)

    route = fault.route(target)
    if route is None:
        del feed_server.routes["/target.xml"]
    else:
        feed_server.routes["/target.xml"] = route
    other = feed_server.add_file("/other.xml", OTHER)
    lib.settings = lib.settings.replace(**fault.settings)
    hits_before = len(feed_server.hits("/target.xml"))
    started = time.monotonic()
    report = run_ingest(lib, [untrusted(target), untrusted(other)], now=NOW)
    elapsed = time.monotonic() - started

    failed, good = report.feeds
    assert failed.status == "error" and failed.error, failed
    assert re.search(fault.error, failed.error), failed.error
    assert good.status == "ok" and good.new >= 4, "the run went on with the next feed"
    assert report.status == "partial"
    assert len(feed_server.hits("/target.xml")) - hits_before == fault.hits
    assert fault.min_seconds <= elapsed < fault.max_seconds

    state = lib.store.feeds.get(target)
    assert state is not None
    assert (state.error_count, state.consecutive_errors) == (1, 1)
    assert state.last_error == failed.error and state.last_success is not None

    after = stored(lib)
    assert before.articles.items() <= after.articles.items(), "stored articles unchanged"
    assert before.chroma_ids <= after.chroma_ids
    added = after.chroma_ids - before.chroma_ids
    assert added and {c.rsplit("-", 1)[0] for c in added} <= {
        aid for aid, feed in after.feed_of.items() if feed == other}
    assert after.sqlite_chunks == after.chroma_ids


def test_errors_accumulate_and_reset_on_success(lib, feed_server: FeedServer):
    url = feed_server.add("/flaky.xml", Route(status=404, body=b"", content_type="text/plain"))
    for _ in range(2):
        assert run_ingest(lib, [untrusted(url)], now=NOW).status == "failed"
    state = lib.store.feeds.get(url)
    assert state and (state.error_count, state.consecutive_errors) == (2, 2)
    assert state.last_success is None

    feed_server.add_file("/flaky.xml", GOOD)
    assert run_ingest(lib, [untrusted(url)], now=NOW).status == "ok"
    state = lib.store.feeds.get(url)
    assert state and (state.error_count, state.consecutive_errors) == (2, 0)
    assert state.last_error is None and state.last_success is not None


def test_busy_once_then_ok(lib, feed_server: FeedServer):
    url = feed_server.add("/busy.xml", Route(body=GOOD.read_bytes(), fail_times=1))
    report = run_ingest(lib, [untrusted(url)], now=NOW)
    assert report.feeds[0].status == "ok" and report.feeds[0].new >= 5
    assert len(feed_server.hits("/busy.xml")) == 2, "one 503, then the retry"
    state = lib.store.feeds.get(url)
    assert state and state.error_count == 0 and state.last_error is None


def test_redirect_to_good_feed(lib, feed_server: FeedServer):
    final = feed_server.add_file("/feeds/new-home.xml", GOOD)
    moved = feed_server.add("/old.xml", Route(redirect_to="/feeds/new-home.xml"))
    report = run_ingest(lib, [untrusted(moved)], now=NOW)
    assert report.feeds[0].status == "ok" and report.feeds[0].entries == 7
    assert len(feed_server.hits("/old.xml")) == len(feed_server.hits("/feeds/new-home.xml")) == 1
    articles = lib.store.articles.list(include_skipped=True)
    assert articles and {a.feed_url for a in articles} == {moved}, "filed under the followed URL"
    assert final not in {a.feed_url for a in articles}


@pytest.mark.parametrize("wbits", [zlib.MAX_WBITS, -zlib.MAX_WBITS], ids=["zlib", "raw"])
def test_deflate_encoded_feed(lib, feed_server: FeedServer, wbits: int):
    """'deflate' should be zlib-wrapped; many servers send raw deflate. Both are read."""
    packer = zlib.compressobj(wbits=wbits)
    body = packer.compress(GOOD.read_bytes()) + packer.flush()
    url = feed_server.add("/deflate.xml", Route(body=body, headers={"Content-Encoding": "deflate"}))
    fr = run_ingest(lib, [untrusted(url)], now=NOW).feeds[0]
    assert fr.status == "ok" and fr.entries == 7 and fr.new + fr.off_topic == 7


def test_gzip_encoded_feed(lib, feed_server: FeedServer):
    url = feed_server.add("/gz.xml", Route(body=GOOD.read_bytes(), gzip=True))
    report = run_ingest(lib, [untrusted(url)], now=NOW)
    fr = report.feeds[0]
    assert fr.status == "ok" and fr.entries == 7 and fr.new + fr.off_topic == 7
    assert "gzip" in feed_server.hits("/gz.xml")[0].headers["accept-encoding"]
    titles = {a.title for a in lib.store.articles.list()}
    assert any("Lumora Bio’s CD19 CAR-T LMR-19" in t for t in titles), titles


# --- odd but readable feeds: fixture files, expectation beside each -------------------------


@dataclass(frozen=True)
class Expect:
    content_type: str = "application/rss+xml; charset=utf-8"
    entries: int = 1
    warning: str | None = None  # regex; None = no warning
    articles: dict[str, dict[str, Any]] = field(default_factory=dict)  # title -> attributes


FIXTURE_CASES = [
    pytest.param("malformed_recoverable.xml", Expect(
        entries=2, warning=r"^SAXParseException: line 6, column \d+: not well-formed",
        articles={
            "Lupus CAR-T trial enrols first children": {"url": "https://fixture.example/b1"},
            "CAR-T remission in lupus nephritis holds at two years": {
                "text~": "two years.\n\nMore to come."},
        }), id="bozo-with-recoverable-entries"),
    pytest.param("no_link_no_date.xml", Expect(entries=3, articles={
        "CAR-T for lupus: no link on this item": {"url": "", "guid": "odd-no-link"},
        "CAR-T for lupus: undated item": {"published": None, "ingested_at": NOW},
        "CAR-T for lupus: neither guid nor link nor date": {
            "url": "", "published": None, "ingested_at": NOW},
    }), id="no-link-no-date"),
    pytest.param("future_dated.xml", Expect(entries=2, articles={
        "CAR-T lupus meeting preview dated years ahead": {"published": NOW},
        "CAR-T lupus item dated two hours ahead": {
            "published": datetime(2026, 11, 26, 14, tzinfo=UTC)},
    }), id="future-dates-clamped"),
    pytest.param("latin1.xml", Expect(
        content_type="application/xml", articles={
            "Sjögren's and lupus: Renée's CAR-T year": {
                "text~": "Dr Élodie Sætre (Zürich) called it «remarkable» at 37 °C ± 0.5.",
                "source": "Revue Médicale"},
        }), id="iso-8859-1-prolog"),
    pytest.param("latin1.xml", Expect(
        warning=r"^CharacterEncodingOverride: document declared as utf-8, but parsed as iso-8859-1",
        articles={"Sjögren's and lupus: Renée's CAR-T year": {"text~": "Élodie Sætre"}},
    ), id="iso-8859-1-despite-utf8-header"),
    pytest.param("cp1252.xml", Expect(
        content_type="text/xml", warning=r"^CharacterEncodingOverride: document declared as us-a",
        articles={"“Remission” in lupus — CAR-T costs €350,000": {
            "text~": "Renée said: “I had forgotten what normal felt like” – a €0 co-pay helped."},
        }), id="windows-1252-prolog"),
    pytest.param("control_chars.xml", Expect(
        warning=r"^SAXParseException: line 8", articles={
            "CAR-T for lupus with a vertical tab": {"text~": "Bell and escape characters"}},
    ), id="control-characters"),
    pytest.param("relative_links.xml", Expect(articles={
        "CAR-T for lupus with a relative link": {"url": "{base}/news/2026/lupus-car-t"}},
    ), id="relative-link-resolved-against-feed-url"),
]


@pytest.mark.parametrize(("name", "expect"), FIXTURE_CASES)
def test_odd_feed_fixture(lib, feed_server: FeedServer, name: str, expect: Expect):
    url = feed_server.add(f"/fixtures/{name}",
                          Route(body=fixture(name), content_type=expect.content_type))
    other = feed_server.add_file("/other.xml", OTHER)
    report = run_ingest(lib, [untrusted(url), untrusted(other)], now=NOW)

    fr, good = report.feeds
    assert fr.status == "ok" and fr.error is None and good.status == "ok"
    assert fr.entries == expect.entries and fr.errors == 0, fr.entry_errors
    if expect.warning is None:
        assert fr.warning is None
    else:
        assert fr.warning and re.search(expect.warning, fr.warning), fr.warning
    by_title = {a.title: a for a in lib.store.articles.list(include_skipped=True)
                if a.feed_url == url}
    assert len(by_title) == expect.entries, sorted(by_title)
    for title, attributes in expect.articles.items():
        article = by_title[title]
        for key, value in attributes.items():
            if key == "text~":
                assert value in article.text, article.text
            elif isinstance(value, str):
                assert getattr(article, key) == value.format(base=feed_server.base)
            else:
                assert getattr(article, key) == value, key
        assert article.on_topic and article.chunk_count >= 1
        assert len(lib.store.vectors.ids_for_article(article.id)) == article.chunk_count


# --- the private-address guard (SSRF) --------------------------------------------------------

PAGE = ("<html><head><title>Private page</title></head><body><nav>Home · News</nav><article>"
        "<h1>Internal</h1>" + "<p>INTERNAL-ONLY lupus CAR-T notes that must never be fetched "
        "by a feed reader on behalf of a stranger's feed, whatever the item link says.</p>" * 4
        + "</article><footer>© Intranet</footer></body></html>").encode()


def items_feed(links: list[str]) -> bytes:
    items = "".join(
        f"<item><title>CAR-T for lupus, item {i}</title><link>{link}</link>"
        f"<guid isPermaLink='false'>private-{i}</guid>"
        f"<description>Short teaser {i} on lupus CAR-T remission in a phase 2 trial."
        "</description></item>"
        for i, link in enumerate(links)
    )
    return (f"<?xml version='1.0'?><rss version='2.0'><channel><title>Public-looking</title>"
            f"{items}</channel></rss>").encode()


def test_untrusted_feed_on_private_host_is_refused(lib, feed_server: FeedServer):
    lib.settings = lib.settings.replace(allow_hosts="")
    private = feed_server.add_file("/private.xml", GOOD)
    trusted = feed_server.add_file("/cli-given.xml", OTHER)
    report = run_ingest(lib, [untrusted(private), FeedSource(trusted, trusted=True)], now=NOW)

    refused, ok = report.feeds
    assert refused.status == "error"
    assert refused.error == (
        "Refusing to fetch 127.0.0.1: it resolves to a non-public address (127.0.0.1). "
        "An operator can allow it with NEWSBOT_ALLOW_HOSTS.")
    assert feed_server.hits("/private.xml") == [], "refused before connecting"
    assert ok.status == "ok" and ok.new >= 4, "trusted=True (given on the command line) bypasses"
    state = lib.store.feeds.get(private)
    assert state and state.error_count == 1 and state.last_error == refused.error

    with make_client(lib.settings) as client, pytest.raises(BlockedAddress):
        fetch(client, private, lib.settings, max_bytes=MIB, trusted=False)


def test_item_links_to_private_addresses_are_not_fetched(lib, feed_server: FeedServer):
    page = feed_server.add("/intranet/page.html", Route(body=PAGE, content_type="text/html"))
    links = [page, "http://169.254.169.254/latest/meta-data/", "javascript:alert(document.cookie)",
             "http://[::1/broken"]
    feed = feed_server.add("/items.xml", Route(body=items_feed(links)))
    lib.settings = lib.settings.replace(allow_hosts="", fetch_article_pages=True)
    started = time.monotonic()
    report = run_ingest(lib, [FeedSource(feed, trusted=True)], now=NOW)

    assert time.monotonic() - started < 3, "no connection attempt to the metadata address"
    fr = report.feeds[0]
    assert fr.status == "ok" and fr.errors == 0 and fr.new == 4, fr.entry_errors
    assert feed_server.hits("/intranet/page.html") == [], "article page on loopback not fetched"
    urls = {a.guid: a.url for a in lib.store.articles.list()}
    assert urls["private-0"] == page
    assert urls["private-1"] == "http://169.254.169.254/latest/meta-data"
    assert urls["private-2"] == "" and urls["private-3"] == "", "unsafe links are not kept"
    assert all("INTERNAL-ONLY" not in a.text for a in lib.store.articles.list())

    # Control: once the operator allows loopback the same page is fetched and used.
    lib.settings = lib.settings.replace(allow_hosts="127.0.0.1")
    report = run_ingest(lib, [FeedSource(feed, trusted=True)], full=True, now=NOW)
    assert len(feed_server.hits("/intranet/page.html")) == 1
    (article,) = [a for a in lib.store.articles.list() if a.guid == "private-0"]
    assert "INTERNAL-ONLY lupus CAR-T notes" in article.text and "Intranet" not in article.text


def test_redirect_to_private_address_is_refused(lib, feed_server: FeedServer):
    secret = feed_server.add_file("/secret.xml", GOOD)
    # The feed's own host is allowed by name; where it redirects to is checked again.
    lib.settings = lib.settings.replace(allow_hosts="localhost")
    hop = feed_server.add("/hop.xml", Route(redirect_to=secret)).replace("127.0.0.1", "localhost")
    report = run_ingest(lib, [untrusted(hop)], now=NOW)
    assert report.feeds[0].status == "error"
    assert "non-public address (127.0.0.1)" in (report.feeds[0].error or "")
    assert len(feed_server.hits("/hop.xml")) == 1 and feed_server.hits("/secret.xml") == []

    # A feed given on the command line is trusted for its own host, not for where it sends
    # us: the same redirect is refused (issue 13, item 5) …
    report = run_ingest(lib, [FeedSource(hop, trusted=True)], now=NOW)
    assert report.feeds[0].status == "error"
    assert "non-public address (127.0.0.1)" in (report.feeds[0].error or "")
    assert feed_server.hits("/secret.xml") == []

    # … until the operator allows that host; the allow-list stays the way to permit it.
    lib.settings = lib.settings.replace(allow_hosts="localhost,127.0.0.1")
    report = run_ingest(lib, [untrusted(hop)], now=NOW)
    assert report.feeds[0].status == "ok" and len(feed_server.hits("/secret.xml")) == 1


@pytest.mark.parametrize("target", ["http://169.254.169.254/latest/meta-data/",
                                    "http://10.0.0.7/feed.xml", "http://[::1]:9/feed.xml",
                                    "http://127.0.0.1:{port}/secret.xml"])
def test_operator_url_redirect_is_checked_hop_by_hop(lib, feed_server: FeedServer, target: str):
    """The operator's own URL on loopback is fetched; its redirect elsewhere is refused."""
    feed_server.add_file("/secret.xml", GOOD)
    lib.settings = lib.settings.replace(allow_hosts="")
    hop = feed_server.add("/hop.xml", Route(redirect_to=target.format(port=feed_server.port)))
    hop = hop.replace("127.0.0.1", "localhost")
    with make_client(lib.settings) as client, pytest.raises(BlockedAddress,
                                                            match="non-public address"):
        fetch(client, hop, lib.settings, max_bytes=MIB, trusted=True)
    assert len(feed_server.hits("/hop.xml")) == 1 and feed_server.hits("/secret.xml") == []

    # A redirect that stays on the operator's own host is followed.
    feed_server.add("/moved.xml", Route(redirect_to="/secret.xml"))
    with make_client(lib.settings) as client:
        result = fetch(client, feed_server.url("/moved.xml"), lib.settings, max_bytes=MIB,
                       trusted=True)
    assert result.status == 200 and result.final_url.endswith("/secret.xml")


def test_dns_rebinding_is_caught_at_connect(lib, feed_server: FeedServer,
                                            monkeypatch: pytest.MonkeyPatch):
    """The name resolves to a public address for the check and to loopback for the connect."""
    feed_server.add_file("/feed.xml", GOOD)
    real = socket.getaddrinfo
    answers = iter(["93.184.216.34"])

    def rebinding(host: str, port: Any, *args: Any, **kwargs: Any) -> Any:
        if host == "rebind.test":
            address = next(answers, "127.0.0.1")
            return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (address, port))]
        return real(host, port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", rebinding)
    settings = lib.settings.replace(allow_hosts="")
    with make_client(settings) as client, pytest.raises(BlockedAddress, match=r"\(127\.0\.0\.1\)"):
        fetch(client, f"http://rebind.test:{feed_server.port}/feed.xml", settings,
              max_bytes=MIB, trusted=False)


@pytest.mark.parametrize("url", ["http://127.0.0.1:99999/feed.xml", "http://[::1/feed.xml",
                                 "ftp://127.0.0.1/feed.xml", "http:///feed.xml"])
def test_malformed_urls_are_feed_errors(lib, url: str):
    for trusted in (True, False):
        with make_client(lib.settings) as client, pytest.raises(FeedError):
            fetch(client, url, lib.settings, max_bytes=MIB, trusted=trusted)


def test_connection_refused_is_retried_then_reported(lib):
    port = free_port()
    lib.settings = lib.settings.replace(fetch_retries=1)
    report = run_ingest(lib, [untrusted(f"http://127.0.0.1:{port}/feed.xml")], now=NOW)
    assert report.status == "failed"
    assert re.search(r"^Could not connect to .*\(tried 2 times\)\.$", report.feeds[0].error or "")
