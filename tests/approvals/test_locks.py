"""The field lock as pure functions: what an approval locks, the difference of two locked sets, the tolerance."""
from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import Decimal

import pytest

from app.approvals.locks import (
    FieldChange,
    describe,
    diff_locked,
    lock_fingerprint,
    locked_values,
    terms_fingerprint,
    within_tolerance,
)
from app.deals.facts import AccountFacts, DealFacts, LineFacts


def line(name: str, quantity: str, unit_price: str, discount: str | None = None) -> LineFacts:
    total = Decimal(quantity) * Decimal(unit_price) * (1 - Decimal(discount or 0) / 100)
    return LineFacts(product_name=name, product_code=None, quantity=Decimal(quantity), unit_price=Decimal(unit_price),
                     discount_percent=Decimal(discount) if discount is not None else None, total_price=total,
                     list_price=Decimal(unit_price))


ACCOUNT = AccountFacts(account_id="001A000001", name="Acme Corp", billing_street="1 Main St", billing_city="Boston",
                       billing_state="MA", billing_postal_code="02110", billing_country="US",
                       shipping_street="9 Dock Rd", shipping_city="Austin", shipping_state="TX",
                       tax_exempt=False, credit_limit=Decimal("20000"), has_qbo_customer=True)
DEAL = DealFacts(opportunity_id="006A000001", name="Acme renewal", stage="Closed Won", is_won=True,
                 billing_status="Delivered", amount=Decimal("1500.00"), close_date=date(2026, 3, 31),
                 payment_terms="Net 30", po_number="PO-1", owner_email="rep@example.com", account=ACCOUNT,
                 lines=(line("Annual Subscription", "1", "1000.00"), line("Support Plan", "2", "250.00")))
LOCKED = locked_values(DEAL)


def diff(changed: DealFacts, tolerance: str = "0") -> tuple[FieldChange, ...]:
    return diff_locked(LOCKED, locked_values(changed), tolerance_percent=Decimal(tolerance))


def test_an_approval_locks_terms_each_line_discount_overall_discount_taxability_credit_limit_and_addresses() -> None:
    assert LOCKED == {
        "account": "001A000001", "amount": "1500", "currency": "USD", "payment_terms": "Net 30",
        "overall_discount": "0", "taxability": "taxable", "credit_limit": "20000",
        "bill_to": "1 Main St, Boston, MA, 02110, US", "ship_to": "9 Dock Rd, Austin, TX",
        "line_discount:Annual Subscription": "0", "line_discount:Support Plan": "0"}


def test_a_repeated_product_gets_its_own_line_key() -> None:
    twice = replace(DEAL, lines=(line("Support Plan", "1", "250.00"), line("Support Plan", "1", "250.00", "10")))
    assert {key: value for key, value in locked_values(twice).items() if key.startswith("line_discount:")} == {
        "line_discount:Support Plan": "0", "line_discount:Support Plan (2)": "10"}


def test_changes_outside_the_locked_fields_change_nothing() -> None:
    unrelated = replace(DEAL, name="Acme renewal (typo fixed)", close_date=date(2026, 4, 1), po_number="PO-2",
                        billing_status="Accepted", owner_email="other@example.com",
                        account=replace(ACCOUNT, name="Acme Corporation", segment="Enterprise"))
    assert diff(unrelated) == ()
    assert terms_fingerprint(unrelated) == terms_fingerprint(DEAL)


def test_the_same_values_written_differently_are_the_same_lock() -> None:
    same = replace(DEAL, amount=Decimal("1.5E+3"), account=replace(ACCOUNT, credit_limit=Decimal("20000.00")))
    assert lock_fingerprint(locked_values(same)) == lock_fingerprint(LOCKED) and diff(same) == ()


@pytest.mark.parametrize(("changed", "expected"), [
    (replace(DEAL, account=replace(ACCOUNT, tax_exempt=True)), ["Taxability: taxable -> exempt"]),
    (replace(DEAL, account=replace(ACCOUNT, tax_exempt=None)), ["Taxability: taxable -> (none)"]),
    (replace(DEAL, payment_terms="Net 60"), ["Payment terms: Net 30 -> Net 60"]),
    (replace(DEAL, account=replace(ACCOUNT, credit_limit=Decimal("75000"))),
     ["Credit limit: 20,000.00 USD -> 75,000.00 USD"]),
    (replace(DEAL, account=replace(ACCOUNT, billing_street="2 Elm St")),
     ["Bill-to: 1 Main St, Boston, MA, 02110, US -> 2 Elm St, Boston, MA, 02110, US"]),
    (replace(DEAL, account=replace(ACCOUNT, shipping_street=None, shipping_city=None, shipping_state=None)),
     ["Ship-to: 9 Dock Rd, Austin, TX -> (none)"]),
])
def test_each_locked_field_is_shown_old_to_new(changed: DealFacts, expected: list[str]) -> None:
    assert [change.text() for change in diff(changed)] == expected


def test_a_line_discount_change_shows_the_line_the_overall_discount_and_the_amount() -> None:
    discounted = replace(DEAL, amount=Decimal("1400.00"),
                         lines=(line("Annual Subscription", "1", "1000.00", "10"), DEAL.lines[1]))
    assert describe(diff(discounted)) == (
        "Amount: 1,500.00 USD -> 1,400.00 USD; Overall discount: 0.00% -> 6.67%; "
        "Discount on 'Annual Subscription': 0.00% -> 10.00%")


def test_the_amount_within_the_tolerance_reopens_nothing_and_beyond_it_does() -> None:
    assert diff(replace(DEAL, amount=Decimal("1485.00")), tolerance="1") == ()          # 1% of 1,500 is 15
    beyond = diff(replace(DEAL, amount=Decimal("1484.99")), tolerance="1")
    assert [change.key for change in beyond] == ["amount"]
    assert beyond[0].text() == "Amount: 1,500.00 USD -> 1,484.99 USD"
    assert [change.key for change in diff(replace(DEAL, amount=Decimal("1500.01")))] == ["amount"]   # no tolerance


def test_a_currency_change_is_never_within_the_tolerance() -> None:
    assert [change.key for change in diff(replace(DEAL, currency="EUR"), tolerance="5")] == ["currency"]


@pytest.mark.parametrize(("old", "new", "percent", "within"), [
    ("1000", "1000", "0", True), ("1000", "1000.01", "0", False), ("1000", "1010", "1", True),
    ("1000", "989.99", "1", False), ("", "", "1", True), ("", "10", "50", False),
])
def test_within_tolerance(old: str, new: str, percent: str, within: bool) -> None:
    assert within_tolerance(old, new, tolerance_percent=Decimal(percent)) is within
