"""One step forward for a deal: gate it, sync its approvals, and say what work follows (no vendor I/O)."""
from __future__ import annotations

from dataclasses import dataclass, field

from sqlmodel import Session

from app.approvals.locks import lock_fingerprint, locked_values
from app.approvals.models import ApprovalRequest, ApprovalStatus
from app.approvals.rules import ApprovalKind, required_approvals
from app.approvals.service import ApprovalsState, decision_for, sync_requests
from app.clock import Clock
from app.deals.models import Deal, DealStatus
from app.deals.rules import GateResult, GateStatus, evaluate_gate
from app.deals.scope import pilot_verdict
from app.deals.service import deal_facts, scope_facts
from app.exception_queue.service import sync_deal_exceptions
from app.invoicing.after_invoice import propose_after_invoice
from app.invoicing.models import InvoiceJobStatus
from app.invoicing.service import job_for
from app.pipeline.approval_levels import open_levels_for
from app.pipeline.locked_changes import check_locks_after_invoice
from app.policy import Policy, RolloutMode
from app.rollout.rules import before_live_reason
from app.rollout.service import is_granted, live_since, shadow_invoice_for

_STATUS_FOR_GATE = {GateStatus.NOT_WON: DealStatus.NOT_WON, GateStatus.NOT_ELIGIBLE: DealStatus.NOT_ELIGIBLE,
                    GateStatus.INVALID: DealStatus.BLOCKED}
_STATUS_FOR_APPROVALS = {ApprovalsState.PENDING: DealStatus.AWAITING_APPROVAL,
                         ApprovalsState.REJECTED: DealStatus.REJECTED, ApprovalsState.GRANTED: DealStatus.BILLABLE}


@dataclass
class Advance:
    """What changed, and the follow-up work the caller should enqueue."""

    status: DealStatus
    gate: GateResult | None = None
    to_post: list[ApprovalRequest] = field(default_factory=list)
    to_withdraw: list[ApprovalRequest] = field(default_factory=list)
    create_invoice: bool = False
    shadow: bool = False
    """Shadow mode: the invoice is only simulated (queued under its own key, so going live queues it anew)."""


def advance_deal(session: Session, *, deal: Deal, policy: Policy, clock: Clock) -> Advance:
    """Approvals are asked only of billable deals; an invoice follows once every approval is granted."""
    job = job_for(session, deal_id=_stored_id(deal))
    if job is not None and job.status == InvoiceJobStatus.CREATED:
        _sync_exceptions(session, deal, policy=policy, clock=clock)
        changed = check_locks_after_invoice(session, deal=deal, job=job, policy=policy, clock=clock)
        correction = propose_after_invoice(session, deal=deal, job=job, policy=policy, clock=clock,
                                           locked_changes=changed)
        return _set(session, deal, Advance(DealStatus.INVOICED, to_post=[correction] if correction else []), clock)
    scope = pilot_verdict(scope_facts(session, deal), policy.pilot)
    if not scope.in_scope:
        return skip(session, deal, status=DealStatus.OUT_OF_SCOPE, reasons=scope.reasons, policy=policy, clock=clock)
    facts = deal_facts(session, deal)
    gate = evaluate_gate(facts, policy)
    deal.gate_problems = [problem.message for problem in gate.problems] or ([gate.reason] if gate.reason else [])
    if not gate.billable:
        _sync_exceptions(session, deal, policy=policy, clock=clock, gate=gate)
        return _set(session, deal, Advance(_STATUS_FOR_GATE[gate.status], gate=gate), clock)
    locked = locked_values(facts)
    fingerprint = lock_fingerprint(locked)
    synced = sync_requests(session, deal=deal, needs=required_approvals(facts, policy), fingerprint=fingerprint,
                           clock=clock, locked=locked, tolerance_percent=policy.field_locks.amount_tolerance_percent)
    open_levels_for(session, synced.opened, facts=facts, policy=policy)
    deal.terms_fingerprint = fingerprint
    status = _STATUS_FOR_APPROVALS[synced.state]
    if status == DealStatus.BILLABLE and policy.mode == RolloutMode.SHADOW and shadow_invoice_for(
            session, deal_id=_stored_id(deal)) is not None:
        status = DealStatus.SIMULATED                # simulated once; nothing more to do in shadow mode
    held = _held_at_switch(session, deal, policy=policy, clock=clock) if status == DealStatus.BILLABLE else None
    if held is not None:
        return skip(session, deal, status=DealStatus.BEFORE_LIVE, reasons=(held,), policy=policy, clock=clock)
    advance = Advance(status, gate=gate, to_post=synced.opened,
                      to_withdraw=[request for request in synced.superseded if request.slack_ts],
                      create_invoice=status == DealStatus.BILLABLE and not _customer_being_activated(
                          synced.current, has_customer=facts.account.has_qbo_customer),
                      shadow=policy.mode == RolloutMode.SHADOW)
    if deal.billable_at is None:
        deal.billable_at = clock.now()
    rejected = [request for request in synced.current if request.status == ApprovalStatus.REJECTED]
    _sync_exceptions(session, deal, policy=policy, clock=clock, rejection=_rejection(session, rejected))
    return _set(session, deal, advance, clock)


def _customer_being_activated(current: list[ApprovalRequest], *, has_customer: bool) -> bool:
    """An approved activation creates the customer first (the worker, with the approver's terms and credit limit,
    or the look-alike they chose); the invoice follows once the customer is linked."""
    return not has_customer and any(request.kind == ApprovalKind.CUSTOMER_ACTIVATION
                                    and request.status == ApprovalStatus.APPROVED for request in current)


def _held_at_switch(session: Session, deal: Deal, *, policy: Policy, clock: Clock) -> str | None:
    """Live after shadow: what shadow simulated, and deals won before the switch, wait for a backfill."""
    since = live_since(session, mode=policy.mode, clock=clock)
    if policy.mode == RolloutMode.SHADOW or job_for(session, deal_id=_stored_id(deal)) is not None:
        return None
    return before_live_reason(close_date=deal.close_date, live_since=since, zone=policy.zone,
                              simulated=shadow_invoice_for(session, deal_id=_stored_id(deal)) is not None,
                              granted=is_granted(session, deal_id=_stored_id(deal)))


def skip(session: Session, deal: Deal, *, status: DealStatus, reasons: tuple[str, ...], policy: Policy,
         clock: Clock) -> Advance:
    """A deal left alone: no approvals asked, no invoice, and its gate exceptions closed (it is not our work)."""
    deal.gate_problems = list(reasons)
    _sync_exceptions(session, deal, policy=policy, clock=clock)
    return _set(session, deal, Advance(status), clock)


def _sync_exceptions(session: Session, deal: Deal, *, policy: Policy, clock: Clock, gate: GateResult | None = None,
                     rejection: str | None = None) -> None:
    """The deal's own data decides its gate and rejection exceptions: open what is wrong, close what is fixed."""
    sync_deal_exceptions(session, deal_id=_stored_id(deal), account_id=deal.account_id,
                         problems=gate.problems if gate else (), rejection=rejection, policy=policy, clock=clock)


def _stored_id(deal: Deal) -> int:
    if deal.id is None:
        raise ValueError(f"deal {deal.sf_id} is not stored yet: a step forward reads its rows by id")
    return deal.id


def _rejection(session: Session, rejected: list[ApprovalRequest]) -> str | None:
    if not rejected:
        return None
    decision = decision_for(session, request_id=rejected[0].id)
    who = (decision.slack_user_name or decision.slack_user_id) if decision else "an approver"
    why = decision.comment if decision and decision.comment else "no reason given"
    return f"{rejected[0].ask}: rejected by {who}: “{why}”"


def _set(session: Session, deal: Deal, advance: Advance, clock: Clock) -> Advance:
    deal.gate_status = advance.status
    deal.updated_at = clock.now()
    session.add(deal)
    session.flush()
    return advance
