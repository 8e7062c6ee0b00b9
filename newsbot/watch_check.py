"""After an ingestion run: which followed topics the newly stored stories match, for whom.

Gathers from the store what alert selection (`newsbot.alerts.select_alerts`) needs — the
stories with a report stored since the last check, the watches, the alerts already sent,
today's count per user, the stories each guild's digest posted today and the guilds that
switched alerts off — and records what was delivered. Trial registry changes seen since
the last check (a status change, results posted) are alertable items too.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime, timedelta

from newsbot.alerts import Alert, AlertItem, AlertState, Watch, matching, select_alerts, stories
from newsbot.followed import SentAlert
from newsbot.library import Library
from newsbot.watch import WatchQuery, WatchTopicError, match_text, parse_watch

DAY = timedelta(hours=24)
ExtraItems = Callable[[Library, datetime, datetime], Iterable[AlertItem]]


def new_items(library: Library, since: datetime, now: datetime) -> list[AlertItem]:
    """Stories with a report stored after `since` (up to `now`), each whole."""
    fresh = [a for a in library.store.articles.list(ingested_since=since)
             if a.ingested_at <= now]
    ids = {a.story_id or a.id for a in fresh}
    return stories(library.store.stories.articles_of(ids) if ids else [])


def trial_items(library: Library, since: datetime, now: datetime) -> list[AlertItem]:
    """The registry changes seen since `since`, each matched on the trial's name, id, title,
    conditions and interventions (a watch on "LUMEN-2" or "CAR-T lupus nephritis")."""
    out = []
    for update in library.store.trials.updates(since, until=now):
        cached = library.store.trials.cached(update.nct_id)
        record = cached.record if cached else None
        details = [update.title, *(record.conditions if record else ()),
                   *(record.interventions if record else ())]
        headline = f"{update.name}: {update.change}"
        out.append(AlertItem(
            key=f"trial:{update.nct_id}:{update.observed_at:%Y%m%dT%H%M%S}",
            kind="trial_update", title=headline, url=update.url,
            text=match_text([headline, update.title], ["\n\n".join(details)]),
            outlets=("ClinicalTrials.gov",), when=update.observed_at))
    return out


def stored_items(library: Library, since: datetime | None = None) -> list[AlertItem]:
    """Every stored story (published or ingested since `since`, if given)."""
    ids = {a.story_id or a.id for a in library.store.articles.list(since=since)}
    return stories(library.store.stories.articles_of(ids) if ids else [])


def digest_today(library: Library, now: datetime) -> dict[int, frozenset[str]]:
    """Per guild, the stories its digest posted in the last day listed (the stories
    published in the period that digest covered)."""
    out: dict[int, set[str]] = {}
    for sub in library.store.guilds.subscriptions(enabled_only=True):
        if sub.last_post_at is None or sub.last_post_at < now - DAY:
            continue
        end = sub.last_period_end or sub.last_post_at
        ids = {a.story_id or a.id for a in library.store.articles.list(since=end - DAY)
               if (a.published or a.ingested_at) <= end}
        out.setdefault(sub.guild_id, set()).update(ids)
    return {g: frozenset(ids) for g, ids in out.items()}


def state(library: Library, now: datetime) -> AlertState:
    watches = library.store.watches
    return AlertState(sent=watches.sent_keys(), sent_today=watches.sent_since(now - DAY),
                      digest_today=digest_today(library, now), guilds_off=watches.guilds_off())


def due_alerts(library: Library, now: datetime, *,
               extra_items: ExtraItems | None = trial_items) -> list[Alert]:
    """The alerts to deliver now for stories stored since the last check and published
    within `watch.lookback_hours`; the check mark moves to `now`."""
    settings = library.settings.watch
    floor = now - timedelta(hours=settings.lookback_hours)
    since = max(library.store.watches.checked_through() or floor, floor)
    # times are stored to the second: a run in the same second as the last check must not
    # fall between the two (what was already told is never told again anyway)
    items = new_items(library, since - timedelta(seconds=1), now)
    # a backlog (a new feed's archive) is stored now but is not news: no alert for it
    items = [i for i in items if i.when is None or i.when >= floor]
    if extra_items is not None:
        items += list(extra_items(library, since, now))
    alerts = select_alerts(items, library.store.watches.all(), state(library, now),
                           settings.daily_cap)
    library.store.watches.mark_checked(now)
    return alerts


def record(library: Library, alert: Alert, via: str, now: datetime) -> bool:
    return library.store.watches.record_alert(SentAlert(
        alert.guild_id, alert.user_id, alert.item.key, alert.watch.id, now, via))


def matches_for(library: Library, watches: list[Watch],
                since: datetime | None = None) -> list[tuple[Watch, AlertItem]]:
    """What these watches match among the stored stories (the CLI's `newsbot alerts`)."""
    return matching(stored_items(library, since), watches)


def parse_topic(library: Library, topic: str) -> WatchQuery:
    """A topic read as `/ask` reads a question, against what the store knows."""
    from newsbot.retrieval import lexicon

    return parse_watch(topic, lexicon(library))


def follow(library: Library, guild_id: int, user_id: int, topic: str, *, immediate: bool,
           now: datetime) -> Watch:
    """Follow a topic (WatchTopicError, one line, if it cannot be followed)."""
    query = parse_topic(library, topic)
    mine = library.store.watches.of_user(guild_id, user_id)
    limit = library.settings.watch.max_per_user
    if len(mine) >= limit and all(w.topic.lower() != query.topic.lower() for w in mine):
        raise WatchTopicError(f"You already follow the most topics allowed ({limit}); "
                              "unfollow one first.")
    return library.store.watches.follow(guild_id, user_id, query, immediate=immediate, now=now)
