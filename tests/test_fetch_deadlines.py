"""Servers that answer too slowly, byte by byte or not at all: one deadline bounds each
request (connect, headers and body), a host that keeps timing out is skipped for the rest
of the run, and article pages have a budget per run after which the feed's text is used.

Wall-clock bounds are ratios of the configured timeouts, never absolute seconds.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator

import pytest

from ingest.fetch import fetch, make_client
from ingest.pipeline import FeedSource, run_ingest
from newsbot.errors import FeedError
from tests.feed_server import FeedServer, Route

FEED = (b'<?xml version="1.0"?><rss version="2.0"><channel><title>Slow</title><item>'
        b"<title>CAR-T for lupus</title><guid>s-1</guid><description>Lupus patients treated "
        b"with CD19 CAR-T cells reached drug-free remission.</description></item>"
        b"</channel></rss>")


class TrickleServer:
    """Raw TCP: reads the request, then sends the response one byte every `interval`
    seconds (headers first, so httpx's per-read timeout never trips), or never answers."""

    def __init__(self, interval: float, *, silent: bool = False, body: bytes = FEED) -> None:
        self.interval, self.silent = interval, silent
        self.response = (b"HTTP/1.1 200 OK\r\nContent-Type: application/rss+xml\r\n"
                         b"Content-Length: " + str(len(body)).encode() + b"\r\n"
                         b"X-Padding: " + b"x" * 200 + b"\r\n\r\n" + body)
        self.connections = 0
        self._sock = socket.create_server(("127.0.0.1", 0))
        self.port = self._sock.getsockname()[1]
        self._stop = threading.Event()

    def url(self, path: str = "/feed.xml") -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def _serve(self) -> None:
        self._sock.settimeout(0.1)
        while not self._stop.is_set():
            try:
                conn, _ = self._sock.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            self.connections += 1
            threading.Thread(target=self._trickle, args=(conn,), daemon=True).start()

    def _trickle(self, conn: socket.socket) -> None:
        with conn:
            try:
                conn.recv(65536)
                for byte in self.response:
                    if self._stop.wait(self.interval):
                        return
                    if not self.silent:
                        conn.sendall(bytes([byte]))
            except OSError:
                return  # the client gave up: that is the point

    def __enter__(self) -> TrickleServer:
        threading.Thread(target=self._serve, daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._sock.close()


@pytest.fixture
def trickle() -> Iterator[TrickleServer]:
    with TrickleServer(interval=0.05) as server:
        yield server


def timed_fetch(settings, url: str, **kwargs) -> tuple[float, FeedError | None]:
    started = time.monotonic()
    try:
        with make_client(settings) as client:
            fetch(client, url, settings, max_bytes=1_000_000, trusted=True, **kwargs)
    except FeedError as exc:
        return time.monotonic() - started, exc
    return time.monotonic() - started, None


def test_headers_trickled_byte_by_byte_stop_at_the_total_deadline(settings, trickle):
    """One byte every 0.05 s: each read is far inside fetch_timeout, the headers alone take
    ~15 s. The request must end at fetch_total_timeout, not when the server is done."""
    total = 1.5
    settings = settings.replace(fetch_timeout=1.0, fetch_total_timeout=total,
                                           fetch_retries=2)
    elapsed, error = timed_fetch(settings, trickle.url())
    assert error is not None and "took longer than 1.5s to answer in full" in str(error)
    assert 0.9 * total <= elapsed <= 1.3 * total, elapsed
    assert trickle.connections == 1, "a deadline that has passed is not retried"


def test_trickled_body_stops_at_the_same_deadline(settings):
    body = FEED * 40
    with TrickleServer(interval=0.002, body=body) as server:
        server.response = server.response[:server.response.index(b"\r\n\r\n") + 4]
        head_len = len(server.response)
        server.response += body
        server.interval = 0.002
        total = 1.0
        settings = settings.replace(fetch_timeout=0.5,
                                               fetch_total_timeout=total)
        elapsed, error = timed_fetch(settings, server.url())
    assert head_len * 0.002 < total < len(server.response) * 0.002, "the body is what is slow"
    assert error is not None and "took longer than" in str(error)
    assert 0.9 * total <= elapsed <= 1.3 * total, elapsed


def test_a_fast_server_is_unaffected(settings, feed_server: FeedServer):
    url = feed_server.add("/ok.xml", Route(body=FEED))
    settings = settings.replace(fetch_total_timeout=1.0)
    with make_client(settings) as client:
        for _ in range(3):  # a pooled keep-alive connection gets each request's own deadline
            assert fetch(client, url, settings, max_bytes=10_000, trusted=True).content == FEED


def test_trickling_feed_holds_the_run_no_longer_than_its_deadline(library, trickle,
                                                                  feed_server: FeedServer):
    total = 1.0
    library.settings = library.settings.replace(
        fetch_timeout=0.5, fetch_total_timeout=total, fetch_article_pages=False)
    good = feed_server.add("/good.xml", Route(body=FEED.replace(b"s-1", b"g-1")))
    started = time.monotonic()
    report = run_ingest(library, [FeedSource(trickle.url(), trusted=True),
                                  FeedSource(good, trusted=True)])
    elapsed = time.monotonic() - started
    slow, ok = report.feeds
    assert slow.status == "error" and "took longer than" in (slow.error or "")
    assert ok.status == "ok" and ok.new == 1
    assert elapsed <= 1.5 * total + 1.0, elapsed  # + the good feed's own work


@pytest.fixture
def library(library):
    """Teasers of one template would be collapsed as syndicated copies: keep each item."""
    library.settings = library.settings.replace(near_duplicate_jaccard=2.0,
                                                           story_similarity=2.0)
    return library


def teaser_feed(links: list[str]) -> bytes:
    items = "".join(
        f"<item><title>CAR-T for lupus, part {i}</title><link>{link}</link>"
        f"<guid isPermaLink='false'>t-{i}</guid><description>Lupus patients treated with "
        f"CD19 CAR-T cells reached drug-free remission in trial {i}.</description></item>"
        for i, link in enumerate(links))
    return (f"<?xml version='1.0'?><rss version='2.0'><channel><title>Teasers</title>{items}"
            "</channel></rss>").encode()


def test_host_that_never_answers_is_skipped_after_n_timeouts(library, feed_server: FeedServer):
    """A host that accepts connections and never answers costs at most N timeouts per run,
    not N per item; the skip is reported once and the items keep the feed's text."""
    timeout = 0.4
    with TrickleServer(interval=60, silent=True) as dead:
        links = [dead.url(f"/article/{i}") for i in range(8)]
        feed = feed_server.add("/teasers.xml", Route(body=teaser_feed(links)))
        library.settings = library.settings.replace(
            fetch_article_pages=True, fetch_timeout=timeout, fetch_total_timeout=5.0,
            fetch_retries=2, host_max_timeouts=2)
        started = time.monotonic()
        report = run_ingest(library, [FeedSource(feed, trusted=True)])
        elapsed = time.monotonic() - started
        connections = dead.connections
    fr = report.feeds[0]
    assert fr.status == "ok" and fr.new == 8 and fr.errors == 0, fr
    assert connections == 2, "two timeouts, then the host is not asked again"
    # 2 timeouts + back-off + the run's own work; asking each link 3 times would take 9.6 s
    assert elapsed <= 2 * timeout * 1.5 + 3.0, elapsed
    assert fr.warning and fr.warning.count("timed out 2 times; not asked again") == 1
    texts = [a.text for a in library.store.articles.list()]
    assert len(texts) == 8 and all("drug-free remission in trial" in t for t in texts)

    # The next run starts with a fresh budget: the host is tried again.
    with TrickleServer(interval=60, silent=True) as dead:
        library.settings = library.settings.replace(host_max_timeouts=1)
        feed_server.routes["/teasers.xml"] = Route(
            body=teaser_feed([dead.url(f"/a/{i}") for i in range(3)]))
        run_ingest(library, [FeedSource(feed, trusted=True)], full=True)
        assert dead.connections == 1


def test_page_budget_per_run_then_the_feed_text_is_used(library, feed_server: FeedServer):
    for i in range(6):
        page = ("<html><body><article>" + f"<p>Full article {i} about lupus CAR-T remission "
                "that the feed only teased, with the trial's figures and what comes next.</p>"
                * 8 + "</article></body></html>").encode()
        feed_server.add(f"/page/{i}", Route(body=page, content_type="text/html", delay=0.3))
    feed = feed_server.add("/teasers.xml", Route(body=teaser_feed(
        [feed_server.url(f"/page/{i}") for i in range(6)])))
    budget = 0.7
    library.settings = library.settings.replace(
        fetch_article_pages=True, article_pages_seconds=budget)
    started = time.monotonic()
    report = run_ingest(library, [FeedSource(feed, trusted=True)])
    elapsed = time.monotonic() - started
    fetched = sum(len(feed_server.hits(f"/page/{i}")) for i in range(6))
    assert 2 <= fetched <= 3, fetched
    assert elapsed <= budget * 1.5 + 2.0
    fr = report.feeds[0]
    assert fr.new == 6 and "budget for article pages is spent" in (fr.warning or "")
    articles = library.store.articles.list()
    full = [a for a in articles if "only teased" in a.text]
    assert 1 <= len(full) <= fetched and len(articles) == 6
    assert all("drug-free remission in trial" in a.text for a in articles if a not in full)

    # The count budget works the same way.
    library.settings = library.settings.replace(
        article_pages_seconds=60.0, max_article_pages=1)
    before = sum(len(feed_server.hits(f"/page/{i}")) for i in range(6))
    run_ingest(library, [FeedSource(feed, trusted=True)], full=True)
    assert sum(len(feed_server.hits(f"/page/{i}")) for i in range(6)) - before == 1


def test_dns_failure_is_not_retried(settings, monkeypatch: pytest.MonkeyPatch):
    calls: list[str] = []
    real = socket.getaddrinfo

    def unresolvable(host, *args, **kwargs):
        if str(host).endswith(".invalid"):
            calls.append(host)
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return real(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", unresolvable)
    settings = settings.replace(fetch_retries=3, retry_backoff=0.2)
    for trusted in (True, False):
        calls.clear()
        started = time.monotonic()
        with make_client(settings) as client, pytest.raises(FeedError) as caught:
            fetch(client, "http://feeds.newsbot.invalid/rss", settings, max_bytes=1000,
                  trusted=trusted)
        assert str(caught.value) == ("Cannot resolve feeds.newsbot.invalid: Name or service "
                                     "not known")
        assert len(calls) == 1, "asked once, not retried"
        assert time.monotonic() - started < settings.fetch.retry_backoff, "no back-off either"
