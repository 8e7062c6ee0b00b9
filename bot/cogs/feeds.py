"""/feeds add · remove · list, for moderators."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from bot.discord_text import escape, shorten, url_text
from bot.embeds import build_messages, clip
from bot.errors import NONE
from bot.info_cards import sources_card
from bot.permissions import moderator_only
from ingest.feed_check import check_feed
from newsbot.errors import NewsbotError
from newsbot.feeds import FeedState, validate_feed_url

if TYPE_CHECKING:
    from bot.client import NewsBot

CHOICE_LIMIT = 100  # Discord: choice names and string values are at most 100 characters


def find_feed(feeds: list[FeedState], value: str) -> FeedState | None:
    """The feed a /feeds remove value means: its URL, or the unique feed it is a prefix of
    (autocomplete values are cut at 100 characters)."""
    value = value.strip()
    exact = [f for f in feeds if f.url == value]
    if exact:
        return exact[0]
    prefixed = [f for f in feeds if value and f.url.startswith(value)]
    return prefixed[0] if len(prefixed) == 1 else None


def feed_choices(feeds: list[FeedState], current: str) -> list[app_commands.Choice[str]]:
    needle = current.strip().lower()
    hits = [f for f in feeds if needle in f.url.lower() or needle in f.name.lower()]
    return [
        app_commands.Choice(name=shorten(f"{f.name} — {f.url}" if f.name else f.url,
                                         CHOICE_LIMIT), value=f.url[:CHOICE_LIMIT])
        for f in hits[:25]
    ]


class FeedsCog(commands.Cog):
    feeds = app_commands.Group(name="feeds", description="Manage the followed feeds (moderators)",
                               guild_only=True,
                               default_permissions=discord.Permissions(manage_guild=True))

    def __init__(self, bot: NewsBot) -> None:
        self.bot = bot

    @feeds.command(name="add", description="Follow a feed (it is fetched and checked first)")
    @app_commands.describe(url="The RSS or Atom feed URL (http or https)")
    @moderator_only()
    async def add(self, interaction: discord.Interaction, url: str) -> None:
        url = validate_feed_url(url)  # a malformed URL is refused before anything runs
        await interaction.response.defer(ephemeral=True, thinking=True)
        followed = await self.bot.store.feeds.find(url)
        if followed is not None:  # another spelling of a followed feed: no fetch needed
            await interaction.followup.send(clip(f"I already follow {url_text(followed.url)}."),
                                            ephemeral=True, allowed_mentions=NONE)
            return
        title = await asyncio.to_thread(check_feed, url, self.bot.settings, trusted=False)
        added = await self.bot.store.feeds.add(url, title or "", f"discord:{interaction.user.id}")
        shown = f"**{escape(title)}** {url_text(url)}" if title else url_text(url)
        text = (f"Now following {shown}. Its articles arrive with the next ingestion "
                "(or run /reingest)." if added else f"I already follow {shown}.")
        await interaction.followup.send(clip(text), ephemeral=True, allowed_mentions=NONE)

    @feeds.command(name="remove", description="Stop following a feed")
    @app_commands.describe(url="The feed to stop following")
    @moderator_only()
    async def remove(self, interaction: discord.Interaction, url: str) -> None:
        feed = find_feed(await self.bot.store.feeds.list(), url)
        if feed is None:
            raise NewsbotError(f"I don't follow {shorten(escape(url), 300)}; see /feeds list.")
        await self.bot.store.feeds.remove(feed.url)
        text = (f"Stopped following {escape(feed.name) or 'the feed'} {url_text(feed.url)}. "
                "Articles already stored stay searchable.")
        await interaction.response.send_message(clip(text), ephemeral=True,
                                                allowed_mentions=NONE)

    @remove.autocomplete("url")
    async def remove_choices(self, interaction: discord.Interaction,
                             current: str) -> list[app_commands.Choice[str]]:
        return feed_choices(await self.bot.store.feeds.list(), current)

    @feeds.command(name="list", description="The followed feeds with their fetch state")
    @moderator_only()
    async def show(self, interaction: discord.Interaction) -> None:
        await interaction.response.defer(ephemeral=True, thinking=True)
        card = sources_card(await self.bot.store.feeds.list())
        for embeds in build_messages([card]):
            await interaction.followup.send(embeds=embeds, ephemeral=True, allowed_mentions=NONE)
