"""A digest as embed cards: header, one card per top story, the others as one-line links."""

from __future__ import annotations

import io
from datetime import UTC, datetime, tzinfo

import discord

from bot.embeds import Card
from bot.render import TITLE_CHARS, sections_text, sources_value
from bot.text import escape, link, safe_url, shorten
from newsbot.digest import Digest, DigestStory
from newsbot.models import NOT_ADVICE

HEADER_COLOR = 0x3A506B
CHART_NAME = "articles-per-disease.png"


def _when(moment: datetime, zone: tzinfo) -> str:
    return f"{moment.astimezone(zone):%d %b %H:%M}"


def period_text(d: Digest, zone: tzinfo | None = None) -> str:
    zone = zone or UTC
    name = getattr(zone, "key", None) or str(zone)
    return f"{_when(d.since, zone)} – {_when(d.until, zone)} ({name})"


def header_card(d: Digest, zone: tzinfo | None = None) -> Card:
    plural = "s" if d.article_count != 1 else ""
    outlets = len(d.outlets)
    lines = [
        f"**Period:** {period_text(d, zone)}",
        f"**{d.article_count} new article{plural}** from **{outlets} outlet"
        f"{'s' if outlets != 1 else ''}**: {escape(', '.join(d.outlets))}",
    ]
    if d.top:
        lines.append(f"Top {len(d.top)} stories below, ranked by how many outlets covered them.")
    return Card(title="📰 News digest", description="\n".join(lines), color=HEADER_COLOR)


def story_card(index: int, story: DigestStory) -> Card:
    headline = shorten(escape(story.headline) or "Untitled", TITLE_CHARS)
    outlets = escape(", ".join(story.outlets))
    covered = f"*Covered by {len(story.outlets)} outlets: {outlets}*" if len(
        story.outlets) > 1 else f"*{outlets}*"
    body = sections_text(story.sections) if story.sections else "*No summary available.*"
    card = Card(title=f"{index}. {headline}", url=safe_url(story.lead.url),
                description=f"{covered}\n\n{body}")
    if story.sources:
        card.fields = [("Sources", sources_value(story.sources))]
    return card


def others_card(d: Digest) -> Card:
    lines = []
    for story in d.others:
        headline = shorten(escape(story.headline) or "Untitled", TITLE_CHARS)
        extra = f" (+{len(story.outlets) - 1} more)" if len(story.outlets) > 1 else ""
        lines.append(f"• {link(headline, story.lead.url)} — {escape(story.lead.source)}{extra}")
    return Card(title="Also new", description="\n".join(lines))


def digest_cards(d: Digest, zone: tzinfo | None = None) -> list[Card]:
    """Header, top stories, others; the last card carries the not-advice footer."""
    if d.empty:
        return [Card(title="📰 News digest", color=HEADER_COLOR,
                     description=f"Nothing new in the news I follow ({period_text(d, zone)}).")]
    cards = [header_card(d, zone)]
    cards += [story_card(i, story) for i, story in enumerate(d.top, 1)]
    if d.others:
        cards.append(others_card(d))
    cards[-1].footer = NOT_ADVICE
    return cards


def attach_chart(groups: list[list[discord.Embed]], png: bytes | None) -> discord.File | None:
    """Show the chart in the header embed; the file goes with the first message."""
    if not png or not groups:
        return None
    groups[0][0].set_image(url=f"attachment://{CHART_NAME}")
    return discord.File(io.BytesIO(png), filename=CHART_NAME)
