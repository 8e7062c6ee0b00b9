"""The buttons under an answer: Sources (privately), 👍 / 👎, Report a problem, Show more.

The view is persistent: fixed custom_ids, no timeout, registered once with `bot.add_view`
at start-up, so buttons on answers posted before a restart keep working. A click finds the
answer's record (newsbot.feedback) by the id of the message it was made on.

`send_with_buttons` is the one way to post something with these buttons: it records the
answer, sends it with the view and links the record to the message.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

import discord

from bot.embeds import Card, build_messages
from bot.errors import NONE, send_ephemeral, user_message
from bot.render import answer_cards, sources_value
from newsbot import feedback
from newsbot.models import Answer

if TYPE_CHECKING:
    from bot.client import NewsBot

log = logging.getLogger(__name__)
PREFIX = "newsbot:answer:"
SOURCES_ID, UP_ID, DOWN_ID, REPORT_ID, MORE_ID = (
    f"{PREFIX}{name}" for name in ("sources", "up", "down", "report", "more"))
FORGOTTEN = "I no longer have the record of this answer; please ask again."
Send = Callable[[list[discord.Embed], discord.ui.View], Awaitable[discord.Message | None]]


async def _record(interaction: discord.Interaction[Any]) -> feedback.AnswerRecord | None:
    bot: NewsBot = interaction.client  # type: ignore[assignment]
    if interaction.message is None:
        return None
    record = await bot.db(feedback.record_for_message, interaction.message.id)
    if record is None:
        await send_ephemeral(interaction, FORGOTTEN)
    return record


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
        await bot.db(feedback.report, self.record_id, interaction.user.id, reason,
                     text.value or "", bot.clock())
        await interaction.response.send_message(
            "Thanks: your report was recorded for the moderators.", ephemeral=True,
            allowed_mentions=NONE)

    async def on_error(self, interaction: discord.Interaction[Any], error: Exception) -> None:
        await send_ephemeral(interaction, user_message(error))


class AnswerView(discord.ui.View):
    """The persistent buttons; `show_more=False` leaves Show more out (short answers)."""

    def __init__(self, *, show_more: bool = True) -> None:
        super().__init__(timeout=None)
        if not show_more:
            self.remove_item(self.more)

    async def on_error(self, interaction: discord.Interaction[Any], error: Exception,
                       item: discord.ui.Item[Any]) -> None:
        await send_ephemeral(interaction, user_message(error))

    @discord.ui.button(label="Sources", style=discord.ButtonStyle.secondary,
                       custom_id=SOURCES_ID)
    async def sources(self, interaction: discord.Interaction[Any],
                      button: discord.ui.Button[Any]) -> None:
        if (record := await _record(interaction)) is None:
            return
        answer = record.answer
        listed = answer.sources or answer.related
        text = sources_value(listed) if listed else "This answer cites no sources."
        card = Card(title=f"Sources for: {answer_cards(answer)[0].title}", description=text)
        await _send_private(interaction, build_messages([card]))

    @discord.ui.button(emoji="👍", style=discord.ButtonStyle.secondary, custom_id=UP_ID)
    async def up(self, interaction: discord.Interaction[Any],
                 button: discord.ui.Button[Any]) -> None:
        await self._vote(interaction, "up")

    @discord.ui.button(emoji="👎", style=discord.ButtonStyle.secondary, custom_id=DOWN_ID)
    async def down(self, interaction: discord.Interaction[Any],
                   button: discord.ui.Button[Any]) -> None:
        await self._vote(interaction, "down")

    async def _vote(self, interaction: discord.Interaction[Any], value: str) -> None:
        if (record := await _record(interaction)) is None:
            return
        bot: NewsBot = interaction.client  # type: ignore[assignment]
        await bot.db(feedback.vote, record.id, interaction.user.id, value, bot.clock())
        more = "" if value == "up" else " Use **Report a problem** to say what was wrong."
        await interaction.response.send_message(f"Thanks for the feedback.{more}",
                                                ephemeral=True, allowed_mentions=NONE)

    @discord.ui.button(label="Report a problem", style=discord.ButtonStyle.secondary,
                       custom_id=REPORT_ID)
    async def report(self, interaction: discord.Interaction[Any],
                     button: discord.ui.Button[Any]) -> None:
        if (record := await _record(interaction)) is None:
            return
        await interaction.response.send_modal(ReportModal(record.id, interaction.user.id))

    @discord.ui.button(label="Show more", style=discord.ButtonStyle.primary, custom_id=MORE_ID)
    async def more(self, interaction: discord.Interaction[Any],
                   button: discord.ui.Button[Any]) -> None:
        if (record := await _record(interaction)) is None:
            return
        await _send_private(interaction, build_messages(answer_cards(record.answer)))


async def send_with_buttons(bot: NewsBot, send: Send, answer: Answer, card: Card, *,
                            show_more: bool, guild_id: int | None,
                            channel_id: int | None) -> discord.Message | None:
    """Record `answer`, post `card` (one embed) with the buttons through `send`, and link the
    record to the posted message. Used for answers; digest stories can use it the same way."""
    record_id = await bot.db(feedback.save_answer, answer, bot.clock(), guild_id=guild_id,
                             channel_id=channel_id)
    embeds = build_messages([card])[0]  # a preview card is one embed
    view = AnswerView(show_more=show_more)
    message = await send(embeds, view)
    # discord.py keeps each sent view per message for ever; the one registered at start-up
    # answers every message's clicks, so drop the copy.
    view.stop()
    if message is not None:
        await bot.db(feedback.attach_message, record_id, message.id)
    return message
