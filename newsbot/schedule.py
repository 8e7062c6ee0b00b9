"""When a channel's digest is due: local time in its IANA zone, once per day, never twice.

Pure functions over a Subscription and a clock, so restarts, DST changes and missed
digests are testable without sleeping.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from newsbot.guilds import Subscription


def occurrence(sub: Subscription, local_day: datetime) -> datetime:
    """The UTC instant of the scheduled local time on local_day's date.

    With fold=0 (PEP 495), a local time skipped by a spring-forward jump lands just after the
    jump, and a time repeated by a fall-back lands on its first occurrence.
    """
    naive = datetime.combine(local_day.date(), sub.post_time)
    return naive.replace(tzinfo=sub.tz).astimezone(UTC)


def latest_occurrence(sub: Subscription, now: datetime) -> datetime:
    local_now = now.astimezone(sub.tz)
    today = occurrence(sub, local_now)
    if today <= now:
        return today
    return occurrence(sub, local_now - timedelta(days=1))


def due(sub: Subscription, now: datetime, catchup: timedelta) -> datetime | None:
    """The scheduled instant to post for now, or None.

    Due when the latest scheduled time has passed, nothing was posted since it, it is not
    older than the catch-up window, and it came after the subscription was made.
    """
    if not sub.enabled:
        return None
    slot = latest_occurrence(sub, now)
    if slot < sub.created_at:
        return None
    if sub.last_post_at and sub.last_post_at >= slot:
        return None
    if now - slot > catchup:
        return None
    return slot


def period_start(sub: Subscription, now: datetime) -> datetime:
    """A digest covers what arrived since the previous digest (first one: the last 24 h)."""
    return sub.last_period_end or now - timedelta(hours=24)
