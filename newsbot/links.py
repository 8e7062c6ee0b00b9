"""Canonical web addresses: the same page or feed written two ways compares equal."""

from __future__ import annotations

from urllib.parse import parse_qsl, unquote_plus, urlencode, urlsplit, urlunsplit

_TRACKING_PREFIXES = ("utm_", "mc_", "pk_", "hsa_", "ga_")
_TRACKING_KEYS = {"fbclid", "gclid", "igshid", "ref", "ref_src", "cmpid", "ocid", "sr_share",
                  "cid", "mkt_tok", "_hsenc", "_hsmi", "spm"}
_DEFAULT_PORTS = {"http": 80, "https": 443}


def is_tracking_parameter(key: str) -> bool:
    key = key.lower()
    return key.startswith(_TRACKING_PREFIXES) or key in _TRACKING_KEYS


def canonical_url(url: str, *, for_comparison: bool = False) -> str:
    """Scheme and host lower-cased, the default port, tracking parameters and the fragment
    dropped. `for_comparison` also drops a trailing slash and sorts the query: fine for
    telling two addresses apart, not always what a server answers at."""
    url = url.strip()
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme not in _DEFAULT_PORTS or not parts.hostname:
        return url
    host = parts.hostname.lower()
    if ":" in host:  # IPv6 literal
        host = f"[{host}]"
    try:
        port = parts.port
    except ValueError:  # a port that is not a number: leave the address as written
        return url
    if port and port != _DEFAULT_PORTS[scheme]:
        host = f"{host}:{port}"
    if parts.username is not None:
        host = f"{parts.netloc.rpartition('@')[0]}@{host}"
    path = parts.path or "/"
    if for_comparison:
        query = sorted((k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True)
                       if not is_tracking_parameter(k))
        return urlunsplit((scheme, host, path.rstrip("/") or "/", urlencode(query), ""))
    # the address to fetch keeps the rest of its query exactly as written
    kept = [p for p in parts.query.split("&")
            if p and not is_tracking_parameter(unquote_plus(p.partition("=")[0]))]
    return urlunsplit((scheme, host, path, "&".join(kept), ""))
