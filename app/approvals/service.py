"""Approval requests and decisions: open what a deal needs, lock approved terms, record one decision each."""
from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum

from sqlmodel import Session, col, select

from app.approvals.locks import FieldChange, LockedValues, describe, diff_locked
from app.approvals.models import ApprovalDecision, ApprovalRequest, ApprovalStatus
from app.approvals.rules import ApprovalKind, ApprovalNeed
from app.audit.service import Links, record_event
from app.clock import Clock
from app.db import persisted_id
from app.deals.models import Deal

_APPROVAL_KINDS = frozenset(kind.value for kind in ApprovalKind)


class ApprovalsState(StrEnum):
    GRANTED = "granted"
    PENDING = "pending"
    REJECTED = "rejected"


@dataclass(frozen=True)
class SyncedRequests:
    current: list[ApprovalRequest]
    opened: list[ApprovalRequest]
    superseded: list[ApprovalRequest]

    @property
    def state(self) -> ApprovalsState:
        statuses = {request.status for request in self.current}
        if ApprovalStatus.REJECTED in statuses:
            return ApprovalsState.REJECTED
        if statuses - {ApprovalStatus.APPROVED}:
            return ApprovalsState.PENDING
        return ApprovalsState.GRANTED


def sync_requests(session: Session, *, deal: Deal, needs: tuple[ApprovalNeed, ...], fingerprint: str,
                  clock: Clock, locked: LockedValues | None = None,
                  tolerance_percent: Decimal = Decimal(0)) -> SyncedRequests:
    """Open a request per need for these terms; supersede live requests whose locked values changed (field lock).

    With `locked` (the deal's locked values now), a request made with locked values holds while none of them
    changed beyond the amount tolerance; a re-approval request carries the difference. Without, the fingerprint
    alone decides (requests stored before the field lock kept only it)."""
    lock = _Lock(fingerprint, dict(locked) if locked is not None else None, tolerance_percent)
    existing = requests_for(session, deal_id=deal.id)
    for request in existing:
        _adopt_lock(session, request, lock)
    superseded: list[ApprovalRequest] = []
    for request in existing:
        why = _outdated(request, needs, lock)
        if why is not None:
            _supersede(session, request, why=why, lock=lock, clock=clock)
            superseded.append(request)
    current: list[ApprovalRequest] = []
    opened: list[ApprovalRequest] = []
    for need in needs:
        found = _find(existing, need, lock)
        if found is None:
            replaced = next((old for old in reversed(superseded) if old.kind == need.kind), None)
            found = _open(session, deal=deal, need=need, lock=lock, replaced=replaced, clock=clock)
            opened.append(found)
        current.append(found)
    session.flush()
    return SyncedRequests(current=current, opened=opened, superseded=superseded)


def requests_for(session: Session, *, deal_id: int | None) -> list[ApprovalRequest]:
    statement = select(ApprovalRequest).where(ApprovalRequest.deal_id == deal_id).order_by(col(ApprovalRequest.id))
    return list(session.exec(statement))


def decision_for(session: Session, *, request_id: int | None) -> ApprovalDecision | None:
    return session.exec(select(ApprovalDecision).where(ApprovalDecision.request_id == request_id)).first()


def record_lock(session: Session, *, request: ApprovalRequest, actor: str, clock: Clock) -> None:
    """An approval locks the values it was given for: the audit trail keeps them with the approval."""
    record_event(session, actor=actor, action="approval.locked", subject_type="approval_request",
                 subject_id=str(request.id),
                 details={"deal_id": request.deal_id, "kind": request.kind, "locked_values": request.locked_values,
                          "terms_fingerprint": request.terms_fingerprint}, clock=clock,
                 after=dict(request.locked_values or {}), links=Links(deal_id=request.deal_id, approval_id=request.id))


@dataclass(frozen=True)
class _Lock:
    fingerprint: str
    values: dict[str, str] | None
    tolerance_percent: Decimal

    def changes(self, request: ApprovalRequest) -> tuple[FieldChange, ...] | None:
        """What changed since the request was made; None when it cannot say (no values on one side)."""
        if self.values is None or request.locked_values is None:
            return None
        return diff_locked(request.locked_values, self.values, tolerance_percent=self.tolerance_percent)

    def holds(self, request: ApprovalRequest) -> bool:
        changes = self.changes(request)
        return request.terms_fingerprint == self.fingerprint if changes is None else not changes


def _adopt_lock(session: Session, request: ApprovalRequest, lock: _Lock) -> None:
    """A live request made before the field lock stored values (a fingerprint of another recipe) takes today's
    values as its lock, rather than every in-flight approval being asked again after the upgrade."""
    live = request.status in (ApprovalStatus.PENDING, ApprovalStatus.APPROVED)
    if lock.values is None or request.locked_values is not None or not live or request.kind not in _APPROVAL_KINDS:
        return
    request.locked_values, request.terms_fingerprint = dict(lock.values), lock.fingerprint
    session.add(request)


@dataclass(frozen=True)
class _Why:
    text: str
    changes: tuple[FieldChange, ...] = ()


def _outdated(request: ApprovalRequest, needs: tuple[ApprovalNeed, ...], lock: _Lock) -> _Why | None:
    """Why a live request no longer counts: a locked value changed; or, while pending, it is no longer needed.
    An approval already given whose need went away (e.g. the customer now exists) stays as it was."""
    if request.status not in (ApprovalStatus.PENDING, ApprovalStatus.APPROVED):
        return None
    if not lock.holds(request):
        changes = lock.changes(request) or ()
        return _Why(describe(changes) if changes else "the deal's terms changed", changes)
    still_needed = any(need.kind == request.kind for need in needs)
    if not still_needed and request.status == ApprovalStatus.PENDING:
        return _Why("no longer needed: the deal changed so that this approval is not asked for")
    return None


def _find(existing: list[ApprovalRequest], need: ApprovalNeed, lock: _Lock) -> ApprovalRequest | None:
    return next((request for request in existing
                 if request.status not in (ApprovalStatus.SUPERSEDED, ApprovalStatus.EXPIRED)
                 and request.kind == need.kind and lock.holds(request)), None)


def _open(session: Session, *, deal: Deal, need: ApprovalNeed, lock: _Lock, replaced: ApprovalRequest | None,
          clock: Clock) -> ApprovalRequest:
    changes = lock.changes(replaced) if replaced is not None else None
    request = ApprovalRequest(deal_id=persisted_id(deal), kind=need.kind, level=need.level, role=need.role,
                              ask=need.ask, detail=need.detail, terms_fingerprint=lock.fingerprint,
                              requester_sf_user_id=deal.owner_sf_id, requester_email=deal.owner_email,
                              submitter_sf_user_id=deal.submitter_sf_id, submitter_email=deal.submitter_email,
                              created_at=clock.now(), locked_values=lock.values,
                              reapproval_of=replaced.id if replaced is not None else None,
                              changes=[_change_row(change) for change in changes] if changes else None)
    session.add(request)
    session.flush()
    record_event(session, actor="system", action="approval.requested", subject_type="approval_request",
                 subject_id=str(request.id),
                 details={"deal_id": deal.id, "kind": need.kind, "ask": need.ask, "locked_values": lock.values,
                          "reapproval_of": request.reapproval_of, "changes": request.changes}, clock=clock,
                 after={"status": request.status, "role": need.role},
                 links=Links(deal_id=deal.id, approval_id=request.id))
    return request


def _supersede(session: Session, request: ApprovalRequest, *, why: _Why, lock: _Lock, clock: Clock) -> None:
    previous = request.status
    request.status, request.live_marker = ApprovalStatus.SUPERSEDED, None
    request.superseded_why = why.text
    session.add(request)
    record_event(session, actor="system", action="approval.superseded", subject_type="approval_request",
                 subject_id=str(request.id),
                 details={"deal_id": request.deal_id, "kind": request.kind, "was": previous, "why": why.text,
                          "changes": [_change_row(change) for change in why.changes],
                          "before": request.locked_values, "after": lock.values}, clock=clock,
                 before={"status": previous, "locked_values": request.locked_values},
                 after={"status": request.status, "locked_values": lock.values},
                 links=Links(deal_id=request.deal_id, approval_id=request.id))


def _change_row(change: FieldChange) -> dict[str, str]:
    return {"field": change.key, "label": change.label, "old": change.old, "new": change.new}
