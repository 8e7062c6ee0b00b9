"""Personal watchlists: /follow, /following, /unfollow, /watch-settings (moderators), and
the alerts delivered after each ingestion run — by DM first when the guild allows it, else
(or when the DM is refused) as a mention in the guild's alert channel. When a separate
worker ingests (NEWSBOT_BOT_INGESTS=false) the bot checks for new stories on a timer."""

from __future__ import annotations

import logging
from dataclasses import replace
from datetime import datetime
from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands, tasks

from bot.alert_cards import alert_embeds, choice_name, following_text, watch_line
from bot.embeds import clip
from bot.errors import NONE
from bot.permissions import moderator_only
from ingest.report import IngestReport
from newsbot.alerts import Alert
from newsbot.errors import NewsbotError
from newsbot.followed import AlertSettings
from newsbot.watch_check import due_alerts, follow, record

if TYPE_CHECKING:
    from bot.client import NewsBot

log = logging.getLogger(__name__)
THREAD_NAME = "Watch alerts"
DELIVERY_CHOICES = [
    app_commands.Choice(name="DM first, else the alert channel", value="dm"),
    app_commands.Choice(name="always the alert channel", value="channel"),
]
POST_CHOICES = [
    app_commands.Choice(name="a mention in the channel", value="mention"),
    app_commands.Choice(name=f"a mention in the channel's '{THREAD_NAME}' thread",
                        value="thread"),
]


def settings_text(s: AlertSettings) -> str:
    where = f"<#{s.channel_id}>" if s.channel_id else "no alert channel set"
    how = "DM first, else the alert channel" if s.prefer_dm else "the alert channel"
    post = f"a mention in its '{THREAD_NAME}' thread" if s.in_thread else "a mention"
    return (f"Watch alerts: **{'on' if s.enabled else 'off'}** · delivery: {how} · "
            f"channel: {where} ({post}).")


class WatchCog(commands.Cog):
    def __init__(self, bot: NewsBot) -> None:
        self.bot = bot

    async def cog_load(self) -> None:
        self.bot.ingest.after_run.append(self._after_ingest)
        if self.bot.background and not self.bot.settings.schedule.bot_ingests:
            self.alert_loop.start()

    async def cog_unload(self) -> None:
        self.bot.ingest.after_run.remove(self._after_ingest)
        self.alert_loop.cancel()

    @tasks.loop(minutes=5)
    async def alert_loop(self) -> None:
        try:
            await self.deliver(self.bot.clock())
        except Exception:  # keep the loop alive; the next round retries
            log.exception("watch alerts failed")

    @alert_loop.before_loop
    async def _before_alerts(self) -> None:
        await self.bot.wait_until_ready()

    # ---- commands ----------------------------------------------------------------------

    @app_commands.command(name="follow", description="Get told when new stories match a "
                          "topic (a disease + therapy, a product, a trial, a company)")
    @app_commands.describe(topic="e.g. 'CAR-T in myasthenia gravis', 'VRD-201', 'KAIROS-1'",
                           immediate="also for stories already in today's digest")
    @app_commands.guild_only()
    async def follow_topic(self, interaction: discord.Interaction, topic: str,
                           immediate: bool = False) -> None:
        assert interaction.guild_id is not None
        await interaction.response.defer(ephemeral=True, thinking=True)
        watch = await self.bot.core(follow, interaction.guild_id, interaction.user.id,
                                    topic, immediate=immediate, now=self.bot.clock())
        settings = await self.bot.store.watches.settings(interaction.guild_id)
        note = "" if settings.enabled else (
            "\nWatch alerts are switched off in this server for now (moderators).")
        await interaction.followup.send(clip(f"Following:\n{watch_line(watch)}{note}"),
                                        ephemeral=True, allowed_mentions=NONE)

    @app_commands.command(name="following", description="The topics you follow here")
    @app_commands.guild_only()
    async def following(self, interaction: discord.Interaction) -> None:
        assert interaction.guild_id is not None
        watches = await self.bot.store.watches.of_user(interaction.guild_id, interaction.user.id)
        await interaction.response.send_message(clip(following_text(watches)), ephemeral=True,
                                                allowed_mentions=NONE)

    @app_commands.command(name="unfollow", description="Stop following one of your topics")
    @app_commands.describe(topic="One of your topics (see /following)")
    @app_commands.guild_only()
    async def unfollow(self, interaction: discord.Interaction, topic: str) -> None:
        assert interaction.guild_id is not None
        guild, user = interaction.guild_id, interaction.user.id
        watch_id = topic.removeprefix("#").split(" ", 1)[0]
        gone = None
        if watch_id.isdigit():
            gone = await self.bot.store.watches.unfollow(guild, user, int(watch_id))
        if gone is None:
            mine = await self.bot.store.watches.of_user(guild, user)
            match = [w for w in mine if w.topic.lower() == topic.strip().lower()]
            if match:
                gone = await self.bot.store.watches.unfollow(guild, user, match[0].id)
        if gone is None:
            raise NewsbotError("You don't follow that topic here; see /following.")
        await interaction.response.send_message(
            clip(f"No longer following **{gone.topic}**."), ephemeral=True,
            allowed_mentions=NONE)

    @unfollow.autocomplete("topic")
    async def unfollow_choices(self, interaction: discord.Interaction,
                               current: str) -> list[app_commands.Choice[str]]:
        if interaction.guild_id is None:
            return []
        mine = await self.bot.store.watches.of_user(interaction.guild_id, interaction.user.id)
        needle = current.strip().lower()
        return [app_commands.Choice(name=choice_name(w), value=str(w.id))
                for w in mine if needle in w.topic.lower() or needle in str(w.id)][:25]

    @app_commands.command(name="watch-settings",
                          description="How watch alerts are delivered here (moderators)")
    @app_commands.describe(alerts="Switch watch alerts on or off in this server",
                           channel="Where alerts are posted as mentions",
                           delivery="DM first, or always the alert channel",
                           post_as="In the channel itself, or in a thread under it")
    @app_commands.choices(delivery=DELIVERY_CHOICES, post_as=POST_CHOICES)
    @app_commands.guild_only()
    @app_commands.default_permissions(manage_guild=True)
    @moderator_only()
    async def watch_settings(self, interaction: discord.Interaction,
                             alerts: bool | None = None,
                             channel: discord.TextChannel | None = None,
                             delivery: app_commands.Choice[str] | None = None,
                             post_as: app_commands.Choice[str] | None = None) -> None:
        assert interaction.guild_id is not None
        current = await self.bot.store.watches.settings(interaction.guild_id)
        moved = channel is not None and channel.id != current.channel_id
        changed = replace(
            current,
            enabled=current.enabled if alerts is None else alerts,
            channel_id=channel.id if channel is not None else current.channel_id,
            prefer_dm=current.prefer_dm if delivery is None else delivery.value == "dm",
            in_thread=current.in_thread if post_as is None else post_as.value == "thread",
            thread_id=None if moved else current.thread_id)
        if changed != current:
            await self.bot.store.watches.set_settings(changed)
        await interaction.response.send_message(clip(settings_text(changed)), ephemeral=True,
                                                allowed_mentions=NONE)

    # ---- delivery ----------------------------------------------------------------------

    async def _after_ingest(self, report: IngestReport) -> None:
        await self.deliver(self.bot.clock())

    async def deliver(self, now: datetime) -> list[tuple[Alert, str]]:
        """Deliver the alerts due at `now`; (alert, "dm" | "channel" | "undelivered")."""
        alerts = await self.bot.core(due_alerts, now)
        out = []
        for alert in alerts:
            try:
                via = await self._send(alert)
            except discord.HTTPException as exc:
                log.warning("watch alert for user %s not delivered: %s %s", alert.user_id,
                            exc.status, exc.text)
                via = "undelivered"
            if via != "undelivered":
                await self.bot.core(record, alert, via, now)
            out.append((alert, via))
        return out

    async def _send(self, alert: Alert) -> str:
        settings = await self.bot.store.watches.settings(alert.guild_id)
        embeds = alert_embeds(alert)
        if settings.prefer_dm:
            try:
                dm = await self.bot.create_dm(discord.Object(alert.user_id))
                await dm.send(embeds=embeds, allowed_mentions=NONE)
                return "dm"
            except discord.Forbidden:  # DMs closed to the bot: fall back to the channel
                log.info("user %s accepts no DMs; alert goes to the channel", alert.user_id)
        if settings.channel_id is None:
            return "undelivered"
        target = await (self._thread(settings) if settings.in_thread else self._channel(
            settings.channel_id))
        await target.send(
            f"<@{alert.user_id}>", embeds=embeds,
            allowed_mentions=discord.AllowedMentions(users=[discord.Object(alert.user_id)],
                                                     everyone=False, roles=False))
        return "thread" if settings.in_thread else "channel"

    async def _channel(self, channel_id: int) -> discord.abc.Messageable:
        found = self.bot.get_channel(channel_id) or await self.bot.fetch_channel(channel_id)
        return found  # type: ignore[return-value]

    async def _thread(self, settings: AlertSettings) -> discord.abc.Messageable:
        """The alert channel's "Watch alerts" thread, opened the first time it is needed
        (and again if it was deleted)."""
        if settings.thread_id is not None:
            try:
                return await self._channel(settings.thread_id)
            except discord.NotFound:
                pass
        assert settings.channel_id is not None
        channel = await self._channel(settings.channel_id)
        thread = await channel.create_thread(  # type: ignore[attr-defined]
            name=THREAD_NAME, type=discord.ChannelType.public_thread,
            auto_archive_duration=10080)
        await self.bot.store.watches.set_settings(replace(settings, thread_id=thread.id))
        return thread  # type: ignore[no-any-return]
