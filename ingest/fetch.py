"""HTTP fetching we control: timeouts, size caps, limited redirects, conditional GET, retries,
and a guard against requests to private addresses (SSRF) for untrusted URLs."""

from __future__ import annotations

import ipaddress
import logging
import socket
import time
import zlib
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit

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


def make_client(settings: Settings) -> httpx.Client:
    timeout = httpx.Timeout(settings.fetch_timeout, connect=min(10.0, settings.fetch_timeout))
    return httpx.Client(
        timeout=timeout,
        follow_redirects=False,
        headers={"User-Agent": settings.user_agent, "Accept-Encoding": "gzip, deflate"},
        trust_env=False,
    )


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
) -> FetchResult:
    """GET with retries on 5xx/429/timeouts (exponential back-off)."""
    attempt = 0
    while True:
        try:
            return _fetch_once(client, url, settings, max_bytes, trusted, etag, last_modified,
                               accept)
        except _Retryable as exc:
            if attempt >= settings.fetch_retries:
                message = str(exc)
                if attempt:
                    message = f"{message.rstrip('.')} (tried {attempt + 1} times)."
                raise FeedError(message) from None
            delay = settings.retry_backoff * (2**attempt)
            log.info("retrying %s in %.2fs: %s", url, delay, exc)
            time.sleep(delay)
            attempt += 1


class _Retryable(Exception):
    pass


def _fetch_once(
    client: httpx.Client, url: str, settings: Settings, max_bytes: int, trusted: bool,
    etag: str | None, last_modified: str | None, accept: str,
) -> FetchResult:
    headers = {"Accept": accept}
    if etag:
        headers["If-None-Match"] = etag
    if last_modified:
        headers["If-Modified-Since"] = last_modified
    current = url
    for _ in range(settings.max_redirects + 1):
        _, host, _ = _parse_url(current)
        if not trusted:
            check_public(current, settings.allowed_hosts)
        try:
            with client.stream("GET", current, headers=headers) as response:
                if not trusted:
                    _check_peer(response, host, settings.allowed_hosts)
                if response.status_code in {301, 302, 303, 307, 308}:
                    location = response.headers.get("location")
                    if not location:
                        raise FeedError(f"{current} redirected without a Location header.")
                    current = urljoin(current, location)
                    if urlsplit(current).scheme not in {"http", "https"}:
                        raise FeedError(f"Refusing a redirect to {current[:200]!r}.")
                    continue
                if response.status_code in RETRY_STATUS:
                    raise _Retryable(f"{current} answered HTTP {response.status_code}.")
                if response.status_code == 304:
                    return FetchResult(url, current, 304, b"", "", etag, last_modified)
                if response.status_code >= 400:
                    raise FeedError(f"{current} answered HTTP {response.status_code}.")
                body = _read_capped(response, max_bytes, settings.fetch_total_timeout, current)
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
            raise _Retryable(f"{current} timed out after {settings.fetch_timeout:g}s.") from None
        except httpx.DecodingError as exc:
            raise FeedError(f"{current} sent a body that could not be decoded: {exc}") from None
        except (httpx.UnsupportedProtocol, httpx.InvalidURL) as exc:
            raise FeedError(f"Cannot fetch {current[:200]!r}: {exc}") from None
        except httpx.TransportError as exc:
            raise _Retryable(f"Could not connect to {current}: {exc}") from None
    raise FeedError(f"{url} redirected more than {settings.max_redirects} times.")


def _read_capped(response: httpx.Response, max_bytes: int, total_timeout: float,
                 url: str) -> bytes:
    """Read at most max_bytes of *decoded* body, decompressing in bounded steps so a gzip
    bomb never expands in memory, and give up after total_timeout on a slow stream."""
    declared = response.headers.get("content-length")
    encoding = response.headers.get("content-encoding", "").strip().lower()
    if not encoding and declared and declared.isdigit() and int(declared) > max_bytes:
        raise TooLarge(f"{url} is {int(declared):,} bytes; the limit is {max_bytes:,}.")
    decompressor = _decompressor(encoding, url)
    deadline = time.monotonic() + total_timeout
    parts: list[bytes] = []
    size = 0
    started = False
    try:
        for raw in response.iter_raw():
            if time.monotonic() > deadline:
                raise FeedError(f"{url} took longer than {total_timeout:g}s to download.")
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
