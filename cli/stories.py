"""`newsbot stories`: the stored stories with their members and why each is in its story."""

from __future__ import annotations

import argparse

from cli.main import print_json
from newsbot.settings import Settings


def add_parser(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser("stories", help="list stories with their outlets and why each article "
                       "is in its story")
    p.add_argument("--json", action="store_true")
    p.add_argument("--all", action="store_true", help="include stories told by one article")
    p.add_argument("--regroup", action="store_true",
                   help="group the stored articles again under the current rule first")


def run(args: argparse.Namespace, settings: Settings) -> int:
    from cli.commands import opened
    from ingest.stories import grouper_for, list_stories, regroup_store

    with opened(settings) as library:
        report = regroup_store(library.store, grouper_for(settings)) if args.regroup else None
        stories = [s for s in list_stories(library.store) if args.all or len(s.members) > 1]
    if args.json:
        data: dict[str, object] = {"stories": [s.to_json() for s in stories]}
        if report:
            data["regrouped"] = vars(report)
        print_json(data)
        return 0
    if report:
        print(f"Regrouped {report.articles} articles: {report.stories_before} → "
              f"{report.stories_after} stories, {report.moved} moved.")
    for story in stories:
        print(f"{story.head.title}  [{story.story_id[:12]}]  ({len(story.outlets)} outlet"
              f"{'s' if len(story.outlets) != 1 else ''})")
        for m in story.members:
            date = f"{m.article.published:%Y-%m-%d}" if m.article.published else "undated"
            print(f"  {date} {m.article.source}: {m.article.title}")
            print(f"      {m.reason}")
    shown = "" if args.all else " told by more than one article (--all for every story)"
    print(f"{len(stories)} stor{'y' if len(stories) == 1 else 'ies'}{shown}.")
    return 0
