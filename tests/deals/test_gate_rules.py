"""The billing gate: won -> eligible -> every problem a sales rep must fix, each with a stable code."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
import yaml

from app.deals.facts import AccountFacts, DealFacts, LineFacts
from app.deals.rules import GateResult, GateStatus, Problem, evaluate_gate, term_days
from app.policy import ExceptionKind, Policy, load_policy, policy_from_data

EXAMPLE = Path(__file__).resolve().parents[2] / "policy.example.yaml"
POLICY = load_policy(EXAMPLE)


def policy_with(change: Callable[[dict], None]) -> Policy:
    data = yaml.safe_load(EXAMPLE.read_text(encoding="utf-8"))
    change(data)
    policy, problems = policy_from_data(data)
    assert problems == [] and policy is not None
    return policy


def line(name: str = "Annual Subscription", code: str | None = "SUB-ANN", quantity: str = "1",
         unit_price: str = "1000.00", discount: str | None = None, total: str | None = None) -> LineFacts:
    gross = Decimal(quantity) * Decimal(unit_price)
    computed = gross * (1 - Decimal(discount or 0) / 100)
    return LineFacts(product_name=name, product_code=code, quantity=Decimal(quantity), unit_price=Decimal(unit_price),
                     discount_percent=Decimal(discount) if discount is not None else None,
                     total_price=Decimal(total) if total is not None else computed)


ACCOUNT = AccountFacts(
    account_id="001A000001", name="Acme Corp", segment="Enterprise",
    billing_street="1 Main St", billing_city="Boston", billing_state="MA", billing_postal_code="02110",
    billing_country="US", tax_exempt=False, credit_limit=Decimal("20000"), has_qbo_customer=True,
)
DEAL = DealFacts(
    opportunity_id="006A000001", name="Acme 2025 renewal", stage="Closed Won", is_won=True,
    billing_status="Delivered", amount=Decimal("1500.00"), close_date=date(2025, 3, 31), payment_terms="Net 30",
    po_number="PO-7781", owner_email="rep@acme-seller.com", account=ACCOUNT,
    lines=(line(), line("Support Plan", "SUP-PREM", quantity="2", unit_price="250.00")),
)


def deal(**changes: object) -> DealFacts:
    return replace(DEAL, **changes)


def account(**changes: object) -> AccountFacts:
    return replace(ACCOUNT, **changes)


def codes(result: GateResult) -> list[str]:
    return [problem.code for problem in result.problems]


def only_problem(result: GateResult) -> Problem:
    assert result.status is GateStatus.INVALID
    assert len(result.problems) == 1, result.problems
    return result.problems[0]


# --- won, eligible, billable --------------------------------------------------------------------------

def test_complete_deal_is_billable() -> None:
    result = evaluate_gate(DEAL, POLICY)
    assert result.status is GateStatus.BILLABLE
    assert result.billable
    assert result.problems == ()


def test_open_deal_is_not_won_even_with_problems() -> None:
    result = evaluate_gate(deal(stage="Negotiation", is_won=False, amount=None, lines=()), POLICY)
    assert result.status is GateStatus.NOT_WON
    assert not result.billable
    assert result.problems == ()
    assert "Negotiation" in result.reason and "Closed Won" in result.reason


def test_won_stage_name_counts_even_before_is_won_is_set() -> None:
    assert evaluate_gate(deal(stage="closed  won", is_won=False), POLICY).status is GateStatus.BILLABLE


def test_is_won_counts_for_a_renamed_won_stage() -> None:
    assert evaluate_gate(deal(stage="Signed", is_won=True), POLICY).status is GateStatus.BILLABLE


@pytest.mark.parametrize("status", [None, "", "Pending", "Delivered soon"])
def test_won_but_not_eligible_waits_without_problems(status: str | None) -> None:
    result = evaluate_gate(deal(billing_status=status, po_number=None), POLICY)
    assert result.status is GateStatus.NOT_ELIGIBLE
    assert result.problems == ()
    assert "Billing_Status__c" in result.reason
    assert "'Delivered', 'Accepted' or 'Milestone Approved'" in result.reason


def test_eligible_values_ignore_case() -> None:
    assert evaluate_gate(deal(billing_status="milestone approved"), POLICY).billable


# --- PO number ----------------------------------------------------------------------------------------

@pytest.mark.parametrize("po_number", [None, "", "   "])
def test_po_number_required_for_enterprise(po_number: str | None) -> None:
    problem = only_problem(evaluate_gate(deal(po_number=po_number), POLICY))
    assert problem.code == "missing_field:po_number"
    assert problem.field == "po_number"
    assert problem.message == "PO number is required for Enterprise accounts: fill PO_Number__c on the opportunity"
    assert problem.kind is ExceptionKind.MISSING_FIELD


def test_po_number_not_required_for_other_segments() -> None:
    assert evaluate_gate(deal(po_number=None, account=account(segment="Mid-Market")), POLICY).billable
    assert evaluate_gate(deal(po_number=None, account=account(segment=None)), POLICY).billable
    public = evaluate_gate(deal(po_number=None, account=account(segment="public sector")), POLICY)
    assert codes(public) == ["missing_field:po_number"]


# --- addresses ----------------------------------------------------------------------------------------

def test_bill_to_address_missing_its_postal_code() -> None:
    problem = only_problem(evaluate_gate(deal(account=account(billing_postal_code=" ")), POLICY))
    assert problem.code == "missing_field:bill_to_address.postal_code"
    assert problem.message.startswith("Bill-to address is missing its postal code")
    assert "account 'Acme Corp'" in problem.message


def test_bill_to_address_missing_postal_code_and_country_are_two_problems() -> None:
    result = evaluate_gate(deal(account=account(billing_postal_code=None, billing_country=None)), POLICY)
    assert codes(result) == ["missing_field:bill_to_address.postal_code", "missing_field:bill_to_address.country"]


def test_empty_bill_to_address_is_one_problem() -> None:
    empty = account(billing_street=None, billing_city=None, billing_state=None, billing_postal_code=None,
                    billing_country=None)
    problem = only_problem(evaluate_gate(deal(account=empty), POLICY))
    assert problem.code == "missing_field:bill_to_address"
    assert problem.message.startswith("Bill-to address is missing: fill the Billing Address")


def test_ship_to_address_checked_only_when_required() -> None:
    assert evaluate_gate(DEAL, POLICY).billable
    strict = policy_with(lambda data: data["billing_gate"]["required_fields"].append("ship_to_address"))
    problem = only_problem(evaluate_gate(DEAL, strict))
    assert problem.code == "missing_field:ship_to_address"
    assert problem.message.startswith("Ship-to address is missing")


# --- products -----------------------------------------------------------------------------------------

def test_unmapped_product_asks_finance_for_a_mapping() -> None:
    problem = only_problem(evaluate_gate(deal(lines=(line("Widget X", "WID-X"),), amount=Decimal("1000")), POLICY))
    assert problem.code == "unmapped_product:WID-X"
    assert problem.message == "Product 'Widget X' has no QuickBooks item mapping: ask finance to add it to the policy"
    assert problem.kind is ExceptionKind.UNMAPPED_PRODUCT


def test_product_mapped_by_code_or_by_name() -> None:
    by_code = line("Renamed subscription", "SUB-ANN")
    by_name = line("Consulting Services", "CONS-NEW")
    assert evaluate_gate(deal(lines=(by_code, by_name), amount=Decimal("2000")), POLICY).billable


def test_same_unmapped_product_on_two_lines_is_one_problem() -> None:
    result = evaluate_gate(deal(lines=(line("Widget X", "WID-X"), line("Widget X", "WID-X")), amount=Decimal("2000")),
                           POLICY)
    assert codes(result) == ["unmapped_product:WID-X"]


def test_missing_product_code_when_item_codes_are_required() -> None:
    result = evaluate_gate(deal(lines=(line("Implementation", None),), amount=Decimal("1000")), POLICY)
    problem = only_problem(result)
    assert problem.code == "missing_field:item_codes:Implementation"
    assert "has no product code" in problem.message


def test_no_products_is_a_missing_field() -> None:
    result = evaluate_gate(deal(lines=(), amount=Decimal("1000")), POLICY)
    assert codes(result) == ["missing_field:line_items"]


@pytest.mark.parametrize(("bad_line", "code", "words"), [
    (line(quantity="0", total="1000.00"), "invalid_field:line_items.quantity:Annual Subscription", "more than zero"),
    (line(quantity="-1", total="1000.00"), "invalid_field:line_items.quantity:Annual Subscription", "quantity -1"),
    (line(unit_price="-1000.00", total="1000.00"), "invalid_field:line_items.unit_price:Annual Subscription",
     "negative sales price"),
    (line(discount="120", total="1000.00"), "invalid_field:line_items.discount:Annual Subscription",
     "between 0 and 100%"),
])
def test_invalid_line_values(bad_line: LineFacts, code: str, words: str) -> None:
    problem = only_problem(evaluate_gate(deal(lines=(bad_line,), amount=Decimal("1000.00")), POLICY))
    assert problem.code == code
    assert words in problem.message
    assert problem.kind is ExceptionKind.INVALID_FIELD


def test_a_negative_price_is_shown_with_the_deal_currency() -> None:
    bad = line(unit_price="-1000.00", total="1000.00")
    problem = only_problem(evaluate_gate(deal(lines=(bad,), amount=Decimal("1000.00"), currency="EUR"), POLICY))
    assert "negative sales price (-1,000.00 EUR)" in problem.message


def test_full_discount_is_allowed() -> None:
    free = line("Support Plan", "SUP-PREM", discount="100")
    assert evaluate_gate(deal(lines=(line(), free), amount=Decimal("1000.00")), POLICY).billable


# --- amount -------------------------------------------------------------------------------------------

def test_amount_missing_vs_invalid() -> None:
    assert codes(evaluate_gate(deal(amount=None), POLICY)) == ["missing_field:amount"]
    zero = only_problem(evaluate_gate(deal(amount=Decimal("0")), POLICY))
    assert zero.code == "invalid_field:amount"
    assert "must be more than zero" in zero.message


def test_amount_must_match_line_totals_within_a_cent() -> None:
    assert evaluate_gate(deal(amount=Decimal("1500.01")), POLICY).billable
    assert evaluate_gate(deal(amount=Decimal("1499.99")), POLICY).billable
    problem = only_problem(evaluate_gate(deal(amount=Decimal("1500.02")), POLICY))
    assert problem.code == "invalid_field:amount"
    assert problem.message == ("The opportunity amount (1,500.02 USD) does not match its products (total "
                               "1,500.00 USD): correct the products or the amount")


# --- payment terms ------------------------------------------------------------------------------------

def test_payment_terms_missing() -> None:
    problem = only_problem(evaluate_gate(deal(payment_terms="  "), POLICY))
    assert problem.code == "missing_field:payment_terms"


def test_payment_terms_without_mapping() -> None:
    problem = only_problem(evaluate_gate(deal(payment_terms="Net 45"), POLICY))
    assert problem.code == "unmapped_terms:Net 45"
    assert problem.kind is ExceptionKind.UNMAPPED_TERMS
    assert "'Net 30'" in problem.message and "ask finance to add them to the policy" in problem.message


def test_payment_terms_beyond_the_maximum_are_invalid() -> None:
    lenient = policy_with(lambda data: data["mappings"]["payment_terms"].update({"Net 120": "Net 120"}))
    problem = only_problem(evaluate_gate(deal(payment_terms="Net 120"), lenient))
    assert problem.code == "invalid_field:payment_terms"
    assert "90-day maximum" in problem.message
    assert evaluate_gate(deal(payment_terms="net 90"), lenient).billable


@pytest.mark.parametrize(("terms", "days"), [("Net 45", 45), ("net30", 30), ("Due on receipt", 0),
                                             ("2/10 Net 30", None), (None, None)])
def test_term_days(terms: str | None, days: int | None) -> None:
    assert term_days(terms) == days


# --- account and owner --------------------------------------------------------------------------------

def test_unknown_taxability_is_missing_but_exempt_is_fine() -> None:
    assert codes(evaluate_gate(deal(account=account(tax_exempt=None)), POLICY)) == ["missing_field:taxability"]
    assert evaluate_gate(deal(account=account(tax_exempt=True)), POLICY).billable


def test_close_date_and_owner_email() -> None:
    assert codes(evaluate_gate(deal(close_date=None), POLICY)) == ["missing_field:close_date"]
    assert codes(evaluate_gate(deal(owner_email=None), POLICY)) == ["missing_field:owner_email"]
    assert codes(evaluate_gate(deal(owner_email="rep@"), POLICY)) == ["invalid_field:owner_email"]


def test_fields_not_required_are_not_checked() -> None:
    relaxed = policy_with(lambda data: data["billing_gate"].update(required_fields=[]))
    sparse = deal(payment_terms=None, amount=None, close_date=None, owner_email=None, lines=(line("Widget", None),),
                  account=account(billing_street=None, billing_postal_code=None, tax_exempt=None))
    assert codes(evaluate_gate(sparse, relaxed)) == ["unmapped_product:Widget"]


# --- everything at once -------------------------------------------------------------------------------

def test_all_problems_listed_at_once_with_stable_unique_codes() -> None:
    messy = deal(po_number=None, payment_terms="Net 45", close_date=None, amount=Decimal("10"),
                 account=account(billing_country=None, tax_exempt=None), lines=(line("Widget X", None),))
    first, second = evaluate_gate(messy, POLICY), evaluate_gate(messy, POLICY)
    assert first == second
    assert codes(first) == [
        "missing_field:bill_to_address.country", "unmapped_terms:Net 45", "missing_field:item_codes:Widget X",
        "unmapped_product:Widget X", "invalid_field:amount", "missing_field:taxability",
        "missing_field:close_date", "missing_field:po_number",
    ]
    assert first.reason == "8 problems to fix before invoicing"
    assert all(problem.message[0].isupper() for problem in first.problems)
