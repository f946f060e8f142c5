"""The worker's side of SLA pings: send one recorded ping, exactly once.

A retry first looks for the message an earlier attempt may have posted (its key is in the message's
metadata): a lost answer is then recorded as sent, never posted again.
"""
from __future__ import annotations

import logging
from datetime import timedelta
from functools import partial
from typing import Any

from app.approvals.roles import role_label
from app.db import session_scope
from app.exception_queue import queries, rules, sla_pings
from app.exception_queue.digest import ItemView
from app.runtime import Runtime
from app.slack.blocks.common import section
from app.slack.blocks.exceptions import item_blocks
from app.slack.blocks.format import slack_time
from app.slack.presenters import record_url

log = logging.getLogger(__name__)
CLOCK_SKEW = timedelta(minutes=10)
"""The lookup starts this long before our first try: Slack's clock and ours may differ."""


def send_sla_ping(rt: Runtime, payload: dict[str, Any]) -> None:
    with session_scope(rt.engine) as session:
        attempt = sla_pings.begin_attempt(session, ping_id=payload["ping_id"], clock=rt.clock)
        if attempt is None:
            return
        view = _view(rt, session, attempt.exception_id)
    channel = attempt.channel or _conversation(rt, attempt.recipient)
    if attempt.channel is None:
        with session_scope(rt.engine) as session:
            sla_pings.set_channel(session, ping_id=attempt.ping_id, channel=channel)
    posted = rt.slack.find_tagged(channel, event_type=sla_pings.PING_EVENT_TYPE, key=attempt.key,
                                  since=attempt.first_tried_at - CLOCK_SKEW) if attempt.retried else None
    if posted is not None:
        log.info("SLA %s for exception %s was posted by an earlier try (%s); not posting again",
                 attempt.kind, attempt.exception_id, posted.ts)
    else:
        headline = _headline(rt, attempt.kind, view)
        blocks = [section(headline), *item_blocks(view, policy=rt.policy, tz=rt.policy.zone, now=rt.clock.now())]
        posted = rt.slack.post_tagged(channel, text=f"{headline} · {view.kind_label}: "
                                      f"{view.deal_name or 'exception'} #{view.id}", blocks=blocks,
                                      event_type=sla_pings.PING_EVENT_TYPE, key=attempt.key)
    with session_scope(rt.engine) as session:
        sla_pings.mark_sent(session, ping_id=attempt.ping_id, channel=posted.channel, ts=posted.ts, clock=rt.clock)


def give_up(rt: Runtime, payload: dict[str, Any], error: BaseException) -> None:
    """The work item failed for good (Slack refused the ping itself): the ping is marked failed."""
    log.warning("SLA ping %s could not be sent: %s", payload.get("ping_id"), error)
    with session_scope(rt.engine) as session:
        sla_pings.mark_failed(session, ping_id=payload["ping_id"])


def _conversation(rt: Runtime, recipient: str) -> str:
    """The conversation to post in and to search: a user's DM has an id of its own."""
    return rt.slack.open_dm(recipient) if recipient[:1] in ("U", "W") else recipient


def _view(rt: Runtime, session, exception_id: int) -> ItemView:
    item, deal = queries.rows_by_id(session, [exception_id])[0]
    return queries.item_view(item, deal, now=rt.clock.now(), policy=rt.policy,
                             record_link=partial(record_url, rt.settings.salesforce_base_url, "Opportunity"))


def _headline(rt: Runtime, kind: rules.Ping, view: ItemView) -> str:
    due = view.sla_due_at
    if kind == rules.Ping.REMINDER:
        return f":alarm_clock: SLA due {slack_time(due)}: please handle this exception"
    if kind == rules.Ping.BREACH:
        return f":rotating_light: SLA breached ({slack_time(due)})"
    escalate_to = role_label(rt.policy, rt.policy.reminders.escalate_role)
    return f":mega: Escalated to {escalate_to}: SLA breached since {slack_time(due)}"
