"""The approval decision use case: check, record, move the deal forward, and say what the request looks like now."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from app.approvals.level_service import decide_level, level_states, refusal_before_opening
from app.approvals.models import ApprovalRequest, Decision
from app.approvals.roles import role_members
from app.approvals.service import decision_for
from app.db import require, session_scope
from app.deals.models import Deal
from app.errors import InvalidTransition, NotAllowed
from app.pipeline.advance import advance_deal
from app.pipeline.approval_levels import queue_level_pings
from app.pipeline.corrections import follow_decision
from app.pipeline.follow_ups import enqueue_follow_ups
from app.pipeline.owner_notices import queue_notice_refresh
from app.pipeline.summaries import DecisionSummary, RequestSummary, summarize_decision, summarize_request
from app.runtime import Runtime
from app.work_queue.kinds import WorkKind
from app.work_queue.service import enqueue

AfterDecide = Callable[[Session, ApprovalRequest], None]
"""Run in the decision's transaction, before the deal moves forward (the approver's activation values, the lock)."""


@dataclass(frozen=True)
class DecisionMade:
    """The request after a decision, and the message that shows it (if it was posted). `decision` is the request's
    final decision; None while later levels still wait (the request then shows its levels, with its buttons)."""

    request: RequestSummary
    decision: DecisionSummary | None
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
        refusal = refusal_before_opening(session, request, actor_id=actor_id, policy=rt.policy)
        if refusal:
            raise NotAllowed(refusal)
        return summarize_request(session, request, policy=rt.policy)


def decide_request(rt: Runtime, *, request_id: int, actor_id: str, actor_name: str | None, decision: Decision,
                   comment: str | None = None, after_decide: AfterDecide | None = None) -> DecisionMade:
    """One decision per level, even with concurrent clicks (the loser gets InvalidTransition); the request is
    decided once every level approved, or at the first rejection. `after_decide` runs in the same transaction once
    the request is decided."""
    with session_scope(rt.engine) as session:
        roles = {level.role for level in level_states(session, _request(session, request_id))}
    members = {role: role_members(rt.policy, role, directory=rt.slack) for role in sorted(roles)}
    try:
        with session_scope(rt.engine) as session:
            level = decide_level(session, request_id=request_id, actor_id=actor_id, actor_name=actor_name,
                                 decision=decision, comment=comment, members_by_role=members, policy=rt.policy,
                                 clock=rt.clock)
            request = require(session, ApprovalRequest, request_id)
            if level.finished:
                if after_decide is not None:
                    after_decide(session, request)
                made = _follow_final_decision(rt, session, request)
            else:
                queue_level_pings(session, level, clock=rt.clock)
                queue_notice_refresh(session, deal_id=request.deal_id, clock=rt.clock)    # names the next role
                made = DecisionMade(request=summarize_request(session, request, policy=rt.policy), decision=None,
                                    channel=request.slack_channel, ts=request.slack_ts)
    except IntegrityError:
        raise InvalidTransition(_lost_race_message(rt, request_id)) from None
    rt.wake_worker()
    return made


def _follow_final_decision(rt: Runtime, session: Session, request: ApprovalRequest) -> DecisionMade:
    """The request is decided: move its deal (or correction) forward, in the decision's own transaction."""
    deal = require(session, Deal, request.deal_id)
    follow_decision(session, request=request, clock=rt.clock)    # a correction's own follow-up, if one
    advance = advance_deal(session, deal=deal, policy=rt.policy, clock=rt.clock)
    enqueue_follow_ups(session, deal=deal, advance=advance, clock=rt.clock)
    decided = decision_for(session, request_id=request.id)
    if decided is None:
        raise InvalidTransition(f"Approval request {request.id} has no decision after deciding it")
    return DecisionMade(request=summarize_request(session, request, policy=rt.policy),
                        decision=summarize_decision(decided), channel=request.slack_channel, ts=request.slack_ts)


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
        if decided is None:         # a level, not the request: two clicks of one person on two parallel levels
            return "Your other click on this request was recorded first, and nobody decides two levels"
    who = (decided.slack_user_name or decided.slack_user_id) if decided else "someone else"
    return f"Already {decided.decision if decided else 'decided'} by {who}"


def _request(session: Session, request_id: int) -> ApprovalRequest:
    request = session.get(ApprovalRequest, request_id)
    if request is None:
        raise InvalidTransition(f"Approval request {request_id} does not exist")
    return request
