"""Approval requests and decisions: open what a deal needs, lock approved terms, record one decision each."""
from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from sqlmodel import Session, col, select

from app.approvals.models import ApprovalDecision, ApprovalRequest, ApprovalStatus, Decision
from app.approvals.rules import ApprovalNeed, may_decide
from app.audit.service import Links, record_event
from app.clock import Clock
from app.db import persisted_id
from app.deals.models import Deal
from app.errors import InvalidTransition, NotAllowed


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
                  clock: Clock) -> SyncedRequests:
    """Open a request per need for these terms; supersede live requests made for other terms (field lock)."""
    existing = requests_for(session, deal_id=deal.id)
    superseded = [request for request in existing if _outdated(request, needs, fingerprint)]
    for request in superseded:
        _supersede(session, request, clock=clock)
    current: list[ApprovalRequest] = []
    opened: list[ApprovalRequest] = []
    for need in needs:
        found = _find(existing, need, fingerprint)
        if found is None:
            found = _open(session, deal=deal, need=need, fingerprint=fingerprint, clock=clock)
            opened.append(found)
        current.append(found)
    session.flush()
    return SyncedRequests(current=current, opened=opened, superseded=superseded)


def requests_for(session: Session, *, deal_id: int | None) -> list[ApprovalRequest]:
    statement = select(ApprovalRequest).where(ApprovalRequest.deal_id == deal_id).order_by(col(ApprovalRequest.id))
    return list(session.exec(statement))


def decision_for(session: Session, *, request_id: int | None) -> ApprovalDecision | None:
    return session.exec(select(ApprovalDecision).where(ApprovalDecision.request_id == request_id)).first()


def decide(session: Session, *, request_id: int, actor_id: str, actor_name: str | None, decision: Decision,
           comment: str | None, role_members: frozenset[str], clock: Clock) -> ApprovalRequest:
    """Record the one decision on a pending request. Raises NotAllowed or InvalidTransition; changes nothing then.

    Two concurrent deciders both pass the pending check; the unique request_id on approval_decision
    makes the second flush fail with IntegrityError, which the caller reports as "already decided".
    """
    request = session.get(ApprovalRequest, request_id)
    if request is None:
        raise InvalidTransition(f"Approval request {request_id} does not exist")
    if request.status != ApprovalStatus.PENDING:
        raise InvalidTransition(_already_decided(session, request))
    verdict = may_decide(actor_id=actor_id, requester_slack_id=request.requester_slack_id,
                         role_members=role_members, role=request.role)
    if not verdict.allowed:
        raise NotAllowed(verdict.reason)
    if decision == Decision.REJECTED and not (comment or "").strip():
        raise InvalidTransition("A rejection needs a reason")
    now = clock.now()
    session.add(ApprovalDecision(request_id=request_id, slack_user_id=actor_id, slack_user_name=actor_name,
                                 decision=decision, comment=comment, decided_at=now))
    session.flush()
    request.status = ApprovalStatus(decision.value)
    request.decided_at = now
    session.add(request)
    record_event(session, actor=actor_id, actor_name=actor_name, action=f"approval.{decision.value}",
                 subject_type="approval_request", subject_id=str(request_id),
                 details={"deal_id": request.deal_id, "kind": request.kind, "comment": comment,
                          "terms_fingerprint": request.terms_fingerprint}, clock=clock,
                 before={"status": ApprovalStatus.PENDING.value}, after={"status": request.status},
                 links=Links(deal_id=request.deal_id, approval_id=request_id))
    return request


def _already_decided(session: Session, request: ApprovalRequest) -> str:
    if request.status == ApprovalStatus.SUPERSEDED:
        return "This request is out of date: the deal's terms changed, so a new request was posted"
    decided = decision_for(session, request_id=request.id)
    who = (decided.slack_user_name or decided.slack_user_id) if decided else "someone"
    return f"Already {request.status} by {who}"


def _outdated(request: ApprovalRequest, needs: tuple[ApprovalNeed, ...], fingerprint: str) -> bool:
    live = request.status in (ApprovalStatus.PENDING, ApprovalStatus.APPROVED)
    still_needed = any(need.kind == request.kind for need in needs)
    return live and (request.terms_fingerprint != fingerprint or not still_needed)


def _find(existing: list[ApprovalRequest], need: ApprovalNeed, fingerprint: str) -> ApprovalRequest | None:
    return next((request for request in existing if request.status != ApprovalStatus.SUPERSEDED
                 and request.kind == need.kind and request.terms_fingerprint == fingerprint), None)


def _open(session: Session, *, deal: Deal, need: ApprovalNeed, fingerprint: str, clock: Clock) -> ApprovalRequest:
    request = ApprovalRequest(deal_id=persisted_id(deal), kind=need.kind, level=need.level, role=need.role,
                              ask=need.ask, detail=need.detail, terms_fingerprint=fingerprint,
                              requester_sf_user_id=deal.owner_sf_id, requester_email=deal.owner_email,
                              created_at=clock.now())
    session.add(request)
    session.flush()
    record_event(session, actor="system", action="approval.requested", subject_type="approval_request",
                 subject_id=str(request.id), details={"deal_id": deal.id, "kind": need.kind, "ask": need.ask},
                 clock=clock, after={"status": request.status, "role": need.role},
                 links=Links(deal_id=deal.id, approval_id=request.id))
    return request


def _supersede(session: Session, request: ApprovalRequest, *, clock: Clock) -> None:
    previous = request.status
    request.status, request.live_marker = ApprovalStatus.SUPERSEDED, None
    session.add(request)
    record_event(session, actor="system", action="approval.superseded", subject_type="approval_request",
                 subject_id=str(request.id),
                 details={"deal_id": request.deal_id, "kind": request.kind, "was": previous}, clock=clock,
                 before={"status": previous}, after={"status": request.status},
                 links=Links(deal_id=request.deal_id, approval_id=request.id))
