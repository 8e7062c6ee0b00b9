"""When digests are due: time zones, DST, restarts, catch-up. Pure and clock-controlled.

`simulate` ticks a subscription minute by minute like the bot's loop does, recording a post
(and persisting it, as the bot does) whenever `schedule.due` says so.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from newsbot.guilds import Subscription
from newsbot.schedule import due, period_start

CATCHUP = timedelta(hours=12)
MINUTE = timedelta(minutes=1)
LONG_AGO = datetime(2026, 1, 1, tzinfo=UTC)


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def make_sub(post: str = "08:00", zone: str = "Europe/Paris",
             created: datetime = LONG_AGO, **changes: object) -> Subscription:
    hours, minutes = map(int, post.split(":"))
    sub = Subscription(channel_id=1, guild_id=2, post_time=time(hours, minutes), timezone=zone,
                       enabled=True, created_at=created, last_post_at=None,
                       last_period_end=None, last_error=None, failures=0)
    return replace(sub, **changes)


def simulate(sub: Subscription, start: datetime, end: datetime,
             step: timedelta = MINUTE) -> list[datetime]:
    posts, now = [], start
    while now < end:
        if due(sub, now, CATCHUP) is not None:
            posts.append(now)
            sub = replace(sub, last_post_at=now, last_period_end=now)
        now += step
    return posts


def local_days(posts: list[datetime], zone: str) -> Counter[date]:
    return Counter(p.astimezone(ZoneInfo(zone)).date() for p in posts)


def test_same_local_time_in_two_time_zones() -> None:
    day = (utc(2026, 11, 27), utc(2026, 11, 28))
    paris = simulate(make_sub(zone="Europe/Paris", created=day[0]), *day)
    new_york = simulate(make_sub(zone="America/New_York", created=day[0]), *day)
    assert paris == [utc(2026, 11, 27, 7)]  # 08:00 CET
    assert new_york == [utc(2026, 11, 27, 13)]  # 08:00 EST


@pytest.mark.parametrize(
    ("zone", "start", "shift"),
    [
        ("Europe/Paris", utc(2027, 3, 26), "spring-forward"),  # 28 Mar 2027, 02:00 → 03:00
        ("Europe/Paris", utc(2026, 10, 23), "fall-back"),  # 25 Oct 2026, 03:00 → 02:00
        ("America/New_York", utc(2027, 3, 12), "spring-forward"),  # 14 Mar 2027
        ("America/New_York", utc(2026, 10, 30), "fall-back"),  # 1 Nov 2026
    ],
)
@pytest.mark.parametrize("post", ["08:00", "02:30"])  # 02:30 is skipped or repeated that day
def test_one_post_per_local_day_across_dst(zone: str, start: datetime, shift: str,
                                           post: str) -> None:
    sub = make_sub(post, zone, created=start)
    posts = simulate(sub, start, start + timedelta(days=5))
    days = local_days(posts, zone)
    assert len(posts) == 5 and set(days.values()) == {1}, (shift, posts)
    for moment in posts:
        local = moment.astimezone(ZoneInfo(zone))
        if post == "08:00":
            assert (local.hour, local.minute) == (8, 0)
        else:  # a skipped 02:30 is posted just after the jump, at 03:30
            assert (local.hour, local.minute) in {(2, 30), (3, 30)}


def test_restart_before_and_after_the_scheduled_time(tmp_path: Path) -> None:
    """State goes through SQLite as across a restart: a new `due` never posts twice."""
    from newsbot.store import Store
    from tests.conftest import make_settings

    store = Store.open(make_settings(tmp_path), vectors=False)
    store.guilds.subscribe(2, 1, "08:00", "Europe/Paris", utc(2026, 11, 20))

    def reload() -> Subscription:
        (sub,) = store.guilds.subscriptions(enabled_only=True)
        return sub

    store.guilds.record_post(1, utc(2026, 11, 26, 7, 0, 20), utc(2026, 11, 26, 7, 0, 20))
    # restarted before today's 08:00 (07:00 UTC): nothing until then, then exactly one post
    assert due(reload(), utc(2026, 11, 27, 6, 59), CATCHUP) is None
    assert due(reload(), utc(2026, 11, 27, 7, 0), CATCHUP) == utc(2026, 11, 27, 7, 0)
    store.guilds.record_post(1, utc(2026, 11, 27, 7, 0, 30), utc(2026, 11, 27, 7, 0, 30))
    # restarted after the post: not again today, whatever the minute
    assert simulate(reload(), utc(2026, 11, 27, 7, 1), utc(2026, 11, 28, 6, 59)) == []
    assert due(reload(), utc(2026, 11, 28, 7, 0), CATCHUP) == utc(2026, 11, 28, 7, 0)
    store.close()


def test_missed_digest_is_caught_up_once_within_the_window() -> None:
    sub = make_sub(last_post_at=utc(2026, 11, 26, 7), last_period_end=utc(2026, 11, 26, 7))
    # the bot was down from 06:00 to 10:00 UTC: the 07:00 UTC digest is posted once, late
    posts = simulate(sub, utc(2026, 11, 27, 10), utc(2026, 11, 28, 6))
    assert posts == [utc(2026, 11, 27, 10)]


def test_missed_digest_beyond_the_window_waits_for_the_next_day() -> None:
    sub = make_sub(last_post_at=utc(2026, 11, 26, 7))
    late = utc(2026, 11, 27, 7) + CATCHUP + MINUTE
    assert simulate(sub, late, utc(2026, 11, 28, 8)) == [utc(2026, 11, 28, 7)]


def test_new_or_disabled_subscriptions() -> None:
    created = utc(2026, 11, 27, 9)  # after today's 08:00 Paris (07:00 UTC)
    assert simulate(make_sub(created=created), created, utc(2026, 11, 28, 12)) == [
        utc(2026, 11, 28, 7)
    ]
    assert simulate(make_sub(enabled=False), utc(2026, 11, 27), utc(2026, 11, 29)) == []


def test_period_starts_where_the_previous_digest_ended() -> None:
    now = utc(2026, 11, 27, 7)
    assert period_start(make_sub(), now) == now - timedelta(hours=24)
    previous = utc(2026, 11, 26, 7, 0, 30)
    assert period_start(make_sub(last_period_end=previous), now) == previous
