"""The work that follows a deal's step forward, queued in the same transaction as the step."""
from __future__ import annotations

from sqlmodel import Session

from app.clock import Clock
from app.deals.models import Deal
from app.pipeline.advance import Advance
from app.pipeline.owner_notices import queue_owner_notice
from app.work_queue.kinds import WorkKind
from app.work_queue.service import enqueue


def enqueue_follow_ups(session: Session, *, deal: Deal, advance: Advance, clock: Clock) -> int:
    """Queue what the step asked for; dedupe keys make repeated polls and clicks queue nothing new."""
    queued = 0
    for request in advance.to_post:
        enqueue(session, kind=WorkKind.POST_APPROVAL_REQUEST, payload={"request_id": request.id},
                dedupe_key=f"post_approval:{request.id}", clock=clock)
        queued += 1
    for request in advance.to_withdraw:
        enqueue(session, kind=WorkKind.WITHDRAW_APPROVAL_MESSAGE, payload={"request_id": request.id},
                dedupe_key=f"withdraw_approval:{request.id}", clock=clock)
        queued += 1
    if advance.create_invoice:
        shadow = {"shadow": True} if advance.shadow else {}
        enqueue(session, kind=WorkKind.CREATE_INVOICE, payload={"deal_id": deal.id, **shadow},
                dedupe_key=f"create_invoice:{deal.id}" + (":shadow" if advance.shadow else ""), clock=clock)
        queued += 1
    return queued + queue_owner_notice(session, deal=deal, advance=advance, clock=clock)
