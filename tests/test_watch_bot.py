"""Watchlists through the real discord.py client against the fake Discord: /follow, an
ingestion run that stores a matching story, and the alert — by DM, or as a mention in the
alert channel when the DM is refused; the daily cap; /unfollow with autocomplete."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path

import pytest

from bot.client import utc_now
from bot.cogs.watch import WatchCog
from newsbot.watch_check import new_items
from tests.discord_fake import ALICE, BOB, DIGEST_ID, GENERAL_ID, FakeDiscord
from tests.feed_server import FeedServer, Route
from tests.test_bot_support import all_text, fake, open_library, running, sample_template

pytestmark = [pytest.mark.asyncio, pytest.mark.timeout(60)]
__all__ = ["fake", "sample_template"]
EPHEMERAL = 64
STORIES = {
    "remission": ("Quorvane's QX-77 CAR-T puts five lupus patients into drug-free remission",
                  "Quorvane Bio said its CD19 CAR-T QX-77 put five of six patients with "
                  "refractory systemic lupus erythematosus into drug-free remission at 12 "
                  "months in a phase 1 trial; no severe cytokine release syndrome was seen."),
    "orphan": ("Regulator grants orphan status to QX-77 for lupus nephritis",
               "The medicines agency granted orphan designation to QX-77, an autologous CAR-T "
               "therapy for lupus nephritis, citing kidney outcomes and unmet need."),
    "deal": ("Quorvane signs QX-77 manufacturing deal with a contract maker",
             "Quorvane Bio agreed a manufacturing contract for its lupus CAR-T QX-77 with a "
             "contract development organisation, with an upfront payment of $40 million."),
    "other": ("FcRn blocker ortivamab eases myasthenia gravis in phase 2",
              "Ortivamab, an FcRn blocker, lowered MG-ADL scores in generalized myasthenia "
              "gravis patients in a phase 2 trial, its maker said."),
}


def rss(keys: list[str]) -> bytes:
    now = format_datetime(datetime.now(UTC), usegmt=True)
    items = "".join(
        f"<item><title>{STORIES[k][0]}</title><link>https://news.example/{k}</link>"
        f"<guid>{k}</guid><pubDate>{now}</pubDate><description>{STORIES[k][1]} "
        f"{STORIES[k][1]}</description></item>" for k in keys)
    return (f'<?xml version="1.0"?><rss version="2.0"><channel><title>Cell News</title>'
            f"<link>https://news.example/</link><description>x</description>{items}"
            "</channel></rss>").encode()


@pytest.fixture
def news(tmp_path: Path, sample_template: Path):  # type: ignore[no-untyped-def]
    with FeedServer() as server:
        library = open_library(tmp_path, sample_template, watch={"daily_cap": 5})
        server.add("/feed.xml", Route(body=rss([])))
        library.store.feeds.add(server.url("/feed.xml"), "Cell News", "test")
        yield library, server
        library.close()


def publish(server: FeedServer, keys: list[str]) -> None:
    server.add("/feed.xml", Route(body=rss(keys)))


async def ephemeral(fake: FakeDiscord, command: str, options: dict, user=BOB) -> str:  # type: ignore[no-untyped-def]
    ix = await fake.send_interaction(command, options, user=user)
    answer = await ix.wait_answer(timeout=10)
    assert answer["flags"] & EPHEMERAL, answer
    return all_text(answer)


def dms_to(fake: FakeDiscord, user) -> list[dict]:  # type: ignore[no-untyped-def]
    cid = next((c for c, u in fake.dm_channels.items() if u.id == user.id), None)
    return fake.bot_messages(cid) if cid is not None else []


async def test_follow_then_a_matching_story_arrives_by_dm_once(fake: FakeDiscord, news) -> None:  # type: ignore[no-untyped-def]
    library, server = news
    async with running(fake, library, clock=utc_now) as bot:
        text = await ephemeral(fake, "follow", {"topic": "QX-77"})
        assert "will match: QX-77" in text
        text = await ephemeral(fake, "follow", {"topic": "   "})
        assert "topic" in text.lower() and "\n" not in text.strip()
        publish(server, ["remission", "other"])
        await bot.ingest.run()
        (dm,) = dms_to(fake, BOB)
        (embed,) = dm["embeds"]
        assert STORIES["remission"][0] in embed["title"]
        assert embed["url"] == "https://news.example/remission"
        assert "QX-77" in embed["description"] and "Cell News" in embed["description"]
        assert fake.payload_of(dm)["allowed_mentions"] == {"parse": []}
        assert dms_to(fake, ALICE) == []
        await bot.ingest.run()  # nothing new: the story is not told twice
        cog = bot.get_cog("WatchCog")
        assert isinstance(cog, WatchCog) and await cog.deliver(utc_now()) == []
        assert len(dms_to(fake, BOB)) == 1
        assert fake.bot_messages(GENERAL_ID) == []


async def test_a_refused_dm_becomes_a_mention_in_the_alert_channel(
        fake: FakeDiscord, news) -> None:  # type: ignore[no-untyped-def]
    library, server = news
    async with running(fake, library, clock=utc_now) as bot:
        text = await ephemeral(fake, "watch-settings", {"channel": DIGEST_ID}, user=ALICE)
        assert f"<#{DIGEST_ID}>" in text and "DM first" in text
        with pytest.raises(PermissionError):  # Discord offers it to moderators only
            await fake.send_interaction("watch-settings", {"alerts": False}, user=BOB)
        await ephemeral(fake, "follow", {"topic": "CAR-T in lupus nephritis"})
        fake.refuse_dms(BOB)
        publish(server, ["orphan"])
        await bot.ingest.run()
        assert dms_to(fake, BOB) == []
        (mention,) = fake.bot_messages(DIGEST_ID)
        assert mention["content"] == f"<@{BOB.id}>"
        assert STORIES["orphan"][0] in mention["embeds"][0]["title"]
        assert fake.payload_of(mention)["allowed_mentions"]["users"] == [BOB.id]
        assert library.store.watches.sent()[0].via == "channel"


async def test_daily_cap_and_guild_off_switch(fake: FakeDiscord, tmp_path: Path,
                                              sample_template: Path) -> None:
    with FeedServer() as server:
        library = open_library(tmp_path, sample_template, watch={"daily_cap": 1})
        try:
            server.add("/feed.xml", Route(body=rss([])))
            library.store.feeds.add(server.url("/feed.xml"), "Cell News", "test")
            async with running(fake, library, clock=utc_now) as bot:
                await ephemeral(fake, "follow", {"topic": "QX-77"}, user=BOB)
                await ephemeral(fake, "follow", {"topic": "QX-77"}, user=ALICE)
                await ephemeral(fake, "watch-settings", {"alerts": False}, user=ALICE)
                publish(server, ["remission"])
                await bot.ingest.run()
                assert dms_to(fake, BOB) == [] and dms_to(fake, ALICE) == []  # guild off
                await ephemeral(fake, "watch-settings", {"alerts": True}, user=ALICE)
                before = utc_now() - timedelta(seconds=1)
                publish(server, ["remission", "orphan", "deal"])
                await bot.ingest.run()
                fresh = [i for i in new_items(library, before, utc_now())
                         if "QX-77" in i.title]
                assert len(fresh) >= 2  # new matching stories…
                assert len(dms_to(fake, BOB)) == 1 and len(dms_to(fake, ALICE)) == 1  # …cap 1
        finally:
            library.close()


async def test_following_and_unfollow_with_autocomplete(fake: FakeDiscord, news) -> None:  # type: ignore[no-untyped-def]
    library, server = news
    async with running(fake, library, clock=utc_now) as bot:
        await ephemeral(fake, "follow", {"topic": "QX-77", "immediate": True})
        await ephemeral(fake, "follow", {"topic": "CAR-T in myasthenia gravis"})
        text = await ephemeral(fake, "following", {})
        assert "QX-77" in text and "immediate" in text and "Myasthenia gravis" in text
        assert "no topics" in (await ephemeral(fake, "following", {}, user=ALICE))
        ix = await fake.send_autocomplete("unfollow", {"topic": "qx"}, focused="topic",
                                          user=BOB)
        (choice,) = await ix.wait_choices()
        assert choice["name"].endswith("QX-77")
        assert "don't follow" in await ephemeral(fake, "unfollow", {"topic": choice["value"]},
                                                 user=ALICE)
        text = await ephemeral(fake, "unfollow", {"topic": choice["value"]})
        assert "No longer following **QX-77**" in text
        publish(server, ["remission"])
        await bot.ingest.run()
        assert dms_to(fake, BOB) == []



async def test_moderators_can_send_alerts_to_a_thread_under_the_channel(
        fake: FakeDiscord, news) -> None:  # type: ignore[no-untyped-def]
    library, server = news
    async with running(fake, library, clock=utc_now) as bot:
        text = await ephemeral(fake, "watch-settings", {
            "channel": DIGEST_ID, "delivery": "channel", "post_as": "thread"}, user=ALICE)
        assert "'Watch alerts' thread" in text and "DM first" not in text
        await ephemeral(fake, "follow", {"topic": "QX-77"})
        publish(server, ["remission"])
        await bot.ingest.run()
        publish(server, ["remission", "orphan", "deal"])
        await bot.ingest.run()
    assert dms_to(fake, BOB) == [] and fake.bot_messages(DIGEST_ID) == []
    (thread,) = [t for t in fake.threads.values() if int(t["parent_id"]) == DIGEST_ID]
    assert thread["name"] == "Watch alerts"
    posts = fake.bot_messages(int(thread["id"]))
    assert len(posts) >= 2 and all(p["content"] == f"<@{BOB.id}>" for p in posts)
    assert STORIES["remission"][0] in posts[0]["embeds"][0]["title"]
    assert {a.via for a in library.store.watches.sent()} == {"thread"}
