"""Which matches become alerts: once per user and item, a daily cap per user, nothing the
day's digest already told (unless the watch asked for immediate alerts), nothing in a guild
that switched watch alerts off.

An alertable item is anything with a key, a title, links and text to match: a story
(`story_item`), or another kind (a trial's status change) built the same way with its own
`kind` and key. Pure: what was already sent and what the digest held come in as values.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from newsbot.models import ArticleRecord
from newsbot.watch import MatchText, WatchQuery, match_text, matches


@dataclass(frozen=True)
class Link:
    title: str
    url: str
    source: str


@dataclass(frozen=True)
class AlertItem:
    """Something a watch can alert on. `key` is unique across kinds ("story:…",
    "trial:NCT…:…"); `digest_key` is the story id a digest would list it under."""

    key: str
    kind: str  # "story" | "trial_update" | …
    title: str
    url: str
    text: MatchText
    outlets: tuple[str, ...] = ()
    links: tuple[Link, ...] = ()
    when: datetime | None = None
    digest_key: str | None = None

    def to_json(self) -> dict[str, object]:
        return {"key": self.key, "kind": self.kind, "title": self.title, "url": self.url,
                "outlets": list(self.outlets),
                "links": [{"title": x.title, "url": x.url, "source": x.source}
                          for x in self.links],
                "when": self.when.isoformat() if self.when else None}


@dataclass(frozen=True)
class Watch:
    id: int
    guild_id: int
    user_id: int
    topic: str
    query: WatchQuery
    immediate: bool = False
    created: datetime | None = None

    def to_json(self) -> dict[str, object]:
        return {"id": self.id, "guild_id": self.guild_id, "user_id": self.user_id,
                "topic": self.topic, "matches": self.query.describe(),
                "immediate": self.immediate,
                "created": self.created.isoformat() if self.created else None}


@dataclass(frozen=True)
class Alert:
    user_id: int
    guild_id: int
    item: AlertItem
    watch: Watch


@dataclass(frozen=True)
class AlertState:
    """What is already known when choosing: alerts sent (ever, and today per user), the
    keys of the stories in each guild's digest today, guilds with alerts switched off."""

    sent: frozenset[tuple[int, int, str]] = frozenset()  # (guild, user, item key)
    sent_today: Counter[tuple[int, int]] = field(default_factory=Counter)
    digest_today: dict[int, frozenset[str]] = field(default_factory=dict)
    guilds_off: frozenset[int] = frozenset()


def story_item(story_id: str, articles: list[ArticleRecord]) -> AlertItem:
    """A story as an alertable item: its head's title and link, every original's link."""
    originals = [a for a in articles if not a.duplicate_of] or articles
    originals = sorted(originals, key=lambda a: (a.id != story_id,
                                                 a.published or a.ingested_at))
    head = originals[0]
    dates = [a.published or a.ingested_at for a in originals]
    return AlertItem(
        key=f"story:{story_id}", kind="story", title=head.title, url=head.url,
        text=match_text([a.title for a in originals], [a.text for a in originals]),
        outlets=tuple(sorted({a.source for a in originals})),
        links=tuple(Link(a.title, a.url, a.source) for a in originals),
        when=max(dates), digest_key=story_id)


def stories(articles: Iterable[ArticleRecord]) -> list[AlertItem]:
    """Articles (those of some stories) grouped into their stories, newest story first."""
    groups: dict[str, list[ArticleRecord]] = {}
    for a in articles:
        if a.on_topic:
            groups.setdefault(a.story_id or a.id, []).append(a)
    items = [story_item(sid, group) for sid, group in groups.items()]
    return sorted(items, key=lambda i: (i.when is None, -(i.when.timestamp() if i.when else 0)))


def matching(items: Iterable[AlertItem], watches: Iterable[Watch]
             ) -> list[tuple[Watch, AlertItem]]:
    items = list(items)
    return [(w, i) for w in watches for i in items if matches(w.query, i.text)]


def select_alerts(items: Iterable[AlertItem], watches: Iterable[Watch], state: AlertState,
                  daily_cap: int) -> list[Alert]:
    """The alerts to deliver, in the order given (newest items first is the caller's
    choice): one per (guild, user, item) even when several watches match, at most
    `daily_cap` per user and guild a day counting those already sent."""
    sent = set(state.sent)
    today = Counter(state.sent_today)
    out: list[Alert] = []
    watches = [w for w in watches if w.guild_id not in state.guilds_off]
    for item in items:
        for watch in watches:
            who = (watch.guild_id, watch.user_id)
            if (*who, item.key) in sent or today[who] >= daily_cap:
                continue
            if not watch.immediate and item.digest_key in state.digest_today.get(
                    watch.guild_id, frozenset()):
                continue
            if matches(watch.query, item.text):
                sent.add((*who, item.key))
                today[who] += 1
                out.append(Alert(watch.user_id, watch.guild_id, item, watch))
    return out
