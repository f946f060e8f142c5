"""The approval decision use case: check, record, move the deal forward, and say what the request looks like now."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from app.approvals.models import ApprovalRequest, Decision
from app.approvals.roles import role_members
from app.approvals.rules import may_open_decision
from app.approvals.service import decide, decision_for
from app.db import require, session_scope
from app.deals.models import Deal
from app.errors import InvalidTransition, NotAllowed
from app.pipeline.advance import advance_deal
from app.pipeline.corrections import follow_decision
from app.pipeline.follow_ups import enqueue_follow_ups
from app.pipeline.summaries import DecisionSummary, RequestSummary, summarize_decision, summarize_request
from app.runtime import Runtime
from app.work_queue.kinds import WorkKind
from app.work_queue.service import enqueue

AfterDecide = Callable[[Session, ApprovalRequest], None]
"""Run in the decision's transaction, before the deal moves forward (the approver's activation values, the lock)."""


@dataclass(frozen=True)
class DecisionMade:
    """The decided request, its decision, and the message that shows it (if it was posted)."""

    request: RequestSummary
    decision: DecisionSummary
    channel: str | None
    ts: str | None


def check_may_open_decision(rt: Runtime, *, request_id: int, actor_id: str) -> RequestSummary:
    """From the database alone, before a reject modal opens (the web process calls no vendor): the request is
    pending and not the actor's own. Raises InvalidTransition / NotAllowed; returns the request for its title.
    Whether the actor holds the role needs Slack: `decide_request` checks it when the reason is submitted."""
    with session_scope(rt.engine) as session:
        request = _request(session, request_id)
        if request.status != "pending":
            raise InvalidTransition(f"This request is already {request.status}")
        verdict = may_open_decision(actor_id=actor_id, requester_slack_id=request.requester_slack_id)
        if not verdict.allowed:
            raise NotAllowed(verdict.reason)
        return summarize_request(session, request, policy=rt.policy)


def decide_request(rt: Runtime, *, request_id: int, actor_id: str, actor_name: str | None, decision: Decision,
                   comment: str | None = None, after_decide: AfterDecide | None = None) -> DecisionMade:
    """One decision per request, even with concurrent clicks (the loser gets InvalidTransition)."""
    with session_scope(rt.engine) as session:
        role = _request(session, request_id).role
    members = role_members(rt.policy, role, directory=rt.slack)
    try:
        with session_scope(rt.engine) as session:
            request = decide(session, request_id=request_id, actor_id=actor_id, actor_name=actor_name,
                             decision=decision, comment=comment, role_members=members, clock=rt.clock)
            if after_decide is not None:
                after_decide(session, request)
            deal = require(session, Deal, request.deal_id)
            follow_decision(session, request=request, clock=rt.clock)    # a correction's own follow-up, if one
            advance = advance_deal(session, deal=deal, policy=rt.policy, clock=rt.clock)
            enqueue_follow_ups(session, deal=deal, advance=advance, clock=rt.clock)
            decided = decision_for(session, request_id=request_id)
            if decided is None:
                raise InvalidTransition(f"Approval request {request_id} has no decision after deciding it")
            made = DecisionMade(request=summarize_request(session, request, policy=rt.policy),
                                decision=summarize_decision(decided),
                                channel=request.slack_channel, ts=request.slack_ts)
    except IntegrityError:
        raise InvalidTransition(_lost_race_message(rt, request_id)) from None
    rt.wake_worker()
    return made


def queue_redraw(rt: Runtime, *, request_id: int) -> None:
    """Have the worker show the request's current state in its message (retried like any queued work)."""
    with session_scope(rt.engine) as session:
        if session.get(ApprovalRequest, request_id) is None:     # a click naming no request: nothing to redraw
            return
        enqueue(session, kind=WorkKind.REDRAW_APPROVAL_MESSAGE, payload={"request_id": request_id}, clock=rt.clock)
    rt.wake_worker()


def _lost_race_message(rt: Runtime, request_id: int) -> str:
    with session_scope(rt.engine) as session:
        decided = decision_for(session, request_id=request_id)
    who = (decided.slack_user_name or decided.slack_user_id) if decided else "someone else"
    return f"Already {decided.decision if decided else 'decided'} by {who}"


def _request(session: Session, request_id: int) -> ApprovalRequest:
    request = session.get(ApprovalRequest, request_id)
    if request is None:
        raise InvalidTransition(f"Approval request {request_id} does not exist")
    return request
