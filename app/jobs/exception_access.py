"""Who may change an exception, as the worker checks it (the finance team needs Slack's user groups)."""
from __future__ import annotations

from dataclasses import dataclass

from app.approvals.roles import members_by_role
from app.db import session_scope
from app.errors import InvalidTransition, NotAllowed, NotFound
from app.exception_queue import permissions, service
from app.exception_queue.digest import ItemView
from app.exception_queue.models import ExceptionStatus
from app.exception_queue.permissions import Control
from app.exception_queue.team_snapshot import record_members
from app.runtime import Runtime
from app.slack.exception_views import view_of
from app.slack.intents import BadInput

Refusal = (InvalidTransition, NotAllowed, NotFound, BadInput)
"""What a person is told (":no_entry: … Nothing was changed."), never reported as a failure."""


def finance_team(rt: Runtime) -> frozenset[str]:
    """Members of every approver role: the policy's users plus their Slack user groups (each group as read is kept
    in the database, where the web process looks before it opens the Resolve form: team_snapshot.py)."""
    return permissions.finance_team(members_by_role(rt.policy, directory=RecordingDirectory(rt)).values())


@dataclass(frozen=True)
class RecordingDirectory:
    """Slack's user groups through the runtime's cached look-ups, each answer also stored as the group's snapshot."""

    rt: Runtime

    def usergroup_members(self, group_id: str) -> list[str]:
        members = self.rt.slack.usergroup_members(group_id)
        with session_scope(self.rt.engine) as session:
            record_members(session, usergroup_id=group_id, members=members, clock=self.rt.clock)
        return members


def authorize_item(rt: Runtime, *, item_id: int, control: Control, actor: str,
                   finance: frozenset[str] | None = None) -> ItemView:
    finance = finance_team(rt) if finance is None else finance
    with session_scope(rt.engine) as session:
        item = service.authorize(session, item_id=item_id, control=control, actor=actor, finance=finance)
        if item.status != ExceptionStatus.OPEN:
            raise InvalidTransition(f"Exception {item_id} is already {item.status} by {item.resolved_by or 'someone'}")
    return view_of(rt, item_id)
