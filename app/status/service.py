"""`/invoice-status`: find a deal by opportunity id, invoice number or name, and describe where it stands.

The answer is plain values (the deal's gate status and approval kinds as stored); the Slack layer labels them.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import func, or_
from sqlmodel import Session, col, select

from app.approvals.models import ApprovalRequest
from app.approvals.service import decision_for, requests_for
from app.deals.models import Deal
from app.deals.salesforce_ids import canonical_id
from app.invoicing.correction_models import CORRECTION_KINDS
from app.invoicing.corrections import corrections_of
from app.invoicing.milestones import invoiced_milestones
from app.invoicing.models import InvoiceJob
from app.invoicing.service import job_for

MAX_CANDIDATES = 25
MAX_QUERY_CHARS = 200
_GATE_PROBLEM_STATUSES = ("blocked", "not_won", "not_eligible", "out_of_scope", "before_live")


@dataclass(frozen=True)
class ApprovalState:
    """One approval on the deal: its kind and status and, once decided, who, when and why."""

    kind: str
    status: str
    decider_name: str | None = None
    decided_at: datetime | None = None
    comment: str | None = None
    decider_slack_id: str | None = None


@dataclass(frozen=True)
class CorrectionState:
    """One correction of the deal's invoice: kind, status, amount, and the credit memo once made."""

    kind: str
    status: str
    amount: Decimal
    credit_memo_number: str | None = None
    reason: str = ""


@dataclass(frozen=True)
class MilestoneState:
    """One milestone of the deal's billing schedule that is due: its invoice once made."""

    number: int
    name: str
    amount: Decimal
    status: str
    invoice_number: str | None = None


@dataclass(frozen=True, kw_only=True)
class DealStanding:
    """Where one deal stands on its way to a QuickBooks invoice; invoice fields are set once it exists."""

    deal_name: str
    opportunity_id: str
    stage: str
    gate_status: str
    gate_problems: tuple[str, ...] = ()
    approvals: tuple[ApprovalState, ...] = ()
    invoice_number: str | None = None
    amount: Decimal | None = None
    balance: Decimal | None = None
    due_date: date | None = None
    invoice_status: str | None = None
    currency: str = "USD"
    tax: Decimal | None = None
    corrections: tuple[CorrectionState, ...] = ()
    milestones: tuple[MilestoneState, ...] = ()


@dataclass(frozen=True)
class DealMatch:
    """One deal matching an ambiguous query."""

    opportunity_id: str
    name: str
    stage: str
    amount: Decimal | None
    currency: str = "USD"


@dataclass(frozen=True)
class StatusAnswer:
    """Exactly one of: `standing` (one deal), `matches` (ambiguous), or neither (nothing matched)."""

    query: str
    standing: DealStanding | None = None
    matches: tuple[DealMatch, ...] = ()


def find_deals(session: Session, query: str) -> list[Deal]:
    """By opportunity id (exactly: `=` compares case-sensitively on SQLite and PostgreSQL), invoice number,
    then name. Queries over MAX_QUERY_CHARS match nothing (the listener tells the user first)."""
    text = query.strip()
    if not text or len(text) > MAX_QUERY_CHARS:
        return []
    opportunity_id = canonical_id(text) if text.startswith("006") else None
    if opportunity_id is not None:
        found = session.exec(select(Deal).where(Deal.sf_id == opportunity_id)).all()
        if found:
            return list(found)
    by_invoice = session.exec(select(Deal).join(InvoiceJob, col(InvoiceJob.deal_id) == Deal.id).where(
        or_(col(InvoiceJob.doc_number) == text, col(InvoiceJob.qbo_invoice_id) == text))).all()
    if by_invoice:
        return list(by_invoice)
    exact = session.exec(select(Deal).where(func.lower(Deal.name) == text.lower())).all()
    if exact:
        return list(exact)
    pattern = "%" + text.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    return list(session.exec(select(Deal).where(func.lower(Deal.name).like(pattern, escape="\\"))
                             .order_by(Deal.name).limit(MAX_CANDIDATES + 1)).all())


def answer(session: Session, query: str) -> StatusAnswer:
    deals = find_deals(session, query)
    if len(deals) == 1:
        return StatusAnswer(query, standing=standing_of(session, deals[0]))
    return StatusAnswer(query, matches=tuple(
        DealMatch(deal.sf_id, deal.name, deal.stage, deal.amount, deal.currency or "USD") for deal in deals))


def standing_of(session: Session, deal: Deal) -> DealStanding:
    job = job_for(session, deal_id=deal.id) if deal.id is not None else None
    invoiced = job if job is not None and job.qbo_invoice_id is not None else None
    return DealStanding(
        deal_name=deal.name, opportunity_id=deal.sf_id, stage=deal.stage, gate_status=deal.gate_status,
        gate_problems=tuple(deal.gate_problems) if deal.gate_status in _GATE_PROBLEM_STATUSES else (),
        approvals=tuple(_approval_state(session, request) for request in requests_for(session, deal_id=deal.id)
                        if request.status != "superseded" and request.kind not in CORRECTION_KINDS),
        invoice_number=invoiced.doc_number if invoiced else None,
        amount=invoiced.total if invoiced else deal.amount, balance=invoiced.balance if invoiced else None,
        due_date=invoiced.due_date if invoiced else None, invoice_status=invoiced.qbo_status if invoiced else None,
        currency=(invoiced.currency if invoiced else None) or deal.currency or "USD",
        tax=invoiced.tax_total if invoiced else None,
        corrections=tuple(CorrectionState(kind=c.kind, status=c.status, amount=c.amount, reason=c.reason,
                                          credit_memo_number=c.doc_number if c.qbo_credit_memo_id else None)
                          for c in corrections_of(session, deal_id=deal.id)),
        milestones=tuple(MilestoneState(row.number, row.name, row.amount, row.status,
                                        row.doc_number or row.qbo_invoice_id)
                         for row in invoiced_milestones(session, deal_id=deal.id)) if deal.id is not None else (),
    )


def _approval_state(session: Session, request: ApprovalRequest) -> ApprovalState:
    decided = decision_for(session, request_id=request.id)
    if decided is None:
        return ApprovalState(kind=request.kind, status=request.status)
    return ApprovalState(kind=request.kind, status=request.status,
                         decider_name=decided.slack_user_name or decided.slack_user_id,
                         decided_at=decided.decided_at, comment=decided.comment,
                         decider_slack_id=decided.slack_user_id)
