"""advance_deal on real SQL (SQLite and PostgreSQL): every status a deal can reach and the work it asks for."""
from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import Engine
from sqlmodel import select

from app.approvals.level_service import decide_level
from app.approvals.locks import terms_fingerprint
from app.approvals.models import ApprovalRequest, Decision
from app.approvals.service import requests_for
from app.clock import FixedClock
from app.db import session_scope
from app.deals.models import Account, Deal, DealStatus
from app.deals.service import deal_facts, upsert_from_salesforce
from app.exception_queue.models import ExceptionItem
from app.integrations.salesforce_models import SfAccount, SfLineItem, SfOpportunity
from app.invoicing.models import InvoiceJob, InvoiceJobStatus
from app.pipeline.advance import Advance, advance_deal
from app.policy import load_policy
from app.sandbox.stack import DEMO_POLICY

POLICY = load_policy(DEMO_POLICY)
START = datetime(2026, 3, 2, 15, 0, tzinfo=UTC)
CONTROLLER, FINANCE = "U05CARLCTL1", "U05ANNFIN01"
ACCOUNT = SfAccount(id="001000000000001AAA", name="Acme Corp", billing_street="1 Main St", billing_city="Boston",
                    billing_postal_code="02110", billing_country="US", segment="Mid-Market", tax_exempt=False)
LINE = SfLineItem(id="00k000000000001AAA", product_id="01t000000000001AAA", product_name="Consulting Services",
                  product_code="CONSULT", quantity=Decimal("10"), unit_price=Decimal("100.00"),
                  list_price=Decimal("100.00"), discount_percent=None, total_price=Decimal("1000.00"),
                  service_date=None, description=None)
BILLABLE = SfOpportunity(
    id="006000000000001AAA", name="Acme consulting", account=ACCOUNT, amount=Decimal("1000.00"),
    close_date=date(2026, 2, 27), stage_name="Closed Won", is_won=True, is_closed=True, owner_id="005000000000001AAA",
    owner_name="Rita Rep", owner_email="rita@example.com", billing_status="Delivered", po_number=None,
    payment_terms="Net 30", qbo_invoice_id=None, qbo_invoice_number=None, qbo_invoice_status=None, qbo_balance=None,
    system_modstamp=START, last_modified_date=START, lines=(LINE,))


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(START)


def step(engine: Engine, clock: FixedClock, opportunity: SfOpportunity, *,
         qbo_customer: str | None = "58") -> Advance:
    """Store the opportunity (linking the account to a QuickBooks customer when given) and advance it once."""
    with session_scope(engine) as session:
        deal = upsert_from_salesforce(session, opportunity, now=clock.now())
        if qbo_customer is not None:
            account = session.get(Account, deal.account_id)
            account.qbo_customer_id = qbo_customer
            session.add(account)
            session.flush()
        return advance_deal(session, deal=deal, policy=POLICY, clock=clock)


def stored_deal(engine: Engine) -> Deal:
    with session_scope(engine) as session:
        return session.exec(select(Deal).where(Deal.sf_id == BILLABLE.id)).one()


def requests(engine: Engine) -> list[ApprovalRequest]:
    with session_scope(engine) as session:
        return requests_for(session, deal_id=stored_deal(engine).id)


def open_exceptions(engine: Engine) -> list[ExceptionItem]:
    with session_scope(engine) as session:
        statement = select(ExceptionItem).where(ExceptionItem.status == "open").order_by(ExceptionItem.id)
        return list(session.exec(statement))


def decide_as(engine: Engine, clock: FixedClock, request: ApprovalRequest, actor: str, decision: Decision,
              comment: str | None = None) -> None:
    with session_scope(engine) as session:
        decide_level(session, request_id=request.id, actor_id=actor, actor_name=actor.lower(), decision=decision,
                     comment=comment, members_by_role={role: frozenset({actor}) for role in POLICY.approver_roles},
                     policy=POLICY, clock=clock)


def test_a_deal_that_is_not_won_waits_with_the_reason_in_words(engine, clock):
    advance = step(engine, clock, replace(BILLABLE, stage_name="Negotiation", is_won=False))
    assert (advance.status, advance.create_invoice, advance.to_post) == (DealStatus.NOT_WON, False, [])
    deal = stored_deal(engine)
    assert deal.gate_status == "not_won" and deal.billable_at is None and deal.terms_fingerprint is None
    assert deal.gate_problems == ["Stage is 'Negotiation'; invoicing starts at 'Closed Won'"]
    assert requests(engine) == [] and open_exceptions(engine) == []


def test_a_won_deal_not_yet_delivered_is_not_eligible(engine, clock):
    advance = step(engine, clock, replace(BILLABLE, billing_status="In Progress"))
    assert advance.status is DealStatus.NOT_ELIGIBLE and not advance.create_invoice
    deal = stored_deal(engine)
    assert deal.gate_status == "not_eligible"
    assert deal.gate_problems == ["Billing_Status__c is 'In Progress'; invoicing starts when it is "
                                  "'Delivered', 'Accepted' or 'Milestone Approved'"]
    assert requests(engine) == []


def test_a_deal_with_problems_is_blocked_with_every_problem_stored_in_words(engine, clock):
    hardware = replace(LINE, id="00k000000000002AAA", product_name="Hardware Bundle", product_code="HW-BUNDLE",
                       quantity=Decimal("1"), unit_price=Decimal("500.00"), list_price=None,
                       total_price=Decimal("500.00"))
    broken = replace(BILLABLE, payment_terms=None, amount=Decimal("1500.00"), lines=(LINE, hardware))
    advance = step(engine, clock, broken, qbo_customer=None)
    assert advance.status is DealStatus.BLOCKED and not advance.create_invoice and advance.to_post == []
    assert [problem.code for problem in advance.gate.problems] == ["missing_field:payment_terms",
                                                                   "unmapped_product:HW-BUNDLE"]
    deal = stored_deal(engine)
    assert deal.gate_status == "blocked" and deal.billable_at is None
    assert deal.gate_problems == [
        "Payment terms are missing: pick them (e.g. Net 30) on the opportunity",
        "Product 'Hardware Bundle' has no QuickBooks item mapping: ask finance to add it to the policy"]
    assert requests(engine) == []           # approvals are asked only of billable deals
    assert [item.kind for item in open_exceptions(engine)] == ["missing_field", "unmapped_product"]

    fixed = step(engine, clock, BILLABLE)
    assert fixed.status is DealStatus.BILLABLE and stored_deal(engine).gate_problems == ["Ready to invoice"]
    assert open_exceptions(engine) == []


def test_a_billable_deal_needing_approvals_awaits_them_and_asks_once(engine, clock):
    advance = step(engine, clock, replace(BILLABLE, payment_terms="Net 60"), qbo_customer=None)
    assert advance.status is DealStatus.AWAITING_APPROVAL and not advance.create_invoice
    assert [request.kind for request in advance.to_post] == ["customer_activation", "payment_terms"]
    deal = stored_deal(engine)
    assert deal.gate_status == "awaiting_approval" and deal.gate_problems == ["Ready to invoice"]
    assert deal.billable_at == START
    with session_scope(engine) as session:
        assert deal.terms_fingerprint == terms_fingerprint(deal_facts(session, deal))

    clock.advance(timedelta(hours=1))
    again = step(engine, clock, replace(BILLABLE, payment_terms="Net 60"), qbo_customer=None)
    assert again.status is DealStatus.AWAITING_APPROVAL and again.to_post == [] and again.to_withdraw == []
    assert stored_deal(engine).billable_at == START and len(requests(engine)) == 2


def test_a_rejected_approval_makes_the_deal_rejected_with_an_exception_naming_who_and_why(engine, clock):
    step(engine, clock, replace(BILLABLE, payment_terms="Net 60"))
    (terms,) = requests(engine)
    decide_as(engine, clock, terms, FINANCE, Decision.REJECTED, "Net 60 is too long for this customer")
    advance = step(engine, clock, replace(BILLABLE, payment_terms="Net 60"))
    assert (advance.status, advance.create_invoice, advance.to_post) == (DealStatus.REJECTED, False, [])
    assert stored_deal(engine).gate_status == "rejected"
    (exception,) = open_exceptions(engine)
    assert exception.kind == "approval_rejected"
    assert "rejected by u05annfin01" in exception.reason and "Net 60 is too long for this customer" in exception.reason


def test_a_clean_deal_is_billable_at_once_and_asks_for_the_invoice(engine, clock):
    advance = step(engine, clock, BILLABLE)
    assert (advance.status, advance.create_invoice, advance.to_post, advance.to_withdraw) == (
        DealStatus.BILLABLE, True, [], [])
    assert stored_deal(engine).gate_status == "billable" and requests(engine) == []


def test_once_every_approval_is_granted_the_deal_is_billable(engine, clock):
    step(engine, clock, replace(BILLABLE, payment_terms="Net 60"), qbo_customer=None)
    activation, terms = requests(engine)
    decide_as(engine, clock, activation, CONTROLLER, Decision.APPROVED)
    halfway = step(engine, clock, replace(BILLABLE, payment_terms="Net 60"), qbo_customer=None)
    assert halfway.status is DealStatus.AWAITING_APPROVAL and not halfway.create_invoice
    decide_as(engine, clock, terms, FINANCE, Decision.APPROVED)
    held = step(engine, clock, replace(BILLABLE, payment_terms="Net 60"), qbo_customer=None)
    assert held.status is DealStatus.BILLABLE and not held.create_invoice   # the customer is created first
    granted = step(engine, clock, replace(BILLABLE, payment_terms="Net 60"), qbo_customer="58")
    assert granted.status is DealStatus.BILLABLE and granted.create_invoice and granted.to_post == []
    assert [request.status for request in requests(engine)] == ["approved", "approved"]   # the activation stays


def test_changed_terms_withdraw_posted_requests_and_post_new_ones(engine, clock):
    step(engine, clock, replace(BILLABLE, payment_terms="Net 60"))
    (posted,) = requests(engine)
    with session_scope(engine) as session:
        row = session.get(ApprovalRequest, posted.id)
        row.slack_channel, row.slack_ts = "C05APPR0VAL", "1767000000.000100"
    decide_as(engine, clock, posted, FINANCE, Decision.APPROVED)
    advance = step(engine, clock, replace(BILLABLE, payment_terms="Net 90"))
    assert advance.status is DealStatus.AWAITING_APPROVAL and not advance.create_invoice
    assert [request.id for request in advance.to_withdraw] == [posted.id]
    assert [(request.kind, request.status) for request in advance.to_post] == [("payment_terms", "pending")]
    assert advance.to_post[0].id != posted.id


def test_a_superseded_request_never_posted_is_not_withdrawn(engine, clock):
    step(engine, clock, replace(BILLABLE, payment_terms="Net 60"))
    advance = step(engine, clock, replace(BILLABLE, payment_terms="Net 90"))
    assert advance.to_withdraw == [] and len(advance.to_post) == 1


def add_invoice_job(engine: Engine, clock: FixedClock, status: InvoiceJobStatus) -> None:
    with session_scope(engine) as session:
        session.add(InvoiceJob(deal_id=stored_deal(engine).id, idempotency_key="lb-inv-006000000000001AAA",
                               status=status, qbo_realm_id="9341452000000001", created_at=clock.now(),
                               updated_at=clock.now()))


def test_an_invoiced_deal_stays_invoiced_whatever_salesforce_says_now(engine, clock):
    step(engine, clock, BILLABLE)
    add_invoice_job(engine, clock, InvoiceJobStatus.CREATED)
    clock.advance(timedelta(days=1))
    advance = step(engine, clock, replace(BILLABLE, payment_terms="Net 60", billing_status=None), qbo_customer=None)
    assert (advance.status, advance.gate, advance.create_invoice, advance.to_post) == (
        DealStatus.INVOICED, None, False, [])
    deal = stored_deal(engine)
    assert (deal.gate_status, deal.updated_at) == ("invoiced", clock.now())
    assert deal.gate_problems == ["Ready to invoice"]     # the gate was not run on the new data
    assert requests(engine) == []           # no approval asked after the invoice exists


def test_an_invoice_still_being_created_does_not_short_circuit(engine, clock):
    step(engine, clock, BILLABLE)
    add_invoice_job(engine, clock, InvoiceJobStatus.CREATING)
    advance = step(engine, clock, BILLABLE)
    assert advance.status is DealStatus.BILLABLE and advance.create_invoice
