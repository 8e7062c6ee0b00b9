"""/trial: a trial's cached registry record and the stored stories that name it."""

from __future__ import annotations

from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from bot.embeds import build_messages
from bot.errors import NONE
from bot.trial_cards import trial_card
from newsbot.errors import NewsbotError
from newsbot.library import Library
from newsbot.trials import TrialView, look_up

if TYPE_CHECKING:
    from bot.client import NewsBot


def _look_up(library: Library, text: str) -> TrialView | None:
    return look_up(library.store, text)


class TrialCog(commands.Cog):
    def __init__(self, bot: NewsBot) -> None:
        self.bot = bot

    @app_commands.command(name="trial",
                          description="A trial's registry record and the stories naming it")
    @app_commands.describe(trial="NCT number, EU CT, EudraCT or ISRCTN id, or a trial acronym")
    @app_commands.guild_only()
    async def trial(self, interaction: discord.Interaction,
                    trial: app_commands.Range[str, 1, 60]) -> None:
        await interaction.response.defer(thinking=True)
        view = await self.bot.core(_look_up, trial.strip())
        if view is None or (not view.stories and view.cached is None):
            raise NewsbotError(f"No stored story names a trial “{trial.strip()[:60]}” (try an "
                               "NCT number or an acronym from /trial's suggestions).")
        for embeds in build_messages([trial_card(view)]):
            await interaction.followup.send(embeds=embeds, allowed_mentions=NONE)

    @trial.autocomplete("trial")
    async def trial_choices(self, interaction: discord.Interaction,
                            current: str) -> list[app_commands.Choice[str]]:
        known = await self.bot.store.trials.known(current, limit=25)
        return [app_commands.Choice(name=r.label[:100], value=r.id) for r in known]
