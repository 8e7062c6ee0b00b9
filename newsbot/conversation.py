"""What an earlier conversation carries into a new question — one policy for the console,
the bot's threads and the LLM prompt.

A question that leans on the conversation ("what about for MS?", "is it approved?") carries
its last `HISTORY_TURNS` question/answer turns: the query is read together with the previous
question (its subject, diseases and window carry over) and the language model sees the turns
as quoted history. A question that stands on its own carries nothing, so an earlier topic
never steers the answer to a new one. Adapters pass the whole conversation they hold; only
this module decides what of it is used.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from newsbot.query import looks_like_follow_up

HISTORY_TURNS = 3  # earlier question/answer turns a follow-up carries

Turn = tuple[str, str]  # (question, answer as shown)


@dataclass(frozen=True)
class FollowUpContext:
    turns: tuple[Turn, ...] = ()  # what the question carries, oldest first; () stands alone

    @property
    def follows_up(self) -> bool:
        return bool(self.turns)

    @property
    def questions(self) -> list[str] | None:
        """The earlier questions, for reading the query (None when it stands alone)."""
        return [q for q, _ in self.turns] or None


def follow_up_context(question: str, history: Sequence[Turn] | None) -> FollowUpContext:
    """The turns of `history` (oldest first) that `question` carries: the last
    `HISTORY_TURNS` when it leans on the conversation, none when it stands on its own."""
    recent = [(q, a) for q, a in (history or ())[-HISTORY_TURNS:] if q.strip()]
    if not recent or not looks_like_follow_up(question):
        return FollowUpContext()
    return FollowUpContext(tuple(recent))

