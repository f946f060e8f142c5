"""A level of an approval request just opened: its approvers hear it in the request's thread and by DM.

Each DM is a keyed Slack message (posted once, even when a retry follows a lost answer); the thread reply comes
last, so a retry after a failed DM does not repeat it.
"""
from __future__ import annotations

import logging
from typing import Any

from sqlmodel import Session

from app.approvals.level_service import level_states, requesters, submitters
from app.approvals.levels import LevelState, deciders
from app.approvals.models import ApprovalRequest, ApprovalStatus
from app.approvals.roles import role_label, role_members
from app.db import persisted_id, session_scope
from app.deals.models import Deal
from app.exactly_once.slack_posts import ensure_post
from app.jobs.keyed_posts import Shown, show_post
from app.runtime import Runtime
from app.slack.blocks.common import section
from app.slack.blocks.levels import LevelLine, level_dm_text, level_ping_text

log = logging.getLogger(__name__)
LEVEL_PING_KIND = "level_ping"


def ping_approval_level(rt: Runtime, payload: dict[str, Any]) -> None:
    request_id, position = int(payload["request_id"]), int(payload["position"])
    with session_scope(rt.engine) as session:
        request = session.get(ApprovalRequest, request_id)
        if request is None or request.status != ApprovalStatus.PENDING:
            return                                  # decided, superseded or expired meanwhile: nobody to ping
        levels = {level.position: level for level in level_states(session, request)}
        excluded = {who for who in requesters(request) + submitters(request) if who} | deciders(tuple(levels.values()))
        deal_name, thread = _deal_name(session, request), (request.slack_channel, request.slack_ts)
    waiting, decided = levels.get(position), levels.get(int(payload.get("after_position", 0)))
    if waiting is None:
        return
    people = sorted(role_members(rt.policy, waiting.role, directory=rt.slack) - excluded)
    line = _line(rt, waiting)
    for person in people:
        _dm(rt, request_id=request_id, position=position, person=person,
            text=level_dm_text(deal_name=deal_name, level=line, channel=thread[0]))
    channel, ts = thread
    if channel and ts and decided is not None:
        rt.slack.post_message(channel, thread_ts=ts, text=level_ping_text(
            deal_name=deal_name, decided=_line(rt, decided), waiting=(line,),
            approvers=tuple(f"<@{person}>" for person in people)))


def _dm(rt: Runtime, *, request_id: int, position: int, person: str, text: str) -> None:
    with session_scope(rt.engine) as session:
        post_id = persisted_id(ensure_post(session, key=f"{LEVEL_PING_KIND}:{request_id}:{position}:{person}",
                                           kind=LEVEL_PING_KIND, clock=rt.clock))
    shown = Shown(text, [section(text)])
    show_post(rt, post_id=post_id, render=lambda _session, _channel: shown,
              channel_for=lambda: rt.slack.open_dm(person))


def _line(rt: Runtime, level: LevelState) -> LevelLine:
    return LevelLine(position=level.position, role_label=role_label(rt.policy, level.role), status=level.status,
                     decider_slack_id=level.decided_by, decider_name=level.decided_by_name,
                     decided_at=level.decided_at)


def _deal_name(session: Session, request: ApprovalRequest) -> str:
    deal = session.get(Deal, request.deal_id)
    return deal.name if deal is not None else "a deal"
