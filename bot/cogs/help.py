"""/help: the commands this member may use, built from the command tree itself."""

from __future__ import annotations

from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from bot.embeds import Card, build_messages
from bot.errors import NONE
from bot.permissions import is_moderator
from newsbot.models import NOT_ADVICE

if TYPE_CHECKING:
    from bot.client import NewsBot

Command = app_commands.Command | app_commands.Group
HOW_TO_ASK = ("Mention me with a question to get the answer in a thread where you can keep "
              "asking. Under each answer: **Sources** (the list, just for you), 👍 / 👎, "
              "**Report a problem**, and **Show more** when the answer is long.")


def usage(command: app_commands.Command) -> str:
    options = " ".join(p.name if p.required else f"[{p.name}]" for p in command.parameters)
    return f"`/{command.qualified_name}{' ' + options if options else ''}` — {command.description}"


def help_lines(tree_commands: list[Command], moderator: bool) -> tuple[list[str], list[str]]:
    """(everyone's commands, moderator commands shown to this member), one line each."""
    members: list[str] = []
    moderators: list[str] = []
    for top in sorted(tree_commands, key=lambda c: c.name):
        if top.name == "help":
            continue
        leaves = top.walk_commands() if isinstance(top, app_commands.Group) else [top]
        lines = [usage(c) for c in leaves if isinstance(c, app_commands.Command)]
        if top.default_permissions is None:
            members += lines
        elif moderator:
            moderators += lines
    return members, moderators


class HelpCog(commands.Cog):
    def __init__(self, bot: NewsBot) -> None:
        self.bot = bot

    @app_commands.command(name="help", description="What I can do for you here")
    @app_commands.guild_only()
    async def help(self, interaction: discord.Interaction) -> None:
        moderator = await is_moderator(self.bot, interaction.user, interaction.guild,
                                       interaction.permissions)
        members, moderators = help_lines(self.bot.tree.get_commands(), moderator)
        fields = [("Commands", "\n".join(members))]
        if moderators:
            fields.append(("For moderators", "\n".join(moderators)))
        card = Card(title="newsbot: immune-reprogramming therapy news",
                    description=HOW_TO_ASK, fields=fields, footer=NOT_ADVICE)
        await interaction.response.send_message(embeds=build_messages([card])[0],
                                                ephemeral=True, allowed_mentions=NONE)
