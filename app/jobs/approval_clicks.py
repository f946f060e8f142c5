"""Approve clicks and reject reasons, decided by the worker; and `/approvals`, answered by it.

The web process recorded the click (app/slack/intents.py) and acked. Here the decision is checked in full
(the role's members come from Slack), recorded, and shown: the approval message is updated (chat.update),
a refusal is an ephemeral note to the clicker. A failed update leaves the decision standing and queues a redraw.
"""
from __future__ import annotations

import logging

from sqlmodel import Session

from app.approvals.activation import parse_credit_limit
from app.approvals.models import ApprovalRequest
from app.approvals.roles import members_by_role
from app.db import session_scope
from app.errors import IntegrationError, InvalidTransition, NotAllowed
from app.jobs.notes import respond, tell_user
from app.pipeline.activation import ActivationChoice, apply_choice
from app.pipeline.audit_identity import identify_actor
from app.pipeline.decisions import DecisionMade, decide_request, queue_redraw
from app.pipeline.summaries import summarize_request
from app.runtime import Runtime
from app.slack.blocks.approval import (
    ApprovalCard,
    approval_message,
    approval_request_blocks,
)
from app.slack.blocks.common import to_dicts
from app.slack.intents import AnswerApprovals, DecideApproval, TellUser, refusal_note
from app.slack.presenters import approval_card, decided_outcome
from app.status.pending import pending_requests

log = logging.getLogger(__name__)


def decide_approval(rt: Runtime, intent: DecideApproval) -> None:
    identify_actor(rt, slack_user_id=intent.user_id)        # the audit event then names the Salesforce user too
    try:
        choice = _activation_choice(intent)
    except ValueError as wrong:             # the listener checked it; an older form may not have
        _refuse(rt, intent, wrong)
        return

    def after_decide(session: Session, request: ApprovalRequest) -> None:
        apply_choice(session, request, choice=choice, actor=intent.user_id, actor_name=intent.user_name,
                     clock=rt.clock)
    try:
        made = decide_request(rt, request_id=intent.request_id, actor_id=intent.user_id,
                              actor_name=intent.user_name, decision=intent.decision, comment=intent.comment,
                              after_decide=after_decide)
    except NotAllowed as refusal:
        _refuse(rt, intent, refusal)
        return
    except InvalidTransition as refusal:        # decided or superseded: the clicked message may be stale
        _refuse(rt, intent, refusal)
        queue_redraw(rt, request_id=intent.request_id)
        return
    _show_outcome(rt, intent, made)


def _activation_choice(intent: DecideApproval) -> ActivationChoice | None:
    chosen = intent.activation
    if chosen is None:
        return None
    limit = parse_credit_limit(chosen.credit_limit) if chosen.credit_limit else None
    return ActivationChoice(terms=chosen.terms, credit_limit=limit, choice=chosen.customer)


def _show_outcome(rt: Runtime, intent: DecideApproval, made: DecisionMade) -> None:
    channel, ts = made.channel or intent.channel, made.ts or intent.message_ts
    if not (channel and ts):
        return
    card = approval_card(made.request, instance_url=rt.settings.salesforce_base_url)
    outcome = decided_outcome(made.decision) if made.decision else None
    text, blocks = approval_message(card, status="approved" if outcome else "pending", outcome=outcome)
    try:
        rt.slack.update_message(channel, ts, text=text, blocks=blocks)
    except IntegrationError as error:           # the decision stands; the slack lane redraws the message later
        log.warning("approval request %s: message update failed, queued a redraw: %s", intent.request_id, error)
        queue_redraw(rt, request_id=intent.request_id)


def _refuse(rt: Runtime, intent: DecideApproval, refusal: Exception) -> None:
    """An ephemeral note to the clicker, in the channel of the message (or the approvals channel from a modal)."""
    log.info("approval request %s: refused for %s: %s", intent.request_id, intent.user_id, refusal)
    tell_user(rt, TellUser(user_id=intent.user_id, text=refusal_note(refusal),
                           channel=intent.channel or rt.policy.channels.approvals))


def answer_approvals(rt: Runtime, intent: AnswerApprovals) -> None:
    """`/approvals [all]`: the pending requests the person may decide (or everyone's), with the same buttons."""
    cards, total = pending_cards(rt, intent.user_id, intent.everyone)
    if not cards:
        respond(rt, intent.response_url, text="Nothing is waiting for your decision." if not intent.everyone
                else "No approval request is pending.", response_type="ephemeral", replace_original=True)
        return
    blocks = [block for card in cards for block in to_dicts(approval_request_blocks(card))]
    more = f" (showing the oldest {len(cards)} of {total})" if total > len(cards) else ""
    respond(rt, intent.response_url, text=f"{total} approval request{'s' if total != 1 else ''} waiting{more}.",
            blocks=blocks, response_type="ephemeral", replace_original=True)


def pending_cards(rt: Runtime, user_id: str, everyone: bool) -> tuple[list[ApprovalCard], int]:
    members = members_by_role(rt.policy, directory=rt.slack)
    instance = rt.settings.salesforce_base_url
    with session_scope(rt.engine) as session:
        rows, total = pending_requests(session, user_id=user_id, members_by_role=members, everyone=everyone)
        cards = [approval_card(summarize_request(session, request, policy=rt.policy), instance_url=instance)
                 for request, _deal, _account in rows]
    return cards, total
