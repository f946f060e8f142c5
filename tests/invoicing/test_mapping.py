"""Mapping a billable deal to a QuickBooks invoice draft (pure): ids within QuickBooks limits, exact amounts."""
from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

import pytest

from app.deals.facts import AccountFacts, DealFacts, LineFacts
from app.invoicing.mapping import (
    customer_request_id_for,
    doc_number_for,
    idempotency_key_for,
    invoice_draft,
    item_names,
    term_name,
)
from app.policy import load_policy
from app.sandbox.stack import DEMO_POLICY

POLICY = load_policy(DEMO_POLICY)
QBO_DOC_NUMBER_MAX, QBO_REQUEST_ID_MAX = 21, 50
CENT = Decimal("0.01")
OPPORTUNITY_ID = "0065g00000AbCdEFGH"       # Salesforce ids are 18 characters (15 case-sensitive + 3)


def line(total: str, quantity: str = "1", *, name: str | None = "Consulting Services", code: str | None = "CONSULT",
         discount: str | None = None) -> LineFacts:
    return LineFacts(product_name=name, product_code=code, quantity=Decimal(quantity),
                     unit_price=Decimal(total) / Decimal(quantity), total_price=Decimal(total),
                     discount_percent=Decimal(discount) if discount else None)


DEAL = DealFacts(opportunity_id=OPPORTUNITY_ID, name="Acme consulting", stage="Closed Won", is_won=True,
                 billing_status="Delivered", amount=Decimal("100.00"), close_date=date(2026, 2, 27),
                 payment_terms="Net 30", po_number="PO-4411", owner_email="rita@example.com",
                 account=AccountFacts(account_id="001000000000001AAA", name="Acme Corp"), lines=(line("100.00"),))


def draft_for(*lines: LineFacts, **changes: object):
    deal = replace(DEAL, lines=lines, **changes)
    return invoice_draft(deal, customer_id="58", item_ids={item.label: "7" for item in lines}, term_id="3",
                         txn_date=date(2026, 3, 2))


# --- identifiers --------------------------------------------------------------------------------------

@pytest.mark.parametrize("opportunity_id", [OPPORTUNITY_ID, OPPORTUNITY_ID[:15]])
def test_identifiers_fit_quickbooks_limits_and_are_stable(opportunity_id):
    assert doc_number_for(opportunity_id) == opportunity_id
    assert len(doc_number_for(opportunity_id)) <= QBO_DOC_NUMBER_MAX
    key = idempotency_key_for(opportunity_id)
    assert len(key) <= QBO_REQUEST_ID_MAX and key == idempotency_key_for(opportunity_id)
    assert opportunity_id in key and key != idempotency_key_for(OPPORTUNITY_ID[:-1] + "X")
    assert len(customer_request_id_for("001000000000001AAA")) <= QBO_REQUEST_ID_MAX


def test_a_doc_number_longer_than_quickbooks_allows_is_cut_to_21_characters():
    assert doc_number_for("X" * 30) == "X" * QBO_DOC_NUMBER_MAX


def test_invoice_and_customer_keys_never_collide():
    assert idempotency_key_for("001000000000001AAA") != customer_request_id_for("001000000000001AAA")


# --- lines --------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("total", "quantity"), [
    ("100.00", "3"), ("1000.00", "7"), ("0.01", "3"), ("999999.99", "7"), ("100.00", "0.3"), ("2500.00", "1.5"),
    ("1000.00", "12000"), ("333.33", "9999"), ("19.99", "1"),
])
def test_unit_price_times_quantity_rounds_to_the_salesforce_line_total(total, quantity):
    (drafted,) = draft_for(line(total, quantity)).lines
    assert drafted.amount == Decimal(total) and drafted.line_amount == Decimal(total)
    assert drafted.quantity == Decimal(quantity)
    assert (drafted.quantity * drafted.unit_price).quantize(CENT, rounding=ROUND_HALF_UP) == Decimal(total)
    assert abs(drafted.quantity * drafted.unit_price - Decimal(total)) <= Decimal("0.005")   # QuickBooks 6070 check


def test_large_quantities_still_multiply_back_to_the_line_total():
    (drafted,) = draft_for(line("100.00", "30000")).lines
    assert abs(drafted.quantity * drafted.unit_price - Decimal("100.00")) <= Decimal("0.005")


def test_the_invoice_total_is_the_sum_of_salesforce_line_totals_exactly():
    draft = draft_for(line("100.00", "3"), line("33.34", "1", name="Support Plan", code="SUPPORT"))
    assert sum(item.line_amount for item in draft.lines) == Decimal("133.34")
    assert all(isinstance(item.unit_price, Decimal) and isinstance(item.amount, Decimal) for item in draft.lines)


def test_a_line_discount_is_shown_in_the_description():
    discounted, plain, zero = draft_for(line("850.00", "1", discount="15.00"),
                                        line("10.00", name="Support Plan", code="SUPPORT"),
                                        line("5.00", name="Implementation", code="IMPL", discount="0")).lines
    assert discounted.description == "Consulting Services (15% discount)"
    assert plain.description == "Support Plan"
    assert zero.description == "Implementation"


def test_a_fractional_discount_keeps_its_digits():
    (drafted,) = draft_for(line("875.00", discount="12.5000")).lines
    assert drafted.description == "Consulting Services (12.5% discount)"


def test_the_draft_carries_customer_doc_number_terms_po_and_a_note_back_to_salesforce():
    draft = draft_for(line("100.00"))
    assert (draft.customer_id, draft.doc_number, draft.terms_id, draft.txn_date) == (
        "58", OPPORTUNITY_ID, "3", date(2026, 3, 2))
    assert draft.customer_memo == "PO PO-4411"
    assert OPPORTUNITY_ID in draft.private_note and "Acme consulting" in draft.private_note
    assert draft_for(line("100.00"), po_number=None).customer_memo is None
    assert [item.item_id for item in draft.lines] == ["7"]


# --- items and terms ----------------------------------------------------------------------------------

def test_products_map_by_code_or_name_ignoring_case():
    deal = replace(DEAL, lines=(line("1", code="consult", name="Whatever"), line("1", code=None, name="support plan")))
    names, problems = item_names(deal, POLICY)
    assert names == {"Whatever": "Consulting Services", "support plan": "Support Plan"} and problems == []


def test_an_unmapped_product_is_a_problem_naming_it():
    deal = replace(DEAL, lines=(line("1"), line("1", name="Hardware Bundle", code="HW-BUNDLE"),
                                line("1", name="Gizmo", code=None)))
    names, problems = item_names(deal, POLICY)
    assert names == {"Consulting Services": "Consulting Services"}
    assert [problem.code for problem in problems] == ["unmapped_product:HW-BUNDLE", "unmapped_product:Gizmo"]
    assert problems[0].message == "Product 'Hardware Bundle' has no QuickBooks item in the policy mappings"


def test_payment_terms_map_or_are_a_problem():
    assert term_name(replace(DEAL, payment_terms="net  30"), POLICY) == ("Net 30", [])
    assert term_name(replace(DEAL, payment_terms=None), POLICY) == (None, [])
    name, problems = term_name(replace(DEAL, payment_terms="Net 45"), POLICY)
    assert name is None
    assert [(problem.code, problem.message) for problem in problems] == [
        ("unmapped_terms:Net 45", "Payment terms 'Net 45' have no QuickBooks term in the policy")]


def test_the_fewest_places_that_multiply_back_are_used():
    (even, thirds) = draft_for(line("300.00", "3"), line("100.00", "3", name="Support Plan", code="SUPPORT")).lines
    assert even.unit_price == Decimal("100.00")
    assert thirds.unit_price == Decimal("33.333")            # 3 x 33.333 = 99.999 -> 100.00


def test_a_line_no_unit_price_can_express_is_billed_as_one_unit_keeping_the_quantity_in_words():
    (drafted,) = draft_for(line("0.01", "3000000")).lines
    assert (drafted.quantity, drafted.unit_price, drafted.amount) == (Decimal(1), Decimal("0.01"), Decimal("0.01"))
    assert "3000000 units" in drafted.description
