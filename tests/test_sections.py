"""Which section a sentence belongs in, and which sentences may be quoted at all."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from newsbot.extractive import (
    _FINANCE,
    _definite,
    _self_contained,
    names_in,
    strip_label,
    usable,
)
from newsbot.models import ArticleRecord
from newsbot.retrieval import article_sentences
from newsbot.sections import classify

WHEN = datetime(2026, 5, 4, tzinfo=UTC)


@pytest.mark.parametrize(("sentence", "section"), [
    ("At week 24, 14 of 20 patients (70%) reached low disease activity, the sponsor said.",
     "whats_happening"),
    ("The company expects to start a phase 3 study in the second half of 2027.", "whats_next"),
    ("A pivotal trial is planned for 2028 in about 200 patients.", "whats_next"),
    ("Analysts estimate a list price above $350,000, and insurers have not said whether "
     "they will pay.", "beyond_the_headlines"),
    ("Cytokine release syndrome occurred in six patients and two had serious infections.",
     "beyond_the_headlines"),
    ("It would be the first treatment to target the cause of the disease rather than its "
     "symptoms.", "why_it_matters"),
    ("The study was small and open-label, so the results need confirmation.",
     "beyond_the_headlines"),
])
def test_sections_by_what_the_sentence_says(sentence: str, section: str) -> None:
    assert classify(sentence, WHEN, position=5) == section


def test_the_lead_of_an_article_is_what_happened() -> None:
    lead = "Orvane Bio said its engineered T-cell therapy cleared skin lesions in 9 of 11 people."
    assert classify(lead, WHEN, position=0) == "whats_happening"


def test_a_first_dosing_is_an_event_not_significance() -> None:
    assert classify("The first patient was dosed in the trial in March, the company said.",
                    WHEN, position=4) == "whats_happening"


def test_outlet_labels_win() -> None:
    assert strip_label("Why it matters: few patients have options.") == (
        "Few patients have options.", "why_it_matters")


@pytest.mark.parametrize("sentence", [
    "What you can do: • Join the registry • Email your representative today.",
    "Sign our petition to make the therapy affordable for everyone who needs it.",
    "Is this the end of daily pills for people with the disease?",
    "and then the trial was stopped for reasons nobody has explained yet.",
])
def test_lists_calls_to_action_questions_and_fragments_are_not_statements(sentence: str) -> None:
    assert not usable(sentence)


def test_names_in_finds_codes_and_companies_not_targets() -> None:
    found = names_in("Orvane Therapeutics' ORV-12, a CD19 CAR-T, was compared with QX-7 in SLE.")
    assert {"ORV-12", "QX-7", "Orvane"} <= found
    assert "CD19" not in found and "SLE" not in found


@pytest.mark.parametrize(("sentence", "statement"), [
    ("But the trial was small and had no control group.",
     "The trial was small and had no control group."),
    ("And 12 people followed for months is far too few to know.",
     "12 people followed for months is far too few to know."),
    ("There were no dose-limiting side effects.", "There were no dose-limiting side effects."),
    ("It will enroll 30 adults at three doses.", None),
    ("They plan to file in 2027.", None),
    ("There, the company opened a plant.", None),
])
def test_statements_stand_on_their_own(sentence: str, statement: str | None) -> None:
    assert _self_contained(sentence) == statement


def test_a_proper_name_is_not_a_dangling_reference() -> None:
    assert _definite("The company plans to start a trial next year.")
    assert not _definite("The Agency has not received any report of a malignancy.")
    # "the decision", "the results": which one, in an answer drawn from several stories?
    assert _definite("The decision takes effect on 21 October 2026.")
    assert _definite("The result was statistically significant (p=0.008).")


def test_a_bulleted_list_gives_one_sentence_per_bullet() -> None:
    record = ArticleRecord(
        id="b1", guid="b1", url="", title="Survey", source="Test", feed_url="",
        published=None, ingested_at=datetime(2026, 11, 1, tzinfo=UTC),
        text="Members had concerns: • 64% worried about cost. • 52% worried about travel.",
        content_hash="b1", on_topic=True, relevance=1.0, reason="")
    assert article_sentences(record) == ("Members had concerns:", "64% worried about cost.",
                                         "52% worried about travel.")


@pytest.mark.parametrize(("sentence", "money"), [
    ("Zephyrine raised 180 million Swiss francs in an accelerated share offering.", True),
    ("Gantrell raised $140 million in a Series B round.", True),
    ("The finding raised 3 new questions about dosing.", False),
    ("IgG levels rose by 12% after the second dose.", False),
    ("With $241 million in cash and runway into 2028, it need not raise.", True),
])
def test_money_talk_is_told_apart(sentence: str, money: bool) -> None:
    assert bool(_FINANCE.search(sentence)) is money


@pytest.mark.parametrize(("sentence", "section"), [
    # a date after the article's own: a decision that takes effect, a step that is planned
    ("The decision takes effect on 21 May 2026.", "whats_next"),
    ("Enrolment reopens at U.S. sites on June 2, 2026.", "whats_next"),
    ("The Agency granted the authorisation on 2 May 2026.", "whats_happening"),
    # what the evidence cannot show: a caveat, wherever the outlet put it
    ("Nine months of follow-up in 14 patients is far too few to know how long remission "
     "lasts.", "beyond_the_headlines"),
    ("The drug did not significantly improve fatigue scores, a secondary goal.",
     "beyond_the_headlines"),
    ("People with the MuSK form of the disease were not included.", "beyond_the_headlines"),
])
def test_plans_by_their_date_and_caveats_by_what_they_limit(sentence: str,
                                                             section: str) -> None:
    assert classify(sentence, WHEN, position=5) == section


def test_a_quotation_of_several_sentences_gives_whole_quoted_sentences() -> None:
    record = ArticleRecord(
        id="q1", guid="q1", url="", title="Readout", source="Test", feed_url="",
        published=None, ingested_at=datetime(2026, 11, 1, tzinfo=UTC),
        text=('"It is a clean result," said Dr. Ines Molnar, who was not involved. "But the '
              'run-in enriches for responders. A third of patients never responded, and '
              'there is no head-to-head data."\n\nThe company plans a filing in 2027.'),
        content_hash="q1", on_topic=True, relevance=1.0, reason="")
    sentences = article_sentences(record)
    assert sentences[1:3] == ('"But the run-in enriches for responders."',
                              '"A third of patients never responded, and there is no '
                              'head-to-head data."')
    assert sentences[3] == "The company plans a filing in 2027."
    # quoted, the caveat stands on its own; a quoted pronoun still leans on what came before
    assert _self_contained(sentences[1]) == '"The run-in enriches for responders."'
    assert usable(sentences[2])
    assert _self_contained('"It is a clean result."') is None


def test_a_dash_bulleted_list_gives_one_sentence_per_bullet() -> None:
    record = ArticleRecord(
        id="b2", guid="b2", url="", title="Campaign", source="Test", feed_url="",
        published=None, ingested_at=datetime(2026, 11, 1, tzinfo=UTC),
        text=("What we are doing: - We are opening a travel fund in May. - We are asking "
              "sponsors to publish site lists.\n\nThe drug - approved in May - is a pill."),
        content_hash="b2", on_topic=True, relevance=1.0, reason="")
    assert article_sentences(record) == (
        "What we are doing:", "We are opening a travel fund in May.",
        "We are asking sponsors to publish site lists.",
        "The drug - approved in May - is a pill.")


def test_the_trade_press_halves_and_quarters_are_dates() -> None:
    from newsbot.sections import is_plan

    published = datetime(2026, 11, 10, tzinfo=UTC)
    assert is_plan("Full escalation data 1H27.", published)
    assert is_plan("The lupus cohort data are guided to Q4 2026.", published)
    assert not is_plan("Enrolment closed in Q2 2026.", published)
    assert classify("Interim data are guided to 2H 2026.",
                    datetime(2026, 1, 20, tzinfo=UTC)) == "whats_next"


def test_what_was_done_is_told_from_what_is_to_be_done() -> None:
    from newsbot.sections import reports_done

    assert reports_done("The study dosed its first patient in December 2025.")
    assert reports_done("At week 24, 30 of 46 patients responded.")
    assert not reports_done("Patients will be dosed from 2027.")
    assert not reports_done("Valcourt said it is reviewing site selection for VESPER-3.")


@pytest.mark.parametrize(("sentence", "section"), [
    # the figures count harms: risks, however many percentages the sentence carries
    ("Headache (18% vs 9%) and nausea (12% vs 8%) were the most common adverse events.",
     "beyond_the_headlines"),
    ("Injection-site reactions occurred in 44% of patients on drug, and fatigue in 11%.",
     "beyond_the_headlines"),
    ("One patient had a grade 3 ALT flare at week 2, which resolved with steroids.",
     "beyond_the_headlines"),
    ("One participant had cytomegalovirus reactivation treated with valganciclovir.",
     "beyond_the_headlines"),
    # a harm named after the result is an aside to it
    ("ORX-5 led to a response in 24 of 38 patients (63%), with grade 3 CRS in one patient.",
     "whats_happening"),
    # immune thrombocytopenia is a disease, not a harm of the drug
    ("At week 24, 61% of people with immune thrombocytopenia had a platelet response.",
     "whats_happening"),
])
def test_harms_and_their_figures_are_risks(sentence: str, section: str) -> None:
    assert classify(sentence, WHEN, position=5) == section
