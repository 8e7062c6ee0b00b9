"""Read-only commands for everyone: /latest, /digest, /sources, /status."""

from __future__ import annotations

import functools
from datetime import timedelta
from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from bot.choices import chosen_disease, disease_choices
from bot.digest_post import StoryButton, post_details, post_digest
from bot.embeds import build_messages
from bot.errors import NONE
from bot.info_cards import latest_card, sources_card, status_card
from newsbot.answering import latest as latest_articles
from newsbot.digest import build_digest
from newsbot.status import status as read_status
from newsbot.topics import display_disease

if TYPE_CHECKING:
    from bot.client import NewsBot


class InfoCog(commands.Cog):
    def __init__(self, bot: NewsBot) -> None:
        self.bot = bot

    async def cog_load(self) -> None:
        self.bot.add_dynamic_items(StoryButton)  # digest buttons, also on older messages

    async def cog_unload(self) -> None:
        self.bot.remove_dynamic_items(StoryButton)

    async def _send(self, interaction: discord.Interaction,
                    groups: list[list[discord.Embed]]) -> None:
        for embeds in groups:
            await interaction.followup.send(embeds=embeds, allowed_mentions=NONE)

    @app_commands.command(name="latest", description="The newest on-topic stories")
    @app_commands.describe(disease="Only stories about this disease", count="How many (1-10)")
    @app_commands.guild_only()
    async def latest(self, interaction: discord.Interaction, disease: str | None = None,
                     count: app_commands.Range[int, 1, 10] = 5) -> None:
        disease = chosen_disease(disease)
        await interaction.response.defer(thinking=True)
        articles = await self.bot.core(latest_articles, disease=disease, count=count,
                                       now=self.bot.clock())
        about = f" about {display_disease(disease)}" if disease else ""
        card = latest_card(articles, f"Latest stories{about}")
        await self._send(interaction, build_messages([card]))

    @latest.autocomplete("disease")
    async def latest_disease(self, interaction: discord.Interaction,
                             current: str) -> list[app_commands.Choice[str]]:
        return disease_choices(current)

    @app_commands.command(name="digest", description="The digest of the last 24 hours")
    @app_commands.describe(days="Cover the last N days instead (1-30)")
    @app_commands.guild_only()
    async def digest(self, interaction: discord.Interaction,
                     days: app_commands.Range[int, 1, 30] = 1) -> None:
        await interaction.response.defer(thinking=True)
        now = self.bot.clock()
        result = await self.bot.core(build_digest, since=now - timedelta(days=days), now=now)
        message = await post_digest(functools.partial(interaction.followup.send, wait=True),
                                    result, None, await self.bot.digest_chart(result))
        channel = interaction.channel
        starter = (channel.get_partial_message(message.id)
                   if isinstance(channel, discord.TextChannel) else None)
        await post_details(message, result, starter, bot=self.bot)

    @app_commands.command(name="sources", description="The feeds followed and their health")
    @app_commands.guild_only()
    async def sources(self, interaction: discord.Interaction) -> None:
        await interaction.response.defer(thinking=True)
        feeds = await self.bot.store.feeds.list()
        await self._send(interaction, build_messages([sources_card(feeds)]))

    @app_commands.command(name="status", description="What is stored, the last ingest, the mode")
    @app_commands.guild_only()
    async def status(self, interaction: discord.Interaction) -> None:
        await interaction.response.defer(thinking=True)
        current = await self.bot.core(read_status)
        subs = await self.bot.store.guilds.subscriptions(interaction.guild_id)
        card = status_card(current, subs, self.bot.ingest.busy)
        await self._send(interaction, build_messages([card]))
