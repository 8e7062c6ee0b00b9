"""Answer quality on the held-out corpus (`data/eval/`, dev split), with the real MiniLM.

The thresholds sit just under the figures measured on the dev split (bench/RESULTS.md),
so a change that makes answers worse fails here. Each regression test below is one of the
failures the answer-quality issue listed, reproduced on this corpus's wording (not the
sample feeds').
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from bench import answer_quality
from bench.eval_corpus import EVAL_NOW, build_library, load_items, load_questions
from newsbot.answering import answer_question
from newsbot.library import Library
from newsbot.search import search_articles

pytestmark = pytest.mark.model
PRONOUN_START = re.compile(r"^(It|They|This|These|That|Those|He|She|But|And|However)\b")


@pytest.fixture(scope="module")
def eval_library(tmp_path_factory: pytest.TempPathFactory, minilm) -> Iterator[Library]:
    root = tmp_path_factory.mktemp("eval")
    library = build_library(Path(root), minilm)
    yield library
    library.close()


def ask(library: Library, question: str, history: list[str] | None = None):
    return answer_question(library, question, now=EVAL_NOW,
                           history=[(h, "") for h in history] if history else None)


def statements(answer) -> list[tuple[str, str]]:
    return [(key, s.text) for key, group in answer.sections.items() for s in group]


def assert_margins(result: dict, *, ndcg: tuple[float, float], facts: tuple[float, float],
                   missed: int, section: float) -> None:
    """nDCG@5 and key facts at least (floor, margin over their baseline); at most `missed`
    near-misses answered and one answerable question refused; a share in their section."""
    ours, rrf = result["retrieval"]["newsbot"], result["retrieval"]["plain RRF"]
    assert ours["nDCG@5"] >= ndcg[0] and ours["nDCG@5"] >= rrf["nDCG@5"] + ndcg[1]
    found = result["key_facts"]
    assert found["newsbot"] >= facts[0] and found["newsbot"] >= found["lead"] + facts[1]
    caught, unanswerable = result["no_answer"]
    refused, _ = result["false_refusals"]
    assert caught >= unanswerable - missed and refused <= 1
    assert result["in_expected_section"] >= section


@pytest.mark.timeout(900)  # ~2 min alone; far longer when the machine is shared
def test_dev_split_figures_beat_the_baselines(eval_library: Library, minilm) -> None:
    result = answer_quality.evaluate(eval_library, load_items(), load_questions("dev"), minilm)
    ours, rrf = result["retrieval"]["newsbot"], result["retrieval"]["plain RRF"]
    # measured here (tenth pass 2026-12-04, the store of all slices): nDCG@5 0.927 vs 0.639,
    # recall@5 0.95 vs 0.70, key facts 81.4 % vs 34.8 %, 12/12 near-misses, 0/48 refused,
    # 81.6 % in their section, 17 of 42 answers naming another product, most repeated 3
    assert_margins(result, ndcg=(0.90, 0.25), facts=(0.80, 0.44), missed=1, section=0.80)
    assert ours["recall@5"] >= 0.93 and ours["recall@5"] >= rrf["recall@5"] + 0.2
    off, named = result["off_target_answers"]
    assert off <= 17
    assert result["most_repeated_unrelated"]["answers"] <= 3


@pytest.mark.timeout(900)
def test_heldout_split_keeps_its_margins(tmp_path: Path, minilm) -> None:
    """Slices g and h, in six outlets' styles the rest never uses (their own store): what
    this project learnt from them must not be lost on the way to the next dev gain."""
    from bench.eval_corpus import store_slices

    library = build_library(tmp_path, minilm, store_slices("heldout"))
    try:
        result = answer_quality.evaluate(library, load_items(store_slices("heldout")),
                                         load_questions("heldout"), minilm)
    finally:
        library.close()
    # measured here (eleventh pass 2026-12-04): nDCG@5 0.843 vs 0.740, key facts 63.2 % vs
    # 38.3 %, 18/20 near-misses, 0/44 refused, 81.0 % in their section
    assert_margins(result, ndcg=(0.83, 0.09), facts=(0.62, 0.23), missed=2, section=0.79)


def test_imperatives_and_codes_are_answered(eval_library: Library) -> None:
    answer = ask(eval_library, "Summarize the KALIMA-3 results for KAL-204.")
    assert answer.found
    assert all("KALIMA-3" in s.title or "KAL-204" in s.title or "kalofcimab" in s.title
               or "Sjögren" in s.title for s in answer.sources)
    text = " ".join(t for _, t in statements(answer))
    assert "512" in text  # the trial's headline numbers are there


def test_hyphenated_compound_and_typo_are_not_refused(eval_library: Library) -> None:
    for question in ("What has Galvanta's anti-FcRn drug shown in CIDP?",
                     "any news on the myasthenia gravas FcRn drug approval?",
                     "did Verdiane get any special regulatory status for its lupus nefritis "
                     "treatment?"):
        answer = ask(eval_library, question)
        assert answer.found, question


def test_a_week_summary_is_a_digest_of_that_week(eval_library: Library) -> None:
    answer = ask(eval_library, "Summarise the past week's news")
    assert answer.found and answer.kind == "period"
    week = EVAL_NOW - timedelta(days=7)
    assert all(s.published and s.published >= week for s in answer.sources)
    stories = {eval_library.store.sqlite.execute("SELECT story_id FROM articles WHERE id = ?",
                                       (s.article_id,)).fetchone()[0] for s in answer.sources}
    assert len(stories) >= 3, "a week's summary covers several stories"


def test_search_reads_time_windows_like_ask(eval_library: Library) -> None:
    hits = search_articles(eval_library, "lupus news this week", now=EVAL_NOW)
    assert hits and all(h.published and h.published >= EVAL_NOW - timedelta(days=7)
                        for h in hits)


@pytest.mark.parametrize(("question", "subject"), [
    ("Has KAL-204 been tested in lupus nephritis?", "KAL-204 in Lupus"),
    ("Any T-cell engager results in myasthenia gravis?", "T-cell engager in Myasthenia"),
    ("Are there any CAR-Treg therapies being developed for lupus?", "CAR-Treg"),
    ("Why was Galvanta's GLV-220 trial put on clinical hold?", "clinical hold news of"),
    ("What did the phase 3 trial of GNT-701 show?", "phase 3 news of GNT-701"),
])
def test_near_misses_say_what_is_missing_and_show_the_closest(eval_library: Library,
                                                              question: str,
                                                              subject: str) -> None:
    answer = ask(eval_library, question)
    assert not answer.found and answer.to_json()["found"] is False
    assert subject in answer.notices[0]
    assert answer.related, "the closest related story is offered, labelled as such"
    assert not statements(answer)


def test_unknown_company_is_not_padded(eval_library: Library) -> None:
    answer = ask(eval_library, "What has Varnhold Therapeutics reported in lupus?")
    assert not answer.found and "Varnhold" in answer.notices[0]


def test_named_product_answer_stays_on_its_story(eval_library: Library) -> None:
    answer = ask(eval_library, "Summarize the phase 2 ZENITH-MG results for Zephyrine's ZPH-19")
    assert answer.found
    by_n = {s.n: s for s in answer.sources}
    on_story = 0
    for group in answer.sections.values():
        for statement in group:
            articles = [eval_library.store.sqlite.execute(
                "SELECT title, text FROM articles WHERE id = ?", (by_n[n].article_id,)).fetchone()
                        for n in statement.citations]
            on_story += any("ZPH-19" in a["title"] + a["text"] for a in articles)
            # a statement that names another product says so itself
            others = {"GLV-220", "GNT-701", "ZRV-310", "GCT-A4"}
            assert not any(o in statement.text for o in others), statement.text
    total = sum(len(g) for g in answer.sections.values())
    assert on_story == total
    assert re.search(r"\b(19|Nineteen) of (the )?24\b", " ".join(t for _, t in statements(answer)))


def test_status_question_leads_with_the_newest_status(eval_library: Library) -> None:
    answer = ask(eval_library, "Is the ZORA-PMS trial still on hold?")
    assert answer.found and answer.kind == "status"
    first = answer.sections["whats_happening"][0]
    newest = answer.sources[first.citations[0] - 1]
    assert newest.published and newest.published.month == 11  # the November lifting
    assert "lift" in first.text.lower()


def test_follow_up_uses_the_previous_question(eval_library: Library) -> None:
    answer = ask(eval_library, "Why was it stopped in the first place?",
                 history=["Is the KAIROS-1 trial still on hold?"])
    assert answer.found
    text = " ".join(t for _, t in statements(answer)).lower()
    assert "liver" in text  # the reason for the hold, not another trial's


def test_no_dangling_statements_or_empty_sections(eval_library: Library) -> None:
    for q in load_questions("dev")[:30]:
        answer = ask(eval_library, q["question"], q.get("history"))
        for _key, text in statements(answer):
            assert not PRONOUN_START.match(text), (q["id"], text)
            assert "No supporting coverage" not in text
        if answer.found:
            rendered = answer.to_json()["sections"]
            assert any(rendered.values())


def _titles(library: Library, question: str, k: int = 5) -> list[str]:
    return [h.title for h in search_articles(library, question, k=k, now=EVAL_NOW)]


def test_a_disease_named_beats_another_disease_in_the_headline(eval_library: Library) -> None:
    # Galvanta's myasthenia articles mention CIDP in passing; the CIDP readout answers
    titles = _titles(eval_library, "What has Galvanta's anti-FcRn drug shown in CIDP?", k=2)
    assert "CIDP" in titles[0]


def test_a_disease_week_is_that_disease_s_news_only(eval_library: Library) -> None:
    hits = search_articles(eval_library, "Any multiple sclerosis news this week?", k=6,
                           now=EVAL_NOW)
    texts = [eval_library.store.sqlite.execute(
        "SELECT title || ' ' || text FROM articles WHERE guid = ?", (h.guid,)).fetchone()[0]
        for h in hits]
    assert texts and all(re.search(r"multiple sclerosis|\bMS\b", t) for t in texts)
    assert any("ZORA-PMS" in h.title for h in hits), "this week's MS news, however worded"


def test_a_regulatory_question_finds_the_regulator_s_decision(eval_library: Library) -> None:
    titles = _titles(eval_library, "did Verdiane get any special regulatory status for its "
                     "lupus nefritis treatment?")
    # the decision leads, above the company's newer (and better-matching) trial readout
    assert "Priority Development Scheme" in titles[0], titles


def test_a_quiet_period_tells_its_few_stories_fully(eval_library: Library) -> None:
    answer = ask(eval_library, "Anything new for CIDP since August?")
    assert answer.found and answer.kind == "period"
    said = statements(answer)
    assert len(said) >= 5, "one story in the window gets the whole answer, not two lines"
    assert any(re.search(r"\b17 ?%", text) for _, text in said)


def test_an_overview_for_patients_leaves_out_share_moves(eval_library: Library) -> None:
    answer = ask(eval_library, "Any CAR-T trials in MS?")
    assert answer.found
    said = " ".join(t for _, t in statements(answer))
    assert not re.search(r"\bshares (rose|fell)\b|\bproceeds\b|\binvestors?\b", said), said
    money = ask(eval_library, "Tell me about Zephyrine Therapeutics' financing and "
                "manufacturing deals")
    assert re.search(r"\bproceeds|\bfinancing|\$|francs", " ".join(
        t for _, t in statements(money)))  # asked about money: money is the news


def test_what_was_asked_of_a_subject_is_said_to_be_missing(eval_library: Library) -> None:
    # no stored article speaks of paying for CAR-T in myasthenia gravis: the answer tells
    # the news about it, and says first that none of it is about insurance
    answer = ask(eval_library, "Will my insurance cover CAR-T for myasthenia gravis?")
    assert answer.found
    assert any("reports cost, price or insurance coverage for CAR-T in" in n
               for n in answer.notices)
    # where the news does carry what was asked, no such notice
    covered = ask(eval_library, "Did Veridane get any special regulatory status for its lupus "
                                "nephritis treatment?")
    assert covered.found and not any("None of the news" in n for n in covered.notices)


def test_a_results_question_is_answered_with_news_not_textbook(eval_library: Library) -> None:
    from newsbot.extractive import background

    answer = ask(eval_library, "Has anyone with lupus been able to stop all their medicines "
                               "after having their own immune cells reprogrammed?")
    happening = [t for key, t in statements(answer) if key == "whats_happening"]
    assert happening and not [t for t in happening if background(t)]
    assert any(re.search(r"\b10 of (the )?12\b|none of the 12", t) for t in happening)


def test_the_fullest_telling_of_a_trials_figures_is_quoted(eval_library: Library) -> None:
    texts = [t for _, t in statements(ask(eval_library, "Any TCE results in SLE?"))]
    assert any("30 of 46" in t for t in texts), texts
    assert not [t for t in texts if re.match(r"(?:\w+ )?(?:of|among) (?:them|these)\b", t, re.I)]


def test_a_comparison_quotes_what_sets_the_two_apart(eval_library: Library) -> None:
    question = "How does Valcourt's VLC-310 compare with Veridane's VRD-201 for lupus?"
    texts = [t for _, t in statements(ask(eval_library, question))]
    joined = " ".join(texts)
    assert "VLC-310" in joined and "VRD-201" in joined
    assert any(re.search(r"\bwithout (?:chemotherapy|apheresis|lymphodepl)|higher bar than|"
                         r"no apheresis", t) for t in texts), texts


@pytest.mark.parametrize(("question", "found"), [
    ("Is there an off-the-shelf cell therapy being tested in lupus?", True),
    ("Is there an off-the-shelf cell therapy being tested in myasthenia gravis?", False),
])
def test_off_the_shelf_means_donor_made(eval_library: Library, question: str,
                                         found: bool) -> None:
    answer = ask(eval_library, question)
    assert answer.found is found
    if found:
        assert "allogeneic" in statements(answer)[0][1].lower() or "off-the-shelf" in " ".join(
            t for _, t in statements(answer)[:2])
    else:
        assert "Off-the-shelf" in answer.notices[0] and "Myasthenia" in answer.notices[0]
        assert not statements(answer)


def test_what_a_regulator_decided_is_answered_with_its_decisions(eval_library: Library) -> None:
    from newsbot.query import intents

    assert intents("What did the FDA decide this month?") == ("regulatory",)
    happening = [t for key, t in statements(
        ask(eval_library, "What did the FDA decide about lupus trials this year?"))
        if key == "whats_happening"]
    assert re.search(r"\b(FDA|Agency)\b.*\b(granted|lifted|approved|placed)\b", happening[0])
    assert sum(bool(re.search(r"\b(FDA|Agency)\b", t)) for t in happening) >= 2


def test_a_patients_question_is_not_answered_with_financing_news(eval_library: Library) -> None:
    from newsbot.query import intent_headline

    answer = ask(eval_library, "How long does the effect of CAR-T last in myasthenia gravis?")
    assert answer.found
    assert not [s.title for s in answer.sources if intent_headline("money").search(s.title)]
    # what was asked (how long it lasts) leads its section
    assert any(intent_headline("durability").search(t) for _, t in statements(answer))


def test_a_recruiting_question_hears_who_can_join(eval_library: Library) -> None:
    texts = [t for _, t in statements(ask(eval_library, "Which CAR-T trials are enrolling for "
                                                        "lupus nephritis?"))]
    # the first statement says who can join or what is enrolling, not a designation notice
    assert re.search(r"\b(who can join|enrol(?:l)?ing|recruit\w*)", texts[0], re.I), texts[0]


def test_a_kind_of_news_not_reported_of_the_product_asked_about_is_said(
        eval_library: Library) -> None:
    # VLC-310's stories report trial results, and name other products' approvals: none is
    # an approval of VLC-310
    answer = ask(eval_library, "Is VLC-310 approved?")
    assert answer.found
    assert any("None of the news I follow reports an approval" in n and "VLC-310" in n
               for n in answer.notices), answer.notices
    # GLV-220's approval is reported: no such notice
    answer = ask(eval_library, "Is GLV-220 approved?")
    assert not any("None of the news" in n for n in answer.notices), answer.notices


def test_a_results_question_about_a_trial_hears_its_readout_not_its_financing(
        eval_library: Library) -> None:
    from newsbot.extractive import _FINANCE
    from newsbot.query import intent_headline

    # GANTRY-MG's stories are a Series B that names the trial and, later, its first data
    answer = ask(eval_library, "How did the first patients in GANTRY-MG do?")
    assert answer.found
    assert not intent_headline("money").search(answer.sources[0].title), answer.sources[0].title
    texts = [t for _, t in statements(answer)]
    assert not [t for t in texts if _FINANCE.search(t)], texts


def test_results_of_a_trial_named_only_as_planned_are_a_near_miss(eval_library: Library) -> None:
    # VESPER-3 is only Valcourt's plan: VESPER-2's readout beside it must not pass for it
    answer = ask(eval_library, "What were the results of VESPER-3?")
    assert not answer.found and answer.related
    assert any("VESPER-3" in n for n in answer.notices)
    assert any("only as still to come" in n for n in answer.notices)
    assert not ask(eval_library, "What did TOLERA-MS2 show?").found
    assert ask(eval_library, "What did VESPER-2 show?").found


def test_the_trial_asked_of_first_says_it_is_a_guess(eval_library: Library) -> None:
    from newsbot.answering import UNANCHORED

    question = "Why was the trial paused in the first place?"
    assert UNANCHORED in ask(eval_library, question).notices
    followed = ask(eval_library, question, history=["Is the ZORA-PMS trial still on hold?"])
    assert followed.found and UNANCHORED not in followed.notices


def test_a_products_answer_carries_no_share_moves(eval_library: Library) -> None:
    from newsbot.extractive import _FINANCE

    answer = ask(eval_library, "What's the latest on ZORA-PMS?")
    assert answer.found
    assert not [t for _, t in statements(answer) if _FINANCE.search(t)]


def test_a_company_named_as_its_products_owner_hears_no_share_moves(
        eval_library: Library) -> None:
    from newsbot.extractive import _FINANCE

    # "Kaldera's KAL-204" asks about the drug; "Kaldera" alone about the company
    owner = ask(eval_library, "What's next for Kaldera's KAL-204?")
    assert owner.found
    assert not [t for _, t in statements(owner) if _FINANCE.search(t)]
    company = ask(eval_library, "What's next for Kaldera?")
    assert [t for _, t in statements(company) if _FINANCE.search(t)]


def test_a_long_follow_up_naming_nothing_keeps_the_subject(eval_library: Library) -> None:
    answer = ask(eval_library, "What side effects were seen in the patients treated so far?",
                 history=["Summarize the KALIMA-3 results for KAL-204."])
    assert answer.found
    assert all("KAL-204" in s.title or "Kaldera" in s.title or "KALIMA" in s.title
               for s in answer.sources[:2]), [s.title for s in answer.sources]


def test_a_misspelt_company_is_read_as_the_stored_one(eval_library: Library) -> None:
    answer = ask(eval_library, "whats new with Kaldra's drug for Sjogren's?")
    assert answer.found and any("Kaldera" in n for n in answer.notices)
    assert any("KAL-204" in t for _, t in statements(answer))
