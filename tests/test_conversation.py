"""The one conversation policy: what history a question carries (console, bot, LLM alike)."""

from __future__ import annotations

from newsbot.conversation import HISTORY_TURNS, follow_up_context

TURNS = [(f"What did trial {n} show?", f"Answer {n}.") for n in range(1, 6)]


def test_a_follow_up_carries_the_last_turns_oldest_first():
    context = follow_up_context("what about for MS?", TURNS)
    assert context.follows_up and len(context.turns) == HISTORY_TURNS
    assert context.turns == tuple(TURNS[-HISTORY_TURNS:])
    assert context.questions == [q for q, _ in TURNS[-HISTORY_TURNS:]]


def test_a_question_that_stands_alone_carries_nothing():
    context = follow_up_context("What are the latest results of CAR-T in lupus nephritis?",
                                TURNS)
    assert not context.follows_up and context.turns == () and context.questions is None


def test_no_conversation_or_only_unreadable_turns_carry_nothing():
    assert follow_up_context("is it approved?", None).turns == ()
    assert follow_up_context("is it approved?", []).turns == ()
    assert follow_up_context("is it approved?", [("  ", "an answer without its question")]
                             ).turns == ()


def test_a_question_naming_nothing_carries_the_conversation_however_long():
    context = follow_up_context("What will it cost, and what side effects should patients "
                                "watch for?", TURNS)
    assert context.follows_up
