"""Buttons under every answer, through the real discord.py client against the fake Discord:
Sources privately, 👍 / 👎, the Report a problem modal, persistence across a restart,
/feedback for moderators, and `newsbot feedback export`."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bot.answer_view import DOWN_ID, MORE_ID, REPORT_ID, SOURCES_ID, UP_ID
from cli.main import main as newsbot_cli
from newsbot.library import Library
from tests.conftest import ROOT
from tests.discord_fake import ALICE, BOB, EPHEMERAL, FakeDiscord
from tests.test_bot_support import (
    LINK,
    all_text,
    bot_library,
    button,
    button_ids,
    fake,
    running,
    sample_template,
)

pytestmark = [pytest.mark.asyncio, pytest.mark.timeout(60)]
__all__ = ["fake", "bot_library", "sample_template"]
QUESTION = "What did the LUMEN-2 trial show?"
REASON, DETAILS = "newsbot:report:reason", "newsbot:report:details"


async def ask(fake: FakeDiscord, question: str = QUESTION, **options: object) -> dict:
    ix = await fake.send_interaction("ask", {"question": question, **options}, user=BOB)
    return await ix.wait_answer(timeout=10)


async def private_reply(fake: FakeDiscord, message: dict, action_id: str, user=ALICE) -> dict:
    ix = await fake.click(message, button(message, action_id), user=user)
    reply = await ix.wait_answer()
    assert reply["flags"] & EPHEMERAL, reply
    return reply


async def test_sources_votes_and_a_report_reach_the_records_and_feedback(
    fake: FakeDiscord, bot_library: Library
) -> None:
    async with running(fake, bot_library):
        answer = await ask(fake)
        sources = await private_reply(fake, answer, SOURCES_ID)
        up = await private_reply(fake, answer, UP_ID, user=ALICE)
        await private_reply(fake, answer, UP_ID, user=BOB)
        down = await private_reply(fake, answer, DOWN_ID, user=BOB)  # replaces BOB's 👍
        opened = await fake.click(answer, button(answer, REPORT_ID), user=BOB)
        modal = await fake.wait_until(lambda: opened.modal, what="the report modal")
        with pytest.raises(ValueError):  # a reason must be picked, as in Discord's client
            await fake.submit_modal(opened, {DETAILS: "no reason"})
        submitted = await fake.submit_modal(
            opened, {REASON: ["outdated"], DETAILS: "LUMEN-2 has since reported 2-year data"})
        thanks = await submitted.wait_answer()
        summary = all_text(await (await fake.send_interaction(
            "feedback", {}, user=ALICE)).wait_answer())
        fake.overrides.add("feedback")
        refused = all_text(await (await fake.send_interaction(
            "feedback", {}, user=BOB)).wait_answer())
    record = bot_library.store.sqlite.execute("SELECT * FROM answer_records").fetchone()
    assert record["message_id"] == int(answer["id"]) and record["question"] == QUESTION
    stored = json.loads(record["answer"])
    listed = LINK.findall(all_text(sources))
    assert len(listed) == len(stored["sources"]) >= 1  # the whole list, not only the shown
    assert "LUMEN-2" in all_text(sources)
    assert "Thanks" in all_text(up) and "Report a problem" in all_text(down)
    labels = [row["label"] for row in modal["components"]]
    options = [o["value"] for o in modal["components"][0]["component"]["options"]]
    assert modal["title"] == "Report a problem" and len(labels) == 2
    assert options == ["wrong_citation", "outdated", "misleading", "other"]
    assert thanks["flags"] & EPHEMERAL and "report was recorded" in all_text(thanks)
    votes = [tuple(r) for r in bot_library.store.sqlite.execute(
        "SELECT user_id, kind, reason, comment FROM answer_feedback ORDER BY id")]
    assert votes == [(ALICE.id, "up", None, ""), (BOB.id, "down", None, ""),
                     (BOB.id, "report", "outdated", "LUMEN-2 has since reported 2-year data")]
    assert "1 answer(s) recorded; 👍 1 · 👎 1 · 1 report(s): outdated 1." in summary
    assert f"“{QUESTION}”: LUMEN-2 has since reported 2-year data" in summary
    assert "moderators only" in refused
    # each click was handled once: no second acknowledgement was attempted
    assert not any(ix.rejections for ix in fake.interactions.values())


async def test_buttons_keep_working_after_a_restart(fake: FakeDiscord,
                                                    bot_library: Library) -> None:
    async with running(fake, bot_library):
        answer = await ask(fake)
    async with running(fake, bot_library):  # a new bot, as after a restart
        more = await private_reply(fake, answer, MORE_ID, user=BOB)
        sources = await private_reply(fake, answer, SOURCES_ID, user=BOB)
    assert "**What's next**" in all_text(more) and LINK.search(all_text(sources))


async def test_short_answers_have_no_show_more(fake: FakeDiscord, bot_library: Library) -> None:
    async with running(fake, bot_library):
        answer = await ask(fake, "Any news on Zorblatt therapy?")
    assert button_ids(answer) == [SOURCES_ID, UP_ID, DOWN_ID, REPORT_ID]


async def test_export_writes_evaluation_questions(fake: FakeDiscord, bot_library: Library,
                                                  tmp_path: Path,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    async with running(fake, bot_library):
        answer = await ask(fake)
        await ask(fake, "CAR-T for lupus")  # no feedback: not exported
        opened = await fake.click(answer, button(answer, REPORT_ID), user=BOB)
        await fake.wait_until(lambda: opened.modal, what="the report modal")
        await (await fake.submit_modal(opened, {REASON: ["wrong_citation"]})).wait_answer()
        await private_reply(fake, answer, DOWN_ID, user=ALICE)
    out = tmp_path / "reports.jsonl"
    assert newsbot_cli(["feedback", "export", "--output", str(out)]) == 0
    assert "1 answer(s) with feedback exported." in capsys.readouterr().err
    (row,) = [json.loads(line) for line in out.read_text().splitlines()]
    schema = json.loads((ROOT / "data/eval/questions_a.json").read_text())[0]
    assert set(schema) <= set(row)  # shaped like an evaluation question
    assert row["question"] == QUESTION and row["history"] == [] and row["answer_facts"] == []
    assert row["relevant"] and all(isinstance(g, str) for g in row["relevant"])
    given = row["feedback"]
    assert given["down"] == 1 and given["up"] == 0
    assert given["reports"][0]["reason"] == "wrong_citation"
    assert given["statements"] and all({"section", "text", "citations"} <= set(s)
                                       for s in given["statements"])
    assert {s["guid"] for s in given["sources"]} == set(row["relevant"])
    assert str(ALICE.id) not in out.read_text() and str(BOB.id) not in out.read_text()
