"""`newsbot feeds list|add|remove` and the feeds named to `newsbot ingest`, read alike:
http(s) URLs compared in their canonical form, or feed files by their absolute path."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from newsbot import feeds as feed_store
from newsbot.library import Library
from newsbot.settings import Settings
from newsbot.store import Store


def feeds(args: argparse.Namespace, settings: Settings) -> int:
    with Store.open(settings, vectors=False) as store:  # works while the bot runs
        return _feeds(args, settings, store)


def _feeds(args: argparse.Namespace, settings: Settings, store: Store) -> int:
    from newsbot.feeds import feed_line

    store.feeds.seed_once(settings.storage.feeds_file)
    if args.feeds_command == "list":
        for feed in store.feeds.list():
            print(feed_line(feed))
        return 0
    location = feed_store.feed_location(
        args.url, must_exist=args.feeds_command == "add" and not feed_store.is_url(args.url))
    followed = store.feeds.find(location)
    if args.feeds_command == "remove":
        if followed and store.feeds.remove(followed.url):
            print(f"No longer following {followed.url}.")
            return 0
        print(f"Not following {args.url}.", file=sys.stderr)
        return 1
    if followed is not None:  # nothing to check: no fetch, no retries while offline
        print(f"Already following {followed.name or followed.url} ({followed.url}).")
        return 0
    title = check_location(location, settings)
    store.feeds.add(location, args.name or title, "command line")
    print(f"Now following {title or location}.")
    return 0


def followed_locations(library: Library, given: list[str]) -> list[str]:
    """Feeds named to `ingest`, read as `feeds add` reads them: a spelling of a followed
    feed is that feed; a new one is followed from now on, and said so."""
    locations = [feed_store.feed_location(value, must_exist=not feed_store.is_url(value))
                 for value in given]  # every one checked before anything is followed
    out = []
    for location in locations:
        followed = library.store.feeds.find(location)
        if followed is None:
            print(f"Now following {location}.", file=sys.stderr)
        out.append(followed.url if followed else location)
    return list(dict.fromkeys(out))


def check_location(location: str, settings: Settings) -> str:
    """The feed's title; a FeedError with the reason when it is not a readable feed."""
    if feed_store.is_url(location):
        from ingest.feed_check import check_feed

        return check_feed(location, settings, trusted=True)
    from ingest.parse import parse_feed
    from newsbot.errors import FeedError

    path = Path(location)
    if path.stat().st_size > settings.fetch.max_feed_bytes:
        raise FeedError(f"{path} is larger than the {settings.fetch.max_feed_bytes:,}-byte limit.")
    parsed = parse_feed(path.read_bytes(), max_entries=settings.fetch.max_entries_per_feed)
    if not parsed.entries and not parsed.title:
        raise FeedError(f"{path} is not an RSS or Atom feed.")
    return parsed.title
