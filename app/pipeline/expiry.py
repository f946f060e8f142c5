"""Pending approval requests that waited longer than the policy allows expire; a fresh request replaces each.

The limit counts business hours (`business_hours`, `timezone`). Expiring is a conditional update (pending ->
expired): however many workers or ticks try at once, one wins, and only the winner opens the fresh request, so
each expired request is re-posted exactly once.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import update
from sqlmodel import Session, col, select

from app.approvals.level_service import level_specs, open_request_levels
from app.approvals.models import ApprovalRequest, ApprovalStatus
from app.approvals.rules import ApprovalKind
from app.audit.service import Links, record_event
from app.clock import Clock
from app.db import persisted_id
from app.exception_queue.rules import add_business_hours
from app.policy import Policy
from app.work_queue.kinds import WorkKind
from app.work_queue.service import enqueue

_DEAL_KINDS = tuple(kind.value for kind in ApprovalKind)
"""Corrections' requests are tied to their correction and are not re-posted."""


@dataclass(frozen=True)
class Expired:
    expired_id: int
    fresh_id: int


def expires_at(created_at: datetime, policy: Policy) -> datetime | None:
    """When a request opened at `created_at` expires (None: the policy lets requests wait forever)."""
    hours = policy.approval_controls.expire_after_hours
    if hours is None:
        return None
    return add_business_hours(created_at, hours, business_hours=policy.business_hours, tz=policy.zone)


def expire_due_requests(session: Session, *, policy: Policy, clock: Clock) -> list[Expired]:
    hours, now = policy.approval_controls.expire_after_hours, clock.now()
    if hours is None:
        return []
    # a business hour is never shorter than a clock hour: older than `hours` clock hours is a safe first cut
    statement = (select(ApprovalRequest).where(ApprovalRequest.status == ApprovalStatus.PENDING,
                                               col(ApprovalRequest.kind).in_(_DEAL_KINDS),
                                               col(ApprovalRequest.created_at) <= now - timedelta(hours=hours))
                 .order_by(col(ApprovalRequest.id)))
    due = [request for request in session.exec(statement)
           if (moment := expires_at(request.created_at, policy)) is not None and moment <= now]
    return [expired for request in due if (expired := _expire(session, request, clock=clock)) is not None]


def _expire(session: Session, request: ApprovalRequest, *, clock: Clock) -> Expired | None:
    claimed = session.execute(update(ApprovalRequest)
                              .where(col(ApprovalRequest.id) == request.id,
                                     col(ApprovalRequest.status) == ApprovalStatus.PENDING)
                              .values(status=ApprovalStatus.EXPIRED, live_marker=None, decided_at=clock.now())
                              .execution_options(synchronize_session=False))
    if getattr(claimed, "rowcount", 0) != 1:
        return None                 # another worker expired it first (and posted its fresh request)
    session.refresh(request)
    fresh = ApprovalRequest(deal_id=request.deal_id, kind=request.kind, level=1, role=request.role, ask=request.ask,
                            detail=request.detail, terms_fingerprint=request.terms_fingerprint,
                            requester_sf_user_id=request.requester_sf_user_id,
                            requester_email=request.requester_email, requester_slack_id=request.requester_slack_id,
                            submitter_sf_user_id=request.submitter_sf_user_id,
                            submitter_email=request.submitter_email, submitter_slack_id=request.submitter_slack_id,
                            locked_values=request.locked_values, reapproval_of=request.reapproval_of,
                            changes=request.changes, created_at=clock.now())
    session.add(fresh)
    session.flush()
    open_request_levels(session, fresh, level_specs(session, request))
    expired_id, fresh_id = persisted_id(request), persisted_id(fresh)
    record_event(session, actor="system", action="approval.expired", subject_type="approval_request",
                 subject_id=str(expired_id), details={"deal_id": request.deal_id, "kind": request.kind,
                                                      "opened_at": request.created_at, "fresh_request_id": fresh_id},
                 clock=clock, before={"status": ApprovalStatus.PENDING.value},
                 after={"status": ApprovalStatus.EXPIRED.value, "fresh_request_id": fresh_id},
                 links=Links(deal_id=request.deal_id, approval_id=expired_id))
    record_event(session, actor="system", action="approval.requested", subject_type="approval_request",
                 subject_id=str(fresh.id), details={"deal_id": request.deal_id, "kind": request.kind,
                                                    "ask": request.ask, "replaces": expired_id}, clock=clock,
                 after={"status": ApprovalStatus.PENDING.value, "locked_values": fresh.locked_values},
                 links=Links(deal_id=request.deal_id, approval_id=fresh_id))
    enqueue(session, kind=WorkKind.REDRAW_APPROVAL_MESSAGE, payload={"request_id": request.id},
            dedupe_key=f"expired_redraw:{request.id}", clock=clock)
    enqueue(session, kind=WorkKind.POST_APPROVAL_REQUEST, payload={"request_id": fresh.id},
            dedupe_key=f"post_approval:{fresh.id}", clock=clock)
    return Expired(expired_id=expired_id, fresh_id=fresh_id)
