"""Watchlists in the store: topics per user and guild, alerts sent once, guild settings."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from newsbot.followed import AlertSettings, SentAlert
from newsbot.settings import Settings
from newsbot.store import Store
from newsbot.watch import parse_watch

NOW = datetime(2026, 11, 20, 12, tzinfo=UTC)


def test_topics_are_kept_per_user_and_guild_and_survive_a_reopen(settings: Settings) -> None:
    with Store.open(settings, vectors=False) as store:
        mine = store.watches.follow(1, 10, parse_watch("CAR-T in lupus"), immediate=False,
                                    now=NOW)
        store.watches.follow(1, 11, parse_watch("VRD-201"), immediate=True, now=NOW)
        store.watches.follow(2, 10, parse_watch("VRD-201"), immediate=False, now=NOW)
        again = store.watches.follow(1, 10, parse_watch("car-t in LUPUS"), immediate=True,
                                     now=NOW)
        assert again.id == mine.id and again.immediate
    with Store.open(settings, vectors=False) as store:
        topics = store.watches.of_user(1, 10)
        assert [(w.topic, w.immediate) for w in topics] == [("CAR-T in lupus", True)]
        assert topics[0].query == parse_watch("CAR-T in lupus")
        assert topics[0].created == NOW
        assert [w.topic for w in store.watches.of_user(2, 10)] == ["VRD-201"]
        assert len(store.watches.all()) == 3


def test_only_the_owner_can_unfollow(settings: Settings) -> None:
    with Store.open(settings, vectors=False) as store:
        watch = store.watches.follow(1, 10, parse_watch("KAIROS-1"), immediate=False, now=NOW)
        assert store.watches.unfollow(1, 11, watch.id) is None
        assert store.watches.unfollow(2, 10, watch.id) is None
        assert store.watches.unfollow(1, 10, watch.id) == watch
        assert store.watches.of_user(1, 10) == []
        assert store.watches.unfollow(1, 10, watch.id) is None


def test_an_alert_is_recorded_once_per_person_and_story(settings: Settings) -> None:
    with Store.open(settings, vectors=False) as store:
        first = SentAlert(1, 10, "story:a", 7, NOW, "dm")
        assert store.watches.record_alert(first)
        assert not store.watches.record_alert(SentAlert(1, 10, "story:a", 8, NOW, "channel"))
        assert store.watches.record_alert(SentAlert(1, 11, "story:a", 9, NOW, "channel"))
        assert store.watches.record_alert(SentAlert(1, 10, "story:b", 7,
                                                    NOW - timedelta(days=1), "dm"))
        assert store.watches.sent_keys() == {(1, 10, "story:a"), (1, 11, "story:a"),
                                             (1, 10, "story:b")}
        assert [a.item_key for a in store.watches.sent(since=NOW)] == ["story:a", "story:a"]
        assert store.watches.sent_since(NOW) == {(1, 10): 1, (1, 11): 1}
        assert store.watches.sent(since=NOW)[0] == first


def test_guild_settings_default_on_and_the_check_mark_moves(settings: Settings) -> None:
    with Store.open(settings, vectors=False) as store:
        assert store.watches.settings(5) == AlertSettings(5, True, None, True, False, None)
        store.watches.set_settings(AlertSettings(5, enabled=False, channel_id=99,
                                                 prefer_dm=False, in_thread=True, thread_id=7))
        assert store.watches.settings(5) == AlertSettings(5, False, 99, False, True, 7)
        assert store.watches.guilds_off() == {5}
        assert store.watches.checked_through() is None
        store.watches.mark_checked(NOW)
        assert store.watches.checked_through() == NOW
