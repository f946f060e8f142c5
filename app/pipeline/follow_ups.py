"""The work that follows a deal's step forward, queued in the same transaction as the step."""
from __future__ import annotations

from enum import StrEnum

from sqlmodel import Session

from app.clock import Clock
from app.deals.models import Deal
from app.exception_queue.messages import REFRESH_MESSAGE_KIND
from app.exception_queue.sla_pings import SLA_PING_KIND
from app.pipeline.advance import Advance
from app.work_queue.service import enqueue


class WorkKind(StrEnum):
    READ_OPPORTUNITIES = "read_opportunities"
    POST_APPROVAL_REQUEST = "post_approval_request"
    WITHDRAW_APPROVAL_MESSAGE = "withdraw_approval_message"
    REDRAW_APPROVAL_MESSAGE = "redraw_approval_message"
    """Show an approval request's current state in its message (after a failed chat.update, a stale click)."""
    CREATE_INVOICE = "create_invoice"
    WRITE_BACK_INVOICE = "write_back_invoice"
    ANNOUNCE_INVOICE = "announce_invoice"
    REFRESH_EXCEPTION_MESSAGE = REFRESH_MESSAGE_KIND
    """Re-render a Slack message showing exceptions after one of them closed (queued by the close)."""
    SEND_SLA_PING = SLA_PING_KIND
    """Post one recorded SLA ping (a Slack call: the Slack lane)."""


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
        enqueue(session, kind=WorkKind.CREATE_INVOICE, payload={"deal_id": deal.id},
                dedupe_key=f"create_invoice:{deal.id}", clock=clock)
        queued += 1
    return queued
