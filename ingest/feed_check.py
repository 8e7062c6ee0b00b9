"""Checking a feed before following it: http(s) only, reachable, parses as a feed."""

from __future__ import annotations

from ingest.fetch import fetch, make_client
from ingest.parse import parse_feed
from newsbot.feeds import validate_feed_url
from newsbot.settings import Settings


def check_feed(url: str, settings: Settings, *, trusted: bool) -> str:
    """Returns the feed's title; raises FeedError with a readable reason otherwise."""
    url = validate_feed_url(url)
    with make_client(settings) as client:
        result = fetch(client, url, settings, max_bytes=settings.fetch.max_feed_bytes,
                       trusted=trusted)
    parsed = parse_feed(result.content, result.content_type, settings.fetch.max_entries_per_feed)
    return parsed.title
