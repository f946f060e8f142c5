"""Corrections to issued invoices, as use cases: the form's contents (from the database), a proposal (checked by
the policy and against the invoice in QuickBooks, then put to an approver), and what follows a decision."""
from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from sqlmodel import Session

from app.approvals.models import ApprovalRequest, ApprovalStatus
from app.approvals.roles import members_by_role, role_label
from app.clock import Clock
from app.db import session_scope
from app.deals.models import Deal
from app.deals.service import find_deal, lines_of
from app.errors import InvalidTransition, NotAllowed
from app.invoicing.correction_models import CORRECTION_KINDS, CorrectionKind
from app.invoicing.correction_rules import Proposal, ProposalRefused, value_proposal
from app.invoicing.corrections import Proposer, on_decision, open_correction
from app.invoicing.models import InvoiceJob
from app.invoicing.service import job_for
from app.runtime import Runtime
from app.work_queue.kinds import WorkKind
from app.work_queue.service import enqueue

KIND_OF_FORM = {"lines": CorrectionKind.CREDIT_MEMO, "amount": CorrectionKind.CREDIT_MEMO,
                "write_off": CorrectionKind.WRITE_OFF}
NOT_INVOICED = "This deal has no QuickBooks invoice yet: there is nothing to correct"


@dataclass(frozen=True)
class FormContents:
    opportunity_id: str
    deal_name: str
    invoice_number: str
    total: Decimal
    balance: Decimal
    currency: str
    lines: tuple[tuple[int, str, Decimal], ...]
    causes: tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class ProposalInput:
    opportunity_id: str
    form_kind: str
    line_indexes: tuple[int, ...]
    amount: str | None
    reason: str
    root_cause: str | None
    user_id: str
    user_name: str | None


@dataclass(frozen=True)
class Proposed:
    correction_id: int
    request_id: int
    ask: str
    role_label: str


def form_contents(rt: Runtime, *, opportunity_id: str) -> FormContents:
    """What the correction form shows, from the database alone (the web process opens it)."""
    if rt.policy.corrections is None:
        raise NotAllowed("Corrections are switched off in the policy (corrections)")
    with session_scope(rt.engine) as session:
        deal, job = _invoiced(session, opportunity_id)
        lines = tuple((index, line.product_name or f"line {index + 1}", line.total_price)
                      for index, line in enumerate(lines_of(session, deal)))
        return FormContents(
            opportunity_id=deal.sf_id, deal_name=deal.name, invoice_number=job.doc_number or str(job.qbo_invoice_id),
            total=job.total or Decimal("0.00"), balance=job.balance if job.balance is not None else Decimal("0.00"),
            currency=job.currency or deal.currency or "USD", lines=lines,
            causes=tuple((cause.key, cause.label) for cause in rt.policy.root_causes))


def propose(rt: Runtime, asked: ProposalInput) -> Proposed:
    """Finance only; valued against the invoice as QuickBooks has it; then one approval request, posted by the
    worker. Raises NotAllowed (who), InvalidTransition (what) with words fit for the proposer."""
    finance = {member for members in members_by_role(rt.policy, directory=rt.slack).values() for member in members}
    if asked.user_id not in finance:
        raise NotAllowed("Only the finance team (the approver roles in the policy) may propose a correction")
    proposal = _proposal(asked)
    with session_scope(rt.engine) as session:
        deal, job = _invoiced(session, asked.opportunity_id)
        invoice_id = str(job.qbo_invoice_id)
    invoice = rt.quickbooks.get_invoice(invoice_id)
    try:
        valued = value_proposal(proposal, invoice, rt.policy)
    except ProposalRefused as refused:
        raise InvalidTransition(str(refused)) from None
    with session_scope(rt.engine) as session:
        deal, job = _invoiced(session, asked.opportunity_id)
        correction, request = open_correction(session, deal=deal, job=job, proposal=proposal, valued=valued,
                                              proposer=Proposer(asked.user_id, asked.user_name), policy=rt.policy,
                                              clock=rt.clock)
        enqueue(session, kind=WorkKind.POST_APPROVAL_REQUEST, payload={"request_id": request.id},
                dedupe_key=f"post_approval:{request.id}", clock=rt.clock)
        proposed = Proposed(correction_id=int(correction.id or 0), request_id=int(request.id or 0), ask=request.ask,
                            role_label=role_label(rt.policy, request.role))
    rt.wake_worker()
    return proposed


def follow_decision(session: Session, *, request: ApprovalRequest, clock: Clock) -> None:
    """In the decision's own transaction: an approved correction is queued to be made; either way the thread,
    the proposer and the deal owner hear how it ended (once it is made, for an approval)."""
    if request.kind not in CORRECTION_KINDS or request.status not in (ApprovalStatus.APPROVED,
                                                                      ApprovalStatus.REJECTED):
        return
    correction = on_decision(session, request=request, clock=clock)
    if correction is None:
        return
    payload = {"correction_id": correction.id, "deal_id": correction.deal_id}
    kind = WorkKind.CREATE_CORRECTION if request.status == ApprovalStatus.APPROVED else WorkKind.ANNOUNCE_CORRECTION
    enqueue(session, kind=kind, payload=payload, dedupe_key=f"{kind}:{correction.id}", clock=clock)


def _proposal(asked: ProposalInput) -> Proposal:
    kind = KIND_OF_FORM.get(asked.form_kind)
    if kind is None:
        raise InvalidTransition("Pick a kind of correction")
    amount = None
    if asked.form_kind == "amount":
        try:
            amount = Decimal((asked.amount or "").replace(",", "").strip())
        except InvalidOperation:
            raise InvalidTransition(f"'{asked.amount}' is not an amount: write it like 250.00") from None
    lines = asked.line_indexes if asked.form_kind == "lines" else ()
    if asked.form_kind == "lines" and not lines:
        raise InvalidTransition("Pick at least one invoice line to credit")
    return Proposal(kind=kind, reason=asked.reason, root_cause=asked.root_cause, line_indexes=lines, amount=amount)


def _invoiced(session: Session, opportunity_id: str) -> tuple[Deal, InvoiceJob]:
    deal = find_deal(session, sf_id=opportunity_id)
    job = job_for(session, deal_id=deal.id) if deal is not None and deal.id is not None else None
    if deal is None or job is None or job.qbo_invoice_id is None:
        raise InvalidTransition(NOT_INVOICED)
    return deal, job
