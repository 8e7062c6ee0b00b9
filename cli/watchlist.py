"""`newsbot follow|following|unfollow|alerts`: the local user's watchlist ("local", guild 0)."""

from __future__ import annotations

import argparse
import sys
from datetime import datetime

from cli.main import print_json
from newsbot.settings import Settings

# the CLI's user, "local", in guild 0 (Discord ids are never 0)
LOCAL_GUILD = 0
LOCAL_USER = 0


def add_parsers(sub: argparse._SubParsersAction, iso) -> None:  # type: ignore[type-arg,no-untyped-def]
    p = sub.add_parser("follow", help="follow a topic: alerts when new stories match it")
    p.add_argument("topic", help="e.g. 'CAR-T in myasthenia gravis', a product or a trial")
    p.add_argument("--immediate", action="store_true",
                   help="alert even for stories already in that day's digest")
    p = sub.add_parser("following", help="list the topics you follow and what each matches")
    p.add_argument("--json", action="store_true")
    p = sub.add_parser("unfollow", help="stop following a topic (its id from `following`)")
    p.add_argument("id", type=int)
    p = sub.add_parser("alerts", help="the stored stories your followed topics match")
    p.add_argument("--since", type=iso, help="only stories since this ISO date")
    p.add_argument("--json", action="store_true")


def run(args: argparse.Namespace, settings: Settings) -> int:
    from cli.commands import opened

    with opened(settings) as library:
        return {"follow": _follow, "following": _following, "unfollow": _unfollow,
                "alerts": _alerts}[args.command](args, library)


def _follow(args: argparse.Namespace, library) -> int:  # type: ignore[no-untyped-def]
    from newsbot.watch_check import follow

    watch = follow(library, LOCAL_GUILD, LOCAL_USER, args.topic, immediate=args.immediate,
                   now=library.settings.current_time())
    print(f"Following #{watch.id} “{watch.topic}”{' (immediate)' if watch.immediate else ''}")
    print(f"  will match: {watch.query.describe()}")
    return 0


def _following(args: argparse.Namespace, library) -> int:  # type: ignore[no-untyped-def]
    watches = library.store.watches.of_user(LOCAL_GUILD, LOCAL_USER)
    if args.json:
        print_json({"watches": [w.to_json() for w in watches]})
        return 0
    if not watches:
        print("You follow no topics yet: newsbot follow \"CAR-T in lupus\"")
    for w in watches:
        print(f"#{w.id}  {w.topic}{'  (immediate)' if w.immediate else ''}")
        print(f"      will match: {w.query.describe()}")
    return 0


def _unfollow(args: argparse.Namespace, library) -> int:  # type: ignore[no-untyped-def]
    gone = library.store.watches.unfollow(LOCAL_GUILD, LOCAL_USER, args.id)
    if gone is None:
        print(f"newsbot: you follow no topic #{args.id} (see `newsbot following`).",
              file=sys.stderr)
        return 1
    print(f"No longer following #{gone.id} “{gone.topic}”.")
    return 0


def _alerts(args: argparse.Namespace, library) -> int:  # type: ignore[no-untyped-def]
    from newsbot.watch_check import matches_for

    watches = library.store.watches.of_user(LOCAL_GUILD, LOCAL_USER)
    since: datetime | None = args.since
    found = matches_for(library, watches, since)
    if args.json:
        print_json({"alerts": [{"watch": w.to_json(), "item": i.to_json()} for w, i in found]})
        return 0
    if not watches:
        print("You follow no topics yet: newsbot follow \"CAR-T in lupus\"")
        return 0
    for w, item in found:
        when = f"{item.when:%Y-%m-%d}" if item.when else "undated"
        print(f"[#{w.id} {w.topic}] {when} {item.title}")
        print(f"      {', '.join(item.outlets)} — {item.url}")
    print(f"{len(found)} match{'es' if len(found) != 1 else ''}.")
    return 0
