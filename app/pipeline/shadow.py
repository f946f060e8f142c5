"""Shadow mode's stand-in for creating an invoice: everything a live run reads and checks, then the would-be
invoice is recorded instead of sent (the gateways refuse any write in shadow mode anyway)."""
from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from decimal import Decimal

from sqlmodel import Session

from app.audit.service import record_event
from app.db import persisted_id, require, session_scope
from app.deals.models import Deal, DealStatus
from app.deals.service import account_of, deal_facts
from app.invoicing import service as invoicing
from app.invoicing.mapping import idempotency_key_for, item_names, term_name
from app.rollout.service import WouldBe, record_would_be
from app.runtime import Runtime

NEW_CUSTOMER = ""
"""The customer id a would-be invoice carries when the customer would be created first."""


def simulate_invoice(rt: Runtime, *, deal_id: int) -> None:
    """The same preparation as a live invoice (company, customer, items, terms, tax codes; mapping failures raise
    and become exceptions as in live), recorded as the deal's would-be invoice."""
    with session_scope(rt.engine) as session:
        plan, account_name = _plan(session, rt, deal_id)
    customer_id = plan.qbo_customer_id
    if customer_id is None:
        found = rt.quickbooks.find_customer_by_display_name(account_name)
        customer_id = found.id if found is not None else NEW_CUSTOMER
    txn_date = rt.clock.now().astimezone(rt.policy.zone).date()
    plan = replace(plan, qbo_customer_id=customer_id)
    prepared = invoicing.prepare_invoice(plan, quickbooks=rt.quickbooks, policy=rt.policy, txn_date=txn_date)
    names, _ = item_names(plan.facts, rt.policy)
    terms, _ = term_name(plan.facts, rt.policy)
    term = rt.quickbooks.find_term_by_name(terms) if terms else None
    would_be = WouldBe(
        deal_id=deal_id, realm_id=plan.realm_id, customer_name=account_name, qbo_customer_id=customer_id or None,
        amount=sum((line.total_price for line in plan.facts.lines), Decimal("0.00")), currency=plan.facts.currency,
        terms=terms, items=tuple(names[line.label] for line in plan.facts.lines),
        taxable=any(code not in (None, "NON") for code in (line.tax_code for line in prepared.draft.lines)),
        txn_date=txn_date, due_date=txn_date + timedelta(days=term.due_days) if term and term.due_days else None)
    with session_scope(rt.engine) as session:
        _record(session, rt, would_be)


def _plan(session: Session, rt: Runtime, deal_id: int) -> tuple[invoicing.InvoicePlan, str]:
    deal = require(session, Deal, deal_id)
    account = account_of(session, deal)
    name = account.name if account else deal.name
    plan = invoicing.InvoicePlan(
        job_id=0, deal_id=deal_id, attempt=1, idempotency_key=idempotency_key_for(deal.sf_id),
        facts=deal_facts(session, deal), account_name=name,
        qbo_customer_id=account.qbo_customer_id if account else None,
        billing_address=invoicing.address_of(account) if account else invoicing.QboAddress(),
        realm_id=rt.settings.qbo_realm_id or "", qbo_currency=account.qbo_currency if account else None)
    return plan, name


def _record(session: Session, rt: Runtime, would_be: WouldBe) -> None:
    row = record_would_be(session, would_be, clock=rt.clock)
    deal = require(session, Deal, would_be.deal_id)
    deal.gate_status, deal.updated_at = DealStatus.SIMULATED, rt.clock.now()
    session.add(deal)
    record_event(session, actor="system", action="invoice.simulated", subject_type="deal", subject_id=deal.sf_id,
                 details={"shadow_invoice_id": persisted_id(row), "amount": would_be.amount,
                          "customer": would_be.customer_name, "new_customer": would_be.qbo_customer_id is None},
                 clock=rt.clock)
    session.flush()
