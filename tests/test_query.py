"""Query understanding without a store: windows, diseases, names, kinds, follow-ups."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from newsbot.query import Lexicon, looks_like_follow_up, time_window, understand

NOW = datetime(2026, 11, 20, 12, tzinfo=UTC)
STORED = {"vx-19", "vx19", "vantor", "kestrel", "kt-88", "vantage-2", "cd19", "lupus", "fcrn"}
LEX = Lexicon(contains=lambda t: t.lower() in STORED,
              names=lambda: ("Vantor", "Kestrel", "VANTAGE-2"),
              common=frozenset({"give", "tell", "europe", "shot", "directed", "reset"}))


@pytest.mark.parametrize(("question", "since", "until"), [
    ("What happened this week?", NOW - timedelta(days=7), None),
    ("lupus news in the last 3 months", NOW - timedelta(days=90), None),
    ("anything in the past two weeks?", NOW - timedelta(days=14), None),
    ("What's new since October?", datetime(2026, 10, 1, tzinfo=UTC), None),
    ("since 15 March", datetime(2026, 3, 15, tzinfo=UTC), None),
    ("since December", datetime(2025, 12, 1, tzinfo=UTC), None),  # last December, not next
    ("What happened in 2026?", datetime(2026, 1, 1, tzinfo=UTC),
     datetime(2027, 1, 1, tzinfo=UTC)),
    ("What happened in September?", datetime(2026, 9, 1, tzinfo=UTC),
     datetime(2026, 10, 1, tzinfo=UTC)),
    ("today's CAR-T news", NOW - timedelta(days=1), None),
])
def test_time_windows(question, since, until):
    got_since, got_until, phrase = time_window(question, NOW)
    assert (got_since, got_until) == (since, until)
    assert phrase and phrase in question.lower()


def test_no_window_when_none_is_named():
    assert time_window("What is CAR-T?", NOW) == (None, None, None)


def test_imperatives_are_not_names():
    for question in ("Give me the latest on lupus CAR-T", "Summarise lupus news",
                     "Tell me about CAR-T in lupus"):
        pq = understand(question, now=NOW, lexicon=LEX)
        assert pq.unknown_names == () and pq.entities == (), question


def test_hyphenated_compounds_of_covered_terms_are_not_unknown():
    pq = understand("Any CD19-directed therapies for lupus?", now=NOW, lexicon=LEX)
    assert pq.unknown_names == ()
    assert "lupus" in pq.diseases


def test_product_codes_and_companies_are_entities():
    pq = understand("What did Vantor report for VX-19?", now=NOW, lexicon=LEX)
    assert set(pq.entities) == {"Vantor", "VX-19"} and pq.kind == "specific"


def test_generic_drug_names_are_entities_though_lowercase():
    lex = Lexicon(contains=lambda t: t.lower() in STORED | {"ortefcimab"}, common=LEX.common)
    pq = understand("Compare VX-19 and ortefcimab", now=NOW, lexicon=lex)
    assert set(pq.entities) == {"VX-19", "ortefcimab"} and pq.kind == "comparison"
    assert understand("Is zolbetumab approved?", now=NOW, lexicon=lex).unknown_names == (
        "zolbetumab",)


def test_unstored_names_are_unknown():
    pq = understand("What about Zentrix's ZT-404 in lupus?", now=NOW, lexicon=LEX)
    assert "ZT-404" in pq.unknown_names and "Zentrix" in pq.unknown_names


def test_eponym_disease_not_stored_is_unknown():
    pq = understand("Which antibodies slow Alzheimer's disease?", now=NOW, lexicon=LEX)
    assert pq.unknown_names == ("Alzheimer",)


def test_typos_are_corrected_to_domain_words():
    pq = understand("latest on CAR-T for lupis", now=NOW, lexicon=LEX)
    assert ("lupis", "lupus") in pq.corrections and "lupus" in pq.diseases
    pq = understand("myasthenia gravas trials", now=NOW, lexicon=LEX)
    assert "myasthenia_gravis" in pq.diseases


@pytest.mark.parametrize(("question", "kind"), [
    ("Compare VX-19 and KT-88 in lupus", "comparison"),
    ("VX-19 versus KT-88?", "comparison"),
    ("Is the VANTAGE-2 trial still on hold?", "status"),
    ("What happened in lupus this week?", "period"),
    ("Summarize the past week's news", "period"),
    ("Tell me about VX-19", "specific"),
    # why it was held asks how it began; why it still is, where it stands
    ("Why was the VANTAGE-2 trial put on hold?", "specific"),
    ("Why is the VANTAGE-2 trial still on hold?", "status"),
    ("What is new in CAR-T for lupus?", "overview"),
])
def test_kinds(question, kind):
    assert understand(question, now=NOW, lexicon=LEX).kind == kind


def test_follow_up_takes_the_previous_subject():
    pq = understand("what about the side effects?", now=NOW, lexicon=LEX,
                    history=["What were the VX-19 results in lupus nephritis?"])
    assert pq.follow_up and "VX-19" in pq.entities and "lupus" in pq.diseases
    assert "VX-19" in pq.search_text


def test_a_new_question_does_not_inherit():
    pq = understand("What is new in CAR-T for myasthenia gravis?", now=NOW, lexicon=LEX,
                    history=["Tell me about VX-19"])
    assert not pq.follow_up and pq.entities == ()


def test_follow_up_detection():
    assert looks_like_follow_up("and when is the next trial?")
    assert looks_like_follow_up("what about for MS?")
    assert not looks_like_follow_up("What are the latest results of CAR-T in lupus nephritis?")
    # "this month" is a time, not a pointer to the previous answer
    assert not looks_like_follow_up("Any news about myasthenia gravis this month?")
    assert looks_like_follow_up("Is this one approved yet?")


def test_undecodable_bytes_in_a_question_are_replaced_not_fatal():
    from newsbot.answering import check_question

    assert check_question("CAR-T \udcff for lupus?", 1000) == "CAR-T \ufffd for lupus?"


def test_a_place_is_not_a_product():
    """"approved in Europe" asks about VX-19 in Europe, not about everything naming Europe."""
    lex = Lexicon(contains=lambda t: t.lower() in STORED | {"europe", "germany"},
                  names=LEX.names)
    pq = understand("Was VX-19 approved in Europe or Germany?", now=NOW, lexicon=lex)
    assert pq.entities == ("VX-19",)


@pytest.mark.parametrize(("question", "events"), [
    ("Why did Vantor stop its VX-19 trial?", ("hold",)),
    ("Did anyone die in the VANTAGE-2 study?", ("death",)),
    ("Did VX-19 get orphan designation?", ("designation",)),
    ("Did patients on VX-19 stop their steroids?", ()),  # stopping a medicine is no hold
    ("Was VX-19 approved?", ()),  # approval is too often named in passing to require it
])
def test_the_event_a_named_product_question_asks_about(question, events):
    assert understand(question, now=NOW, lexicon=LEX).events == events


def test_what_is_missing_is_not_a_regulators_decision() -> None:
    from newsbot.query import intent_headline

    regulatory = intent_headline("regulatory")
    assert regulatory.search("The Agency approved the drug on 14 October.")
    assert not regulatory.search("There are no approved treatments that target the disease.")
    assert not regulatory.search("The drug is not approved anywhere yet.")


@pytest.mark.parametrize(("question", "wanted"), [
    ("Which CAR-T trials are enrolling for lupus nephritis?", ("recruiting",)),
    ("Can my son join a trial for myositis?", ("recruiting",)),
    ("How long does the effect of CAR-T last in myasthenia gravis?", ("durability",)),
    ("Does lupus come back after CAR-T?", ("durability",)),
    ("How many participants had CRS?", ()),  # counting participants is not joining
    ("Is CAR-T safe for lupus?", ("safety",)),
    ("Any bad news this month?", ("setback",)),
    ("Did the KAIROS-1 trial fail?", ("setback",)),
])
def test_the_kind_of_news_a_question_is_after(question: str, wanted: tuple[str, ...]) -> None:
    from newsbot.query import intents

    assert intents(question) == wanted


def test_a_follow_up_of_a_follow_up_keeps_the_subject() -> None:
    # "is it safe?" after "what about for MS?" after "CAR-T for lupus?" asks about CAR-T in MS
    pq = understand("Is it safe?", now=NOW, lexicon=LEX,
                    history=["What's the latest on CAR-T for lupus?", "What about for MS?"])
    assert pq.therapies == ("car_t",) and pq.diseases == ("multiple_sclerosis",)


def test_a_question_typed_in_lower_case_names_its_therapy() -> None:
    pq = understand("tell me abut car-t for myastenia", now=NOW, lexicon=LEX)
    assert pq.therapies == ("car_t",)
    # "bad" judges the news, it is not a word to look for
    pq = understand("Any bad news this month?", now=NOW, lexicon=LEX)
    assert pq.kind == "period" and pq.terms == () and pq.intents == ("setback",)


def test_a_setback_is_a_hold_placed_not_a_hold_lifted() -> None:
    from newsbot.query import intent_headline

    setback = intent_headline("setback")
    assert setback.search("Regulators placed its progressive multiple sclerosis trial on "
                          "clinical hold.")
    assert setback.search("EZR-55 failed the phase 2/3 study.")
    assert not setback.search("The FDA lifted its hold on the trial.")


@pytest.mark.parametrize(("question", "diseases"), [
    ("What did the CAR-NK trial in axSpA show?", ("spondyloarthritis",)),
    ("Did it work in thyroid eye disease?", ("thyroid",)),
    ("Any TED news?", ("thyroid",)),
    # an overactive thyroid and a failing one are two diseases
    ("Did the thyroid treatment work for people with Graves'?", ("thyroid",)),
    ("Is anything being developed for Hashimoto's?", ("hashimoto",)),
    ("Is there a shot that retrains the immune system for hair loss?", ("alopecia_areata",)),
    ("Is anything being tested in AIH?", ("autoimmune_hepatitis",)),
    ("Any CAR-T for APS?", ("antiphospholipid",)),
    ("What about PsA?", ("psoriasis",)),
    # two diseases once lumped together: a question names only the one it asks about
    ("Any vitiligo trials?", ("vitiligo",)),
    ("Any alopecia areata trials?", ("alopecia_areata",)),
])
def test_diseases_named_by_acronym_or_their_own_name(question: str,
                                                      diseases: tuple[str, ...]) -> None:
    assert understand(question, now=NOW).named_diseases == diseases


def test_ankylosing_spondylitis_is_not_psoriatic_arthritis() -> None:
    from newsbot.topics import disease_pattern

    assert not disease_pattern("spondyloarthritis").search("psoriatic arthritis trial")
    assert disease_pattern("psoriasis").search("psoriatic arthritis trial")


def test_the_disease_suggestions_fit_discord_s_limit() -> None:
    from bot.choices import DISEASE_CHOICES, MAX_CHOICES, chosen_disease, disease_choices
    from newsbot.errors import NewsbotError

    # more diseases than Discord's 25 fixed choices: the option is an autocomplete
    assert len(DISEASE_CHOICES) > MAX_CHOICES == 25
    assert len(disease_choices("")) == MAX_CHOICES
    assert [c.value for c in disease_choices("sclerosis")] == [
        "multiple_sclerosis", "systemic_sclerosis"]
    assert chosen_disease("hashimoto") == "hashimoto" and chosen_disease("MS") == (
        "multiple_sclerosis") and chosen_disease(None) is None
    with pytest.raises(NewsbotError):
        chosen_disease("Zorblatt")


def test_alopecia_asked_plainly_is_alopecia_areata_but_not_a_side_effect() -> None:
    from newsbot.topics import disease_pattern

    assert understand("Any alopecia news?", now=NOW).named_diseases == ("alopecia_areata",)
    assert not disease_pattern("alopecia_areata").search("alopecia from chemotherapy")


def test_a_misspelt_kind_of_news_is_still_asked_for() -> None:
    pq = understand("wat are the side efects of it", now=NOW)
    assert "safety" in pq.intents and ("efects", "effects") in pq.corrections


def test_why_it_began_is_not_where_it_stands() -> None:
    pq = understand("Why was it put on hold in the first place?", now=NOW,
                    history=["Is the ORX-5 trial still on clinical hold?"])
    assert pq.kind != "status" and not pq.wants_recent
    assert "setback" in pq.intents
    assert understand("Is it still on hold?", now=NOW).kind == "status"


def test_a_question_naming_nothing_of_its_own_leans_on_the_last_one():
    # long, no pronoun opening it: still about what was asked before
    assert looks_like_follow_up("What side effects were seen?")
    assert looks_like_follow_up("How does that compare with the first patients they reported "
                                "last December?")
    pq = understand("What side effects were seen in the patients treated so far?", now=NOW,
                    lexicon=LEX, history=["Summarize the VANTAGE-2 results for VX-19."])
    assert pq.follow_up and "VX-19" in pq.entities
    # one that names its own subject, or asks for a digest, stands alone
    assert not looks_like_follow_up("What side effects has CAR-T had in lupus?")
    assert not looks_like_follow_up("Any news this week?")


def test_a_misspelt_possessive_name_is_corrected():
    lexicon = Lexicon(contains=lambda t: t.lower() in {"yellowpine", "treg"},
                      names=lambda: ["Yellowpine"])
    pq = understand("whats new with Yelowpine's Treg therapy?", now=NOW, lexicon=lexicon)
    assert ("Yelowpine", "Yellowpine") in pq.corrections and "Yellowpine" in pq.entities


def test_lately_asks_for_the_newest():
    assert understand("What's been going on at Ulvanta lately?", now=NOW,
                      lexicon=LEX).wants_recent


def test_codes_are_the_products_and_trials_not_the_company():
    lexicon = Lexicon(contains=lambda t: t.lower() in {"ravelston", "aptus-3"})
    pq = understand("What were the results of Ravelston's APTUS-3 trial?", now=NOW,
                    lexicon=lexicon)
    assert set(pq.entities) == {"Ravelston", "APTUS-3"} and pq.codes == ("APTUS-3",)
