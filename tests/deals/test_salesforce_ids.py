"""Salesforce record ids: the 15-character case-sensitive form and its 18-character checksummed form."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from app.deals.salesforce_ids import canonical_id

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "salesforce"


def _fixture_ids() -> list[str]:
    """Every 18-character record id in the recorded Salesforce responses (real ids, real checksums)."""
    found: set[str] = set()
    for path in FIXTURES.glob("*.json"):
        found |= set(re.findall(r'"((?:00[1-9a-zA-Z]|0[1-9a-zA-Z]{2})[0-9a-zA-Z]{15})"', path.read_text()))
    placeholders = ("ACCOUNTID", "ORGID")                  # hand-made ids in a fixture, no checksum
    return sorted(i for i in found if i[:3] in ("001", "003", "005", "006", "00k", "01u")
                  and not any(word in i for word in placeholders))


def test_the_fixtures_hold_real_ids():
    assert {"0063F00000RdvMKQAZ", "0015500001QdQWfAAN", "00k3F000007kBoDQAU"} <= set(_fixture_ids())


@pytest.mark.parametrize("id18", _fixture_ids())
def test_a_15_character_id_gets_its_18_character_form(id18: str):
    assert canonical_id(id18[:15]) == id18
    assert canonical_id(id18) == id18


@pytest.mark.parametrize(("given", "expected"), [
    ("006Lb000000000j", "006Lb000000000jIAA"),
    ("006lb000000000j", "006lb000000000jAAA"),          # another record: case matters in the 15-character form
    ("006LB000000000JIAA", "006Lb000000000jIAA"),       # an 18-character id typed in capitals: its suffix has the case
    ("006lb000000000jiaa", "006Lb000000000jIAA"),
])
def test_the_case_is_the_one_the_id_encodes(given: str, expected: str):
    assert canonical_id(given) == expected


@pytest.mark.parametrize("text", ["", "006", "006Lb000000000", "006Lb000000000jIA", "006Lb000000000jIAAx",
                                  "006Lb00000000-j", "006Lb000000000j\n", "٠٠٦Lb000000000j", "0067b000000000jIAA",
                                  "006Lb000000000j999"])
def test_anything_else_is_not_an_id(text: str):
    assert canonical_id(text) is None


def test_fixture_ids_decode_from_capitals():
    for id18 in _fixture_ids():
        assert canonical_id(id18.upper()) == id18
        assert canonical_id(id18.lower()) == id18
