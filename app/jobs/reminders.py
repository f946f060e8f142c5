"""SLA pings: a DM to the owner before breach, a channel post on breach, an escalation after.

At least once and never twice: this tick decides which pings are due and, in the same transaction,
records each one and queues its sending (app/exception_queue/sla_pings.py); the worker sends them
(app/jobs/sla_pings.py). Recipients are looked up in Slack first: when Slack cannot answer, nothing is
decided and the next tick tries again.
"""
from __future__ import annotations

import logging

from app.approvals.roles import role_members
from app.db import session_scope
from app.deals.models import Deal
from app.errors import IntegrationError
from app.exception_queue import queries, rules
from app.exception_queue.models import ExceptionItem
from app.exception_queue.sla_pings import record_due
from app.runtime import Runtime

log = logging.getLogger(__name__)


def run_reminders(rt: Runtime) -> int:
    """Record every ping that is due now (the worker sends them); returns how many were recorded."""
    now = rt.clock.now()
    with session_scope(rt.engine) as session:
        due = []
        for item in queries.needing_pings(session, now=now, policy=rt.policy):
            plan = rules.plan_pings(_state(item), now=now, policy=rt.policy)
            if plan.settle and item.id is not None:
                deal = session.get(Deal, item.deal_id) if item.deal_id else None
                due.append((item.id, plan, item.owner_slack_id, deal.owner_email if deal else None))
    recorded = 0
    for item_id, plan, owner, rep_email in due:
        try:
            recipients = {ping: _recipients(rt, ping, owner, rep_email) for ping in plan.send}
        except IntegrationError as error:
            log.warning("SLA pings for exception %s wait for the next tick: %s", item_id, error)
            continue
        with session_scope(rt.engine) as session:
            recorded += len(record_due(session, item_id=item_id, settle=plan.settle, recipients=recipients,
                                       clock=rt.clock))
    if recorded:
        rt.wake_worker()
    return recorded


def _state(item: ExceptionItem) -> rules.PingState:
    return rules.PingState(sla_due_at=item.sla_due_at, reminded_before_at=item.reminded_before_at,
                           breach_posted_at=item.breach_posted_at, escalated_at=item.escalated_at)


def _recipients(rt: Runtime, ping: rules.Ping, owner: str | None, rep_email: str | None) -> list[str]:
    if ping == rules.Ping.BREACH:
        return [rt.policy.channels.exceptions]
    if ping == rules.Ping.ESCALATION:
        members = sorted(role_members(rt.policy, rt.policy.reminders.escalate_role, directory=rt.slack))
        return members or [rt.policy.channels.exceptions]
    if owner:
        return [owner]
    rep = rt.slack.lookup_user_by_email(rep_email) if rep_email else None
    return [rep.id] if rep else [rt.policy.channels.exceptions]
