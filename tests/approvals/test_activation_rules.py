"""Customer activation's pure rules: the proposed customer, the QuickBooks customer or look-alikes it matches, and
the approver's credit limit."""
from __future__ import annotations

from decimal import Decimal

import pytest

from app.approvals.activation import parse_credit_limit, proposed_customer
from app.deals.facts import AccountFacts
from app.exception_queue.customers import match_customers
from app.integrations.quickbooks_models import QboAddress, QboCustomer

ACCOUNT = AccountFacts(account_id="001A000001", name="Hooli, Inc.", billing_street="1 Main St", billing_city="Boston",
                       billing_state="MA", billing_postal_code="02110", billing_country="US", tax_exempt=False,
                       credit_limit=Decimal("40000"), billing_email="ap@hooli.example")


def customer(customer_id: str, name: str, *, email: str | None = None, street: str | None = None,
             postal: str | None = None, active: bool = True) -> QboCustomer:
    address = QboAddress(line1=street, postal_code=postal) if street or postal else None
    return QboCustomer(id=customer_id, display_name=name, sync_token="0", email=email, billing_address=address,
                       active=active)


def test_the_proposed_customer_shows_what_the_account_says() -> None:
    proposed = proposed_customer(ACCOUNT, terms=" Net 60 ")
    assert proposed.name == "Hooli, Inc." and proposed.email == "ap@hooli.example" and proposed.terms == "Net 60"
    assert proposed.bill_to == "1 Main St, Boston, MA, 02110, US" and proposed.ship_to == ""
    assert (proposed.tax_status, proposed.credit_limit) == ("taxable", "40000.00")


def test_a_customer_with_exactly_the_name_is_the_customer_and_no_look_alike_is_offered() -> None:
    matches = match_customers(ACCOUNT, [customer("1", "hooli, inc."), customer("2", "Hooli LLC")])
    assert matches.exact is not None and matches.exact.customer_id == "1" and matches.look_alikes == ()


def test_look_alikes_by_name_email_or_billing_address_with_the_reason() -> None:
    matches = match_customers(ACCOUNT, [
        customer("1", "HOOLI LLC"), customer("2", "Pied Piper", email="AP@hooli.example"),
        customer("3", "Nucleus", street="1  main st", postal="02110"), customer("4", "Raviga", street="1 Main St"),
        customer("5", "Hooli Corp", active=False)])
    assert matches.exact is None
    assert [(alike.customer_id, alike.why) for alike in matches.look_alikes] == [
        ("1", "a similar name"), ("3", "the same billing address"), ("2", "the same email")]


@pytest.mark.parametrize(("typed", "amount"), [("25000", "25000.00"), ("25,000.50", "25000.50"), ("$0", "0.00")])
def test_a_credit_limit_as_typed(typed: str, amount: str) -> None:
    assert parse_credit_limit(typed) == Decimal(amount)


@pytest.mark.parametrize(("typed", "words"), [("lots", "is not an amount"), ("-5", "zero or more"),
                                              ("10.001", "at most 2 decimals"), ("NaN", "zero or more")])
def test_a_bad_credit_limit_is_refused_in_words(typed: str, words: str) -> None:
    with pytest.raises(ValueError, match=words):
        parse_credit_limit(typed)
