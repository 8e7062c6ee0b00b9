"""The bot: a thin adapter holding the long-lived resources it was given, plus its cogs."""

from __future__ import annotations

import asyncio
import functools
import logging
import os
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from typing import Any, TypeVar

import discord
from discord.ext import commands

from bot.answer_view import AnswerButton
from bot.chart import chart_png
from bot.embeds import clip
from bot.errors import NewsTree
from bot.ingest_runner import IngestRunner
from bot.permissions import Cooldowns
from bot.store_access import OffLoopStore
from newsbot import guilds
from newsbot.chart import disease_chart
from newsbot.digest import Digest
from newsbot.library import Library
from newsbot.settings import Settings

log = logging.getLogger(__name__)
R = TypeVar("R")
NONE = discord.AllowedMentions.none()


def utc_now() -> datetime:
    return datetime.now(UTC)


def intents() -> discord.Intents:
    """Default intents plus MESSAGE CONTENT, to read questions asked in the bot's threads."""
    value = discord.Intents.default()
    value.message_content = True
    return value


class NewsBot(commands.Bot):
    def __init__(
        self,
        library: Library,
        settings: Settings,
        *,
        chat_model: Any | None = None,
        clock: Callable[[], datetime] | None = None,
        background: bool = True,
        progress_interval: float = 1.0,
        **kwargs: Any,
    ) -> None:
        super().__init__(
            command_prefix=commands.when_mentioned,
            intents=intents(),
            allowed_mentions=NONE,
            tree_cls=NewsTree,
            help_command=None,
            **kwargs,
        )
        self.library = library
        self.store = OffLoopStore(library.store)  # `await bot.store.feeds.list()`
        self.settings = settings
        self.chat_model = chat_model
        self.clock = clock or utc_now
        self.background = background  # the digest and ingestion loops
        self.ingest = IngestRunner(library, interval=progress_interval)
        self.cooldowns = Cooldowns()
        self._chart_lock = asyncio.Lock()  # pyplot keeps global state: one chart at a time
        # Answering is CPU-bound Python plus the encoder: more workers than cores add no
        # throughput, only GIL contention that stalls the event loop (gateway heartbeats).
        self._core_pool = ThreadPoolExecutor(max_workers=max(1, os.cpu_count() or 1),
                                             thread_name_prefix="newsbot-core")

    # ---- calling the core off the event loop ----------------------------------------------

    async def core(self, fn: Callable[..., R], *args: Any, **kwargs: Any) -> R:
        """fn(library, *args, **kwargs) in a worker thread of the core pool."""
        call = functools.partial(fn, self.library, *args, **kwargs)
        return await asyncio.get_running_loop().run_in_executor(self._core_pool, call)

    async def close(self) -> None:
        await super().close()
        # the caller closes the store next: work still running on it must finish first (a
        # connection closed under a running query crashes SQLite)
        await asyncio.to_thread(self._core_pool.shutdown, wait=True, cancel_futures=True)
        await asyncio.to_thread(self.store.shutdown)

    async def guild_settings(self, guild_id: int) -> guilds.GuildSettings:
        return await self.store.guilds.settings(guild_id)  # type: ignore[no-any-return]

    async def ask_cooldown(self, guild_id: int | None) -> float:
        if guild_id is not None:
            override = (await self.guild_settings(guild_id)).ask_cooldown
            if override is not None:
                return override
        return self.settings.discord.ask_cooldown_seconds

    async def digest_chart(self, digest: Digest) -> bytes | None:
        """The optional articles-per-disease PNG (settings.digest.chart), or None."""
        if not self.settings.digest.chart or digest.empty:
            return None
        chart = await self.core(disease_chart, digest.until)
        if chart is None:
            return None
        async with self._chart_lock:
            return await asyncio.get_running_loop().run_in_executor(self._core_pool, chart_png,
                                                                    chart)

    # ---- start-up --------------------------------------------------------------------------

    async def setup_hook(self) -> None:
        from bot.cogs import COGS

        self.add_dynamic_items(AnswerButton)  # buttons posted before a restart keep working
        for cog in COGS:
            await self.add_cog(cog(self))
        await self.sync_commands()

    async def sync_commands(self) -> None:
        guild_id = self.settings.discord.guild_id
        if guild_id:
            guild = discord.Object(guild_id)
            self.tree.copy_global_to(guild=guild)
            synced = await self.tree.sync(guild=guild)
            log.info("synced %d commands to guild %s", len(synced), guild_id)
        else:
            synced = await self.tree.sync()
            log.info("synced %d global commands (may take up to an hour to show)", len(synced))

    async def on_ready(self) -> None:
        log.info("connected as %s (%s) to %d guild(s)", self.user, getattr(self.user, "id", "?"),
                 len(self.guilds))

    async def on_message(self, message: discord.Message) -> None:
        """No prefix commands: mentions are handled by the ask cog's listener."""

    # ---- sending ---------------------------------------------------------------------------

    async def send_embeds(self, channel: discord.abc.Messageable,
                          groups: list[list[discord.Embed]]) -> None:
        for embeds in groups:
            await channel.send(embeds=embeds, allowed_mentions=NONE)

    async def send_text(self, channel: discord.abc.Messageable, text: str) -> None:
        await channel.send(clip(text), allowed_mentions=NONE)
