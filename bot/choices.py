"""Fixed choices offered by more than one slash command."""

from __future__ import annotations

from discord import app_commands

from newsbot.topics import DISEASES

DISEASE_CHOICES = [app_commands.Choice(name=display, value=key)
                   for key, (display, _) in DISEASES.items()]
