"""Scheduled work: daily digests per subscribed channel, and ingestion on an interval.

The digest loop ticks every minute; `tick(now)` does the work and takes the clock as an
argument, so tests drive it directly. When a channel's digest is due (`newsbot.schedule`),
the digest of what arrived since its previous one is built in a worker thread and posted;
the post is recorded so a restart never posts twice. A missing permission is recorded and
retried on the next tick; a deleted channel disables its subscription.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

import discord
from discord.ext import commands, tasks

from bot.digest_post import post_details, post_digest
from newsbot import guilds, schedule
from newsbot.digest import build_digest
from newsbot.errors import IngestBusy

if TYPE_CHECKING:
    from bot.client import NewsBot

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Delivery:
    channel_id: int
    outcome: str  # posted | skipped | failed | disabled
    detail: str = ""


class SchedulerCog(commands.Cog):
    def __init__(self, bot: NewsBot) -> None:
        self.bot = bot

    async def cog_load(self) -> None:
        if not self.bot.background:
            return
        self.digest_loop.start()
        if self.bot.settings.schedule.bot_ingests:  # false when a separate worker ingests
            interval = self.bot.settings.schedule.ingest_interval.total_seconds()
            self.ingest_loop.change_interval(seconds=interval)
            self.ingest_loop.start()

    async def cog_unload(self) -> None:
        self.digest_loop.cancel()
        self.ingest_loop.cancel()

    # ---- digests ---------------------------------------------------------------------------

    @tasks.loop(minutes=1)
    async def digest_loop(self) -> None:
        try:
            await self.tick(self.bot.clock())
        except Exception:  # keep the loop alive; the next tick retries
            log.exception("digest tick failed")

    @digest_loop.before_loop
    async def _before_digest(self) -> None:
        await self.bot.wait_until_ready()

    async def tick(self, now: datetime) -> list[Delivery]:
        """Post every digest that is due at `now`; return what happened per channel."""
        subs = await self.bot.store.guilds.subscriptions(enabled_only=True)
        catchup = timedelta(hours=self.bot.settings.digest.catchup_hours)
        results = []
        for sub in subs:
            if schedule.due(sub, now, catchup) is None:
                continue
            try:
                results.append(await self.deliver(sub, now))
            except Exception:  # one broken digest must not hold up the other channels
                log.exception("digest for channel %s failed", sub.channel_id)
                results.append(Delivery(sub.channel_id, "failed", "internal error"))
        return results

    async def deliver(self, sub: guilds.Subscription, now: datetime) -> Delivery:
        since = schedule.period_start(sub, now)
        digest = await self.bot.core(build_digest, since=since, now=now)
        cid = sub.channel_id
        if digest.empty and self.bot.settings.digest.skip_empty:
            await self.bot.store.guilds.record_post(cid, now, now)
            return Delivery(cid, "skipped", "nothing new")
        chart = await self.bot.digest_chart(digest)
        sent = 0
        try:
            channel = self.bot.get_channel(cid) or await self.bot.fetch_channel(cid)
            message = await post_digest(channel.send, digest, sub.tz,  # type: ignore[union-attr]
                                        chart)
            sent = 1
            await post_details(message, digest, bot=self.bot)
        except discord.NotFound as exc:
            return await self._failed(sub, exc, disable=sent == 0, now=now, sent=sent)
        except discord.HTTPException as exc:  # Forbidden (403) and Discord trouble
            return await self._failed(sub, exc, disable=False, now=now, sent=sent)
        await self.bot.store.guilds.record_post(cid, now, digest.until)
        log.info("digest posted in channel %s (%d articles)", cid, digest.article_count)
        return Delivery(cid, "posted", f"{digest.article_count} articles")

    async def _failed(self, sub: guilds.Subscription, exc: discord.HTTPException, *,
                      disable: bool, now: datetime, sent: int) -> Delivery:
        cid = sub.channel_id
        reason = f"{exc.status} {exc.text or type(exc).__name__}"
        if sent:  # part of the digest is out: count it as posted, never post it twice
            await self.bot.store.guilds.record_post(cid, now, now)
            disable = False
        await self.bot.store.guilds.record_failure(cid, reason, disable=disable)
        log.warning("digest for channel %s failed (%s)%s", cid, reason,
                    "; subscription disabled" if disable else "; will retry")
        return Delivery(cid, "disabled" if disable else "failed", reason)

    # ---- ingestion -------------------------------------------------------------------------

    @tasks.loop(hours=1)
    async def ingest_loop(self) -> None:
        try:
            report = await self.bot.ingest.run()
        except IngestBusy:
            log.info("scheduled ingestion skipped: a run is already going")
            return
        except Exception:
            log.exception("scheduled ingestion failed")
            return
        log.info("scheduled ingestion: %s", report.summary_line())

    @ingest_loop.before_loop
    async def _before_ingest(self) -> None:
        await self.bot.wait_until_ready()
