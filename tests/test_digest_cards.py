"""The digest's Discord messages stay within Discord's limits by construction, whatever the
feeds put in titles, outlet names, URLs and sentences."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.digest_cards import (
    BUTTON_LABEL,
    compact_card,
    story_detail,
)
from bot.digest_post import details_view
from bot.embeds import DESCRIPTION_LIMIT, EMBED_TOTAL_LIMIT, FIELD_VALUE_LIMIT, build
from newsbot.digest import Digest, DigestStory
from newsbot.models import SECTION_KEYS, ArticleRecord, Source, Statement

NOW = datetime(2026, 11, 27, 9, tzinfo=UTC)


def article(n: int, size: int) -> ArticleRecord:
    return ArticleRecord(f"id{n}", f"g{n}", f"https://x.example/{'p' * size}/{n}",
                         f"Headline {n} " + "word " * size, "Outlet " + "O" * size, "f", NOW,
                         NOW, "Some text. " * size, "", True, 1.0, "")


def story(n: int, size: int, outlets: int) -> DigestStory:
    members = [article(n * 100 + i, size) for i in range(outlets)]
    sources = [Source(i + 1, a.id, a.guid, a.url, a.title, a.source, a.published,
                      ("Copy " + "C" * size,)) for i, a in enumerate(members)]
    sections = {k: [Statement("A statement. " * (size // 4 + 1), (1, 2)) for _ in range(3)]
                for k in SECTION_KEYS}
    return DigestStory(f"s{n}", members[0].title, members, [a.source for a in members], 1.0,
                       sections=sections, sources=sources)


def digest(stories: int, size: int, outlets: int) -> Digest:
    made = [story(n, size, outlets) for n in range(stories)]
    return Digest(NOW - timedelta(days=1), NOW, stories * outlets, ["O"], made[:5], made[5:],
                  backlog=41)


def total(embed) -> int:  # noqa: ANN001
    return len(embed)


def test_compact_digest_is_one_embed_within_limits_whatever_the_sizes() -> None:
    for stories, size, outlets in [(3, 5, 2), (40, 60, 4), (200, 400, 12)]:
        card = compact_card(digest(stories, size, outlets))
        (embed,) = build(card)  # one embed: one message
        assert len(embed.description or "") <= DESCRIPTION_LIMIT
        assert total(embed) <= EMBED_TOTAL_LIMIT
        assert "Catching up: 41 older stories — /latest to browse" in embed.description
    small = compact_card(digest(3, 5, 2)).description
    assert "**1. Headline 0" in small and "more — /latest" not in small
    big = compact_card(digest(200, 400, 12)).description
    assert "more — /latest to browse" in big


def test_story_detail_is_one_embed_within_limits() -> None:
    for size, outlets in [(5, 2), (80, 8), (400, 30)]:
        embed, view = story_detail(1, story(1, size, outlets))
        assert view is None
        assert len(embed.title or "") <= 256 and len(embed.description or "") <= 4096
        assert all(len(f.value or "") <= FIELD_VALUE_LIMIT for f in embed.fields)
        assert len(embed.fields) <= 2 and total(embed) <= EMBED_TOTAL_LIMIT


def test_empty_sections_are_left_out_of_a_detail() -> None:
    s = story(1, 5, 2)
    s.sections = {"whats_happening": [Statement("It happened today in the trial.", (1,))],
                  "why_it_matters": [], "whats_next": [], "beyond_the_headlines": []}
    embed, _ = story_detail(1, s)
    assert "**What's happening**" in embed.description
    assert "Why it matters" not in embed.description and "No supporting" not in embed.description


def test_buttons_fit_discord() -> None:
    view = details_view(digest(40, 400, 2))
    assert view is not None and len(view.children) == 5
    assert all(len(b.item.label) <= BUTTON_LABEL and len(b.item.custom_id) <= 100
               for b in view.children)


def test_trial_updates_have_their_own_field_even_on_a_quiet_day() -> None:
    from newsbot.trials import TrialUpdate

    update = TrialUpdate("NCT06123456", "LUMEN-2", "Lumora LUM-101 in lupus nephritis",
                         "RECRUITING", "ACTIVE_NOT_RECRUITING", "2026-11", NOW)
    quiet = Digest(NOW - timedelta(days=1), NOW, 0, [], [], [], trial_updates=[update])
    (embed,) = build(compact_card(quiet))
    assert "Nothing new in the news I follow" not in (embed.description or "")  # not empty
    (field,) = [f for f in embed.fields if f.name == "Trial updates"]
    assert field.value == ("[**LUMEN-2 (NCT06123456)**](https://clinicaltrials.gov/study/"
                           "NCT06123456): Recruiting → Active, not recruiting (2026-11)")
