"""HTTP fetching we control: one deadline per request (connect, headers and body), size caps,
limited redirects, conditional GET, retries, a per-run budget of timeouts per host, and a
guard against requests to private addresses (SSRF), re-checked at every redirect hop."""

from __future__ import annotations

import ipaddress
import logging
import socket
import threading
import time
import typing
import zlib
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit

import httpcore
import httpx

from newsbot.errors import BlockedAddress, FeedError
from newsbot.settings import Settings

log = logging.getLogger(__name__)
RETRY_STATUS = {429, 500, 502, 503, 504}


@dataclass(frozen=True)
class FetchResult:
    url: str
    final_url: str
    status: int
    content: bytes
    content_type: str
    etag: str | None
    last_modified: str | None

    @property
    def not_modified(self) -> bool:
        return self.status == 304


class TooLarge(FeedError):
    pass


class HostSkipped(FeedError):
    pass


class HTTPStatusError(FeedError):
    """The server answered with a 4xx status (or a 5xx once retries are spent)."""

    def __init__(self, url: str, status: int) -> None:
        super().__init__(f"{url} answered HTTP {status}.")
        self.status = status


# --- one deadline per request ------------------------------------------------------------
# httpx's timeouts apply to each socket operation: a server sending one header byte a second
# never trips them. Every socket operation of a request is therefore clamped to what is left
# of the request's deadline, held per thread (the bot fetches from worker threads).
_deadline = threading.local()


class DeadlinePassed(Exception):
    pass


@contextmanager
def request_deadline(deadline: float) -> Iterator[None]:
    previous = getattr(_deadline, "at", None)
    _deadline.at = deadline if previous is None else min(previous, deadline)
    try:
        yield
    finally:
        _deadline.at = previous


def _clamp(timeout: float | None, error: type[Exception]) -> float | None:
    at = getattr(_deadline, "at", None)
    if at is None:
        return timeout
    left = at - time.monotonic()
    if left <= 0:
        raise error("the request's deadline has passed")
    return left if timeout is None else min(timeout, left)


class _DeadlineStream(httpcore.NetworkStream):
    def __init__(self, inner: httpcore.NetworkStream) -> None:
        self._inner = inner

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return self._inner.read(max_bytes, _clamp(timeout, httpcore.ReadTimeout))

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self._inner.write(buffer, _clamp(timeout, httpcore.WriteTimeout))

    def close(self) -> None:
        self._inner.close()

    def start_tls(self, ssl_context: typing.Any, server_hostname: str | None = None,
                  timeout: float | None = None) -> httpcore.NetworkStream:
        inner = self._inner.start_tls(ssl_context, server_hostname,
                                      _clamp(timeout, httpcore.ConnectTimeout))
        return _DeadlineStream(inner)

    def get_extra_info(self, info: str) -> typing.Any:
        return self._inner.get_extra_info(info)


class _DeadlineBackend(httpcore.NetworkBackend):
    def __init__(self) -> None:
        self._inner = httpcore.SyncBackend()

    def connect_tcp(self, host: str, port: int, timeout: float | None = None,
                    local_address: str | None = None,
                    socket_options: typing.Iterable[typing.Any] | None = None,
                    ) -> httpcore.NetworkStream:
        stream = self._inner.connect_tcp(host, port, _clamp(timeout, httpcore.ConnectTimeout),
                                         local_address, socket_options)
        return _DeadlineStream(stream)

    def sleep(self, seconds: float) -> None:
        time.sleep(seconds)


def make_client(settings: Settings) -> httpx.Client:
    timeout = httpx.Timeout(settings.fetch.timeout, connect=min(10.0, settings.fetch.timeout))
    transport = httpx.HTTPTransport(trust_env=False)
    # httpx does not take a network backend; its connection pool does.
    transport._pool._network_backend = _DeadlineBackend()  # noqa: SLF001
    return httpx.Client(
        timeout=timeout,
        follow_redirects=False,
        headers={"User-Agent": settings.fetch.user_agent, "Accept-Encoding": "gzip, deflate"},
        trust_env=False,
        transport=transport,
    )


class HostBudget:
    """Timeouts per host in one run: a host that timed out `limit` times is not asked again
    until the next run, and that is reported once (`notices`)."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.timeouts: Counter[str] = Counter()
        self._notices: list[str] = []

    def exhausted(self, host: str) -> bool:
        return self.limit > 0 and self.timeouts[host.lower()] >= self.limit

    def check(self, host: str) -> None:
        if self.exhausted(host):
            raise HostSkipped(f"{host} was not asked: it timed out {self.limit} times earlier "
                              "in this run.")

    def timed_out(self, host: str) -> None:
        host = host.lower()
        self.timeouts[host] += 1
        if self.limit > 0 and self.timeouts[host] == self.limit:
            message = (f"{host} timed out {self.limit} times; not asked again in this run")
            log.warning(message)
            self._notices.append(message)

    def take_notices(self) -> list[str]:
        notices, self._notices = self._notices, []
        return notices


def _host_allowed(host: str, addresses: list[str], allow: tuple[str, ...]) -> bool:
    if host.lower() in allow:
        return True
    for item in allow:
        if "/" in item:
            net = ipaddress.ip_network(item, strict=False)
            if any(ipaddress.ip_address(a) in net for a in addresses):
                return True
        elif item in addresses:
            return True
    return False


def _parse_url(url: str) -> tuple[str, str, int]:
    """(scheme, host, port) of an http(s) URL; anything unparseable is a FeedError."""
    try:
        parts = urlsplit(url)
        host, port = parts.hostname, parts.port
    except ValueError as exc:  # bad port, unbalanced IPv6 brackets …
        raise FeedError(f"Not a valid URL: {url[:200]!r} ({exc}).") from None
    if parts.scheme not in {"http", "https"} or not host:
        raise BlockedAddress(f"Only http(s) URLs can be fetched, not {url[:200]!r}.")
    return parts.scheme, host, port or (443 if parts.scheme == "https" else 80)


def _blocked(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%")[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    return not ip.is_global or ip.is_multicast


def _refusal(host: str, address: str) -> BlockedAddress:
    return BlockedAddress(
        f"Refusing to fetch {host}: it resolves to a non-public address ({address}). "
        "An operator can allow it with NEWSBOT_ALLOW_HOSTS."
    )


def check_public(url: str, allow: tuple[str, ...]) -> None:
    """Refuse URLs that resolve to loopback, private, link-local or metadata addresses."""
    _, host, port = _parse_url(url)
    try:
        infos = socket.getaddrinfo(host, port, proto=socket.IPPROTO_TCP)
    except socket.gaierror as exc:
        raise FeedError(f"Cannot resolve {host}: {exc.strerror}") from exc
    except UnicodeError as exc:  # e.g. an IDNA label longer than 63 characters
        raise FeedError(f"Not a valid host name: {host[:200]!r} ({exc}).") from None
    addresses = sorted({info[4][0].split("%")[0] for info in infos})
    if _host_allowed(host, addresses, allow):
        return
    for address in addresses:
        if _blocked(address):
            raise _refusal(host, address)


def _unresolvable(exc: BaseException) -> socket.gaierror | None:
    """The DNS failure behind a connect error, if that is what it was."""
    seen = 0
    while exc is not None and seen < 10:
        if isinstance(exc, socket.gaierror):
            return exc
        exc = exc.__cause__ or exc.__context__  # type: ignore[assignment]
        seen += 1
    return None


def _check_peer(response: httpx.Response, host: str, allow: tuple[str, ...]) -> None:
    """The address actually connected to must be public too: a host name may resolve to a
    public address for check_public and to a private one a moment later (DNS rebinding)."""
    stream = response.extensions.get("network_stream")
    peer = stream.get_extra_info("server_addr") if stream is not None else None
    if not peer:
        return
    address = str(peer[0]).split("%")[0]
    if _blocked(address) and not _host_allowed(host, [address], allow):
        raise _refusal(host, address)


def fetch(
    client: httpx.Client,
    url: str,
    settings: Settings,
    *,
    max_bytes: int,
    trusted: bool,
    etag: str | None = None,
    last_modified: str | None = None,
    accept: str = "*/*",
    hosts: HostBudget | None = None,
    deadline: float | None = None,
) -> FetchResult:
    """GET with retries on 5xx/429/timeouts (exponential back-off), all of it — every
    attempt, redirect, back-off, connect, header and body byte — within one deadline:
    `fetch_total_timeout` from now, or the earlier `deadline` given (a run's page budget).

    `trusted` (a URL the operator gave) exempts that URL's own host from the private-address
    guard; every redirect to another host is checked like any other URL. DNS failures are
    not retried. With `hosts`, a host that timed out too often in this run is skipped.
    """
    started = time.monotonic()
    ends = started + settings.fetch.total_timeout
    if deadline is not None:
        ends = min(ends, deadline)
    _, first_host, _ = _parse_url(url)
    attempt = 0
    while True:
        if hosts is not None:
            hosts.check(first_host)
        try:
            with request_deadline(ends):
                return _fetch_once(client, url, settings, max_bytes, trusted, etag,
                                   last_modified, accept)
        except _Retryable as exc:
            if exc.timed_out and hosts is not None:
                hosts.timed_out(exc.host)
            message = str(exc)
            if attempt:
                message = f"{message.rstrip('.')} (tried {attempt + 1} times)."
            delay = settings.fetch.retry_backoff * (2**attempt)
            if (attempt >= settings.fetch.retries or time.monotonic() + delay >= ends
                    or (hosts is not None and hosts.exhausted(exc.host))):
                raise FeedError(message) from None
            log.info("retrying %s in %.2fs: %s", url, delay, exc)
            time.sleep(delay)
            attempt += 1
        except DeadlinePassed as exc:
            if hosts is not None:
                hosts.timed_out(str(exc))
            raise FeedError(f"{url} took longer than {ends - started:.3g}s to answer in full "
                            "(connect, headers and body).") from None


class _Retryable(Exception):
    def __init__(self, message: str, host: str, *, timed_out: bool = False) -> None:
        super().__init__(message)
        self.host = host
        self.timed_out = timed_out


def _fetch_once(
    client: httpx.Client, url: str, settings: Settings, max_bytes: int, trusted: bool,
    etag: str | None, last_modified: str | None, accept: str,
) -> FetchResult:
    headers = {"Accept": accept}
    if etag:
        headers["If-None-Match"] = etag
    if last_modified:
        headers["If-Modified-Since"] = last_modified
    allow = settings.fetch.allowed_hosts
    _, origin_host, origin_port = _parse_url(url)
    current = url
    for _ in range(settings.fetch.max_redirects + 1):
        _, host, port = _parse_url(current)
        # The operator vouches for the host of the URL they gave, not for where it redirects.
        checked = not (trusted and (host.lower(), port) == (origin_host.lower(), origin_port))
        if checked:
            check_public(current, allow)
        try:
            with client.stream("GET", current, headers=headers) as response:
                if checked:
                    _check_peer(response, host, allow)
                if response.status_code in {301, 302, 303, 307, 308}:
                    location = response.headers.get("location")
                    if not location:
                        raise FeedError(f"{current} redirected without a Location header.")
                    current = urljoin(current, location)
                    if urlsplit(current).scheme not in {"http", "https"}:
                        raise FeedError(f"Refusing a redirect to {current[:200]!r}.")
                    continue
                if response.status_code in RETRY_STATUS:
                    raise _Retryable(f"{current} answered HTTP {response.status_code}.", host)
                if response.status_code == 304:
                    return FetchResult(url, current, 304, b"", "", etag, last_modified)
                if response.status_code >= 400:
                    raise HTTPStatusError(current, response.status_code)
                body = _read_capped(response, max_bytes, current)
                return FetchResult(
                    url=url,
                    final_url=current,
                    status=response.status_code,
                    content=body,
                    content_type=response.headers.get("content-type", ""),
                    etag=response.headers.get("etag"),
                    last_modified=response.headers.get("last-modified"),
                )
        except httpx.TimeoutException:
            if _deadline_passed():
                raise DeadlinePassed(host) from None
            raise _Retryable(f"{current} timed out after {settings.fetch.timeout:g}s.", host,
                             timed_out=True) from None
        except httpx.DecodingError as exc:
            raise FeedError(f"{current} sent a body that could not be decoded: {exc}") from None
        except (httpx.UnsupportedProtocol, httpx.InvalidURL) as exc:
            raise FeedError(f"Cannot fetch {current[:200]!r}: {exc}") from None
        except httpx.TransportError as exc:
            dns = _unresolvable(exc)
            if dns is not None:  # a name that does not resolve will not a second later
                raise FeedError(f"Cannot resolve {host}: {dns.strerror or dns}") from None
            raise _Retryable(f"Could not connect to {current}: {exc}", host) from None
    raise FeedError(f"{url} redirected more than {settings.fetch.max_redirects} times.")


def _deadline_passed() -> bool:
    at = getattr(_deadline, "at", None)
    return at is not None and time.monotonic() >= at - 0.01


def _read_capped(response: httpx.Response, max_bytes: int, url: str) -> bytes:
    """Read at most max_bytes of *decoded* body, decompressing in bounded steps so a gzip
    bomb never expands in memory; the request's deadline bounds a slow stream."""
    declared = response.headers.get("content-length")
    encoding = response.headers.get("content-encoding", "").strip().lower()
    if not encoding and declared and declared.isdigit() and int(declared) > max_bytes:
        raise TooLarge(f"{url} is {int(declared):,} bytes; the limit is {max_bytes:,}.")
    decompressor = _decompressor(encoding, url)
    parts: list[bytes] = []
    size = 0
    started = False
    try:
        for raw in response.iter_raw():
            if not started and raw and encoding == "deflate":
                decompressor = _deflate_for(raw)
            started = started or bool(raw)
            pending = raw
            while pending or (decompressor and decompressor.unconsumed_tail):
                if decompressor is None:
                    part, pending = pending, b""
                else:
                    data = decompressor.unconsumed_tail + pending
                    part = decompressor.decompress(data, max_bytes - size + 1)
                    pending = b""
                    if not part:
                        break
                size += len(part)
                if size > max_bytes:
                    raise TooLarge(
                        f"{url} is larger than the {max_bytes:,}-byte limit; not read further."
                    )
                parts.append(part)
    except zlib.error as exc:
        raise FeedError(f"{url} sent a body that could not be decoded ({encoding}): {exc}"
                        ) from None
    return b"".join(parts)


def _deflate_for(first: bytes) -> zlib._Decompress:
    """'deflate' is zlib-wrapped by the standard, raw in many servers: tell by the header."""
    zlib_header = len(first) >= 2 and first[0] & 0x0F == 8 and (first[0] << 8 | first[1]) % 31 == 0
    return zlib.decompressobj() if zlib_header else zlib.decompressobj(-zlib.MAX_WBITS)


def _decompressor(encoding: str, url: str) -> zlib._Decompress | None:
    if encoding in ("", "identity"):
        return None
    if encoding in ("gzip", "x-gzip"):
        return zlib.decompressobj(wbits=16 + zlib.MAX_WBITS)
    if encoding == "deflate":
        return zlib.decompressobj()
    raise FeedError(f"{url} used an unsupported content encoding {encoding!r}.")
