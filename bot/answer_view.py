"""The buttons under an answer: Sources (privately), 👍 / 👎, Report a problem, Show more.

Persistent across restarts: each button's custom_id names the action and the answer's
record (`newsbot:answer:sources:42`), and `AnswerButton` is registered once at start-up
(`bot.add_dynamic_items`), so buttons on answers posted before a restart keep working and a
click never depends on anything held in memory. The record (newsbot.feedback) is written
before the message is sent, so a click can never arrive before it.

`send_with_buttons` is the one way to post something with these buttons: it records the
answer and sends it with `answer_view(record_id)`.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from re import Match
from typing import TYPE_CHECKING, Any

import discord

from bot.answer_cards import answer_cards, sources_value
from bot.embeds import Card, build_messages
from bot.errors import NONE, send_ephemeral, user_message
from newsbot import feedback
from newsbot.models import Answer

if TYPE_CHECKING:
    from bot.client import NewsBot

log = logging.getLogger(__name__)
PREFIX = "newsbot:answer:"
SOURCES_ID, UP_ID, DOWN_ID, REPORT_ID, MORE_ID = (
    f"{PREFIX}{name}" for name in ("sources", "up", "down", "report", "more"))
# action -> (label, emoji, style)
BUTTONS: dict[str, tuple[str | None, str | None, discord.ButtonStyle]] = {
    "sources": ("Sources", None, discord.ButtonStyle.secondary),
    "up": (None, "👍", discord.ButtonStyle.secondary),
    "down": (None, "👎", discord.ButtonStyle.secondary),
    "report": ("Report a problem", None, discord.ButtonStyle.secondary),
    "more": ("Show more", None, discord.ButtonStyle.primary),
}
FORGOTTEN = "I no longer have the record of this answer; please ask again."
Send = Callable[[list[discord.Embed], discord.ui.View], Awaitable[discord.Message | None]]


async def _send_private(interaction: discord.Interaction[Any],
                        groups: list[list[discord.Embed]]) -> None:
    first, *rest = groups
    await interaction.response.send_message(embeds=first, ephemeral=True, allowed_mentions=NONE)
    for embeds in rest:
        await interaction.followup.send(embeds=embeds, ephemeral=True, allowed_mentions=NONE)


class ReportModal(discord.ui.Modal, title="Report a problem"):
    reason: discord.ui.Label[ReportModal] = discord.ui.Label(
        text="What is wrong with this answer?",
        component=discord.ui.Select(
            custom_id="newsbot:report:reason", min_values=1, max_values=1,
            options=[discord.SelectOption(label=label, value=value)
                     for value, label in feedback.REASONS.items()]),
    )
    details: discord.ui.Label[ReportModal] = discord.ui.Label(
        text="Details (optional)",
        component=discord.ui.TextInput(
            custom_id="newsbot:report:details", style=discord.TextStyle.paragraph,
            required=False, max_length=feedback.COMMENT_CHARS),
    )

    def __init__(self, record_id: int, user_id: int) -> None:
        super().__init__(custom_id=f"newsbot:report:{record_id}:{user_id}", timeout=900)
        self.record_id = record_id

    async def on_submit(self, interaction: discord.Interaction[Any]) -> None:
        bot: NewsBot = interaction.client  # type: ignore[assignment]
        select: discord.ui.Select[Any] = self.reason.component  # type: ignore[assignment]
        text: discord.ui.TextInput[Any] = self.details.component  # type: ignore[assignment]
        reason = select.values[0] if select.values else "other"
        await bot.store.feedback.report(self.record_id, interaction.user.id, reason,
                     text.value or "", bot.clock())
        await interaction.response.send_message(
            "Thanks: your report was recorded for the moderators.", ephemeral=True,
            allowed_mentions=NONE)

    async def on_error(self, interaction: discord.Interaction[Any], error: Exception) -> None:
        await send_ephemeral(interaction, user_message(error))


class AnswerButton(discord.ui.DynamicItem[discord.ui.Button[Any]],
                   template=r"newsbot:answer:(?P<action>sources|up|down|report|more):(?P<id>\d+)"):
    """One of the buttons under an answer, for the record `record_id`."""

    def __init__(self, action: str, record_id: int) -> None:
        label, emoji, style = BUTTONS[action]
        super().__init__(discord.ui.Button(label=label, emoji=emoji, style=style,
                                           custom_id=f"{PREFIX}{action}:{record_id}"))
        self.action, self.record_id = action, record_id

    @classmethod
    async def from_custom_id(cls, interaction: discord.Interaction[Any],
                             item: discord.ui.Button[Any], match: Match[str],
                             /) -> AnswerButton:
        return cls(match["action"], int(match["id"]))

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        try:
            await self._act(interaction)
        except Exception as exc:  # discord.py would only log it: the user must learn
            await send_ephemeral(interaction, user_message(exc))

    async def _act(self, interaction: discord.Interaction[Any]) -> None:
        bot: NewsBot = interaction.client  # type: ignore[assignment]
        record = await bot.store.feedback.record(self.record_id)
        if record is None:
            await send_ephemeral(interaction, FORGOTTEN)
            return
        answer = record.answer
        if self.action == "sources":
            listed = answer.sources or answer.related
            text = sources_value(listed) if listed else "This answer cites no sources."
            title = f"Sources for {answer_cards(answer)[0].title}"
            await _send_private(interaction, build_messages([Card(title=title,
                                                                  description=text)]))
        elif self.action in feedback.VOTES:
            await bot.store.feedback.vote(record.id, interaction.user.id, self.action, bot.clock())
            more = "" if self.action == "up" else " Use **Report a problem** to say what is wrong."
            await interaction.response.send_message(f"Thanks for the feedback.{more}",
                                                    ephemeral=True, allowed_mentions=NONE)
        elif self.action == "report":
            await interaction.response.send_modal(ReportModal(record.id, interaction.user.id))
        else:  # more: the whole answer, privately
            await _send_private(interaction, build_messages(answer_cards(answer)))


def answer_view(record_id: int, *, show_more: bool = True) -> discord.ui.View:
    """The buttons for the record `record_id` (without Show more for short answers)."""
    view = discord.ui.View(timeout=None)
    for action in BUTTONS:
        if action != "more" or show_more:
            view.add_item(AnswerButton(action, record_id))
    return view


async def send_with_buttons(bot: NewsBot, send: Send, answer: Answer, card: Card, *,
                            show_more: bool, guild_id: int | None,
                            channel_id: int | None) -> discord.Message | None:
    """Record `answer`, post `card` (one embed) with its buttons through `send`, and note the
    message id in the record. Used for answers; digest stories can use it the same way."""
    record_id = await bot.store.feedback.save_answer(answer, bot.clock(), guild_id=guild_id,
                             channel_id=channel_id)
    embeds = build_messages([card])[0]  # a preview card is one embed
    view = answer_view(record_id, show_more=show_more)
    message = await send(embeds, view)
    view.stop()  # discord.py would keep every sent view for ever; AnswerButton serves clicks
    if message is not None:
        await bot.store.feedback.attach_message(record_id, message.id)
    return message
