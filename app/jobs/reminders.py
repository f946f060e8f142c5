"""SLA pings: a DM to the owner before breach, a channel post on breach, an escalation after. Never twice.

Each ping is claimed first (its *_at column set in a committed conditional UPDATE) and sent after the
commit, so a crash or a second scheduler can lose a ping but never send one twice.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from functools import partial

from app.approvals.roles import role_label, role_members
from app.db import session_scope
from app.deals.models import Deal
from app.errors import IntegrationError
from app.exception_queue import queries, rules
from app.exception_queue.digest import ItemView
from app.exception_queue.models import ExceptionItem
from app.exception_queue.service import claim_pings
from app.links import record_url
from app.runtime import Runtime
from app.slack.blocks.common import section
from app.slack.blocks.exceptions import item_blocks
from app.slack.blocks.format import when

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Claimed:
    view: ItemView
    pings: tuple[rules.Ping, ...]
    rep_email: str | None


def run_reminders(rt: Runtime) -> int:
    """Send every ping that is due now; returns how many messages went out."""
    now = rt.clock.now()
    with session_scope(rt.engine) as session:
        due = [(item.id, plan) for item in queries.needing_pings(session, now=now, policy=rt.policy)
               if item.id is not None and (plan := rules.plan_pings(_state(item), now=now, policy=rt.policy)).settle]
    sent = 0
    for item_id, plan in due:
        claimed = _claim(rt, item_id, plan)
        if claimed is None:
            continue
        for ping in claimed.pings:
            sent += _send(rt, ping, claimed)
    return sent


def _state(item: ExceptionItem) -> rules.PingState:
    return rules.PingState(sla_due_at=item.sla_due_at, reminded_before_at=item.reminded_before_at,
                           breach_posted_at=item.breach_posted_at, escalated_at=item.escalated_at)


def _claim(rt: Runtime, item_id: int, plan: rules.PingPlan) -> Claimed | None:
    with session_scope(rt.engine) as session:
        claimed = claim_pings(session, item_id=item_id, pings=plan.settle, clock=rt.clock)
        to_send = tuple(ping for ping in claimed if ping in plan.send)
        if not to_send:
            return None
        item, deal = queries.rows_by_id(session, [item_id])[0]
        view = queries.item_view(item, deal, now=rt.clock.now(), policy=rt.policy,
                                 record_link=partial(record_url, rt.settings.salesforce_base_url, "Opportunity"))
        return Claimed(view=view, pings=to_send, rep_email=deal.owner_email if isinstance(deal, Deal) else None)


def _send(rt: Runtime, ping: rules.Ping, claimed: Claimed) -> int:
    view, tz = claimed.view, rt.policy.zone
    headline = {rules.Ping.REMINDER: f":alarm_clock: SLA due {when(view.sla_due_at, tz)}: please handle this exception",
                rules.Ping.BREACH: f":rotating_light: SLA breached ({when(view.sla_due_at, tz)})",
                rules.Ping.ESCALATION: ":mega: Escalated to "
                                f"{role_label(rt.policy, rt.policy.reminders.escalate_role)}: "
                                       f"SLA breached since {when(view.sla_due_at, tz)}"}[ping]
    blocks = [section(headline), *item_blocks(view, policy=rt.policy, tz=tz, now=rt.clock.now())]
    text = f"{headline} · {view.kind_label}: {view.deal_name or 'exception'} #{view.id}"
    sent = 0
    for channel in _recipients(rt, ping, claimed):
        try:
            rt.slack.post_message(channel, text=text, blocks=blocks)
            sent += 1
        except IntegrationError as error:       # claimed already: logged, never retried into a double ping
            log.warning("SLA %s for exception %s to %s failed: %s", ping, view.id, channel, error)
    return sent


def _recipients(rt: Runtime, ping: rules.Ping, claimed: Claimed) -> list[str]:
    if ping == rules.Ping.BREACH:
        return [rt.policy.channels.exceptions]
    if ping == rules.Ping.ESCALATION:
        members = sorted(role_members(rt.policy, rt.policy.reminders.escalate_role, directory=rt.slack))
        return members or [rt.policy.channels.exceptions]
    if claimed.view.owner_slack_id:
        return [claimed.view.owner_slack_id]
    rep = rt.slack.lookup_user_by_email(claimed.rep_email) if claimed.rep_email else None
    return [rep.id] if rep else [rt.policy.channels.exceptions]
