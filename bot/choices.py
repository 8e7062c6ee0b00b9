"""Choices offered by more than one slash command."""

from __future__ import annotations

from discord import app_commands

from newsbot.errors import NewsbotError
from newsbot.topics import DISEASES, disease_key

MAX_CHOICES = 25  # Discord's limit, for fixed choices and for one autocomplete answer

DISEASE_CHOICES = [app_commands.Choice(name=display, value=key)
                   for key, (display, _) in DISEASES.items()]


def disease_choices(current: str) -> list[app_commands.Choice[str]]:
    """What the disease option offers while one types: the diseases whose name or key holds
    the text (more than Discord's 25 fixed choices exist, so it is an autocomplete)."""
    typed = current.strip().lower()
    return [c for c in DISEASE_CHOICES
            if typed in c.name.lower() or typed in c.value][:MAX_CHOICES]


def chosen_disease(value: str | None) -> str | None:
    """The disease key for what was picked or typed ("MS", "lupus"); a clear error for a
    disease the bot does not know."""
    if not value:
        return None
    key = disease_key(value)
    if key is None:
        raise NewsbotError(f"I don't follow a disease called “{value[:60]}”: pick one of "
                           "the suggestions.")
    return key
