"""Prompt templates: loading, strict rendering, and agreement with their caller."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from newsbot import llm, prompts
from newsbot.prompts import PromptError, load_prompt, render, template_variables


@pytest.fixture
def prompt_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Point the loader at an empty directory for the duration of one test."""
    monkeypatch.setattr(prompts, "PROMPTS_DIR", tmp_path)
    load_prompt.cache_clear()
    yield tmp_path
    load_prompt.cache_clear()


def test_every_prompt_file_is_a_valid_template() -> None:
    files = sorted(prompts.PROMPTS_DIR.glob("*.md"))
    assert {p.stem for p in files} >= set(llm.PROMPT_VARIABLES)
    for path in files:
        assert load_prompt(path.stem).is_valid(), path


@pytest.mark.parametrize("name", sorted(llm.PROMPT_VARIABLES))
def test_template_variables_match_what_llm_declares(name: str) -> None:
    assert template_variables(name) == llm.PROMPT_VARIABLES[name]


def test_prompt_messages_passes_exactly_each_templates_variables(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    passed: dict[str, set[str]] = {}
    real_render = prompts.render

    def spy(name: str, **values: str) -> str:
        passed[name] = set(values)
        return real_render(name, **values)

    monkeypatch.setattr(llm, "render", spy)
    llm.prompt_messages("What is new in CAR-T?", [], [], [("Earlier?", "Earlier answer.")])
    assert passed.keys() == llm.PROMPT_VARIABLES.keys()
    for name, names in passed.items():
        assert names == template_variables(name), name


def test_render_names_missing_and_unexpected_variables() -> None:
    with pytest.raises(PromptError, match=r"missing articles, guidance, history") as caught:
        render("answer_user", question="q", colour="blue")
    assert "unexpected colour" in str(caught.value)


def test_rendered_system_prompt_keeps_literal_json_braces() -> None:
    text = render("answer_system", max_statements="4")
    assert '{"whats_happening": [{"text": "...", "citations": [1, 2]}]' in text
    assert "at most 4 statements per section" in text
    assert "$" not in text


def test_values_are_inserted_verbatim_and_double_dollar_is_literal(prompt_dir: Path) -> None:
    (prompt_dir / "demo.md").write_text('Cost: $$5 {"k": 1} for ${who}.\n', encoding="utf-8")
    assert template_variables("demo") == {"who"}
    assert render("demo", who="$x {y}") == 'Cost: $5 {"k": 1} for $x {y}.\n'


def test_malformed_placeholder_is_reported(prompt_dir: Path) -> None:
    (prompt_dir / "broken.md").write_text("costs $5 today\n", encoding="utf-8")
    with pytest.raises(PromptError, match="malformed placeholder"):
        load_prompt("broken")


@pytest.mark.parametrize("name", ["../settings", "Answer_System", "", "a/b"])
def test_prompt_names_cannot_leave_the_prompts_directory(name: str) -> None:
    with pytest.raises(PromptError, match="Invalid prompt name"):
        load_prompt(name)


def test_unknown_prompt_is_a_clear_error() -> None:
    with pytest.raises(PromptError, match="No prompt template named 'nope'"):
        load_prompt("nope")
