"""The rules retrieval applies to what a question names, on articles made up here."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

from newsbot.extractive import _stories, plan_for
from newsbot.models import ArticleRecord
from newsbot.query import Lexicon, intent_headline, intents, understand
from newsbot.retrieval import (
    Hit,
    _both_sides,
    _constraints,
    _enumerated,
    _headline_elsewhere,
    _therapy_in_passing,
    aliases,
    mentions,
    near,
)

NOW = datetime(2026, 11, 20, tzinfo=UTC)


def article(title: str, text: str, aid: str = "a1") -> ArticleRecord:
    return ArticleRecord(id=aid, guid=aid, url="", title=title, source="Test", feed_url="",
                         published=NOW, ingested_at=NOW, text=text, content_hash=aid + title,
                         on_topic=True, relevance=1.0, reason="")


LEX = Lexicon(contains=lambda t: t.lower() in {"orx-5", "orvane", "lupus", "sclerosis"},
              names=lambda: ("Orvane",))


def test_mentions_matches_codes_however_they_are_spaced() -> None:
    assert mentions("results for ORX 5 were", "ORX-5") and mentions("ORX5 data", "ORX-5")
    assert not mentions("ORX-55 data", "ORX-5")


def test_near_needs_the_two_close_together() -> None:
    sentences = ["Title", "ORX-5 worked in lupus.", "Filler.", "Filler.", "Filler.",
                 "Multiple sclerosis is mentioned much later."]
    assert near(sentences, [lambda s: "ORX-5" in s], [lambda s: "lupus" in s])
    assert not near(sentences, [lambda s: "ORX-5" in s], [lambda s: "sclerosis" in s])


def test_a_product_named_in_passing_with_a_disease_is_not_news_of_it_there() -> None:
    text = ("Orvane's ORX-5 cleared skin disease in 8 of 10 patients with systemic sclerosis. "
            "The trial ran for a year. Investigators were pleased. Funding came from a grant. "
            "Separately, a lupus trial of another drug was delayed.")
    pq = understand("Has ORX-5 been tested in lupus?", now=NOW, lexicon=LEX)
    has_entity, has_disease, _, _ = _constraints(article("Scleroderma news", text), pq)
    assert has_entity and not has_disease
    pq = understand("ORX-5 in systemic sclerosis", now=NOW, lexicon=LEX)
    assert _constraints(article("Scleroderma news", text), pq)[1]


def test_a_company_question_links_to_its_product_codes() -> None:
    docs = [article("Orvane raises money", "Orvane said ORX-5 will enter phase 2. "
                    "Orvane expects ORX-5 data in 2027.", "a1"),
            article("ORX-5 results", "ORX-5 helped 8 of 10 people with lupus.", "a2")]
    linked = aliases(docs, ("Orvane",))
    assert linked == ("ORX-5",)
    pq = understand("What has Orvane shown in lupus?", now=NOW, lexicon=LEX)
    assert _constraints(docs[1], pq, linked)[:2] == (True, True)


def test_headlines_about_another_disease_are_told_apart() -> None:
    pq = understand("What has ORX-5 shown in lupus?", now=NOW, lexicon=LEX)
    assert _headline_elsewhere("ORX-5 meets goal in systemic sclerosis", pq)
    assert not _headline_elsewhere("ORX-5 in lupus and systemic sclerosis", pq)
    assert not _headline_elsewhere("Orvane raises $80 million", pq)  # no disease: no verdict


def test_the_kind_of_news_asked_for_is_read_from_the_question() -> None:
    assert intents("Did Orvane get any special regulatory status?") == ("regulatory",)
    assert intents("Who paid for Orvane's financing round?") == ("money",)
    assert intents("What did ORX-5 show in lupus?") == ()
    assert intent_headline("regulatory").search("Notice 12: orphan designation for ORX-5")


def test_a_comparison_prefers_the_article_that_speaks_of_both() -> None:
    both = article("ORX-5 vs QX-7", "Orvane's ORX-5 beat the bar set by QX-7 in lupus.")
    one = article("ORX-5 results", "ORX-5 helped 8 of 10 people with lupus.")
    assert _both_sides(both, ("ORX-5", "QX-7")) and not _both_sides(one, ("ORX-5", "QX-7"))
    assert not _both_sides(both, ("ORX-5",))


def hit(doc: ArticleRecord, story: str) -> Hit:
    return Hit(article=replace(doc, story_id=story), score=1.0, similarity=0.5, chunks=(),
               has_entity=True, has_disease=True, has_therapy=True)


def test_stories_beside_the_best_one_are_about_what_was_asked() -> None:
    """A trial named only in another story's last sentence does not bring that story in."""
    lex = Lexicon(contains=lambda t: t.lower() in {"orbit-2", "lupus"}, names=lambda: ())
    pq = understand("Is the ORBIT-2 trial still on hold?", now=NOW, lexicon=lex)
    filler = " ".join(f"Detail number {i} of the programme." for i in range(9))
    best = hit(article("FDA lifts ORBIT-2 hold", "The hold on ORBIT-2 was lifted.", "a1"), "s1")
    passing = hit(article("Rival doses first lupus patient",
                          f"Quenta dosed a patient. {filler} Others include ORBIT-2.", "a2"), "s2")
    earlier = hit(article("Agency halts trial", f"The agency halted ORBIT-2. {filler}", "a3"),
                  "s3")
    told = _stories([best, passing, earlier], pq, plan_for(pq, 3))
    assert [g[0].article.id for g in told] == ["a1", "a3"]


def test_a_therapy_named_only_in_passing_is_told_apart() -> None:
    pq = understand("Any in vivo CAR-T data in lupus?", now=NOW, lexicon=LEX)
    assert "in_vivo_car_t" in pq.therapies
    filler = " ".join(f"Detail number {i} of the study." for i in range(9))
    ex_vivo = article("Lupus CAR-T puts 10 of 12 patients into remission",
                      f"Cells were made in a plant. {filler} Rivals include an in vivo CAR-T.")
    in_vivo = article("Lupus trial of a CAR-T made inside the body",
                      f"The in vivo CAR-T is given as an infusion of nanoparticles. {filler}")
    assert _therapy_in_passing(ex_vivo, pq) and not _therapy_in_passing(in_vivo, pq)


def test_a_notices_lettered_list_gives_one_whole_sentence_per_item() -> None:
    notice = ("From 1 May, sponsors shall: (a) follow each participant for 15 years; "
              "(b) report every malignancy within 15 days; and (c) register the trial.")
    assert _enumerated(notice) == [
        "From 1 May, sponsors shall follow each participant for 15 years.",
        "From 1 May, sponsors shall report every malignancy within 15 days.",
        "From 1 May, sponsors shall register the trial."]
    conditions = "It may resume if: (i) the dose is capped; (ii) patients stay 72 hours."
    assert _enumerated(conditions)[1] == "It may resume if: patients stay 72 hours."
    plain = "The drug (a CD19 engager) worked: 10 of 12 responded."
    assert _enumerated(plain) == [plain]


def test_an_explainers_heading_starts_a_part_about_its_own_subject() -> None:
    text = ("Gene-edited cells. Labs change a patient's cells outside the body. They are being "
            "tried first in people with dermatomyositis. "
            "Bispecific antibodies. These drugs link T cells to B cells. They are given as "
            "injections and are in trials for lupus.")
    pq = understand("Is a T-cell engager being tested in dermatomyositis?", now=NOW, lexicon=LEX)
    assert pq.therapies == ("t_cell_engager",)
    _, has_disease, has_therapy, _ = _constraints(article("How the new drugs work", text), pq)
    assert has_therapy and not has_disease
    # without the headings the same sentences sit together and do answer it
    joined = text.replace("Gene-edited cells. ", "").replace("Bispecific antibodies. ",
                                                             "Bispecific antibodies are next. ")
    assert _constraints(article("How the new drugs work", joined), pq)[1]


def test_a_rival_named_with_its_own_disease_is_not_news_in_the_asked_one() -> None:
    text = ("Orvane's cell therapy softened skin in 9 of 12 people with systemic sclerosis. "
            "A rival company plans to test its own CAR-T in myositis next year. "
            "Shares of Kestrel Bio, which makes a bispecific antibody for rheumatoid arthritis, "
            "rose 3%.")
    pq = understand("Any T-cell engager trials in myositis?", now=NOW, lexicon=LEX)
    assert not _constraints(article("Orvane cell therapy in scleroderma", text), pq)[1]
    pq = understand("Any T-cell engager trials in rheumatoid arthritis?", now=NOW, lexicon=LEX)
    assert _constraints(article("Orvane cell therapy in scleroderma", text), pq)[1]


def test_lay_words_for_a_tolerance_vaccine_name_the_therapy() -> None:
    for question in ("Is there a jab that retrains the immune system for people with MS?",
                     "Has anyone tried a vaccine that teaches your immune system tolerance?",
                     "Any injections that re-educate the immune system in lupus?"):
        assert understand(question, now=NOW, lexicon=LEX).therapies == ("tolerogenic_vaccine",)
    for question in ("Does the flu vaccine matter after CAR-T?",
                     "Is there a shot for lupus fatigue?"):
        assert "tolerogenic_vaccine" not in understand(question, now=NOW, lexicon=LEX).therapies


def test_a_disease_named_as_somewhere_else_an_idea_might_go_is_not_its_news() -> None:
    text = ("A tolerogenic vaccine for celiac disease lowered gluten-reactive T cells in 20 "
            "adults. If it works, the same tolerogenic approach could apply to other autoimmune "
            "conditions, such as type 1 diabetes and multiple sclerosis. A phase 2 study is "
            "planned for 2027.")
    item = article("Inverse vaccine trial in celiac disease", text)
    asked = understand("Is there a tolerogenic vaccine for type 1 diabetes?", now=NOW,
                       lexicon=LEX)
    assert asked.therapies == ("tolerogenic_vaccine",)
    assert not _constraints(item, asked)[1]
    # the same therapy told of in that disease itself is news there
    item = article("Inverse vaccine trial in type 1 diabetes", text.replace(
        "celiac disease", "type 1 diabetes", 1))
    assert _constraints(item, asked)[1]


def test_a_product_is_known_by_its_code_and_its_name() -> None:
    from newsbot.retrieval import _named_as

    assert _named_as("Halvard said HVD-41 (torelimab) met its goal.", "HVD-41") == {"torelimab"}
    assert _named_as("The Agency validated torelimab (HVD-41).", "HVD-41") == {"torelimab"}
    assert _named_as("Patients given HVD-41, also known as torelimab, improved.",
                     "HVD-41") == {"torelimab"}
    # a figure, an abbreviation or a trial number in brackets is not another name
    assert _named_as("HVD-41 (83%) caused CRS in HVD-41 (CRS) cases.", "HVD-41") == set()


def test_a_near_miss_offers_the_diseases_story_and_the_therapys() -> None:
    from datetime import UTC, datetime

    from newsbot.answering import _closest
    from newsbot.models import ArticleRecord
    from newsbot.query import understand
    from newsbot.retrieval import Hit

    def hit(aid: str, disease: bool, therapy: bool) -> Hit:
        record = ArticleRecord(
            id=aid, guid=aid, url="", title=aid, source="Test", feed_url="", published=None,
            ingested_at=datetime(2026, 11, 1, tzinfo=UTC), text="", content_hash=aid,
            on_topic=True, relevance=1.0, reason="")
        return Hit(record, 1.0, 0.5, (), False, disease, therapy)

    pq = understand("CAR-T for type 1 diabetes?")
    hits = [hit("car-t-in-lupus", False, True), hit("treg-in-t1d", True, False),
            hit("car-t-in-ms", False, True)]
    # what else is tried in the disease, then where else the therapy is tried
    assert [a.id for a in _closest(hits, pq)] == ["treg-in-t1d", "car-t-in-lupus"]


def test_a_question_after_results_is_told_from_one_after_money() -> None:
    for question in ("What did the ORX-5 data show?", "How did ORX-5's first patients do?",
                     "Does ORX-5 work in lupus?", "Any ORX-5 results?"):
        assert understand(question, now=NOW, lexicon=LEX).asks_results, question
    for question in ("Who is funding Orvane?", "Tell me about ORX-5",
                     "When does the ORX-5 trial start?", "How does ORX-5 work?"):
        assert not understand(question, now=NOW, lexicon=LEX).asks_results, question


def test_the_antigen_a_therapy_is_asked_to_aim_at_must_be_the_article_s() -> None:
    from newsbot.answering import _missing

    pq = understand("Is there a CD19-directed CAR-T trial in psoriasis?", now=NOW, lexicon=LEX)
    assert pq.targets == ("CD19",)
    # however the antigen ends the question
    assert understand("Any CAR-T aimed at CD19?", now=NOW, lexicon=LEX).targets == ("CD19",)
    ccr6 = article("In vivo CAR-T in psoriatic arthritis",
                   "An in vivo CCR6 CAR-T gave responses in psoriatic arthritis patients.")
    cd19 = article("CD19 CAR-T in psoriasis", "A CD-19 CAR-T cleared psoriasis plaques.", "a2")
    assert not _constraints(ccr6, pq)[2] and _constraints(cd19, pq)[2]
    hit = Hit(ccr6, 1.0, 0.5, (), *_constraints(ccr6, pq))
    assert _missing(pq, [hit]) == "CD19 CAR-T in Psoriasis / psoriatic arthritis"
    # a question naming a product does not hold it to an antigen
    assert understand("Is ORX-5 a CD19 CAR-T?", now=NOW, lexicon=LEX).targets == ()


def test_a_list_of_diseases_and_therapies_is_not_news_of_one_pair() -> None:
    # a registry for everyone treated with any of three therapies in any of five diseases
    # does not report T-cell engagers in MS: the question is a near miss
    text = ("An alliance of patient groups for lupus, myasthenia gravis, multiple sclerosis, "
            "systemic sclerosis and myositis will open a registry for people who received "
            "CAR-T, T-cell engagers or engineered Tregs. Enrolment starts in January.")
    pq = understand("Any news on T-cell engagers for MS?", now=NOW, lexicon=LEX)
    assert pq.therapies and pq.named_diseases
    assert not _constraints(article("A registry for cell therapy patients", text), pq)[1]
    # a sentence on that pair alone is news of it
    told = text.replace("lupus, myasthenia gravis, ", "").replace(
        ", systemic sclerosis and myositis", "")
    assert _constraints(article("A registry for cell therapy patients", told), pq)[1]


def test_cell_therapy_is_asked_as_the_kinds_of_cell_therapy() -> None:
    pq = understand("What's the latest on MS cell therapy?", now=NOW, lexicon=LEX)
    assert pq.therapies == ("cell_therapy",) and pq.named_diseases == ("multiple_sclerosis",)
    # a kind named is that kind alone
    assert understand("CAR-T cell therapy for lupus", now=NOW, lexicon=LEX).therapies == (
        "car_t",)
    assert understand("regulatory T-cell therapy in Crohn's", now=NOW,
                      lexicon=LEX).therapies == ("treg",)
    car_t = article("First MS patients receive CD19 CAR-T",
                    "Three people with progressive multiple sclerosis received CAR-T cells.")
    antibody = article("Anti-CD20 antibody approved for children with MS",
                       "The FDA expanded the label of an anti-CD20 antibody in multiple "
                       "sclerosis to children.")
    # a vaccine that works through the body's own regulatory T cells is no cell therapy
    vaccine = article("Inverse vaccine for MS enters first trial",
                      "The vaccine for multiple sclerosis is designed to expand regulatory "
                      "T cells that calm the attack on myelin.")
    assert _constraints(car_t, pq)[2]
    assert not _constraints(antibody, pq)[2] and not _constraints(vaccine, pq)[2]


def test_a_disease_in_a_list_beside_the_therapy_is_not_its_news_there() -> None:
    # a lupus CAR-T fertility piece names myasthenia gravis only among other diseases
    text = ("Young women weighing CAR-T for lupus ask about fertility. Trials in lupus, "
            "myasthenia gravis, multiple sclerosis and systemic sclerosis rarely pay for egg "
            "freezing. Preservation costs $10,000 to $20,000.")
    pq = understand("Can CAR-T cure myasthenia gravis?", now=NOW, lexicon=LEX)
    assert not _constraints(article("Fertility and CAR-T", text), pq)[1]
    told = text.replace("lupus, myasthenia gravis, multiple sclerosis and systemic sclerosis",
                        "myasthenia gravis")
    assert _constraints(article("Fertility and CAR-T", told), pq)[1]

