"""One invoice per billing milestone, exactly once: the same three steps as a deal's invoice (service.py), keyed by
the milestone. The due milestones are a pure rule (`due_milestones`)."""
from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from sqlmodel import Session, col, select

from app.audit.service import record_event
from app.clock import Clock
from app.db import persisted_id, require
from app.deals.models import Deal, DealStatus
from app.integrations.quickbooks_models import InvoiceLineDraft
from app.integrations.salesforce_models import SfMilestone
from app.invoicing import service as invoicing
from app.invoicing.mapping import CENT
from app.invoicing.milestone_models import MilestoneInvoice
from app.invoicing.taxes import MappingFailed
from app.policy import MilestonePolicy, Policy, normalize_name

KEY_PREFIX = "lb-ms-"


@dataclass(frozen=True)
class DueMilestone:
    milestone_id: str
    name: str
    number: int
    amount: Decimal


def due_milestones(milestones: list[SfMilestone], *, deal_amount: Decimal | None,
                   policy: MilestonePolicy) -> list[DueMilestone]:
    """The approved or delivered milestones, numbered by their place in the schedule, with their amounts (the
    amount, else the percentage of the deal's amount). A ready milestone with neither is left out."""
    ready = {normalize_name(value) for value in policy.ready_values}
    due = []
    for number, milestone in enumerate(milestones, start=1):
        amount = milestone.amount
        if amount is None and milestone.percent is not None and deal_amount is not None:
            amount = (deal_amount * milestone.percent / 100).quantize(CENT, rounding=ROUND_HALF_UP)
        if milestone.status and normalize_name(milestone.status) in ready and amount is not None:
            due.append(DueMilestone(milestone.id, milestone.name, number, amount))
    return due


def key_for(milestone_id: str) -> str:
    return f"{KEY_PREFIX}{milestone_id}"


def doc_number_for(opportunity_id: str, number: int) -> str:
    """`<15-character opportunity id>-M<n>`: fits QuickBooks' 21 characters up to milestone 9999."""
    return f"{opportunity_id[:15]}-M{number}"


def invoiced_milestones(session: Session, *, deal_id: int) -> list[MilestoneInvoice]:
    statement = select(MilestoneInvoice).where(MilestoneInvoice.deal_id == deal_id)
    return list(session.exec(statement.order_by(col(MilestoneInvoice.number))))


def begin(session: Session, *, deal_id: int, due: DueMilestone, realm_id: str,
          clock: Clock) -> MilestoneInvoice | None:
    """Count one attempt for the milestone; None when its invoice exists already."""
    row = session.exec(select(MilestoneInvoice).where(MilestoneInvoice.milestone_sf_id == due.milestone_id)).first()
    now = clock.now()
    if row is None:
        row = MilestoneInvoice(deal_id=deal_id, qbo_realm_id=realm_id, milestone_sf_id=due.milestone_id,
                               name=due.name[:255], number=due.number, amount=due.amount,
                               idempotency_key=key_for(due.milestone_id), created_at=now, updated_at=now)
    if row.status == "created":
        return None
    row.attempts, row.updated_at = row.attempts + 1, now
    session.add(row)
    session.flush()
    return row


def create_in_quickbooks(plan: invoicing.InvoicePlan, row: MilestoneInvoice, *, quickbooks: invoicing.QuickBooks,
                         policy: Policy, milestones: MilestonePolicy, txn_date: date) -> invoicing.QuickBooksResult:
    """The deal's invoice as prepared for the deal (customer, terms, tax, addresses), with one line: the milestone
    on the policy's item. Any attempt after the first looks the invoice up before sending."""
    plan = replace(plan, idempotency_key=row.idempotency_key, attempt=row.attempts)
    prepared = invoicing.prepare_invoice(plan, quickbooks=quickbooks, policy=policy, txn_date=txn_date)
    item = quickbooks.find_item_by_name(milestones.item)
    if item is None:
        raise MappingFailed(f"QuickBooks has no item named '{milestones.item}' (milestones.item)",
                            code=f"unmapped_product:{milestones.item}")
    first = prepared.draft.lines[0]
    line = InvoiceLineDraft(item_id=item.id, description=f"Milestone {row.number}: {row.name}", quantity=Decimal(1),
                            unit_price=row.amount, amount=row.amount, tax_code=first.tax_code,
                            tax_inclusive=first.tax_inclusive)
    number = doc_number_for(plan.facts.opportunity_id, row.number) if prepared.draft.doc_number else None
    draft = replace(prepared.draft, lines=(line,), doc_number=number)
    prepared = replace(prepared, draft=draft)
    if row.attempts > 1:
        existing = invoicing.find_sent_before(prepared, quickbooks=quickbooks)
        if existing is not None:
            return invoicing.QuickBooksResult(invoice=existing, customer_id=prepared.customer_id, adopted=True)
    invoice = quickbooks.create_invoice(draft, request_id=row.idempotency_key)
    return invoicing.QuickBooksResult(invoice=invoice, customer_id=prepared.customer_id, adopted=False)


def record_created(session: Session, *, row_id: int, result: invoicing.QuickBooksResult, clock: Clock) -> None:
    row = require(session, MilestoneInvoice, row_id)
    row.status, row.qbo_invoice_id, row.doc_number = "created", result.invoice.id, result.invoice.doc_number
    row.total, row.last_error, row.updated_at = result.invoice.total, None, clock.now()
    session.add(row)
    deal = require(session, Deal, row.deal_id)
    record_event(session, actor="system", action="invoice.created", subject_type="deal", subject_id=deal.sf_id,
                 details={"milestone": row.milestone_sf_id, "invoice_id": result.invoice.id,
                          "doc_number": result.invoice.doc_number, "total": result.invoice.total,
                          "adopted_existing": result.adopted, "attempt": row.attempts}, clock=clock)
    session.flush()


def record_failure(session: Session, *, row_id: int, error: str, clock: Clock) -> None:
    row = require(session, MilestoneInvoice, row_id)
    row.last_error, row.updated_at = error[:2000], clock.now()
    session.add(row)
    session.flush()


def mark_deal(session: Session, *, deal_id: int, all_invoiced: bool, clock: Clock) -> None:
    """The deal is invoiced once every milestone of its schedule is."""
    if all_invoiced:
        deal = require(session, Deal, deal_id)
        deal.gate_status, deal.updated_at = DealStatus.INVOICED, clock.now()
        session.add(deal)
        session.flush()


def persisted(row: MilestoneInvoice) -> int:
    return persisted_id(row)
