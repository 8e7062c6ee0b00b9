"""Who may run what: moderators (Manage Server or the moderator role) and the /ask cooldown."""

from __future__ import annotations

import time
from collections.abc import Callable, Hashable
from typing import TYPE_CHECKING, Any, TypeVar

import discord
from discord import app_commands

from newsbot import guilds

if TYPE_CHECKING:
    from bot.client import NewsBot

T = TypeVar("T")
MODERATORS_ONLY = (
    "This command is for moderators only (Manage Server permission or the moderator role)."
)


class NotModerator(app_commands.CheckFailure):
    def __init__(self) -> None:
        super().__init__(MODERATORS_ONLY)


class Cooldowns:
    """Per-key cooldown of one use per `per` seconds; owned by one bot, so tests and bot
    instances never share state (discord.py's decorator keeps its buckets at module level)."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._last: dict[Hashable, float] = {}

    def hit(self, key: Hashable, per: float) -> float | None:
        """Record a use; return the seconds left to wait if `key` is still cooling down."""
        if per <= 0:
            return None
        now = self._clock()
        last = self._last.get(key)
        if last is not None and now - last < per:
            return per - (now - last)
        self._last = {k: t for k, t in self._last.items() if now - t < per}
        self._last[key] = now
        return None


async def is_moderator(bot: NewsBot, user: discord.abc.User, guild: discord.Guild | None,
                       permissions: discord.Permissions | None = None) -> bool:
    """Manage Server (or administrator) in the guild, or a role named as moderator role in
    settings or in the guild's stored settings (by name or id)."""
    if guild is None or not isinstance(user, discord.Member):
        return False
    perms = permissions or user.guild_permissions
    if perms.manage_guild or perms.administrator:
        return True
    names = {bot.settings.discord.moderator_role}
    names.add((await bot.guild_settings(guild.id)).moderator_role)
    names.discard(None)
    return any(role.name in names or str(role.id) in names for role in user.roles)


def moderator_only() -> Callable[[T], T]:
    """An app-command check: everyone else gets an ephemeral 'moderators only' reply."""

    async def predicate(interaction: discord.Interaction[Any]) -> bool:
        bot: NewsBot = interaction.client  # type: ignore[assignment]
        if not await is_moderator(bot, interaction.user, interaction.guild,
                                  interaction.permissions):
            raise NotModerator()
        return True

    return app_commands.check(predicate)


def ask_cooldown() -> Callable[[T], T]:
    """Per-user cooldown on /ask: settings.discord.ask_cooldown_seconds, or the guild's override."""

    async def predicate(interaction: discord.Interaction[Any]) -> bool:
        bot: NewsBot = interaction.client  # type: ignore[assignment]
        per = await bot.ask_cooldown(interaction.guild_id)
        retry_after = bot.cooldowns.hit((interaction.guild_id, interaction.user.id), per)
        if retry_after is not None:
            raise app_commands.CommandOnCooldown(app_commands.Cooldown(1, per), retry_after)
        return True

    return app_commands.check(predicate)


def answers_here() -> Callable[[T], T]:
    """The guild's channel allow-list (a thread counts as its parent channel); put it below
    ask_cooldown() so that a question refused here costs no cooldown."""

    async def predicate(interaction: discord.Interaction[Any]) -> bool:
        bot: NewsBot = interaction.client  # type: ignore[assignment]
        if interaction.guild_id is None:
            return True
        settings = await bot.guild_settings(interaction.guild_id)
        if not settings.answers_in(home_channel_id(interaction.channel)):
            raise app_commands.CheckFailure(not_here(settings))
        return True

    return app_commands.check(predicate)


def home_channel_id(channel: object) -> int | None:
    """The channel the allow-list is about: a thread counts as its parent channel."""
    if isinstance(channel, discord.Thread):
        return channel.parent_id
    return getattr(channel, "id", None)


def not_here(settings: guilds.GuildSettings) -> str:
    where = ", ".join(f"<#{c}>" for c in settings.channels)
    return f"In this server I answer in {where}; please ask there."
