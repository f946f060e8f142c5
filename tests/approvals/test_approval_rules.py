"""Which approvals a deal needs, who may decide, and when the terms changed after an approval."""
from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
import yaml

from app.approvals.rules import (
    ApprovalKind,
    ApprovalNeed,
    measure_discount,
    required_approvals,
)
from app.deals.facts import AccountFacts, DealFacts, LineFacts
from app.policy import Policy, load_policy, policy_from_data

EXAMPLE = Path(__file__).resolve().parents[2] / "policy.example.yaml"
POLICY = load_policy(EXAMPLE)


def line(name: str, quantity: str, unit_price: str, discount: str | None = None, *,
         list_price: str | None = None, code: str | None = None) -> LineFacts:
    total = Decimal(quantity) * Decimal(unit_price) * (1 - Decimal(discount or 0) / 100)
    return LineFacts(product_name=name, product_code=code, quantity=Decimal(quantity), unit_price=Decimal(unit_price),
                     discount_percent=Decimal(discount) if discount is not None else None, total_price=total,
                     list_price=Decimal(list_price) if list_price is not None else None)


ACCOUNT = AccountFacts(account_id="001A000001", name="Acme Corp", segment="Enterprise", billing_city="Boston",
                       billing_country="US", tax_exempt=False, credit_limit=Decimal("20000"), has_qbo_customer=True)
LINES = (line("Annual Subscription", "1", "1000.00"), line("Support Plan", "2", "250.00"))
DEAL = DealFacts(opportunity_id="006A000001", name="Acme 2025 renewal", stage="Closed Won", is_won=True,
                 billing_status="Delivered", amount=Decimal("1500.00"), close_date=date(2025, 3, 31),
                 payment_terms="Net 30", po_number="PO-1", owner_email="rep@example.com", account=ACCOUNT, lines=LINES)


def deal(**changes: object) -> DealFacts:
    return replace(DEAL, **changes)


def with_lines(*lines: LineFacts, amount: str | None = None) -> DealFacts:
    total = sum((item.total_price for item in lines), Decimal(0))
    return deal(lines=lines, amount=Decimal(amount) if amount is not None else total)


def only_need(deal_facts: DealFacts, policy: Policy = POLICY) -> ApprovalNeed:
    needs = required_approvals(deal_facts, policy)
    assert len(needs) == 1, needs
    return needs[0]


def test_standard_deal_needs_no_approval() -> None:
    assert required_approvals(DEAL, POLICY) == ()


# --- customer activation ------------------------------------------------------------------------------

def test_new_customer_needs_activation_by_the_controller() -> None:
    need = only_need(deal(account=replace(ACCOUNT, has_qbo_customer=False)))
    assert need.kind is ApprovalKind.CUSTOMER_ACTIVATION
    assert (need.role, need.level) == ("controller", 1)
    assert need.ask == "Activate new customer 'Acme Corp' in QuickBooks"
    assert "Enterprise; Boston, US" in need.detail


# --- payment terms ------------------------------------------------------------------------------------

def test_non_standard_terms_need_a_finance_approver() -> None:
    need = only_need(deal(payment_terms="Net 90"))
    assert need.kind is ApprovalKind.PAYMENT_TERMS
    assert need.role == "finance_approver"
    assert need.ask == "Net 90 requested where Net 30 is standard"


@pytest.mark.parametrize("terms", ["Net 30", "net  30", None, ""])
def test_standard_or_missing_terms_need_no_terms_approval(terms: str | None) -> None:
    """Missing terms are the gate's business (a missing field), not an approval."""
    assert required_approvals(deal(payment_terms=terms), POLICY) == ()


# --- discount -----------------------------------------------------------------------------------------

def test_line_discount_above_first_level_asks_a_finance_approver() -> None:
    need = only_need(with_lines(line("Annual Subscription", "1", "1000.00", "25"), line("Support Plan", "2", "250.00")))
    assert need.kind is ApprovalKind.DISCOUNT
    assert (need.role, need.level) == ("finance_approver", 1)
    assert need.ask == "25% discount where 15% is the limit"
    assert "Largest line discount 25% on 'Annual Subscription'" in need.detail
    assert "Level 1 of 2" in need.detail


def test_highest_level_crossed_decides_the_role() -> None:
    need = only_need(with_lines(line("Annual Subscription", "1", "1000.00", "35"),
                                line("Support Plan", "1", "10", "20")))
    assert (need.role, need.level) == ("cfo", 2)
    assert need.ask == "35% discount where 30% is the limit"


@pytest.mark.parametrize("discount", ["15", "0", None])
def test_discount_at_or_below_the_first_level_needs_nothing(discount: str | None) -> None:
    assert required_approvals(with_lines(line("Annual Subscription", "1", "1000.00", discount)), POLICY) == ()


def test_price_cut_below_list_counts_as_a_discount() -> None:
    """No Discount field, but the sales price is 20% under the price book: overall discount 20%."""
    need = only_need(with_lines(line("Annual Subscription", "1", "800.00", list_price="1000.00")))
    assert need.ask == "20% discount where 15% is the limit"
    assert "overall 20% off list (1,000.00 USD list, 800.00 USD net)" in need.detail


def test_a_discount_in_another_currency_names_it_with_its_amounts() -> None:
    """Amounts are shown with their currency everywhere: a EUR deal's list and net read as EUR."""
    need = only_need(replace(with_lines(line("Annual Subscription", "1", "800.00", list_price="1000.00")),
                             currency="EUR"))
    assert "overall 20% off list (1,000.00 EUR list, 800.00 EUR net)" in need.detail


def test_amount_below_the_lines_counts_as_a_discount() -> None:
    measure = measure_discount(with_lines(line("Annual Subscription", "1", "1000.00"), amount="600.00"))
    assert measure.overall_percent == Decimal(40)
    assert measure.percent == Decimal(40)


def test_deal_discount_is_the_larger_of_line_and_overall() -> None:
    """One deep line discount in a large deal: the blended 5% would hide a 50% line."""
    measure = measure_discount(with_lines(line("Support Plan", "1", "1000.00", "50"),
                                          line("Annual Subscription", "9", "1000.00")))
    assert measure.largest_line_percent == Decimal(50)
    assert measure.largest_line == "Support Plan"
    assert measure.overall_percent == Decimal(5)
    assert measure.percent == Decimal(50)


def test_deal_without_lines_has_no_discount() -> None:
    assert measure_discount(deal(lines=(), amount=Decimal("100"))).percent == Decimal(0)


# --- credit limit -------------------------------------------------------------------------------------

def test_credit_limit_above_threshold_needs_the_cfo() -> None:
    need = only_need(deal(account=replace(ACCOUNT, credit_limit=Decimal("75000"))))
    assert need.kind is ApprovalKind.CREDIT_LIMIT
    assert need.role == "cfo"
    assert need.ask == "Credit limit 75,000.00 above the 50,000.00 threshold"


@pytest.mark.parametrize("limit", ["50000.00", "0", None])
def test_credit_limit_at_threshold_or_unknown_needs_nothing(limit: str | None) -> None:
    account = replace(ACCOUNT, credit_limit=Decimal(limit) if limit is not None else None)
    assert required_approvals(deal(account=account), POLICY) == ()


# --- several at once, rules switched off --------------------------------------------------------------

def test_all_kinds_in_a_stable_order() -> None:
    risky = with_lines(line("Annual Subscription", "1", "1000.00", "40"))
    risky = replace(risky, payment_terms="Net 60",
                    account=replace(ACCOUNT, has_qbo_customer=False, credit_limit=Decimal("90000")))
    kinds = [need.kind for need in required_approvals(risky, POLICY)]
    assert kinds == [ApprovalKind.CUSTOMER_ACTIVATION, ApprovalKind.PAYMENT_TERMS, ApprovalKind.DISCOUNT,
                     ApprovalKind.CREDIT_LIMIT]


def test_rules_removed_from_the_policy_are_not_asked() -> None:
    data = yaml.safe_load(EXAMPLE.read_text(encoding="utf-8"))
    data["approval_rules"] = {"discount": data["approval_rules"]["discount"]}
    relaxed, problems = policy_from_data(data)
    assert problems == [] and relaxed is not None
    risky = replace(deal(payment_terms="Net 60"), account=replace(ACCOUNT, has_qbo_customer=False,
                                                                  credit_limit=Decimal("90000")))
    assert required_approvals(risky, relaxed) == ()
