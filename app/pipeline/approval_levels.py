"""Levels for the requests a step forward opened, and the pings queued when a level opens."""
from __future__ import annotations

from collections.abc import Sequence

from sqlmodel import Session

from app.approvals.level_service import LevelDecided, open_request_levels
from app.approvals.levels import levels_needed
from app.approvals.models import ApprovalRequest
from app.approvals.rules import measure_discount
from app.clock import Clock
from app.deals.facts import DealFacts
from app.policy import Policy
from app.work_queue.kinds import WorkKind
from app.work_queue.service import enqueue


def open_levels_for(session: Session, requests: Sequence[ApprovalRequest], *, facts: DealFacts,
                    policy: Policy) -> None:
    """Each newly opened request gets the levels the policy gives its kind (one level of its role by default)."""
    if not requests:
        return
    percent = measure_discount(facts).percent
    for request in requests:
        open_request_levels(session, request, levels_needed(request.kind, request.role, policy,
                                                            discount_percent=percent))


def queue_level_pings(session: Session, decided: LevelDecided, *, clock: Clock) -> None:
    """Tell the approvers of each level that just opened (in the request's thread and by DM), once per level."""
    for level in decided.newly_open:
        enqueue(session, kind=WorkKind.PING_APPROVAL_LEVEL,
                payload={"request_id": decided.request.id, "position": level.position,
                         "after_position": decided.level.position},
                dedupe_key=f"level_ping:{decided.request.id}:{level.position}", clock=clock)
