"""A change of an account's taxability, on real SQL: before the invoice it needs approval again (the field lock);
after the invoice, Ledgerbridge proposes a credit and a corrected invoice for finance to approve."""
from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import Engine
from sqlmodel import select

from app.approvals.level_service import decide_level
from app.approvals.models import Decision
from app.approvals.service import requests_for
from app.audit.service import record_event
from app.clock import FixedClock
from app.db import session_scope
from app.deals.models import Account, Deal, DealStatus
from app.deals.service import deal_facts, upsert_from_salesforce
from app.integrations.salesforce_models import SfAccount, SfLineItem, SfOpportunity
from app.invoicing.billed import billed_as
from app.invoicing.correction_models import Correction
from app.invoicing.models import InvoiceJob, InvoiceJobStatus
from app.pipeline.advance import Advance, advance_deal
from app.policy import TaxModel, TaxPolicy, load_policy
from app.sandbox.stack import DEMO_POLICY

POLICY = load_policy(DEMO_POLICY).model_copy(update={"tax": TaxPolicy(model=TaxModel.US_AUTOMATED)})
START = datetime(2026, 3, 2, 15, 0, tzinfo=UTC)
ACCOUNT = SfAccount(id="001000000000001AAA", name="Acme Corp", billing_street="1 Main St", billing_city="Boston",
                    billing_state="MA", billing_postal_code="02110", billing_country="US", tax_exempt=False)
LINE = SfLineItem(id="00k000000000001AAA", product_id="01t000000000001AAA", product_name="Consulting Services",
                  product_code="CONSULT", quantity=Decimal("10"), unit_price=Decimal("100.00"),
                  list_price=Decimal("100.00"), discount_percent=None, total_price=Decimal("1000.00"),
                  service_date=None, description=None)
DEAL = SfOpportunity(
    id="006000000000001AAA", name="Acme consulting", account=ACCOUNT, amount=Decimal("1000.00"),
    close_date=date(2026, 2, 27), stage_name="Closed Won", is_won=True, is_closed=True, owner_id="005000000000001AAA",
    owner_name="Rita Rep", owner_email="rita@example.com", billing_status="Delivered", po_number=None,
    payment_terms="Net 60", qbo_invoice_id=None, qbo_invoice_number=None, qbo_invoice_status=None, qbo_balance=None,
    system_modstamp=START, last_modified_date=START, lines=(LINE,))
EXEMPT = replace(DEAL, account=replace(ACCOUNT, tax_exempt=True))


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(START)


def step(engine: Engine, clock: FixedClock, opportunity: SfOpportunity) -> Advance:
    with session_scope(engine) as session:
        deal = upsert_from_salesforce(session, opportunity, now=clock.now())
        if deal.account_id is not None:
            account = session.get(Account, deal.account_id)
            account.qbo_customer_id = "58"
            session.add(account)
            session.flush()
        return advance_deal(session, deal=deal, policy=POLICY, clock=clock)


def test_taxability_changed_after_approval_is_approved_again_before_invoicing(engine: Engine,
                                                                             clock: FixedClock) -> None:
    first = step(engine, clock, DEAL)
    assert [request.kind for request in first.to_post] == ["payment_terms"]
    with session_scope(engine) as session:
        decide_level(session, request_id=first.to_post[0].id, actor_id="U05ANNFIN01", actor_name="ann",
                     decision=Decision.APPROVED, comment=None, policy=POLICY, clock=clock,
                     members_by_role={role: frozenset({"U05ANNFIN01"}) for role in POLICY.approver_roles})
    clock.advance(timedelta(minutes=5))
    changed = step(engine, clock, EXEMPT)
    assert changed.status is DealStatus.AWAITING_APPROVAL and not changed.create_invoice
    assert [r.kind for r in changed.to_post] == ["payment_terms"]          # asked again, for the new terms
    with session_scope(engine) as session:
        deal = session.exec(select(Deal)).one()
        assert [r.status for r in requests_for(session, deal_id=deal.id)] == ["superseded", "pending"]


def test_taxability_changed_after_the_invoice_proposes_a_credit_and_a_corrected_invoice(engine: Engine,
                                                                                       clock: FixedClock) -> None:
    step(engine, clock, DEAL)
    with session_scope(engine) as session:
        deal = session.exec(select(Deal)).one()
        session.add(InvoiceJob(deal_id=deal.id, idempotency_key="lb-inv-x", status=InvoiceJobStatus.CREATED,
                               qbo_realm_id="9341452000000001", qbo_customer_id="58", qbo_invoice_id="77",
                               doc_number="1077", total=Decimal("1062.50"), tax_total=Decimal("62.50"),
                               balance=Decimal("1062.50"), currency="USD", created_at=START, updated_at=START,
                               created_in_qbo_at=START))
    same = step(engine, clock, DEAL)
    assert same.status is DealStatus.INVOICED and same.to_post == []        # the invoice matches the deal
    changed = step(engine, clock, EXEMPT)
    assert [request.kind for request in changed.to_post] == ["rebill"]
    assert "became tax exempt" in changed.to_post[0].ask and changed.to_post[0].requester_slack_id is None
    assert step(engine, clock, EXEMPT).to_post == []                       # proposed once
    with session_scope(engine) as session:
        (correction,) = session.exec(select(Correction)).all()
        assert (correction.kind, correction.status, correction.amount) == ("rebill", "proposed", Decimal("1000.00"))
        assert correction.source == "change_after_invoice" and correction.doc_number == "006000000000001-C1"


def _invoiced_as(engine: Engine, clock: FixedClock, opportunity: SfOpportunity, tax_total: Decimal) -> None:
    """The invoice as issued for `opportunity`'s taxability and ship-to, recorded as the invoice step records it."""
    step(engine, clock, opportunity)
    with session_scope(engine) as session:
        deal = session.exec(select(Deal)).one()
        session.add(InvoiceJob(deal_id=deal.id, idempotency_key="lb-inv-x", status=InvoiceJobStatus.CREATED,
                               qbo_realm_id="9341452000000001", qbo_customer_id="58", qbo_invoice_id="77",
                               doc_number="1077", total=Decimal("1000.00") + tax_total, tax_total=tax_total,
                               balance=Decimal("1000.00") + tax_total, currency="USD", created_at=START,
                               updated_at=START, created_in_qbo_at=START))
        record_event(session, actor="system", action="invoice.created", subject_type="deal", subject_id=deal.sf_id,
                     details={"invoice_id": "77", "billed": billed_as(deal_facts(session, deal))}, clock=clock)


def test_an_exempt_account_made_taxable_after_the_invoice_proposes_a_rebill_once(engine: Engine,
                                                                                 clock: FixedClock) -> None:
    _invoiced_as(engine, clock, EXEMPT, Decimal("0.00"))
    assert step(engine, clock, EXEMPT).to_post == []                       # as invoiced
    changed = step(engine, clock, DEAL)
    assert [request.kind for request in changed.to_post] == ["rebill"]
    assert "became taxable" in changed.to_post[0].ask
    assert step(engine, clock, DEAL).to_post == []                         # proposed once


def test_a_ship_to_changed_after_the_invoice_proposes_a_rebill(engine: Engine, clock: FixedClock) -> None:
    _invoiced_as(engine, clock, DEAL, Decimal("62.50"))
    moved = replace(DEAL, account=replace(ACCOUNT, shipping_street="9 Elm St", shipping_city="Worcester",
                                          shipping_state="MA", shipping_postal_code="01608", shipping_country="US"))
    changed = step(engine, clock, moved)
    assert [request.kind for request in changed.to_post] == ["rebill"]
    assert "ship-to" in changed.to_post[0].ask and "Worcester" in changed.to_post[0].ask
