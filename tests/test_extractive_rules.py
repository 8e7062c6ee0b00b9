"""How the extractive summariser weighs one sentence, on sentences made up here."""

from __future__ import annotations

import pytest

from newsbot.extractive import Candidate, _fuller, _self_contained, _twins, background, resolve
from newsbot.sentences import stem
from newsbot.topics import detect_therapies


def candidate(text: str) -> Candidate:
    return Candidate(text, 1, "s1", 0, 0, 1.0, "whats_happening")


def test_textbook_background_is_told_from_news() -> None:
    # a name: news of someone
    assert not background("A therapy from Zorvic Bio retrains a person's immune cells.")
    assert background("CAR-T is a treatment that reprograms a person's own immune cells.")
    assert background("The best-known side effect is cytokine release syndrome (CRS), a fever.")
    assert not background("No serious side effects were seen in the trial.")  # something found
    assert not background("Nine of the 14 patients responded.")  # counts something
    assert not background("In the ORBIT study, 40% responded.")


def test_a_statement_leaning_on_the_one_before_is_not_quoted() -> None:
    assert _self_contained("Of them, 13 (11%) were older than 65.") is None
    assert _self_contained("Most of these patients relapsed within a year.") is None
    assert _self_contained("Of the 12 patients, 10 were in remission.") is not None
    # the subject after an opening phrase is still the sentence before's
    assert _self_contained("Since March, it has held milk.") is None
    assert _self_contained("After two weeks, they went home.") is None
    assert _self_contained("At week 24, 61% of patients responded.") is not None
    assert _self_contained("Blocking it speeds the clearance of all IgG.") is None
    assert _self_contained("Blocking FcRn speeds the clearance of all IgG.") is not None
    # "Then there is equity: …" continues a list the answer does not quote
    assert _self_contained("Then there is equity: few centres can give the infusion.") is None
    assert _self_contained("Then-commissioner Ruiz signed the approval.") is not None
    # a newsletter's answer to its own question stands without the question's "No."
    assert _self_contained("No. All nine people treated have tested negative.") == (
        "All nine people treated have tested negative.")
    assert _self_contained("No patient had a serious infection.") == (
        "No patient had a serious infection.")


def test_the_fuller_telling_of_the_same_figures_is_preferred() -> None:
    short = candidate("The drug doubled response: 58% versus 29% on placebo.")
    full = candidate("At week 24, 26 of 45 patients (58%) responded versus 6 of 21 (29%) "
                     "on placebo.")
    assert _fuller(full, short) and not _fuller(short, full)
    # the digits of a code are not figures: QRX-58 carries nothing of "58%"
    assert not _fuller(candidate("QRX-58 and CD19 in 2 of 3 tests."), short)


def test_stems_meet_across_word_forms() -> None:
    assert stem("compare") == stem("comparisons") == stem("comparison")
    assert stem("results") == stem("resulted") and stem("patients") == stem("patient")
    assert stem("status") == "status" and stem("lupus") == "lupus"


def test_off_the_shelf_names_the_donor_made_kind_of_cell_therapy() -> None:
    assert "allogeneic" in detect_therapies("Is there an off-the-shelf CAR-T for lupus?")
    assert "allogeneic" in detect_therapies("a donor-derived CAR-NK product")
    assert "allogeneic" not in detect_therapies("the patient's own T cells are engineered")


def test_an_item_of_a_list_the_answer_does_not_quote_is_not_quoted() -> None:
    # "We have two concerns." … "Second, safety in the trial itself."
    assert _self_contained("Second, safety in the trial itself.") is None
    assert _self_contained("Finally, the regulator asked for more data.") is None
    assert _self_contained("First patients were dosed in March.") is not None
    assert _self_contained("Secondary endpoints were also met.") is not None


def test_a_named_patients_story_is_told_as_one_persons() -> None:
    from newsbot.extractive import _PERSONAL_STORY

    assert _PERSONAL_STORY.search("Sunita Rao, 38, a teacher who took part in the trial, "
                                  "said the difference was in the small things.")
    assert not _PERSONAL_STORY.search("In the GALEA-MG study, 38 of 84 patients responded.")


def test_a_thin_first_story_does_not_leave_the_answer_short() -> None:
    from dataclasses import replace

    from newsbot.extractive import summarise
    from newsbot.models import Source
    from newsbot.query import Lexicon, understand
    from newsbot.retrieval import Hit
    from tests.test_retrieval_rules import NOW, article

    lex = Lexicon(contains=lambda t: t.lower() in {"orx-5", "orvane"}, names=lambda: ("Orvane",))
    pq = understand("Tell me about ORX-5", now=NOW, lexicon=lex)
    notice = replace(article("ORX-5 application validated",
                             "The Agency has validated the application for ORX-5. "
                             "The assessment began on 2 April 2026.", "n1"), story_id="s1")
    approval = replace(article("ORX-5 approved", " ".join(
        f"ORX-5 result number {i} was reported with {10 + i}% of patients responding."
        for i in range(1, 9)), "n2"), story_id="s2")
    hits = [Hit(notice, 2.0, 0.6, (), True, True, True), Hit(approval, 1.0, 0.5, (), True, True,
                                                             True)]
    sources = [Source(i + 1, a.id, a.guid, "", a.title, "Test", NOW)
               for i, a in enumerate((notice, approval))]
    said = [s for group in summarise(pq, hits, sources, 3).values() for s in group]
    # the notice's two sentences, and more than the two the second story's budget gives
    assert sum(2 in s.citations for s in said) > 2, said


def test_another_outlets_report_of_a_story_that_meets_the_question_is_told_with_it() -> None:
    from dataclasses import replace

    from newsbot.extractive import _stories, plan_for
    from newsbot.query import Lexicon, understand
    from newsbot.retrieval import Hit
    from tests.test_retrieval_rules import NOW, article

    lex = Lexicon(contains=lambda t: t.lower() in {"orvane", "lupus"}, names=lambda: ("Orvane",))
    pq = understand("What will Orvane's FcRn blocker for lupus cost?", now=NOW, lexicon=lex)
    approval = replace(article("Orvane's FcRn blocker approved in lupus", "…", "a1"),
                       story_id="s1")
    # the advocacy piece on the same approval names only the brand, never "FcRn"
    access = replace(article("Orvane sets Orvexa's price", "…", "a2"), story_id="s1")
    other = replace(article("Orvane raises money", "…", "a3"), story_id="s2")
    hits = [Hit(approval, 2.0, 0.6, (), True, True, True),
            Hit(access, 1.5, 0.6, (), True, True, False),
            Hit(other, 1.0, 0.6, (), True, True, False)]
    told = [h.article.id for g in _stories(hits, pq, plan_for(pq, 3)) for h in g]
    assert told == ["a1", "a2"]
    # a patients' desk telling the same trial says "bald patches", never "alopecia areata"
    pq = understand("Is there a shot that retrains the immune system for hair loss?", now=NOW,
                    lexicon=lex)
    assert pq.named_diseases and pq.therapies
    trial = replace(article("Tolerogenic vaccine regrows hair in alopecia areata", "…", "b1"),
                    story_id="s3")
    desk = replace(article("Could three injections bring hair back?", "…", "b2"),
                   story_id="s3")
    hits = [Hit(trial, 2.0, 0.6, (), False, True, True), Hit(desk, 1.5, 0.6, (), False, False,
                                                              True)]
    told = [h.article.id for g in _stories(hits, pq, plan_for(pq, 3)) for h in g]
    assert told == ["b1", "b2"]


def test_the_reference_opening_a_sentence_is_named_from_the_report() -> None:
    assert resolve("The company expects to resume dosing in February 2027.", "",
                   "Tarrowmere Immunotherapeutics") == (
        "[Tarrowmere Immunotherapeutics] expects to resume dosing in February 2027.")
    assert resolve("It is given as an infusion every six months.",
                   "Ulvexa (ULV-7) is an FcRn blocker.", "Ulvanta Therapeutics") == (
        "[Ulvexa (ULV-7)] is given as an infusion every six months.")
    # no antecedent ("It is too early"), the company as subject (then "it" is its trial), or
    # a previous sentence not opened by a name: left as it is, and so never quoted
    for it, previous in (("It is too early to say whether it lasts.", "ULV-7 is a drug."),
                         ("It had been paused in June.", "Valdrin has said little."),
                         ("It is given weekly.", "The drug was approved in May.")):
        assert resolve(it, previous, "Valdrin Cell Sciences") == it


def test_a_telling_with_every_figure_of_another_is_its_twin_within_a_story() -> None:
    short = candidate("Proteinuria dropped, 3.1 g/g to 0.4 g/g.")  # no wording shared
    full = candidate("Median urine protein-to-creatinine ratio fell from 3.1 g/g at baseline "
                     "to 0.4 g/g at one year, and 38 of 48 patients (79%) were off drugs.")
    assert _twins(short, full) and _fuller(full, short)
    other_story = Candidate(full.text, 2, "s2", 1, 0, 1.0, "whats_happening")
    assert not _twins(short, other_story)
    # small counts shared are no proof of one fact
    assert not _twins(candidate("Of 5 treated, 2 relapsed."),
                      candidate("Dose 2 went to 5 volunteers in March."))


def _said(question: str, bodies: dict[str, str]) -> list[str]:
    """The statements of an answer over one story told by the given outlets' reports."""
    return [s.text for group in _answer(question, bodies).values() for s in group]


def _answer(question: str, bodies: dict[str, str]) -> dict:
    """The sections of an answer over one story told by the given outlets' reports."""
    from dataclasses import replace

    from newsbot.extractive import summarise
    from newsbot.models import Source
    from newsbot.query import Lexicon, understand
    from newsbot.retrieval import Hit
    from tests.test_retrieval_rules import NOW, article

    lex = Lexicon(contains=lambda t: t.lower() in {"orx-5", "orvane", "lupus"},
                  names=lambda: ("Orvane",))
    pq = understand(question, now=NOW, lexicon=lex)
    reports = [replace(article(title, body, f"r{i}"), story_id="s1")
               for i, (title, body) in enumerate(bodies.items())]
    hits = [Hit(a, 2.0 - i / 10, 0.6, (), True, True, True) for i, a in enumerate(reports)]
    sources = [Source(i + 1, a.id, a.guid, "", a.title, "Test", NOW)
               for i, a in enumerate(reports)]
    return summarise(pq, hits, sources, 3)


def test_a_statement_whose_figures_the_others_all_tell_is_left_out() -> None:
    said = _said("What did ORX-5 show in lupus?", {
        "Orvane's ORX-5 clears lupus in most patients": (
            "Orvane Bio said ORX-5 put 31 of 48 patients (65%) with lupus into remission at "
            "week 52. The company will meet regulators in 2027. Dr. Ada Vance, who led the "
            "study, called the results striking. By week 52, the 65% responding included 38 "
            "(79%) who had come off steroids. Proteinuria fell from 3.1 g/g to 0.4 g/g, and 38 "
            "of 48 patients (79%) no longer needed steroids."),
    })
    assert any("31 of 48" in s for s in said) and any("3.1 g/g" in s for s in said), said
    # "the 65% responding included 38 (79%)" says nothing the other two do not
    assert not any(s.startswith("By week 52") for s in said), said


def test_a_day_of_the_month_is_not_a_figure_a_statement_repeats() -> None:
    from newsbot.extractive import _telling

    assert _telling("On 14 October 2026 the Agency approved 300 mg of ORX-5.") == {"300"}
    assert _telling("Response was 65% versus 32% at week 24 in phase 2.") == {"65%", "32%",
                                                                              "24"}


def test_a_safety_question_has_room_for_every_harm_reported() -> None:
    harms = ("Cytokine release syndrome occurred in nine patients, all of it mild. "
             "Two patients had serious infections, both pneumonias. "
             "One patient had ICANS that resolved within two days. "
             "Several patients developed hypogammaglobulinemia needing immunoglobulin. "
             "There were no treatment-related deaths in the trial. ")
    said = _said("What side effects did ORX-5 have in lupus?", {
        "Orvane's ORX-5 in lupus: safety data": (
            "Orvane Bio said ORX-5 put 31 of 48 patients (65%) with lupus into remission. "
            "The results were presented at a medical meeting in Boston. " + harms
            + "Orvane plans a phase 3 trial in 2027."),
    })
    reported = [s for s in said if any(w in s for w in ("Cytokine", "infections", "ICANS",
                                                         "hypogamma", "deaths"))]
    assert len(reported) == 5, said


def test_a_finding_that_names_nobody_is_told_as_its_storys() -> None:
    from dataclasses import replace

    from newsbot.extractive import _story_subject, attribute
    from tests.test_retrieval_rules import article

    # an answer telling two stories: "Side effects were mostly…" under the approval of one
    # drug would read as that drug's, but it is the other story's trial
    approval = Candidate("The Agency approved kelvorimab for myasthenia gravis.", 1, "s1", 0,
                         0, 2.0, "whats_happening", subject=None)
    finding = Candidate("Side effects were mostly headache and fever after an infusion.", 2,
                        "s2", 1, 3, 1.0, "beyond_the_headlines", subject="VRN-12")
    named = Candidate("In the VRN-12 study, 9 of 14 patients responded.", 2, "s2", 1, 2, 1.0,
                      "whats_happening", subject="VRN-12")
    company = Candidate("Virena is enrolling 40 more patients.", 2, "s2", 1, 4, 1.0,
                        "whats_next", subject="VRN-12", own=frozenset({"Virena", "VRN-12"}))
    safety = Candidate("Safety was favourable: grade 1 CRS in 3 of 15 and no ICANS.", 2, "s2",
                       1, 5, 1.0, "beyond_the_headlines", subject="VRN-12")
    attribute([approval, finding, named, company, safety])
    assert safety.text.startswith("[VRN-12] Safety was favourable")
    assert company.text == "Virena is enrolling 40 more patients."  # its company names it
    assert finding.text == "[VRN-12] Side effects were mostly headache and fever after an infusion."
    assert named.text == "In the VRN-12 study, 9 of 14 patients responded."
    assert approval.text == "The Agency approved kelvorimab for myasthenia gravis."
    # a quotation's words are its speaker's, not its story's subject's
    quoted = replace(finding, text="\u201cPatients responded better than we hoped.\u201d")
    attribute([approval, quoted])
    assert quoted.text.startswith("\u201cPatients")
    # one story only: nothing to tell apart
    alone = replace(finding, text="Side effects were mostly headache.", story="s1")
    attribute([approval, alone])
    assert alone.text == "Side effects were mostly headache."
    # what a report is about: its headline's code, else its opening's, else the company its
    # headline names; never a dateline's capitals or a regulator
    assert _story_subject(article("Virena's VRN-12 calms myasthenia", "…")) == "VRN-12"
    assert _story_subject(article("Hold on Virena Bio's lupus trial",
                                  "SAN DIEGO, Nov. 3 — The FDA has paused it.")) == "Virena Bio"
    assert _story_subject(article("Committee backs kelvorimab",
                                  "The European Medicines Agency's committee backed it.")) is None


def test_a_lab_test_or_a_regulator_is_not_another_product() -> None:
    from newsbot.extractive import _about_other, names_in

    # what a report measures ("LDL", "INR", "ALT") or where ("ICU") names no other product,
    # so a product's answer keeps its side effects
    for sentence in ("Low albumin was seen in 11% and LDL cholesterol rose in 14%.",
                     "One patient had a deep vein thrombosis while on warfarin with a low INR.",
                     "Grade 2 ALT elevation occurred in 2 patients, all resolving.",
                     "Median ICU stay was similar (12 vs 13 days).",
                     "The Northern Medicines Agency suspension remains in place.",
                     "In Europe, the European Medicines Oversight Board's halt remains.",
                     "ACR50 at week 24 was reached by 46% versus 14%."):
        assert not names_in(sentence), sentence
        assert not _about_other(sentence, ("ULV-7",), {"ULV-7"}), sentence
    # a rival's product or company still is
    assert _about_other("Kestrel Bio's KST-4 raised LDL in 9%.", ("ULV-7",), {"ULV-7"})


def test_a_quoted_sentence_says_who_spoke_or_is_not_quoted() -> None:
    from newsbot.extractive import speaker

    # a quotation split into its sentences names its speaker only in the last
    first = "\u201cSeeing them off medication is what we hoped for.\u201d"
    assert speaker(first, ["\u201cIt is early,\u201d said Dr. Tobias Lindqvist, who led it."]) == (
        "Dr. Tobias Lindqvist")
    assert speaker(first, ['"It is early," Prof Ana Ruiz said.']) == "Prof Ana Ruiz"
    # nobody named: a patient's or a doctor's words would read as the news's own
    assert speaker('"I figured it could help the next kid."', ["The trial enrolled 24."]) == ""
    # a quotation that says who spoke, or no quotation: nothing to add
    assert speaker('"This is early," said Dr. Kim.', []) is None
    assert speaker("The trial enrolled 24 adults.", []) is None


def test_it_after_a_sentence_opened_by_a_brand_is_the_brand() -> None:
    # "Pellova" is capitalised mid-sentence in its report: a name, not a sentence's first word
    assert resolve("It is the first FcRn blocker authorised for this use.",
                   "Pellova is given once weekly.", None, frozenset({"Pellova"})) == (
        "[Pellova] is the first FcRn blocker authorised for this use.")
    assert resolve("It is the first study of its kind.", "Researchers were pleased.",
                   None, frozenset({"Pellova"})) == "It is the first study of its kind."


def test_share_moves_in_trade_shorthand_are_money_talk() -> None:
    from newsbot.extractive import _FINANCE

    for sentence in ("Stock: +22% to $14.05; still ~40% below pre-hold levels.",
                     "Street: Stock +31% to $27.40; market cap ~$2.1B.",
                     "Shares of Tarrowmere rose 22% to $14.05 in morning trading."):
        assert _FINANCE.search(sentence), sentence
    assert not _FINANCE.search("Shares of the dose were split across 12 patients.")


def test_where_it_stands_leads_an_answer_asking_whether_it_is_approved_yet() -> None:
    sections = _answer("Has ORX-5 been approved yet?", {"ORX-5 clears lupus in most patients": (
        "Orvane Bio said ORX-5 put 31 of 48 patients with lupus into remission at week 52. "
        "Dr. Ada Vance, who led the study, called the results striking. A phase 3 trial will "
        "start in 2027, so approval is still some years away.")})
    assert sections["whats_happening"][0].text.endswith("approval is still some years away."), (
        sections)


def test_why_asks_for_the_reason() -> None:
    from newsbot.query import intent_headline, intents

    assert "cause" in intents("Why was Galvanta's GLV-220 trial put on clinical hold?")
    assert "cause" not in intents("Summarise why it matters for lupus")
    assert intent_headline("cause").search("The hold followed a liver injury after a patient "
                                           "developed grade 4 toxicity.")
    assert not intent_headline("cause").search("After 12 weeks, 40% responded.")


def test_what_it_is_leads_an_answer_asking_what_it_is() -> None:
    from newsbot.query import understand
    from newsbot.retrieval import asked_things, defines

    assert understand("How does an inverse vaccine work?").asks_definition
    assert not understand("How does Orvane's vaccine compare with JAK pills?").asks_definition
    # one side of it, or what someone does with it, is not what it is
    for question in ("What are the side effects of CAR-T for lupus?",
                     "What is Orvane doing with CAR-Tregs?", "What's new in MS?"):
        assert not understand(question).asks_definition, question
    things = asked_things(understand("What is CAR-T?"))
    assert defines("CAR-T therapy was developed to treat blood cancers: T cells are "
                   "collected, engineered and infused back.", things)
    # named late, or named without saying what it is
    assert not defines("The report noted that lupus is far more common than the blood "
                       "cancers CAR-T was developed for.", things)
    assert not defines("CAR-T put 9 of 12 patients into remission.", things)
    sections = _answer("What is ORX-5?", {"ORX-5 clears lupus in most patients": (
        "Orvane Bio said ORX-5 put 31 of 48 patients with lupus into remission at week 52. "
        "The company will start a phase 3 trial in 2027. Dr. Ada Vance, who led the study, "
        "called the results striking. ORX-5 is a one-time infusion of the patient's own "
        "T cells, engineered to remove the B cells that drive lupus.")})
    assert sections["whats_happening"][0].text.startswith("ORX-5 is a one-time infusion"), (
        sections)


def test_two_outlets_tellings_of_one_plan_are_twins() -> None:
    def plan(text: str) -> Candidate:
        return Candidate(text, 1, "s1", 0, 5, 1.0, "whats_next")

    wire = plan("Tovessa said it plans to start a 60-patient pivotal study, TIDEWATER-LN2, in "
                "the second quarter of 2027, pending agreement with the U.S. Food and Drug "
                "Administration on its design.")
    desk = plan("[Tovessa Bio] plans a larger study, called TIDEWATER-LN2, starting in spring "
                "2027, and it will probably be several years before it could be approved.")
    assert _twins(wire, desk)
    # the same trial's other plan, or another year's, is news of its own
    assert not _twins(wire, plan("TIDEWATER-LN2 will report its first data in 2029."))
    assert not _twins(wire, plan("Tovessa also expects to present longer follow-up of the "
                                 "current patients, from the TIDEWATER-LN study, in 2027."))


_DELACROIX = ("Raymond Delacroix, 44, received ORX-5 in March in the Orvane trial. ORX-5 put 9 "
              "of 12 patients with lupus into remission at one year. Delacroix has been off "
              "steroids since April and is back at work. The company will start a phase 2 "
              "trial in 2027.")
_PAUSE = ("Orvane Bio paused its ORX-5 lupus trial on Monday. The pause follows a grade 4 liver "
          "injury in one patient. Orvane had $212 million in cash at the end of March. The "
          "company expects to answer the agency's questions within 60 days.")


@pytest.mark.parametrize(("question", "body", "kept", "left_out"), [
    # a patient named with an age is one person's story under a personal question…
    ("My son has lupus. Could he get ORX-5?", _DELACROIX, "9 of 12", "Delacroix"),
    # …and the report's own telling when the news is asked for
    ("What did ORX-5 show in lupus?", _DELACROIX, "off steroids", None),
    # why a company paused its trial is not told with its cash
    ("Why did Orvane pause the ORX-5 trial?", _PAUSE, "liver injury", "in cash"),
    # …but a question about the shares hears of them
    ("Why did Orvane's shares fall?", _PAUSE + " Orvane shares fell 31% on Monday.",
     "shares fell 31%", None),
], ids=["personal", "news", "why", "shares"])
def test_what_an_answer_keeps_and_leaves_out(question: str, body: str, kept: str,
                                             left_out: str | None) -> None:
    said = _said(question, {"ORX-5 news": body})
    assert any(kept in s for s in said), said
    assert left_out is None or not any(left_out in s for s in said), said

