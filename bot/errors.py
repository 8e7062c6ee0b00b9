"""The one place where errors become what the user reads: short, ephemeral, never a trace."""

from __future__ import annotations

import contextlib
import logging
from typing import Any

import discord
from discord import app_commands

from newsbot.errors import NewsbotError, StoreUnavailable

log = logging.getLogger(__name__)
NONE = discord.AllowedMentions.none()
GENERIC = "Something went wrong; the moderators can check the logs."
STORE_DOWN = ("The news store cannot be reached right now; please try again in a minute "
              "(the moderators can check the logs).")


def user_message(error: BaseException) -> str:
    """What to tell the user about `error`; unexpected errors are logged with their trace."""
    if isinstance(error, app_commands.CommandInvokeError | app_commands.TransformerError):
        inner = error.__cause__ if isinstance(error, app_commands.TransformerError) else None
        error = inner or getattr(error, "original", error)
    if isinstance(error, StoreUnavailable):
        log.warning("the store is unavailable: %s", error)  # hosts and paths stay in the log
        return STORE_DOWN
    if isinstance(error, NewsbotError):
        return str(error)
    if isinstance(error, app_commands.CommandOnCooldown):
        return (f"Easy there: you can ask again in {error.retry_after:.0f} s "
                "(a short pause keeps the bot responsive for everyone).")
    if isinstance(error, app_commands.NoPrivateMessage):
        return "This command works in a server, not in direct messages."
    if isinstance(error, app_commands.CheckFailure) and str(error):
        return str(error)
    if isinstance(error, app_commands.TransformerError):
        return f"I could not understand the value {error.value!r}."
    log.error("command failed", exc_info=(type(error), error, error.__traceback__))
    return GENERIC


async def _drop_public_placeholder(interaction: discord.Interaction[Any]) -> None:
    """After a public "thinking…" defer the first followup would replace the placeholder in
    the channel, ephemeral or not: delete a still-loading public placeholder first."""
    if interaction.response.type is not discord.InteractionResponseType.deferred_channel_message:
        return
    original = await interaction.original_response()
    if original.flags.loading and not original.flags.ephemeral:
        await interaction.delete_original_response()


async def send_ephemeral(interaction: discord.Interaction[Any], text: str) -> None:
    """Answer privately, whether or not the interaction was already acknowledged."""
    try:
        if interaction.response.is_done():
            with contextlib.suppress(discord.HTTPException):  # the private reply still goes
                await _drop_public_placeholder(interaction)
            await interaction.followup.send(text, ephemeral=True, allowed_mentions=NONE)
        else:
            await interaction.response.send_message(text, ephemeral=True, allowed_mentions=NONE)
    except discord.HTTPException as exc:  # expired interaction, Discord trouble: log only
        log.warning("could not send an error reply: %s", exc)


class NewsTree(app_commands.CommandTree):
    async def on_error(self, interaction: discord.Interaction[Any],
                       error: app_commands.AppCommandError) -> None:
        command = interaction.command.qualified_name if interaction.command else "?"
        if interaction.type is discord.InteractionType.autocomplete:  # no reply possible
            log.error("autocomplete for /%s failed", command, exc_info=error)
            return
        if not isinstance(error, app_commands.CheckFailure):
            log.info("/%s by user %s failed: %s", command, interaction.user.id,
                     type(error).__name__)
        await send_ephemeral(interaction, user_message(error))
