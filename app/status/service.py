"""`/invoice-status`: find a deal by opportunity id, invoice number or name, and describe where it stands."""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, or_
from sqlmodel import Session, col, select

from app.approvals.models import ApprovalRequest
from app.approvals.service import decision_for, requests_for
from app.deals.models import Deal
from app.deals.salesforce_ids import canonical_id
from app.invoicing.models import InvoiceJob
from app.invoicing.service import job_for
from app.slack.blocks.status import ApprovalLine, Candidate, InvoiceStatusView
from app.slack.presenters import KIND_LABELS, record_url

MAX_CANDIDATES = 25
MAX_QUERY_CHARS = 200
STATUS_LABELS = {"not_won": "Not won yet", "not_eligible": "Won, not yet billable", "blocked": "Blocked: data to fix",
                 "awaiting_approval": "Awaiting approval", "rejected": "Rejected: needs rework",
                 "billable": "Billable: invoice being created", "invoiced": "Invoiced"}


@dataclass(frozen=True)
class StatusAnswer:
    """Exactly one of: `view` (one deal), `candidates` (ambiguous), or neither (nothing matched)."""

    query: str
    view: InvoiceStatusView | None = None
    candidates: tuple[Candidate, ...] = ()


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
        or_(InvoiceJob.doc_number == text, InvoiceJob.qbo_invoice_id == text))).all()
    if by_invoice:
        return list(by_invoice)
    exact = session.exec(select(Deal).where(func.lower(Deal.name) == text.lower())).all()
    if exact:
        return list(exact)
    pattern = "%" + text.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    return list(session.exec(select(Deal).where(func.lower(Deal.name).like(pattern, escape="\\"))
                             .order_by(Deal.name).limit(MAX_CANDIDATES + 1)).all())


def answer(session: Session, query: str, *, instance_url: str | None) -> StatusAnswer:
    deals = find_deals(session, query)
    if len(deals) == 1:
        return StatusAnswer(query, view=status_view(session, deals[0], instance_url=instance_url))
    return StatusAnswer(query, candidates=tuple(
        Candidate(deal.sf_id, deal.name, deal.stage, deal.amount, deal.currency or "USD") for deal in deals))


def status_view(session: Session, deal: Deal, *, instance_url: str | None) -> InvoiceStatusView:
    job = job_for(session, deal_id=deal.id)
    invoiced = job is not None and job.qbo_invoice_id is not None
    return InvoiceStatusView(
        deal_name=deal.name, opportunity_id=deal.sf_id, opportunity_url=record_url(instance_url, "Opportunity",
                                                                                     deal.sf_id),
        stage=deal.stage, gate_status=STATUS_LABELS.get(deal.gate_status, deal.gate_status),
        gate_problems=tuple(deal.gate_problems) if deal.gate_status in ("blocked", "not_won", "not_eligible")
        else (),
        approvals=tuple(_approval_line(session, request) for request in requests_for(session, deal_id=deal.id)
                        if request.status != "superseded"),
        invoice_number=job.doc_number if invoiced else None, amount=job.total if invoiced else deal.amount,
        balance=job.balance if invoiced else None, due_date=job.due_date if invoiced else None,
        invoice_status=job.qbo_status if invoiced else None, currency=deal.currency or "USD",
    )


def _approval_line(session: Session, request: ApprovalRequest) -> ApprovalLine:
    decided = decision_for(session, request_id=request.id)
    return ApprovalLine(kind=KIND_LABELS.get(request.kind, request.kind), status=request.status,
                        decider_name=(decided.slack_user_name or decided.slack_user_id) if decided else None,
                        decided_at=decided.decided_at if decided else None,
                        comment=decided.comment if decided else None)
