"""Corrections to issued invoices, exactly once, in three steps like invoices (service.py):
  1. `open_correction` (transaction): the correction and its approval request (role by the policy's amount bands;
     the proposer is the requester, so they can never approve it). `on_decision` follows the decision.
  2. `begin_attempt` (transaction) counts an attempt; correction_qbo.make_correction calls QuickBooks with the
     correction's idempotency key as `requestid` and, on any retry, looks the credit memo's DocNumber up first.
  3. `record_done` / `record_failure` (transaction): ids, totals, the invoice's new balance, the audit trail.
"""
from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import func
from sqlmodel import Session, col, select

from app.approvals.level_service import open_request_levels
from app.approvals.levels import levels_needed
from app.approvals.models import ApprovalRequest, ApprovalStatus
from app.audit.service import Links, record_event
from app.clock import Clock
from app.db import persisted_id, require
from app.deals.facts import DealFacts
from app.deals.models import Deal
from app.deals.service import deal_facts
from app.errors import InvalidTransition
from app.invoicing.correction_models import Correction, CorrectionKind, CorrectionStatus
from app.invoicing.correction_rules import (
    Proposal,
    Valued,
    ask_text,
    doc_number_for,
    idempotency_key_for,
)
from app.invoicing.models import InvoiceJob
from app.policy import Policy


@dataclass(frozen=True)
class Proposer:
    slack_id: str | None
    name: str | None
    source: str = "slack"


@dataclass(frozen=True)
class CorrectionPlan:
    correction_id: int
    deal_id: int
    job_id: int
    attempt: int
    kind: CorrectionKind
    number: int
    idempotency_key: str
    doc_number: str
    invoice_id: str
    customer_id: str
    amount: Decimal
    currency: str
    line_indexes: tuple[int, ...]
    reason: str
    facts: DealFacts


def open_correction(session: Session, *, deal: Deal, job: InvoiceJob, proposal: Proposal, valued: Valued,
                    proposer: Proposer, policy: Policy, clock: Clock) -> tuple[Correction, ApprovalRequest]:
    if policy.corrections is None or job.qbo_invoice_id is None:
        raise InvalidTransition("Corrections are off in the policy, or the deal has no invoice yet")
    number, now = _next_number(session, persisted_id(deal)), clock.now()
    currency = job.currency or deal.currency or "USD"
    correction = Correction(
        deal_id=persisted_id(deal), invoice_job_id=persisted_id(job), number=number, kind=proposal.kind,
        source=proposer.source, amount=valued.amount, currency=currency, lines=list(valued.lines),
        reason=proposal.reason.strip(), root_cause=proposal.root_cause, proposer_slack_id=proposer.slack_id,
        proposer_name=proposer.name, idempotency_key=idempotency_key_for(deal.sf_id, number),
        doc_number=doc_number_for(deal.sf_id, number), invoice_id=job.qbo_invoice_id,
        invoice_doc_number=job.doc_number, created_at=now, updated_at=now)
    session.add(correction)
    session.flush()
    request = _approval_request(session, deal=deal, correction=correction, valued=valued, policy=policy, clock=clock)
    correction.approval_request_id = request.id
    session.add(correction)
    record_event(session, actor=proposer.slack_id or "system", actor_name=proposer.name,
                 action="correction.proposed", subject_type="deal", subject_id=deal.sf_id,
                 details=_audit_details(correction, request_id=request.id, estimate=valued.estimate), clock=clock,
                 after={"status": correction.status, "kind": correction.kind, "amount": str(correction.amount),
                        "currency": correction.currency},
                 links=Links(deal_id=deal.id, approval_id=request.id, invoice_id=job.qbo_invoice_id))
    session.flush()
    return correction, request


def _approval_request(session: Session, *, deal: Deal, correction: Correction, valued: Valued, policy: Policy,
                      clock: Clock) -> ApprovalRequest:
    assert policy.corrections is not None                   # checked by open_correction
    role, level = policy.corrections.role_for(correction.kind, valued.amount)
    kind = CorrectionKind(correction.kind)
    cause = next((c.label for c in policy.root_causes if c.key == correction.root_cause), correction.root_cause)
    ask = ask_text(kind, valued.amount, correction.currency, correction.invoice_doc_number or correction.invoice_id,
                   len(correction.lines)) + f": {correction.reason}" + (f" (root cause: {cause})" if cause else "")
    detail = (f"Reason: {correction.reason}. Root cause: {cause or 'not given'}. About {valued.estimate:,.2f} "
              f"{correction.currency} with tax. Proposed by {correction.proposer_name or 'Ledgerbridge'}.")
    request = ApprovalRequest(
        deal_id=correction.deal_id, kind=kind, level=level, role=role, ask=ask, detail=detail,
        terms_fingerprint=f"correction:{correction.id}", requester_slack_id=correction.proposer_slack_id,
        created_at=clock.now())
    session.add(request)
    session.flush()
    open_request_levels(session, request, levels_needed(kind, role, policy, amount=valued.amount))
    record_event(session, actor="system", action="approval.requested", subject_type="approval_request",
                 subject_id=str(request.id), details={"deal_id": deal.id, "kind": kind, "ask": ask,
                                                      "correction_id": correction.id}, clock=clock,
                 links=Links(deal_id=deal.id, approval_id=request.id, invoice_id=correction.invoice_id))
    return request


def correction_for_request(session: Session, request_id: int | None) -> Correction | None:
    return session.exec(select(Correction).where(Correction.approval_request_id == request_id)).first()


def on_decision(session: Session, *, request: ApprovalRequest, clock: Clock) -> Correction | None:
    """The correction follows its approval request: approved (to be made) or rejected (nothing happens)."""
    correction = correction_for_request(session, request.id)
    if correction is None or correction.status != CorrectionStatus.PROPOSED:
        return None
    approved = request.status == ApprovalStatus.APPROVED
    correction.status = CorrectionStatus.APPROVED if approved else CorrectionStatus.REJECTED
    correction.decided_at = correction.updated_at = clock.now()
    session.add(correction)
    record_event(session, actor="system", action=f"correction.{correction.status}", subject_type="deal",
                 subject_id=str(correction.deal_id), details=_audit_details(correction, request_id=request.id),
                 clock=clock, before={"status": CorrectionStatus.PROPOSED.value}, after={"status": correction.status},
                 links=Links(deal_id=correction.deal_id, approval_id=request.id, invoice_id=correction.invoice_id))
    session.flush()
    return correction


def begin_attempt(session: Session, *, correction_id: int, clock: Clock) -> CorrectionPlan | None:
    """Count one attempt; None when the correction is made already or may not be made (not approved). A failed
    one may be tried again (Retry on its exception, once the cause is fixed)."""
    correction = require(session, Correction, correction_id)
    if correction.status not in (CorrectionStatus.APPROVED, CorrectionStatus.CREATING, CorrectionStatus.FAILED):
        return None
    job = require(session, InvoiceJob, correction.invoice_job_id)
    deal = require(session, Deal, correction.deal_id)
    correction.attempts += 1
    correction.status, correction.updated_at = CorrectionStatus.CREATING, clock.now()
    session.add(correction)
    session.flush()
    return CorrectionPlan(
        correction_id=correction_id, deal_id=persisted_id(deal), job_id=persisted_id(job),
        attempt=correction.attempts, kind=CorrectionKind(correction.kind), number=correction.number,
        idempotency_key=correction.idempotency_key, doc_number=correction.doc_number,
        invoice_id=correction.invoice_id, customer_id=job.qbo_customer_id or "", amount=correction.amount,
        currency=correction.currency, line_indexes=tuple(int(line["index"]) for line in correction.lines),
        reason=correction.reason, facts=deal_facts(session, deal))


def record_failure(session: Session, *, correction_id: int, error: str, final: bool, clock: Clock) -> None:
    correction = require(session, Correction, correction_id)
    correction.last_error = error[:2000]
    if final:
        correction.status = CorrectionStatus.FAILED
    correction.updated_at = clock.now()
    session.add(correction)
    session.flush()


def corrections_of(session: Session, *, deal_id: int | None) -> list[Correction]:
    return list(session.exec(select(Correction).where(Correction.deal_id == deal_id).order_by(col(Correction.id))))


def _next_number(session: Session, deal_id: int) -> int:
    highest = session.exec(select(func.max(Correction.number)).where(Correction.deal_id == deal_id)).one()
    return int(highest or 0) + 1


def _audit_details(correction: Correction, **extra: Any) -> dict[str, Any]:
    return {"correction_id": correction.id, "kind": correction.kind, "amount": correction.amount,
            "currency": correction.currency, "invoice_id": correction.invoice_id, "reason": correction.reason,
            "root_cause": correction.root_cause, "lines": correction.lines, **extra}
