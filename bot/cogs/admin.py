"""Moderator commands: /reingest, /digest-subscribe, /digest-unsubscribe, /bot-settings."""

from __future__ import annotations

import asyncio
import functools
import logging
import zoneinfo
from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from bot.discord_text import escape, url_text
from bot.embeds import clip
from bot.errors import NONE
from bot.permissions import moderator_only
from newsbot import guilds
from newsbot.errors import IngestBusy, NewsbotError

if TYPE_CHECKING:
    from bot.client import NewsBot

log = logging.getLogger(__name__)
RESET_CHOICES = [
    app_commands.Choice(name="moderator role", value="moderator_role"),
    app_commands.Choice(name="ask cooldown", value="ask_cooldown"),
    app_commands.Choice(name="threads for /ask", value="ask_threads"),
    app_commands.Choice(name="channel allow-list", value="channels"),
    app_commands.Choice(name="everything", value="all"),
]
BUSY = "An ingestion run is already in progress; please try again when it has finished."


@functools.cache
def all_timezones() -> tuple[str, ...]:
    return tuple(sorted(zoneinfo.available_timezones()))


def timezone_choices(zones: tuple[str, ...], current: str) -> list[app_commands.Choice[str]]:
    """Zones starting with what was typed first, then zones containing it; at most 25."""
    needle = current.strip().lower().replace(" ", "_")
    starts = [z for z in zones if z.lower().startswith(needle)]
    contains = [z for z in zones if needle in z.lower() and z not in starts]
    return [app_commands.Choice(name=z, value=z) for z in (starts + contains)[:25]]


def progress_text(done: int, total: int, current: str) -> str:
    if total and done >= total:
        return f"Ingesting feeds… {done}/{total} read; finishing up."
    where = f" — now reading {url_text(current)}" if current != "done" else ""
    return f"Ingesting feeds… {done}/{total} read{where}"


class AdminCog(commands.Cog):
    def __init__(self, bot: NewsBot) -> None:
        self.bot = bot

    @app_commands.command(name="reingest", description="Fetch the feeds now (moderators)")
    @app_commands.describe(full="Re-check every item, ignoring caches (slower)")
    @app_commands.guild_only()
    @app_commands.default_permissions(manage_guild=True)
    @moderator_only()
    async def reingest(self, interaction: discord.Interaction, full: bool = False) -> None:
        if self.bot.ingest.busy:
            await interaction.response.send_message(BUSY, ephemeral=True, allowed_mentions=NONE)
            return
        await interaction.response.defer(thinking=True)

        async def show(text: str) -> None:
            await interaction.edit_original_response(content=clip(text), allowed_mentions=NONE)

        async def progress(done: int, total: int, current: str) -> None:
            await show(progress_text(done, total, current))

        try:
            report = await self.bot.ingest.run(full=full, on_progress=progress)
        except IngestBusy:
            await show(BUSY)
            return
        text = f"Ingestion finished ({report.status}): {report.summary_line()}"
        failed = [escape(f.name or f.feed) for f in report.failed_feeds]
        if failed:
            text += "\nFailed: " + ", ".join(failed[:10])
        try:
            await show(text)
        except discord.HTTPException:  # the interaction expired (runs over 15 minutes)
            if isinstance(interaction.channel, discord.abc.Messageable):
                await self.bot.send_text(interaction.channel, text)

    @app_commands.command(name="digest-subscribe",
                          description="Post a daily digest in a channel (moderators)")
    @app_commands.describe(channel="Where to post the digest", time="Local time, HH:MM",
                           timezone="IANA time zone, e.g. Europe/Paris")
    @app_commands.guild_only()
    @app_commands.default_permissions(manage_guild=True)
    @moderator_only()
    async def digest_subscribe(self, interaction: discord.Interaction,
                               channel: discord.TextChannel, time: str, timezone: str) -> None:
        sub = await self.bot.store.guilds.subscribe(interaction.guild_id, channel.id, time,
                                timezone, self.bot.clock())
        text = (f"The daily digest will be posted in {channel.mention} at "
                f"{sub.post_time:%H:%M} ({sub.timezone}); the first covers the last 24 hours.")
        me = interaction.guild.me if interaction.guild else None
        perms = channel.permissions_for(me) if me else None
        if perms is not None and not (perms.send_messages and perms.embed_links):
            text += ("\n⚠️ I cannot post embeds there yet: give me Send Messages and Embed Links "
                     "in that channel.")
        await interaction.response.send_message(text, ephemeral=True, allowed_mentions=NONE)

    @digest_subscribe.autocomplete("timezone")
    async def timezone_autocomplete(self, interaction: discord.Interaction,
                                    current: str) -> list[app_commands.Choice[str]]:
        return timezone_choices(await asyncio.to_thread(all_timezones), current)

    @app_commands.command(name="digest-unsubscribe",
                          description="Stop the daily digest in a channel (moderators)")
    @app_commands.describe(channel="The channel that gets the digest")
    @app_commands.guild_only()
    @app_commands.default_permissions(manage_guild=True)
    @moderator_only()
    async def digest_unsubscribe(self, interaction: discord.Interaction,
                                 channel: discord.TextChannel) -> None:
        if not await self.bot.store.guilds.unsubscribe(channel.id):
            raise NewsbotError(f"{channel.mention} has no digest subscription.")
        await interaction.response.send_message(
            f"No more daily digests in {channel.mention}.", ephemeral=True, allowed_mentions=NONE
        )

    @app_commands.command(name="bot-settings",
                          description="Show or change this server's newsbot settings (moderators)")
    @app_commands.describe(moderator_role="A role that may run moderator commands",
                           ask_cooldown="Seconds each member waits between questions",
                           ask_threads="Open a thread under each /ask answer for follow-ups",
                           allow_channel="Answer in this channel (once any is set: only there)",
                           disallow_channel="Stop answering in this channel",
                           reset="Clear one setting, or all of them, back to the default")
    @app_commands.choices(reset=RESET_CHOICES)
    @app_commands.guild_only()
    @app_commands.default_permissions(manage_guild=True)
    @moderator_only()
    async def server_settings(self, interaction: discord.Interaction,
                              moderator_role: discord.Role | None = None,
                              ask_cooldown: app_commands.Range[float, 0, 3600] | None = None,
                              ask_threads: bool | None = None,
                              allow_channel: discord.TextChannel | None = None,
                              disallow_channel: discord.TextChannel | None = None,
                              reset: str | None = None) -> None:
        current = await self.bot.store.guilds.update(
            interaction.guild_id,
            moderator_role=moderator_role.name if moderator_role else None,
            ask_cooldown=ask_cooldown, ask_threads=ask_threads,
            allow_channel=allow_channel.id if allow_channel else None,
            disallow_channel=disallow_channel.id if disallow_channel else None, reset=reset,
        )
        await interaction.response.send_message(self.settings_text(current), ephemeral=True,
                                                allowed_mentions=NONE)

    def settings_text(self, current: guilds.GuildSettings) -> str:
        default_role = self.bot.settings.discord.moderator_role
        role = escape(current.moderator_role or default_role or "") or "none"
        cooldown = current.ask_cooldown
        if cooldown is None:
            cooldown = self.bot.settings.discord.ask_cooldown_seconds
        channels = ", ".join(f"<#{c}>" for c in current.channels) or "every channel"
        threads = "yes" if current.ask_threads else "no"
        return (f"Moderator role: {role} (besides Manage Server).\n"
                f"/ask cooldown: {cooldown:g} s per member.\n"
                f"/ask answers open a thread: {threads}.\n"
                f"Answers in: {channels}.")
