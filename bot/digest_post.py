"""Posting a digest: the compact message, then each story's detail in a thread under it.

Where the bot may not open a thread (no permission, a channel that has no threads), the
details go behind buttons on the compact message instead: a button answers its clicker,
privately, with that story's detail, rebuilt from the store (so it works after a restart).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Awaitable, Callable
from datetime import tzinfo
from typing import TYPE_CHECKING, Any

import discord

from bot.answer_view import answer_view
from bot.digest_cards import MAX_BUTTONS, attach_chart, button_label, compact_card, story_detail
from bot.embeds import build
from bot.errors import NONE
from newsbot.digest import Digest, DigestStory, story_digest
from newsbot.models import Answer

if TYPE_CHECKING:
    from bot.client import NewsBot

log = logging.getLogger(__name__)
THREAD_NAME = "Story details — {day:%d %b %Y}"


class StoryButton(discord.ui.DynamicItem[discord.ui.Button], template=r"digest-story:(?P<index>\d+):(?P<story>[\w-]{1,80})"):  # noqa: E501
    """'1. Headline…': the story's detail, shown only to whoever clicks."""

    def __init__(self, index: int, story_id: str, label: str = "Details") -> None:
        super().__init__(discord.ui.Button(label=label, style=discord.ButtonStyle.secondary,
                                           custom_id=f"digest-story:{index}:{story_id}"))
        self.index, self.story_id = index, story_id

    @classmethod
    async def from_custom_id(cls, interaction: discord.Interaction, item: discord.ui.Button,
                             match: re.Match[str]) -> StoryButton:
        return cls(int(match["index"]), match["story"], item.label or "Details")

    async def callback(self, interaction: discord.Interaction) -> None:
        bot: NewsBot = interaction.client  # type: ignore[assignment]
        await interaction.response.defer(ephemeral=True, thinking=True)
        story = await bot.core(story_digest, self.story_id, now=bot.clock())
        if story is None:
            await interaction.followup.send("That story is no longer stored.", ephemeral=True)
            return
        embed, view = story_detail(self.index, story)
        extra: dict[str, Any] = {"view": view} if view is not None else {}
        await interaction.followup.send(embed=embed, ephemeral=True, allowed_mentions=NONE,
                                        **extra)


def details_view(d: Digest) -> discord.ui.View | None:
    if not d.top:
        return None
    view = discord.ui.View(timeout=None)
    for index, story in enumerate(d.top[:MAX_BUTTONS], 1):
        view.add_item(StoryButton(index, story.story_id, button_label(index, story)))
    return view


async def post_digest(send: Callable[..., Awaitable[discord.Message]], d: Digest,
                      zone: tzinfo | None, chart: bytes | None) -> discord.Message:
    """The compact message, sent with `send` (a channel's or an interaction's)."""
    (embed,) = build(compact_card(d, zone))
    file = attach_chart(embed, chart)
    extra: dict[str, Any] = {"file": file} if file else {}
    return await send(embed=embed, allowed_mentions=NONE, **extra)


def story_answer(story: DigestStory) -> Answer:
    """A digest story as an answer record, so its detail carries the answer buttons."""
    return Answer(question=f"Digest story: {story.headline}", found=True,
                  sections=story.sections, sources=story.sources, mode="extractive",
                  kind="story")


async def _record_story(bot: NewsBot, story: DigestStory, channel_id: int) -> int:
    guild = getattr(getattr(bot.get_channel(channel_id), "guild", None), "id", None)
    return await bot.store.feedback.save_answer(story_answer(story), bot.clock(),
                        guild_id=guild, channel_id=channel_id)


async def post_details(message: discord.Message, d: Digest,
                       starter: discord.PartialMessage | None = None,
                       bot: NewsBot | None = None) -> str:
    """Each top story's detail in a thread under `message`; 'thread' or 'buttons'.
    `starter`: the same message as seen in its channel, when `message` came from an
    interaction's webhook (which knows no guild to open a thread in). With `bot`, each
    detail carries the answer buttons (Sources, votes, Report a problem), recorded."""
    if not d.top:
        return "none"
    try:
        thread = await (starter or message).create_thread(
            name=THREAD_NAME.format(day=d.until), auto_archive_duration=1440)
    except (discord.HTTPException, ValueError, TypeError) as exc:
        log.info("no thread for the digest (%s); its details go behind buttons", exc)
        await message.edit(view=details_view(d))
        return "buttons"
    for index, story in enumerate(d.top, 1):
        embed, _ = story_detail(index, story)
        if bot is None:
            await thread.send(embed=embed, allowed_mentions=NONE)
            continue
        record = await _record_story(bot, story, thread.id)
        view = answer_view(record, show_more=False)
        sent = await thread.send(embed=embed, allowed_mentions=NONE, view=view)
        view.stop()  # the buttons are DynamicItems: they answer clicks without a live view
        await bot.store.feedback.attach_message(record, sent.id)
    return "thread"

