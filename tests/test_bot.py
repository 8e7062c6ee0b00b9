"""The bot end to end: the real discord.py client against tests/discord_fake/.

Each test copies the ingested sample data (see tests/test_bot_support.py), starts the fake
Discord and the bot, injects interactions or messages, and asserts on what reached the wire.
"""

from __future__ import annotations

import asyncio
import re
from pathlib import Path

import discord
import pytest

from bot.answer_view import DOWN_ID, MORE_ID, REPORT_ID, SOURCES_ID, UP_ID
from newsbot.library import Library
from newsbot.models import SECTION_TITLES
from tests.conftest import sample_urls
from tests.discord_fake import ALICE, BOB, DIGEST_ID, GENERAL_ID, GUILD_ID, FakeDiscord, Member
from tests.feed_server import FeedServer
from tests.test_bot_support import (
    CITATION,
    LINK,
    SlowEmbedder,
    all_text,
    bot_library,
    button,
    button_ids,
    embed_total,
    fake,
    open_library,
    running,
    sample_template,
)

pytestmark = [pytest.mark.asyncio, pytest.mark.timeout(60)]
__all__ = ["fake", "bot_library", "sample_template"]  # fixtures used by name
EPHEMERAL = 64
QUESTION = "What did the LUMEN-2 trial show?"


def assert_no_pings(fake: FakeDiscord) -> None:
    """Every message body the bot sent carried allowed_mentions {"parse": []} (replies add
    "replied_user": False) and so can ping no one."""
    bodies = []
    for request in fake.requests:
        body = request.json if isinstance(request.json, dict) else {}
        if request.path.endswith("/callback"):
            body = body.get("data") or {}
        if request.method in ("POST", "PATCH") and ("content" in body or "embeds" in body):
            bodies.append(body)
    assert bodies
    quiet = ({"parse": []}, {"parse": [], "replied_user": False})
    assert all(b.get("allowed_mentions") in quiet for b in bodies), bodies


async def ephemeral_text(fake: FakeDiscord, command: str, options: dict | None = None,
                         user: Member = ALICE) -> str:
    ix = await fake.send_interaction(command, options or {}, user=user)
    answer = await ix.wait_answer(timeout=10)
    assert answer["flags"] & EPHEMERAL, answer
    return all_text(answer)


async def test_ask_round_trip(fake: FakeDiscord, bot_library: Library) -> None:
    async with running(fake, bot_library):
        ix = await fake.send_interaction("ask", {"question": QUESTION}, user=BOB)
        answer = await ix.wait_answer(timeout=10)
        more = await fake.click(answer, button(answer, MORE_ID), user=BOB)
        full = await more.wait_answer()
    assert ix.response == {"type": 5}  # deferred at once
    assert ix.followups and ix.followups[0]["id"] == ix.original["id"]
    (embed,) = answer["embeds"]  # one embed per answer, the rest behind Show more
    assert embed_total(embed) <= 1600
    assert embed["title"] == f"Q: {QUESTION}"
    assert "**What's happening**" in embed["description"]
    assert "press **Show more**" in embed["description"]
    assert button_ids(answer) == [SOURCES_ID, UP_ID, DOWN_ID, REPORT_ID, MORE_ID]
    sources = "\n".join(f["value"] for f in embed["fields"] if f["name"].startswith("Sources"))
    assert embed["fields"][0]["name"] == "Sources"
    cited = {int(n) for n in CITATION.findall(embed["description"])}
    listed = {int(n) for n in re.findall(r"^\[(\d+)\]", sources, re.M)}
    assert cited and cited == listed  # the sources of what is shown
    links = LINK.findall(sources)
    assert any("LUMEN-2" in title for title, _ in links)
    assert all(url.startswith("https://") for _, url in links)
    assert "Immune Frontier News, 10 Nov 2026" in sources
    assert embed["footer"]["text"].startswith("News summary, not medical advice")
    assert fake.payload_of(answer)["allowed_mentions"] == {"parse": []}
    # Show more: the whole answer, privately
    assert full["flags"] & EPHEMERAL
    for title in SECTION_TITLES.values():
        assert f"**{title}**" in all_text(full)
    assert_no_pings(fake)


async def test_ask_not_found_says_so_and_suggests(fake: FakeDiscord,
                                                  bot_library: Library) -> None:
    async with running(fake, bot_library):
        ix = await fake.send_interaction("ask", {"question": "Any news on Zorblatt therapy?"})
        text = all_text(await ix.wait_answer(timeout=10))
    assert "I found no coverage of “Zorblatt”" in text
    assert "The news I follow covers, for example: Lupus (SLE)" in text
    assert "News summary, not medical advice" in text


async def test_ask_advice_pointer_and_disease_option(fake: FakeDiscord,
                                                     bot_library: Library) -> None:
    question = "Should I stop my medication for CAR-T?"
    async with running(fake, bot_library):
        ix = await fake.send_interaction("ask", {"question": question, "disease": "lupus"})
        text = all_text(await ix.wait_answer(timeout=10))
    assert "⚠️ I can't give personal medical advice" in text


async def test_the_disease_option_suggests_as_one_types_and_refuses_an_unknown_one(
        fake: FakeDiscord, bot_library: Library) -> None:
    async with running(fake, bot_library):
        auto = await fake.send_autocomplete("ask", {"question": "news?", "disease": "thyro"},
                                            focused="disease")
        offered = [c["value"] for c in await auto.wait_choices()]
        latest = await fake.send_autocomplete("latest", {"disease": "lup"}, focused="disease")
        lupus = [c["value"] for c in await latest.wait_choices()]
        typed = await fake.send_interaction("ask", {"question": "Any news?", "disease": "MS"})
        answered = all_text(await typed.wait_answer(timeout=10))
        unknown = await ephemeral_text(fake, "ask", {"question": "Any news?",
                                                     "disease": "Zorblatt's"})
    assert offered == ["thyroid", "hashimoto"]
    assert "lupus" in lupus
    assert "multiple sclerosis" in answered.lower()
    assert "I don't follow a disease called “Zorblatt's”" in unknown


async def test_too_long_question_is_refused_privately(fake: FakeDiscord,
                                                      bot_library: Library) -> None:
    async with running(fake, bot_library):
        text = await ephemeral_text(fake, "ask", {"question": "why " * 400})
    assert "please keep it under 1,000" in text


async def test_mention_opens_thread_and_follow_up_uses_its_history(
    fake: FakeDiscord, bot_library: Library
) -> None:
    async with running(fake, bot_library):
        asked = await fake.send_message(GENERAL_ID, ALICE, f"{fake.bot_mention} CAR-T for lupus")
        thread = await fake.wait_for_thread(parent_id=GENERAL_ID)
        tid = int(thread["id"])
        first = await fake.wait_for_message(lambda m: m["embeds"], channel_id=tid, timeout=10)
        follow = await fake.send_message(tid, ALICE, "what about for MS?")
        second = await fake.wait_for_message(channel_id=tid, after=int(follow["id"]), timeout=10)
        # the same follow-up without a thread, for comparison
        ix = await fake.send_interaction("ask", {"question": "what about for MS?"})
        alone = await ix.wait_answer(timeout=10)
    assert thread["id"] == asked["id"] and thread["name"] == "Q: CAR-T for lupus"
    assert "lupus" in all_text(first).lower()
    assert fake.requests_to("GET", rf"/channels/{tid}/messages")  # the history was read

    def sources(message: dict) -> list[str]:
        return [title for f in message["embeds"][0]["fields"]
                for title, _ in LINK.findall(f["value"])]

    # With the thread's history the earlier topic (CAR-T) carries over to MS: the MS CAR-T
    # report is among the answer's first sources (the test embedder ties it with another
    # MS report), and the same words asked alone are answered differently.
    assert any("multiple sclerosis receive CD19 CAR-T" in t for t in sources(second)[:3])
    assert sources(alone) != sources(second)
    assert_no_pings(fake)


async def test_bare_mention_gets_a_hint_and_no_thread(fake: FakeDiscord,
                                                      bot_library: Library) -> None:
    async with running(fake, bot_library):
        asked = await fake.send_message(GENERAL_ID, BOB, f"{fake.bot_mention}  ")
        reply = await fake.wait_for_message(channel_id=GENERAL_ID, after=int(asked["id"]))
    assert reply["content"].startswith("Please ask a question")
    assert str(reply["message_reference"]["message_id"]) == asked["id"]
    assert fake.threads == {}
    assert fake.payload_of(reply)["allowed_mentions"] == {"parse": [], "replied_user": False}


async def test_reingest_refused_for_non_moderators(fake: FakeDiscord,
                                                   bot_library: Library) -> None:
    runs = bot_library.store.sqlite.execute("SELECT COUNT(*) FROM runs").fetchone()[0]
    async with running(fake, bot_library) as bot:
        with pytest.raises(PermissionError):  # default_member_permissions: not offered to bob
            await fake.send_interaction("reingest", user=BOB)
        fake.overrides |= {"reingest", "feeds"}  # an admin opened them: the bot still checks
        text = await ephemeral_text(fake, "reingest", user=BOB)
        assert not bot.ingest.busy
        feeds = await ephemeral_text(fake, "feeds list", user=BOB)
    assert "moderators only" in text and "moderators only" in feeds
    assert bot_library.store.sqlite.execute("SELECT COUNT(*) FROM runs").fetchone()[0] == runs


async def test_reingest_reports_progress_and_refuses_a_second_run(
    fake: FakeDiscord, tmp_path: Path, sample_server: FeedServer
) -> None:
    library = open_library(tmp_path, fetch_article_pages=False)
    library.embedder = SlowEmbedder(0.05)
    for url in sample_urls(sample_server):
        library.store.feeds.add(url, "", "test")
    try:
        async with running(fake, library) as bot:
            ix = await fake.send_interaction("reingest", user=ALICE)
            await fake.wait_until(lambda: ix.edits, what="a progress edit")
            assert bot.ingest.busy
            second = await ephemeral_text(fake, "reingest", user=ALICE)
            await fake.wait_until(
                lambda: any("finished" in (e.get("content") or "") for e in ix.edits),
                timeout=20, what="the final report")
    finally:
        library.close()
    assert "already in progress" in second
    assert ix.response == {"type": 5}
    patches = fake.requests_to("PATCH", rf"/webhooks/\d+/{ix.token}/messages/@original")
    assert len(patches) >= 3
    contents = [e["content"] for e in ix.edits]
    assert contents[0].startswith("Ingesting feeds… 0/7 read")
    assert contents[-1].startswith("Ingestion finished (") and "28 new" in contents[-1]
    assert all(e.get("allowed_mentions") == {"parse": []} for e in ix.edits)


async def test_ingest_runner_survives_a_failing_progress_report(library: Library) -> None:
    from bot.ingest_runner import IngestRunner
    from newsbot.errors import IngestBusy

    runner = IngestRunner(library, interval=0.0)
    calls: list[tuple[int, int]] = []

    async def broken(done: int, total: int, current: str) -> None:
        calls.append((done, total))
        raise discord.HTTPException.__new__(discord.HTTPException)

    first = asyncio.create_task(runner.run(on_progress=broken))
    await asyncio.sleep(0)
    assert runner.busy
    with pytest.raises(IngestBusy):
        await runner.run()
    report = await first
    assert report.status == "ok" and not runner.busy
    assert calls == [(0, 0)]  # the report was attempted, failed, and the run went on
    await runner.idle()


async def test_ask_cooldown_with_guild_override(fake: FakeDiscord,
                                                bot_library: Library) -> None:
    async with running(fake, bot_library):
        settings = await ephemeral_text(fake, "bot-settings", {"ask_cooldown": 60.0})
        first = await fake.send_interaction("ask", {"question": QUESTION}, user=BOB)
        await first.wait_answer(timeout=10)
        refused = await ephemeral_text(fake, "ask", {"question": QUESTION}, user=BOB)
        other = await fake.send_interaction("ask", {"question": QUESTION}, user=ALICE)
        await other.wait_answer(timeout=10)
    assert "/ask cooldown: 60 s" in settings
    assert "you can ask again in 6" in refused  # 59-60 s
    assert other.response == {"type": 5}  # the cooldown is per user
    assert bot_library.store.guilds.settings(GUILD_ID).ask_cooldown == 60.0


async def test_long_answer_is_one_embed_and_show_more_splits_within_limits(
    fake: FakeDiscord, tmp_path: Path, sample_template: Path
) -> None:
    library = open_library(tmp_path, sample_template, answer_sources=40, section_sentences=40,
                           retrieval_candidates=80, max_chunks_per_story=6)
    try:
        async with running(fake, library):
            ix = await fake.send_interaction("ask", {"question": "CAR-T for lupus"})
            answer = await ix.wait_answer(timeout=10)
            await asyncio.sleep(0.3)  # nothing else may follow
            more = await fake.click(answer, button(answer, MORE_ID))
            await more.wait_answer(timeout=10)
            await asyncio.sleep(0.3)  # let the remaining followups land
    finally:
        library.close()
    assert len(ix.followups) == 1 and len(answer["embeds"]) == 1
    assert embed_total(answer["embeds"][0]) <= 1600
    messages = [more.original, *more.followups]
    assert all(m["flags"] & EPHEMERAL for m in messages)
    embeds = [e for m in messages for e in m["embeds"]]
    assert len(messages) >= 2 and len(embeds) >= 3
    for message in messages:
        assert len(message["embeds"]) <= 10
        assert sum(embed_total(e) for e in message["embeds"]) <= 6000
    pieces = [e.get("description") or "" for e in embeds]
    pieces += [f["value"] for e in embeds for f in e.get("fields") or []]
    for piece in pieces:  # no link or citation cut in half at a boundary
        rest = LINK.sub("", CITATION.sub("", piece)).replace("\\[", "").replace("\\]", "")
        assert "[" not in rest and "]" not in rest, piece[:200]
    text = "\n".join(all_text(m) for m in messages)
    cited = {int(n) for n in CITATION.findall(text)}
    listed = {int(n) for n in re.findall(r"^\[(\d+)\] ", text, re.M)}
    assert len(listed) >= 10 and cited == listed
    assert embeds[-1]["footer"]["text"].startswith("News summary, not medical advice")


NASTY_FEED = """<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0"><channel><title>@everyone Lupus &amp; CAR-T **Wire**</title>
<link>http://127.0.0.1/</link><description>x</description>
<item><title>@everyone &lt;@&amp;123&gt; CAR-T [clears](https://evil.example) lupus ||now||</title>
<link>https://wire.example/a</link><guid>nasty-1</guid>
<pubDate>Tue, 24 Nov 2026 10:00:00 GMT</pubDate>
<description>In a phase 2 trial, CD19 CAR-T therapy put patients with lupus into remission.
Lupus nephritis improved in most patients with systemic lupus erythematosus after CAR-T cell
therapy, the investigators said. The CAR-T trial will expand to more lupus centres next year,
and researchers will follow patients for fifteen years to look for late effects of CAR-T.
</description></item></channel></rss>"""


async def test_feed_text_cannot_ping_or_inject(fake: FakeDiscord, tmp_path: Path,
                                               feed_server: FeedServer) -> None:
    from ingest.pipeline import run_ingest, sources_from_args
    from tests.feed_server import Route

    url = feed_server.add("/nasty.xml", Route(body=NASTY_FEED.encode()))
    library = open_library(tmp_path, fetch_article_pages=False)
    try:
        report = await asyncio.to_thread(run_ingest, library, sources_from_args([url]))
        assert report.total("new") == 1
        async with running(fake, library):
            ix = await fake.send_interaction("latest", {})
            text = all_text(await ix.wait_answer(timeout=10))
    finally:
        library.close()
    assert "@\u200beveryone" in text and "<@\u200b&123>" in text
    assert "@everyone" not in text and "<@&123>" not in text
    assert "\\[clears\\](https://evil.example)" in text  # shown, not a link
    assert "\\|\\|now\\|\\|" in text
    assert_no_pings(fake)


async def test_bot_survives_disconnect_and_resume(fake: FakeDiscord,
                                                  bot_library: Library) -> None:
    async with running(fake, bot_library) as bot:
        resumed = asyncio.ensure_future(bot.wait_for("resumed", timeout=5))
        await fake.disconnect(code=4000)
        await resumed
        ix = await fake.send_interaction("ask", {"question": QUESTION})
        answer = await ix.wait_answer(timeout=10)
    assert len(fake.identifies) == 1 and len(fake.resumes) == 1
    assert "LUMEN-2" in all_text(answer)


async def test_feeds_add_with_invalid_url_is_a_clear_error(fake: FakeDiscord,
                                                           bot_library: Library) -> None:
    async with running(fake, bot_library):
        text = await ephemeral_text(fake, "feeds add", {"url": "ftp://example.org/feed"})
    assert text == "Feeds must be http:// or https:// URLs, not 'ftp://example.org/feed'."


async def test_feeds_add_list_remove_by_a_moderator(fake: FakeDiscord, tmp_path: Path,
                                                    sample_server: FeedServer) -> None:
    library = open_library(tmp_path)
    url = sample_urls(sample_server)[0]
    try:
        async with running(fake, library):
            added = await ephemeral_text(fake, "feeds add", {"url": url})
            fetched = len(sample_server.requests)
            again = await ephemeral_text(fake, "feeds add", {  # another spelling of it
                "url": url.replace("http://", "HTTP://", 1) + "?utm_source=x"})
            assert len(sample_server.requests) == fetched, "already followed: no fetch"
            listed = await ephemeral_text(fake, "feeds list")
            auto = await fake.send_autocomplete("feeds remove", {"url": "bio"}, focused="url")
            choices = await auto.wait_choices()
            removed = await ephemeral_text(fake, "feeds remove", {"url": choices[0]["value"]})
            missing = await ephemeral_text(fake, "feeds remove", {"url": "https://nope.example"})
        assert library.store.feeds.list() == []
    finally:
        library.close()
    assert added.startswith("Now following **BioWire Daily**") and url in added
    assert again.startswith("I already follow")
    assert "1 feed(s) followed; 0 failing." in listed and url in listed
    assert [c["value"] for c in choices] == [url]
    assert removed.startswith("Stopped following BioWire Daily")
    assert "I don't follow" in missing


async def test_digest_subscription_survives_a_restart(fake: FakeDiscord, tmp_path: Path,
                                                      sample_template: Path) -> None:
    library = open_library(tmp_path, sample_template)
    try:
        async with running(fake, library):
            auto = await fake.send_autocomplete(
                "digest-subscribe", {"channel": DIGEST_ID, "time": "08:00", "timezone": "paris"},
                focused="timezone")
            zones = [c["value"] for c in await auto.wait_choices()]
            text = await ephemeral_text(fake, "digest-subscribe", {
                "channel": DIGEST_ID, "time": "08:00", "timezone": "Europe/Paris"})
            bad = await ephemeral_text(fake, "digest-subscribe", {
                "channel": DIGEST_ID, "time": "8 am", "timezone": "Europe/Paris"})
    finally:
        library.close()
    assert zones == ["Europe/Paris"]
    assert text.startswith(f"The daily digest will be posted in <#{DIGEST_ID}> at 08:00")
    assert "⚠️" not in text  # the bot may post embeds there
    assert "not a time of day" in bad
    second = open_library(tmp_path)  # a new process would do the same: reopen the data dir
    try:
        async with running(fake, second):
            ix = await fake.send_interaction("status", {})
            status = all_text(await ix.wait_answer(timeout=10))
            gone = await ephemeral_text(fake, "digest-unsubscribe", {"channel": DIGEST_ID})
        assert second.store.guilds.subscriptions() == []
    finally:
        second.close()
    assert f"<#{DIGEST_ID}> at 08:00 Europe/Paris — ok, not yet" in status
    assert gone == f"No more daily digests in <#{DIGEST_ID}>."


async def test_status_and_sources(fake: FakeDiscord, bot_library: Library) -> None:
    counts = bot_library.store.articles.counts()
    async with running(fake, bot_library):
        ix = await fake.send_interaction("status", {}, user=BOB)
        status = all_text(await ix.wait_answer(timeout=10))
        ix = await fake.send_interaction("sources", {}, user=BOB)
        sources = all_text(await ix.wait_answer(timeout=10))
    assert f"{counts['articles']} articles in {counts['stories']} stories" in status
    assert "extractive (no LLM)" in status and "newsbot 0." in status
    assert "Last ingest\n" in status and "(ok: 28 new, 0 updated" in status
    assert "7 feed(s) followed; 0 failing." in sources
    assert "biowire\\_daily.xml" in sources and "last success" in sources
    assert_no_pings(fake)


async def test_moderator_role_from_settings(tmp_path, sample_template: Path) -> None:
    from tests.discord_fake import Guild, Member, Role, default_guild

    guild: Guild = default_guild()
    helpers = Role(1_300_000_000_000_000_050, "helpers")
    carol = Member(1_300_000_000_000_000_012, "carol", roles=(helpers.id,))
    guild.roles.append(helpers)
    guild.members.append(carol)
    library = open_library(tmp_path, sample_template, moderator_role="helpers")
    try:
        async with FakeDiscord([guild]) as server, running(server, library):
            server.overrides.add("feeds")  # Integrations: /feeds allowed for everyone
            allowed = await ephemeral_text(server, "feeds list", user=carol)
            refused = await ephemeral_text(server, "feeds list", user=BOB)
        assert server.unhandled == []
    finally:
        library.close()
    assert "feed(s) followed" in allowed and "moderators only" in refused
