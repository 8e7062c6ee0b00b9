"""The after-ingest check over a real store: new stories since the last check, the day's
digest per guild (skipped unless immediate), the cap, and the check mark."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from newsbot.retrieval import lexicon
from newsbot.watch import parse_watch
from newsbot.watch_check import digest_today, due_alerts, record
from tests.conftest import SAMPLE_NOW
from tests.test_bot_support import open_library, sample_template

__all__ = ["sample_template"]
GUILD, OTHER_GUILD, CHANNEL = 1, 2, 50
NOW = SAMPLE_NOW + timedelta(hours=2)
LEAD = "Cell therapy for autoimmunity takes center stage at spring meeting"  # 26 Nov 12:00


def test_digest_stories_wait_cap_holds_and_the_mark_moves(tmp_path: Path,
                                                          sample_template: Path) -> None:
    library = open_library(tmp_path, sample_template,
                           watch={"daily_cap": 3, "lookback_hours": 24 * 30})
    try:
        watches = library.store.watches
        query = parse_watch("CAR-T in lupus", lexicon(library))
        waits = watches.follow(GUILD, 10, query, immediate=False, now=NOW)
        eager = watches.follow(GUILD, 11, query, immediate=True, now=NOW)
        elsewhere = watches.follow(OTHER_GUILD, 10, query, immediate=False, now=NOW)
        library.store.guilds.subscribe(GUILD, CHANNEL, "13:00", "UTC", SAMPLE_NOW)
        library.store.guilds.record_post(CHANNEL, NOW - timedelta(hours=1),
                                         NOW - timedelta(hours=1))
        digest = digest_today(library, NOW)
        assert set(digest) == {GUILD}

        alerts = due_alerts(library, NOW)
        by_watch: dict[int, list[str]] = {}
        for a in alerts:
            by_watch.setdefault(a.watch.id, []).append(a.item.title)
        assert all(len(titles) == 3 for titles in by_watch.values())  # the cap
        assert by_watch[eager.id][0] == LEAD  # immediate: told even though in the digest
        assert LEAD not in by_watch[waits.id]  # the digest told it already
        assert by_watch[elsewhere.id][0] == LEAD  # that guild's digest did not
        assert all(a.item.digest_key in digest[GUILD] for a in alerts
                   if a.item.title == LEAD)

        for a in alerts:
            assert record(library, a, "dm", NOW)
        assert not record(library, alerts[0], "dm", NOW)  # once per person and story
        assert watches.checked_through() == NOW
        assert due_alerts(library, NOW + timedelta(minutes=5)) == []  # nothing new since
    finally:
        library.close()


def test_a_backlog_stored_now_but_published_long_ago_does_not_alert(
        tmp_path: Path, sample_template: Path) -> None:
    library = open_library(tmp_path, sample_template)  # lookback 24 h
    try:
        query = parse_watch("LMR-19", lexicon(library))  # its story: 11 Nov
        library.store.watches.follow(GUILD, 10, query, immediate=True, now=NOW)
        assert due_alerts(library, NOW) == []
        query = parse_watch("CAR-T in lupus", lexicon(library))
        library.store.watches.follow(GUILD, 11, query, immediate=True, now=NOW)
        library.store.watches.mark_checked(NOW - timedelta(days=2))
        assert [a.item.title for a in due_alerts(library, NOW)] == [LEAD]
    finally:
        library.close()
