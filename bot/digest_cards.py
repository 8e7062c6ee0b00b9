"""A digest for Discord: one compact message (a line per story) and one detail message per
story (the four sections and every outlet), posted in a thread under the compact one.

Everything here is sized by construction: the compact embed's lines are added only while
they fit one embed's description, and a story's detail is one embed whose description and
Sources fields are cut to fixed budgets, so neither can exceed Discord's limits whatever the
feeds say.
"""

from __future__ import annotations

import io
from datetime import UTC, datetime, tzinfo

import discord

from bot.answer_cards import TITLE_CHARS, sections_text, source_line
from bot.discord_text import escape, link, safe_url, shorten
from bot.embeds import DESCRIPTION_LIMIT, FIELD_VALUE_LIMIT, Card
from newsbot.digest import Digest, DigestStory
from newsbot.models import NOT_ADVICE
from newsbot.trials import TrialUpdate

HEADER_COLOR = 0x3A506B
CHART_NAME = "articles-per-disease.png"
HEADLINE_CHARS = 120
GIST_CHARS = 160
OUTLET_CHARS = 40
URL_CHARS = 300  # a longer URL is shown as the outlet's name only
DETAIL_DESCRIPTION = 3500
DETAIL_SOURCE_FIELDS = 2  # 2 × 1,024: with the title, description and footer < 6,000
BUTTON_LABEL = 80
TRIAL_LINE_CHARS = 300
MAX_BUTTONS = 25


def _when(moment: datetime, zone: tzinfo) -> str:
    return f"{moment.astimezone(zone):%d %b %H:%M}"


def period_text(d: Digest, zone: tzinfo | None = None) -> str:
    zone = zone or UTC
    name = getattr(zone, "key", None) or str(zone)
    return f"{_when(d.since, zone)} – {_when(d.until, zone)} ({name})"


def _headline(story: DigestStory, limit: int = HEADLINE_CHARS) -> str:
    return shorten(escape(story.headline) or "Untitled", limit)


def outlet_links(story: DigestStory) -> str:
    """Every outlet of the story, each linked to its own report."""
    parts = []
    for source in story.sources:
        name = shorten(escape(source.source), OUTLET_CHARS)
        url = source.url if len(source.url or "") <= URL_CHARS else None
        parts.append(link(name, url))
        parts += [shorten(escape(o), OUTLET_CHARS) for o in source.also_in]
    return " · ".join(parts)


def story_line(index: int | None, story: DigestStory) -> str:
    """`**1. Headline** — what is happening`, then its outlets, each linked. Stories without
    a summary in the thread (index None) get a bullet; undated ones say so."""
    gist = shorten(escape(story.gist), GIST_CHARS)
    mark = f"{index}. " if index is not None else "• "
    undated = "" if story.dated else " *(undated)*"
    return f"**{mark}{_headline(story)}**{undated} — {gist}\n{outlet_links(story)}"


def _header_lines(d: Digest, zone: tzinfo | None) -> list[str]:
    lines = [f"**Period:** {period_text(d, zone)}"]
    if d.article_count:
        plural = "s" if d.article_count != 1 else ""
        lines.append(f"**{d.article_count} new article{plural}** from **{len(d.outlets)} outlet"
                     f"{'s' if len(d.outlets) != 1 else ''}**")
    else:
        lines.append("Nothing new was published in this period.")
    if d.backlog:
        plural = "y" if d.backlog == 1 else "ies"
        lines.append(f"*Catching up: {d.backlog} older stor{plural} — /latest to browse*")
    return lines


def update_line(update: TrialUpdate) -> str:
    """`**LUMEN-2 (NCT06123456)**: Recruiting → Active, not recruiting (2026-11)`, linked to
    the registry record."""
    date = f" ({escape(update.status_date)})" if update.status_date else ""
    name = link(f"**{escape(update.name)}**", update.url)
    return shorten(f"{name}: {escape(update.change)}{date}", TRIAL_LINE_CHARS)


def trial_updates_field(d: Digest) -> tuple[str, str] | None:
    """("Trial updates", one line per registry change) when the period saw any."""
    if not d.trial_updates:
        return None
    return "Trial updates", _fit_lines([update_line(u) for u in d.trial_updates],
                                       FIELD_VALUE_LIMIT)


def compact_card(d: Digest, zone: tzinfo | None = None) -> Card:
    """The whole digest in one embed: a line per story, most important first, and the
    period's trial updates in a field of their own."""
    card = Card(title="📰 News digest", color=HEADER_COLOR, footer=NOT_ADVICE)
    if d.empty:
        card.description = f"Nothing new in the news I follow ({period_text(d, zone)})."
        return card
    updates = trial_updates_field(d)
    if updates:
        card.fields.append(updates)
    text = "\n".join(_header_lines(d, zone))
    stories = d.stories
    for index, story in enumerate(stories, 1):
        line = story_line(index if index <= len(d.top) else None, story)
        rest = len(stories) - index
        reserve = len(f"\n\n…and {rest} more — /latest to browse") if rest else 0
        if len(text) + 2 + len(line) + reserve > DESCRIPTION_LIMIT:
            text += f"\n\n…and {len(stories) - index + 1} more — /latest to browse"
            break
        text += "\n\n" + line
    if d.top:
        text += "\n\n*Each story's summary is under this message.*"
    card.description = shorten(text, DESCRIPTION_LIMIT)
    return card


def _fit_lines(lines: list[str], limit: int) -> str:
    """Whole lines while they fit `limit` characters."""
    out: list[str] = []
    size = 0
    for line in lines:
        line = shorten(line, limit)
        if size + len(line) + 1 > limit:
            break
        out.append(line)
        size += len(line) + 1
    return "\n".join(out)


def story_detail(index: int, story: DigestStory) -> tuple[discord.Embed, discord.ui.View | None]:
    """The detail message of one story: its four sections (empty ones left out), cited, and
    every outlet in Sources. One embed within Discord's limits; the view is None here
    (the lead attaches feedback buttons to it)."""
    outlets = escape(", ".join(story.outlets))
    covered = (f"*Covered by {len(story.outlets)} outlets: {outlets}*"
               if len(story.outlets) > 1 else f"*{outlets}*")
    body = sections_text(story.sections) if any(story.sections.values()) else (
        "*No summary could be drawn from the reports; see the sources.*")
    description = _fit_lines(f"{covered}\n\n{body}".split("\n"), DETAIL_DESCRIPTION)
    embed = discord.Embed(title=shorten(f"{index}. {_headline(story, TITLE_CHARS)}", 256),
                          url=safe_url(story.lead.url), description=description)
    lines = [source_line(s) for s in story.sources]
    for number in range(DETAIL_SOURCE_FIELDS):
        value = _fit_lines(lines, FIELD_VALUE_LIMIT)
        if not value:
            break
        lines = lines[value.count("\n") + 1:]
        embed.add_field(name="Sources" if number == 0 else "Sources (cont.)", value=value,
                        inline=False)
    embed.set_footer(text=NOT_ADVICE)
    return embed, None


def button_label(index: int, story: DigestStory) -> str:
    return shorten(f"{index}. {story.headline or 'Untitled'}", BUTTON_LABEL)


def attach_chart(embed: discord.Embed, png: bytes | None) -> discord.File | None:
    """Show the chart in the compact embed; the file goes with its message."""
    if not png:
        return None
    embed.set_image(url=f"attachment://{CHART_NAME}")
    return discord.File(io.BytesIO(png), filename=CHART_NAME)
