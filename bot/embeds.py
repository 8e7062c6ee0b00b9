"""Packing text into embeds and embeds into messages within Discord's limits. Pure: no I/O.

A `Card` is one logical embed (title, description, fields, footer) of any length; `build()`
turns it into as many real embeds as the limits require, cutting only at safe points (see
`bot.discord_text.cut_point`), and `messages()` groups embeds so that no message carries more than
10 embeds or 6,000 embed characters.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import discord

from bot.discord_text import shorten, split_text

TITLE_LIMIT = 256
DESCRIPTION_LIMIT = 4096
FIELD_NAME_LIMIT = 256
FIELD_VALUE_LIMIT = 1024
FIELDS_PER_EMBED = 25
FOOTER_LIMIT = 2048
EMBED_TOTAL_LIMIT = 6000  # per message, summed over its embeds
EMBEDS_PER_MESSAGE = 10
CONTENT_LIMIT = 2000
COLOR = 0x2B7A78


@dataclass
class Card:
    """One logical embed before splitting. Text must already be escaped."""

    title: str | None = None
    url: str | None = None
    description: str = ""
    fields: list[tuple[str, str]] = field(default_factory=list)
    footer: str | None = None
    color: int = COLOR


def _new_embed(card: Card, first: bool) -> discord.Embed:
    if first and card.title:
        return discord.Embed(
            title=shorten(card.title, TITLE_LIMIT), url=card.url, color=card.color
        )
    return discord.Embed(color=card.color)


def build(card: Card) -> list[discord.Embed]:
    """The embeds for one card: description chunks first, then fields, then the footer."""
    footer = shorten(card.footer, FOOTER_LIMIT) if card.footer else None
    reserve = len(footer or "")
    embeds: list[discord.Embed] = []
    for chunk in split_text(card.description, DESCRIPTION_LIMIT):
        embed = _new_embed(card, first=not embeds)
        embed.description = chunk
        embeds.append(embed)
    if not embeds:
        embeds.append(_new_embed(card, first=True))
    for name, value in card.fields:
        name = shorten(name, FIELD_NAME_LIMIT - len(" (cont.)"))
        for index, piece in enumerate(split_text(value, FIELD_VALUE_LIMIT)):
            label = name if index == 0 else f"{name} (cont.)"
            embed = embeds[-1]
            too_big = len(embed) + len(label) + len(piece) + reserve > EMBED_TOTAL_LIMIT
            if too_big or len(embed.fields) >= FIELDS_PER_EMBED:
                embed = _new_embed(card, first=False)
                embeds.append(embed)
            embed.add_field(name=label, value=piece, inline=False)
    if footer:
        if len(embeds[-1]) + len(footer) > EMBED_TOTAL_LIMIT:
            embeds.append(_new_embed(card, first=False))
        embeds[-1].set_footer(text=footer)
    return [e for e in embeds if len(e) or e.fields]


def messages(embeds: list[discord.Embed]) -> list[list[discord.Embed]]:
    """Embeds grouped in order into messages of at most 10 embeds and 6,000 characters."""
    groups: list[list[discord.Embed]] = []
    size = 0
    for embed in embeds:
        length = len(embed)
        if not groups or len(groups[-1]) >= EMBEDS_PER_MESSAGE or size + length > (
            EMBED_TOTAL_LIMIT
        ):
            groups.append([])
            size = 0
        groups[-1].append(embed)
        size += length
    return groups


def build_messages(cards: list[Card]) -> list[list[discord.Embed]]:
    return messages([embed for card in cards for embed in build(card)])


def embed_text(embed: discord.Embed) -> str:
    """The readable text of an embed (title, description, fields), e.g. for thread history."""
    parts = [embed.title or "", embed.description or ""]
    parts += [f"{f.name}\n{f.value}" for f in embed.fields]
    return "\n".join(p for p in parts if p)


def clip(text: str, limit: int = CONTENT_LIMIT) -> str:
    """Plain message content within the 2,000-character limit."""
    return shorten(text, limit)
