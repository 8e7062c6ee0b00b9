"""Normalised links and ids, so the same item re-fetched is recognised."""

from __future__ import annotations

from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from newsbot.links import is_tracking_parameter
from newsbot.sentences import stable_id


def normalise_url(url: str) -> str:
    url = url.strip()
    parts = urlsplit(url)
    if parts.scheme not in {"http", "https"}:
        return url
    query = [
        (k, v)
        for k, v in parse_qsl(parts.query, keep_blank_values=True)
        if not is_tracking_parameter(k)
    ]
    path = parts.path.rstrip("/") or "/"
    host = (parts.hostname or "").lower()
    if ":" in host:  # an IPv6 literal keeps its brackets
        host = f"[{host}]"
    if parts.port and parts.port not in {80, 443}:
        host = f"{host}:{parts.port}"
    return urlunsplit(("https" if parts.scheme == "https" else "http", host, path,
                       urlencode(sorted(query)), ""))


def article_id(guid: str, link: str, feed_url: str, title: str) -> str:
    """Deterministic id from the guid (or link); entries with neither use feed + title."""
    key = guid or link
    if key.startswith(("http://", "https://")):
        key = normalise_url(key)
    if not key:
        key = f"{feed_url}#{title}"
    return stable_id(key)
