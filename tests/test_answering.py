"""Retrieval quality and grounded answers over the sample feeds, with the real MiniLM model."""

from __future__ import annotations

import json
import re
from datetime import timedelta

import pytest

from newsbot.answering import answer_question
from newsbot.errors import EmptyQuestion, QuestionTooLong
from newsbot.extractive import HAPPENING_EXTRA, SPARE
from newsbot.models import SECTION_KEYS
from newsbot.retrieval import Query, retrieve
from newsbot.search import search_articles
from tests.conftest import FIXTURES, SAMPLE_NOW

QUESTIONS = json.loads((FIXTURES / "questions.json").read_text())
ANSWERABLE = [q for q in QUESTIONS if q["relevant_guids"]]
NO_ANSWER = [q for q in QUESTIONS if not q["relevant_guids"]]
pytestmark = pytest.mark.model


def top_guids(library, question: str, k: int = 5) -> list[str]:
    return [h.guid for h in search_articles(library, question, k=k, now=SAMPLE_NOW)]


def test_labelled_set_recall_and_mrr(sample_library):
    recalls, reciprocal = [], []
    for item in ANSWERABLE:
        got = top_guids(sample_library, item["question"])
        relevant = set(item["relevant_guids"])
        recalls.append(len(relevant & set(got)) / min(len(relevant), 5))
        rank = next((i for i, g in enumerate(got, 1) if g in relevant), None)
        reciprocal.append(1 / rank if rank else 0.0)
        assert rank is not None, f"nothing relevant in top 5 for {item['question']!r}: {got}"
    assert sum(recalls) / len(recalls) >= 0.8
    assert sum(reciprocal) / len(reciprocal) >= 0.8


@pytest.mark.parametrize("item", [q for q in ANSWERABLE if q["kind"] == "exact_term"],
                         ids=lambda q: q["question"][:40])
def test_exact_terms_rank_first(sample_library, item):
    assert top_guids(sample_library, item["question"], k=3)[0] in item["relevant_guids"]


@pytest.mark.parametrize("item", NO_ANSWER, ids=lambda q: q["question"][:40])
def test_no_answer_says_so_and_suggests(sample_library, item):
    answer = answer_question(sample_library, item["question"], now=SAMPLE_NOW)
    assert not answer.found and answer.sources == []
    assert all(answer.sections[k] == [] for k in SECTION_KEYS)
    assert "no coverage" in answer.notices[0]
    assert any("Lupus" in s for s in answer.suggestions)


def test_unrelated_question_is_not_padded(sample_library):
    answer = answer_question(sample_library, "Who won the football match last night?",
                             now=SAMPLE_NOW)
    assert not answer.found


def test_answer_is_grounded_cited_and_reads_well(sample_library):
    answer = answer_question(sample_library, "What were the results of the LMR-19 trial?",
                             now=SAMPLE_NOW)
    assert answer.found and answer.mode == "extractive"
    assert list(answer.sections) == list(SECTION_KEYS)
    numbers = {s.n for s in answer.sources}
    assert numbers == set(range(1, len(answer.sources) + 1))
    texts = [s.text for key in SECTION_KEYS for s in answer.sections[key]]
    assert texts and len(texts) == len(set(texts)), "no sentence twice"
    stored = " ".join(r["text"] for r in
                      sample_library.store.sqlite.execute("SELECT text FROM articles"))
    cited: set[int] = set()
    for key in SECTION_KEYS:
        # a section may pass its room by SPARE with leftovers once every room is spent
        room = sample_library.settings.answer.section_sentences + SPARE + (
            HAPPENING_EXTRA if key == "whats_happening" else 0)
        assert len(answer.sections[key]) <= room
        for statement in answer.sections[key]:
            assert statement.citations and set(statement.citations) <= numbers
            cited |= set(statement.citations)
            text = statement.text
            named = re.match(r"\[([^\]]+)\]", text)
            if named:  # "[Lumora Bio] said…": the report's "The company", named from it
                assert named.group(1) in stored
                text = "X" + text[named.end():]
            assert text[0].isupper() or text[0] in "“\"", statement.text
            assert text[-1] in ".!?”\""
            # quoted, not invented (a leading "Why it matters:" label may have been dropped)
            assert text[1:] in stored
    assert cited == numbers, "every listed source is cited"
    assert any("LMR-19" in s.title or "Lumora" in s.title for s in answer.sources)
    whats_next = " ".join(s.text for s in answer.sections["whats_next"])
    assert "2027" in whats_next


def test_one_passage_per_article_and_overviews_span_stories(sample_library):
    passages = retrieve(sample_library, Query("lupus nephritis CAR-T results"), now=SAMPLE_NOW)
    ids = [p.article.id for p in passages]
    assert len(ids) == len(set(ids))
    answer = answer_question(sample_library, "What is new in CAR-T for autoimmune disease?",
                             now=SAMPLE_NOW)
    stories = {sample_library.store.sqlite.execute("SELECT story_id FROM articles WHERE id = ?",
                                         (s.article_id,)).fetchone()[0] for s in answer.sources}
    assert len(stories) >= 3, "an overview draws on several stories, not one"


def test_prompt_injection_sentence_never_quoted(sample_library):
    answer = answer_question(sample_library, "How fast can CAR-T be manufactured for lupus?",
                             now=SAMPLE_NOW)
    assert answer.found
    everything = json.dumps(answer.to_json())
    assert "Ignore previous instructions" not in everything
    assert "stop taking" not in everything


def test_one_patients_story_is_told_only_when_asked_for(sample_library):
    """"She takes no lupus medication" under a side-effects question reads as what the
    treatment does for anyone; a question about patients' experiences may quote it."""
    def statements(question: str) -> str:
        answer = answer_question(sample_library, question, now=SAMPLE_NOW)
        return " ".join(s.text for group in answer.sections.values() for s in group)

    side_effects = statements("What are the side effects of CAR-T for lupus?")
    assert "Renée" not in side_effects and "34-year-old" not in side_effects
    assert "takes no lupus medication" not in side_effects
    registry = statements("Tell me about the ReSET-Life registry")
    assert "she says" not in registry  # the patient's own words are her story too
    lived = statements("What is it like to get CAR-T for lupus? Patients' stories")
    assert re.search(r"\b(she|her|Renée)\b", lived)


def test_date_window_filters(sample_library):
    week = answer_question(sample_library, "What happened in lupus CAR-T this week?",
                           now=SAMPLE_NOW)
    cutoff = SAMPLE_NOW - timedelta(days=7)
    assert all((s.published or SAMPLE_NOW) >= cutoff for s in week.sources)
    old = search_articles(sample_library, "LMR-19 lupus nephritis", days=3, now=SAMPLE_NOW)
    assert all("LMR-19" not in h.title for h in old)
    recent = search_articles(sample_library, "LMR-19 lupus nephritis", days=30, now=SAMPLE_NOW)
    assert any("LMR-19" in h.title for h in recent)


def test_disease_filter(sample_library):
    answer = answer_question(sample_library, "What is new in CAR-T?", disease="multiple_sclerosis",
                             now=SAMPLE_NOW)
    assert answer.found
    for source in answer.sources:
        article = sample_library.store.sqlite.execute("SELECT diseases FROM articles WHERE id = ?",
                                            (source.article_id,)).fetchone()
        assert "multiple_sclerosis" in article["diseases"]


def test_medical_advice_question_gets_pointer(sample_library):
    answer = answer_question(sample_library, "Should I stop my lupus medication and get CAR-T?",
                             now=SAMPLE_NOW)
    assert answer.advice_pointer and "clinician" in answer.advice_pointer


@pytest.mark.parametrize("question", [
    "My son was just diagnosed with type 1 diabetes. Is there any treatment that stops his "
    "immune system attacking?",
    "My sister has lupus affecting her kidneys. Can she get the new cell therapy?",
])
def test_a_question_about_ones_family_is_personal(sample_library, question):
    from newsbot.query import asks_for_advice

    assert asks_for_advice(question)
    answer = answer_question(sample_library, question, now=SAMPLE_NOW)
    assert answer.advice_pointer and "clinician" in answer.advice_pointer
    # a news question about others is not
    assert not asks_for_advice("Can CAR-T help people with lupus affecting the kidneys?")
    assert not asks_for_advice("What did the company say about his trial's results?")


def test_follow_up_uses_history(sample_library):
    first = "What is new in CAR-T for lupus?"
    answer = answer_question(sample_library, "What about for MS?", history=[(first, "...")],
                             now=SAMPLE_NOW)
    assert answer.found
    titles = " ".join(s.title for s in answer.sources)
    assert re.search(r"multiple sclerosis|MS\b", titles, re.I)


def test_question_limits(sample_library):
    with pytest.raises(QuestionTooLong) as exc:
        answer_question(sample_library, "Is CAR-T safe? " * 400)
    assert "5,999" in str(exc.value) or "characters" in str(exc.value)
    with pytest.raises(EmptyQuestion):
        answer_question(sample_library, "   ")


@pytest.mark.parametrize("question", ["zorblatt therapy?", "Is there news on flibbertigib?"])
def test_made_up_words_are_not_padded(sample_library, question):
    answer = answer_question(sample_library, question, now=SAMPLE_NOW)
    assert not answer.found and "no coverage" in answer.notices[0]


def test_rare_word_that_is_covered_still_answers(sample_library):
    answer = answer_question(sample_library, "Can gluten tolerance be taught to the immune system?",
                             now=SAMPLE_NOW)
    assert answer.found


def test_a_story_is_told_from_its_lead(sample_library):
    answer = answer_question(sample_library, "What's the latest on LMR-19?", now=SAMPLE_NOW)
    first = answer.sections["whats_happening"][0].text
    assert first.startswith("Lumora Bio said"), first


def test_a_fields_results_question_hears_the_readouts(sample_library):
    answer = answer_question(sample_library,
                             "Did any CAR-T trial in lupus report results this month?",
                             now=SAMPLE_NOW)
    assert any("LUMEN-2" in s.title or "LMR-19" in s.title for s in answer.sources), [
        s.title for s in answer.sources]


def test_a_trial_reports_side_effects_are_its_own_though_unnamed(sample_library):
    # "Cytokine release syndrome occurred in 29 patients" names no product, but it is
    # LMR-19's: no notice that the news reports no safety findings for it
    answer = answer_question(sample_library,
                             "What side effects did patients in the LMR-19 trial have?",
                             now=SAMPLE_NOW)
    assert answer.found
    assert not [n for n in answer.notices if "safety findings" in n], answer.notices
    assert any("Cytokine release syndrome" in s.text for s in answer.sections[
        "beyond_the_headlines"])


def test_what_happened_this_week_is_a_digest_of_the_week(sample_library):
    # "happened" is how the question is asked, not a term the news must carry
    answer = answer_question(sample_library, "What happened this week?", now=SAMPLE_NOW)
    assert answer.found and answer.kind == "period"
    assert all(s.published and s.published >= SAMPLE_NOW - timedelta(days=8)
               for s in answer.sources)


def test_an_answer_about_the_hold_or_an_opened_trial_gets_no_notice_denying_it(sample_library):
    # "has placed a clinical hold on Stellan Bio's trial" is a setback; "has opened CARMEN,
    # a phase 1/2 trial" is recruitment: no notice that the news reports neither
    held = answer_question(sample_library, "Why was it put on hold?", now=SAMPLE_NOW,
                           history=[("Tell me about Stellan Bio's clinical hold", "")])
    assert held.found and not [n for n in held.notices if "setback" in n], held.notices
    opened = answer_question(sample_library,
                             "Which trials are recruiting people with myasthenia gravis?",
                             now=SAMPLE_NOW)
    assert opened.found and not [n for n in opened.notices if "recruitment" in n], (
        opened.notices)


def test_a_question_asking_what_a_therapy_is_hears_the_explainer_first(sample_library):
    answer = answer_question(sample_library, "What is CAR-T?", now=SAMPLE_NOW)
    assert answer.found and "explainers" in answer.sources[0].url, answer.sources[0]
    first = answer.sections["whats_happening"][0].text
    assert first.startswith("CAR-T therapy was developed to treat blood cancers"), first


def test_why_a_trial_was_held_hears_the_reason_and_no_notice_denying_one(sample_library):
    answer = answer_question(sample_library, "Why was the Stellan trial put on hold?",
                             now=SAMPLE_NOW)
    assert answer.found and not answer.notices, answer.notices
    said = [s.text for s in answer.sections["whats_happening"]]
    # the reason comes before the count of patients treated
    assert any(s.startswith("The hold follows a grade 4") for s in said[:2]), said
