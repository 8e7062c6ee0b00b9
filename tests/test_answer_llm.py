"""answer_question in LLM mode: a real langchain-openai client over HTTP to a local server."""

from __future__ import annotations

import json

import pytest

from newsbot.answering import answer_question
from newsbot.llm import make_chat_model
from tests.conftest import SAMPLE_NOW, make_settings
from tests.openai_server import OpenAICompatServer, closed_port_url

pytestmark = pytest.mark.model
QUESTION = "What were the LMR-19 results in lupus nephritis?"


def model_for(tmp_path, base_url: str, timeout: float = 5.0):
    settings = make_settings(tmp_path, llm_model="openai:test-model", llm_base_url=base_url,
                             llm_timeout=timeout)
    return make_chat_model(settings)


def test_llm_answer_with_verified_citations(sample_library, tmp_path):
    with OpenAICompatServer() as server:
        server.reply_json({
            "whats_happening": [{"text": "LMR-19 led to complete renal responses in 65% of "
                                         "patients.", "citations": [1, 2]}],
            "why_it_matters": [{"text": "Kidney involvement is common in lupus.",
                                "citations": [2]}],
            "whats_next": [{"text": "A phase 3 trial is planned for 2027.", "citations": [42]}],
            "beyond_the_headlines": [],
        })
        answer = answer_question(sample_library, QUESTION,
                                 chat_model=model_for(tmp_path, server.base_url),
                                 now=SAMPLE_NOW)
        sent = server.requests[0]
    assert answer.mode == "llm" and answer.found
    assert [s.citations for s in answer.sections["whats_happening"]] == [(1, 2)]
    assert answer.sections["whats_next"] == [], "a claim citing no real source is dropped"
    assert len(answer.sources) == 2
    user = sent.content_of("user")
    assert "LMR-19" in user and answer.sources[0].title in user
    # the model gets the same query understanding as the extractive summary: what kind of
    # question this is and what it names
    assert "What the question asks for: The question names LMR-19" in user
    assert user.index("What the question asks for") < user.index("<articles>")


@pytest.mark.parametrize("failure", ["unreachable", "http500", "malformed", "timeout"])
def test_llm_failures_fall_back_to_extractive(sample_library, tmp_path, failure):
    with OpenAICompatServer() as server:
        base = server.base_url
        if failure == "unreachable":
            base = closed_port_url()
        elif failure == "http500":
            server.reply_error(500)
        elif failure == "malformed":
            server.reply("{not json at all")
        else:
            server.reply_slow(3.0, json.dumps({"whats_happening": []}))
        answer = answer_question(sample_library, QUESTION,
                                 chat_model=model_for(tmp_path, base, timeout=1.0),
                                 now=SAMPLE_NOW)
    assert answer.mode == "extractive" and answer.found
    assert answer.notices and "extractive summary" in answer.notices[0]
    assert answer.sections["whats_happening"], "the fallback still answers"


def test_only_a_follow_up_carries_the_conversation_to_the_model(sample_library, tmp_path):
    turns = [(f"Earlier question {n} about LMR-19?", f"Earlier answer {n}.") for n in range(1, 5)]
    reply = {"whats_happening": [{"text": "LMR-19 led to renal responses.", "citations": [1]}]}
    with OpenAICompatServer() as server:
        server.reply_json(reply)
        server.reply_json(reply)
        model = model_for(tmp_path, server.base_url)
        answer_question(sample_library, "And what about the kidney results?", history=turns,
                        chat_model=model, now=SAMPLE_NOW)
        answer_question(sample_library, QUESTION, history=turns, chat_model=model,
                        now=SAMPLE_NOW)
        follow_up, standalone = (r.content_of("user") for r in server.requests)
    block = follow_up[follow_up.index("<history>"):follow_up.index("</history>")]
    # the last HISTORY_TURNS turns, oldest first; the first turn is no longer carried
    assert "Earlier question 1" not in block
    assert block.index("Earlier question 2") < block.index("Earlier question 4")
    assert "Earlier answer 4." in block
    assert "<history>" not in standalone and "Earlier question" not in standalone
