"""Text that must never reach readers as a statement: instructions aimed at a model, leaks of
our own prompt, and advice to change treatment."""

from __future__ import annotations

import re

UNSAFE = re.compile(
    r"(ignore (all |any )?(previous|prior|above|earlier) instructions|system prompt|"
    r"you are (an? )?(ai|assistant|language model)|you are newsbot|"
    r"disregard .{0,40}instructions|never an instruction to you|quoted from third parties|"
    r"\b(stop|quit|discontinue|skip) (taking |using )?(your|their|his|her) "
    r"(\w+ )?(medication|medicine|meds|treatment|drugs?)\b)",
    re.I,
)


def is_unsafe(text: str) -> bool:
    return bool(UNSAFE.search(text))
