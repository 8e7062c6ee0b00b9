"""Prompt templates kept in `newsbot/data/prompts/NAME.md`, loaded by name and rendered strictly.

Templates use `string.Template` placeholders (`$name` or `${name}`), so literal JSON braces
need no escaping; a literal dollar sign is written `$$`. `render` refuses to run with a
missing or an unexpected variable, so a template and its caller cannot drift silently.
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path
from string import Template

from newsbot.data import data_path

PROMPTS_DIR = data_path("prompts")
_NAME = re.compile(r"[a-z0-9][a-z0-9_]*")


class PromptError(ValueError):
    """A prompt template is missing, malformed, or was given the wrong variables."""


def prompt_path(name: str) -> Path:
    if not _NAME.fullmatch(name):
        raise PromptError(f"Invalid prompt name {name!r}: use lowercase letters, digits and _")
    return PROMPTS_DIR / f"{name}.md"


@lru_cache(maxsize=32)
def load_prompt(name: str) -> Template:
    """The template in `prompts/<name>.md` (read once per process)."""
    path = prompt_path(name)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise PromptError(f"No prompt template named {name!r} (expected {path})") from None
    template = Template(text)
    if not template.is_valid():
        raise PromptError(
            f"Prompt template {name!r} has a malformed placeholder; write a literal $ as $$"
        )
    return template


def template_variables(name: str) -> frozenset[str]:
    """The names of the variables that `prompts/<name>.md` uses."""
    return frozenset(load_prompt(name).get_identifiers())


def render(name: str, **values: str) -> str:
    """Fill `prompts/<name>.md` with exactly the variables it uses."""
    expected = template_variables(name)
    missing = sorted(expected - values.keys())
    unexpected = sorted(values.keys() - expected)
    if missing or unexpected:
        problems = []
        if missing:
            problems.append(f"missing {', '.join(missing)}")
        if unexpected:
            problems.append(f"unexpected {', '.join(unexpected)}")
        raise PromptError(f"Prompt {name!r} variables do not match: {'; '.join(problems)}")
    return load_prompt(name).substitute(values)
