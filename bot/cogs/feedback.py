"""/feedback for moderators: what readers said about the answers in this server."""

from __future__ import annotations

from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from bot.discord_text import escape, shorten
from bot.embeds import Card, build_messages
from bot.errors import NONE
from bot.permissions import moderator_only
from newsbot import feedback

if TYPE_CHECKING:
    from bot.client import NewsBot


def feedback_card(s: feedback.FeedbackSummary) -> Card:
    reasons = ", ".join(f"{feedback.REASONS[r].lower()} {n}" for r, n in s.reasons.most_common())
    lines = [f"{s.answers} answer(s) recorded; 👍 {s.up} · 👎 {s.down} · "
             f"{sum(s.reasons.values())} report(s){': ' + reasons if reasons else ''}."]
    fields = []
    if s.recent:
        fields.append(("Latest reports", "\n".join(
            f"• {r.created_at:%d %b} · {feedback.REASONS[r.reason]} · "
            f"“{shorten(escape(r.question), 80)}”"
            + (f": {shorten(escape(r.comment), 160)}" if r.comment else "")
            for r in s.recent)))
    if s.worst:
        fields.append(("Most disliked", "\n".join(
            f"• “{shorten(escape(q), 100)}” ({n})" for q, n in s.worst)))
    lines.append("Export them as evaluation questions with `newsbot feedback export`.")
    return Card(title="Feedback on answers", description="\n".join(lines), fields=fields)


class FeedbackCog(commands.Cog):
    def __init__(self, bot: NewsBot) -> None:
        self.bot = bot

    @app_commands.command(name="feedback", description="Readers' votes and reports (moderators)")
    @app_commands.guild_only()
    @app_commands.default_permissions(manage_guild=True)
    @moderator_only()
    async def feedback(self, interaction: discord.Interaction) -> None:
        summary = await self.bot.store.feedback.summarise(interaction.guild_id)
        await interaction.response.send_message(
            embeds=build_messages([feedback_card(summary)])[0], ephemeral=True,
            allowed_mentions=NONE)
