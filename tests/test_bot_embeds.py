"""Unit tests of the bot's pure parts: escaping, safe splitting, embed packing, renderers."""

from __future__ import annotations

import logging
import random
import re
from datetime import UTC, datetime, timedelta

import discord
import pytest
from discord import app_commands

from bot.answer_cards import PREVIEW_CHARS, answer_cards, answer_preview
from bot.cogs.admin import all_timezones, progress_text, timezone_choices
from bot.cogs.feeds import feed_choices, find_feed
from bot.digest_cards import compact_card
from bot.discord_text import escape, safe_url, shorten, split_text, strip_bot_mention
from bot.embeds import (
    DESCRIPTION_LIMIT,
    EMBED_TOTAL_LIMIT,
    FIELD_VALUE_LIMIT,
    Card,
    build,
    build_messages,
    messages,
)
from bot.errors import GENERIC, user_message
from bot.info_cards import latest_card
from bot.permissions import Cooldowns
from newsbot.digest import Digest
from newsbot.errors import QuestionTooLong
from newsbot.feeds import FeedState
from newsbot.models import SECTION_KEYS, Answer, ArticleRecord, Source, Statement
from tests.test_bot_support import CITATION, LINK

NOW = datetime(2026, 11, 27, 9, tzinfo=UTC)


@pytest.mark.parametrize(
    ("raw", "forbidden"),
    [
        ("@everyone look", "@everyone"),
        ("@here look", "@here"),
        ("<@&123> role", "<@&123>"),
        ("<@!42> user", "<@!42>"),
        ("<@123456789012345678> user", "<@123456789012345678>"),
        ("[click](https://evil.example)", "[click](https://evil.example)"),
        ("**bold** and ||spoiler||", "**bold**"),
        ("||spoiler||", "||"),
        ("`code`", "`code`"),
    ],
)
def test_escape_makes_feed_text_inert(raw: str, forbidden: str) -> None:
    assert forbidden not in escape(raw)


def test_escape_breaks_line_start_markup() -> None:
    assert escape("# Big heading") == "\\# Big heading"
    assert escape("> quoted") == "\\> quoted"
    assert escape("- item") == "\\- item"


def test_escape_keeps_plain_text_readable() -> None:
    assert escape("Lumora Bio’s CAR-T (65%) —  trial\nresults") == (
        "Lumora Bio’s CAR-T (65%) — trial results"
    )
    assert escape("a\\[b](c)") == "a\\\\\\[b\\](c)"  # a literal backslash cannot unescape


def test_safe_url() -> None:
    assert safe_url("javascript:alert(1)") is None
    assert safe_url("https://x.example/a (b)") == "https://x.example/a%20%28b%29"
    assert safe_url("https://x.example/" + "a" * 2000) is None


WORDS = ["lupus", "CAR-T", "trial", "patients", "remission", "B-cell", "\\*", "NCT06123456"]


def random_text(rng: random.Random, n: int) -> str:
    tokens = []
    for _ in range(n):
        roll = rng.random()
        if roll < 0.1:
            tokens.append(f"[{rng.randint(1, 40)}]")
        elif roll < 0.15:
            tokens.append(f"[Title {rng.randint(1, 9)}](https://x.example/{rng.randint(1, 999)})")
        elif roll < 0.2:
            tokens.append("\n")
        else:
            tokens.append(rng.choice(WORDS))
    return " ".join(tokens)


@pytest.mark.parametrize("seed", range(20))
def test_split_never_cuts_a_citation_link_or_escape(seed: int) -> None:
    rng = random.Random(seed)
    text = random_text(rng, 400)
    limit = rng.randint(60, 600)
    chunks = split_text(text, limit)
    assert all(0 < len(c) <= limit for c in chunks)
    joined = " ".join(chunks)
    assert len(CITATION.findall(joined)) == len(CITATION.findall(text))
    assert LINK.findall(joined) == LINK.findall(text)
    assert re.sub(r"\s+", "", joined) == re.sub(r"\s+", "", text)
    assert not any(c.endswith("\\") for c in chunks)


def test_split_prefers_line_breaks_and_shorten_adds_an_ellipsis() -> None:
    text = "first line is here\nsecond line goes on and on"
    assert split_text(text, 30) == ["first line is here", "second line goes on and on"]
    assert shorten("one two [12] three", 12) == "one two…"
    assert strip_bot_mention("<@!5> hello <@5>", 5) == "hello"


def test_build_packs_a_huge_card_within_every_limit() -> None:
    card = Card(title="T" * 300, description="word " * 6000,
                fields=[("Sources", "\n".join(f"[{n}] " + "s" * 200 for n in range(60)))],
                footer="News summary, not medical advice.")
    embeds = build(card)
    assert embeds[0].title and len(embeds[0].title) <= 256
    assert all(e.title is None for e in embeds[1:])
    for embed in embeds:
        assert len(embed.description or "") <= DESCRIPTION_LIMIT
        assert all(len(f.value or "") <= FIELD_VALUE_LIMIT for f in embed.fields)
        assert len(embed.fields) <= 25 and len(embed) <= EMBED_TOTAL_LIMIT
    assert [bool(e.footer.text) for e in embeds] == [False] * (len(embeds) - 1) + [True]
    names = [f.name for e in embeds for f in e.fields]
    assert names[0] == "Sources" and set(names[1:]) == {"Sources (cont.)"}
    groups = messages(embeds)
    assert [e for g in groups for e in g] == embeds
    assert all(len(g) <= 10 and sum(map(len, g)) <= EMBED_TOTAL_LIMIT for g in groups)


def test_messages_respect_ten_embeds() -> None:
    embeds = [discord.Embed(description="x") for _ in range(23)]
    assert [len(g) for g in messages(embeds)] == [10, 10, 3]


def source(n: int, title: str = "A title", url: str = "https://x.example/a") -> Source:
    return Source(n, f"id{n}", f"g{n}", url, f"{title} {n}", "Outlet", NOW, ())


def test_answer_with_many_sources_splits_safely() -> None:
    sources = [source(n) for n in range(1, 41)]
    sections = {key: [Statement("A long statement about CAR-T in lupus. " * 8, (n, n + 1))
                      for n in range(1, 40, 2)] for key in SECTION_KEYS}
    groups = build_messages(answer_cards(Answer("q?", True, sections, sources, "extractive")))
    assert len(groups) >= 3
    text = "\n".join(
        "\n".join([e.description or "", *(f.value for f in e.fields)]) for g in groups for e in g
    )
    assert sorted(int(n) for n in re.findall(r"^\[(\d+)\] \[", text, re.M)) == list(range(1, 41))
    for g in groups:
        assert sum(map(len, g)) <= EMBED_TOTAL_LIMIT and len(g) <= 10


def test_answer_preview_is_one_embed_of_at_most_1500_characters() -> None:
    sources = [source(n) for n in range(1, 41)]
    sections = {key: [Statement("A long statement about CAR-T in lupus. " * 8, (n, n + 1))
                      for n in range(1, 40, 2)] for key in SECTION_KEYS}
    answer = Answer("q?", True, sections, sources, "extractive",
                    advice_pointer="Talk to your clinician.")
    card, more = answer_preview(answer)
    (embed,) = build(card)
    assert more and len(embed) <= PREVIEW_CHARS
    assert embed.description.startswith("⚠️ Talk to your clinician.")
    shown = {int(n) for n in re.findall(r"\[(\d+)\]", embed.description)}
    listed = {int(n) for n in re.findall(r"^\[(\d+)\] \[", embed.fields[0].value, re.M)}
    assert shown and shown == listed  # only the sources of what is shown
    assert "more statement(s) and" in embed.description and "**Show more**" in embed.description
    assert embed.footer.text.startswith("News summary, not medical advice")
    short = Answer("q?", True, {k: [Statement("Short.", (1,))] for k in SECTION_KEYS},
                   sources[:1], "extractive")
    card, more = answer_preview(short)
    assert not more and card == answer_cards(short)[0]


def test_answer_not_found_and_advice() -> None:
    answer = Answer("Any news on @everyone?", False, {k: [] for k in SECTION_KEYS}, [],
                    "extractive", notices=["I found no coverage of “@everyone”."],
                    suggestions=["Lupus (SLE) (16 articles)"], advice_pointer="Talk to them.")
    (card,) = answer_cards(answer)
    assert card.title == "Q: Any news on @\u200beveryone?"
    assert card.description.startswith("⚠️ Talk to them.")
    assert "covers, for example: Lupus (SLE) (16 articles)." in card.description
    assert "@everyone" not in card.description


def test_long_source_url_is_shown_unlinked() -> None:
    sources = [source(1, url="https://x.example/" + "a" * 990)]
    sections = {k: [Statement("x", (1,))] for k in SECTION_KEYS}
    (card,) = answer_cards(Answer("q", True, sections, sources, "llm"))
    value = card.fields[0][1]
    assert value.startswith("[1] A title 1 — Outlet") and "](" not in value
    assert card.footer == "News summary, not medical advice · LLM summary"


def article(title: str, url: str) -> ArticleRecord:
    return ArticleRecord("id", "g", url, title, "Wire <@&1>", "f", NOW, NOW, "", "", True, 1.0,
                         "")


def test_latest_card_escapes_and_links() -> None:
    card = latest_card([article("**Big** news", "https://x.example/a")], "Latest")
    assert card.description == (
        "• [\\*\\*Big\\*\\* news](https://x.example/a) — Wire <@\u200b&1>, 27 Nov 2026"
    )


def test_empty_digest_card() -> None:
    digest = Digest(NOW - timedelta(hours=24), NOW, 0, [], [], [])
    card = compact_card(digest)
    assert card.description.startswith("Nothing new in the news I follow (26 Nov 09:00")


def test_cooldowns_are_per_key_and_expire() -> None:
    now = [100.0]
    cooldowns = Cooldowns(clock=lambda: now[0])
    assert cooldowns.hit("a", 20) is None
    assert cooldowns.hit("a", 20) == 20
    assert cooldowns.hit("b", 20) is None
    now[0] += 15
    assert cooldowns.hit("a", 20) == pytest.approx(5)
    now[0] += 5
    assert cooldowns.hit("a", 20) is None
    assert cooldowns.hit("a", 0) is None


def test_timezone_and_feed_choices() -> None:
    zones = all_timezones()
    assert [c.value for c in timezone_choices(zones, "paris")] == ["Europe/Paris"]
    assert timezone_choices(zones, "america/new")[0].value == "America/New_York"
    assert len(timezone_choices(zones, "")) == 25
    long_url = "https://x.example/" + "f" * 150
    feeds = [FeedState(u, n, None, None, None, None, None, 0, 0)
             for u, n in [(long_url, "Long"), ("https://b.example/rss", "")]]
    choices = feed_choices(feeds, "LONG")
    assert [c.value for c in choices] == [long_url[:100]]
    assert find_feed(feeds, choices[0].value) == feeds[0]
    assert find_feed(feeds, "https://") is None  # ambiguous prefix


def test_progress_text() -> None:
    assert progress_text(2, 7, "https://a.example/rss") == (
        "Ingesting feeds… 2/7 read — now reading <https://a.example/rss>"
    )
    assert progress_text(7, 7, "done") == "Ingesting feeds… 7/7 read; finishing up."


def test_user_messages(caplog: pytest.LogCaptureFixture) -> None:
    assert user_message(QuestionTooLong(2000, 1000)).startswith("That question is 2,000")
    wrapped = app_commands.CommandInvokeError.__new__(app_commands.CommandInvokeError)
    wrapped.original = QuestionTooLong(5, 1)
    assert user_message(wrapped).startswith("That question is 5")
    cooldown = app_commands.CommandOnCooldown(app_commands.Cooldown(1, 20), 12.4)
    assert "ask again in 12 s" in user_message(cooldown)
    with caplog.at_level(logging.ERROR):
        assert user_message(RuntimeError("boom")) == GENERIC
    assert "boom" in caplog.text
