"""The pilot filter as a pure rule: which deals are in scope, and why the others are not."""
from __future__ import annotations

from decimal import Decimal

from app.deals.scope import ScopeFacts, pilot_verdict
from app.policy import PilotScope

DEAL = ScopeFacts(business_unit="EMEA", record_type="New Business", owner_id="005000000000001AAA",
                  owner_email="sam@example.com", account_id="001000000000001AAA", account_name="Globex Inc",
                  segment="Mid-Market", amount=Decimal("7200.00"))


def test_no_pilot_means_every_deal_is_in_scope():
    assert pilot_verdict(DEAL, None).in_scope


def test_a_deal_passing_every_criterion_is_in_scope_names_match_ignoring_case_and_spaces():
    pilot = PilotScope(business_units=("emea",), record_types=("new  business",), owners=("SAM@example.com",),
                       accounts=("globex inc",), segments=("Mid-Market",), min_amount=Decimal(1000),
                       max_amount=Decimal(7200))
    verdict = pilot_verdict(DEAL, pilot)
    assert verdict.in_scope and verdict.reasons == ()


def test_owners_and_accounts_match_by_salesforce_id_too():
    pilot = PilotScope(owners=("005000000000001AAA",), accounts=("001000000000001AAA",))
    assert pilot_verdict(DEAL, pilot).in_scope


def test_each_failed_criterion_is_named():
    pilot = PilotScope(business_units=("AMER",), record_types=("Renewal",), owners=("ann@example.com",),
                       accounts=("Initech LLC",), segments=("Enterprise",), max_amount=Decimal(5000))
    verdict = pilot_verdict(DEAL, pilot)
    assert not verdict.in_scope
    assert verdict.reasons == (
        "business unit EMEA is not in the pilot (AMER)",
        "record type New Business is not in the pilot (Renewal)",
        "owner sam@example.com is not in the pilot (ann@example.com)",
        "account Globex Inc is not in the pilot (Initech LLC)",
        "segment Mid-Market is not in the pilot (Enterprise)",
        "amount 7,200.00 is above the pilot's maximum 5,000.00",
    )


def test_missing_values_are_out_of_scope_when_the_pilot_filters_on_them():
    bare = ScopeFacts()
    verdict = pilot_verdict(bare, PilotScope(segments=("Mid-Market",), min_amount=Decimal(1)))
    assert verdict.reasons == ("segment (none) is not in the pilot (Mid-Market)",
                               "the deal has no amount, and the pilot has an amount range")


def test_below_the_minimum_amount():
    verdict = pilot_verdict(DEAL, PilotScope(min_amount=Decimal("10000")))
    assert verdict.reasons == ("amount 7,200.00 is below the pilot's minimum 10,000.00",)


def test_an_empty_list_does_not_filter():
    assert pilot_verdict(DEAL, PilotScope(segments=(), accounts=())).in_scope
