"""HTTP fetching we control: timeouts, size caps, limited redirects, conditional GET, retries,
and a guard against requests to private addresses (SSRF) for untrusted URLs."""

from __future__ import annotations

import ipaddress
import logging
import socket
import time
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


def check_public(url: str, allow: tuple[str, ...]) -> None:
    """Refuse URLs that resolve to loopback, private, link-local or metadata addresses."""
    parts = urlsplit(url)
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        raise BlockedAddress(f"Only http(s) URLs can be fetched, not {url[:200]!r}.")
    host = parts.hostname
    try:
        infos = socket.getaddrinfo(host, parts.port or 80, proto=socket.IPPROTO_TCP)
    except socket.gaierror as exc:
        raise FeedError(f"Cannot resolve {host}: {exc.strerror}") from exc
    addresses = sorted({info[4][0].split("%")[0] for info in infos})
    if _host_allowed(host, addresses, allow):
        return
    for address in addresses:
        ip = ipaddress.ip_address(address)
        if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:
            ip = ip.ipv4_mapped
        if not ip.is_global or ip.is_multicast:
            raise BlockedAddress(
                f"Refusing to fetch {host}: it resolves to a non-public address ({address}). "
                "An operator can allow it with NEWSBOT_ALLOW_HOSTS."
            )


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
                raise FeedError(str(exc)) from None
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
        if not trusted:
            check_public(current, settings.allowed_hosts)
        try:
            with client.stream("GET", current, headers=headers) as response:
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
        except httpx.TransportError as exc:
            raise _Retryable(f"Could not connect to {current}: {exc}") from None
    raise FeedError(f"{url} redirected more than {settings.max_redirects} times.")


def _read_capped(response: httpx.Response, max_bytes: int, total_timeout: float,
                 url: str) -> bytes:
    declared = response.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > max_bytes:
        raise TooLarge(f"{url} is {int(declared):,} bytes; the limit is {max_bytes:,}.")
    deadline = time.monotonic() + total_timeout
    parts: list[bytes] = []
    size = 0
    for part in response.iter_bytes():
        size += len(part)
        if size > max_bytes:
            raise TooLarge(f"{url} is larger than the {max_bytes:,}-byte limit; not read further.")
        if time.monotonic() > deadline:
            raise FeedError(f"{url} took longer than {total_timeout:g}s to download.")
        parts.append(part)
    return b"".join(parts)
