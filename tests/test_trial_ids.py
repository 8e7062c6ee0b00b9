"""Registry ids and tied acronyms in running text, over varied wording."""

from __future__ import annotations

import pytest

from newsbot.trial_ids import RegistryId, find_registry_ids, parse_id


@pytest.mark.parametrize(("text", "expected"), [
    ("Results from the KAIROS-1 trial (NCT01234567) were presented.",
     [("ctgov", "NCT01234567", "KAIROS-1")]),
    ("The phase 2 RESET-SLE study, registered as NCT 06123456, enrolled 12 adults.",
     [("ctgov", "NCT06123456", "RESET-SLE")]),
    ("The study NCT06234567, known as ZENITH-MG, opens in January.",
     [("ctgov", "NCT06234567", "ZENITH-MG")]),
    ("ISRCTN 87654321 (the TREG-MS trial) is recruiting in Leeds.",
     [("isrctn", "ISRCTN87654321", "TREG-MS")]),
    # a disease abbreviation beside the id is no trial name
    ("Patients with SLE (NCT06234567) were dosed.", [("ctgov", "NCT06234567", None)]),
    # the acronym in another sentence is not tied
    ("DAHLIA started last year. NCT02222222 is a separate study.",
     [("ctgov", "NCT02222222", None)]),
    # an acronym far from the id, with other words between, is not tied either
    ("The CASTLE program, which began in Erlangen with a handful of patients, now "
     "includes NCT03333333.", [("ctgov", "NCT03333333", None)]),
    ("EU CT number 2023-512345-12-00, EudraCT 2019-001234-22 and ISRCTN12345678.",
     [("euct", "2023-512345-12-00", None), ("eudract", "2019-001234-22", None),
      ("isrctn", "ISRCTN12345678", None)]),
])
def test_ids_and_acronyms_in_varied_wording(text: str, expected: list[tuple]) -> None:
    assert [(r.registry, r.id, r.acronym) for r in find_registry_ids(text)] == expected


def test_each_id_once_in_order_of_mention_with_the_acronym_of_any_mention() -> None:
    text = ("NCT06123456 and NCT06901234 were both discussed. Later the LUMEN-2 trial "
            "(NCT06123456) was singled out.")
    assert find_registry_ids(text) == (RegistryId("ctgov", "NCT06123456", "LUMEN-2"),
                                       RegistryId("ctgov", "NCT06901234", None))


def test_numbers_that_only_look_like_ids_are_not_ids() -> None:
    assert find_registry_ids("Call 2024-123456-12-99 or NCT123 or ISRCTN1234; dated "
                             "2026-11-20, lot 12345678.") == ()


def test_parse_id_takes_a_whole_id_in_any_spelling() -> None:
    assert parse_id(" nct06123456 ") == RegistryId("ctgov", "NCT06123456")
    assert parse_id("ISRCTN 12345678") == RegistryId("isrctn", "ISRCTN12345678")
    assert parse_id("2023-512345-12-00") == RegistryId("euct", "2023-512345-12-00")
    assert parse_id("NCT06123456 please") is None
    assert parse_id("LUMEN-2") is None
