"""Who may change an exception, as the worker checks it (the finance team needs Slack's user groups)."""
from __future__ import annotations

from app.approvals.roles import members_by_role
from app.db import session_scope
from app.errors import InvalidTransition, NotAllowed, NotFound
from app.exception_queue import permissions, service
from app.exception_queue.digest import ItemView
from app.exception_queue.models import ExceptionStatus
from app.exception_queue.permissions import Control
from app.runtime import Runtime
from app.slack.exception_views import view_of
from app.slack.intents import BadInput

Refusal = (InvalidTransition, NotAllowed, NotFound, BadInput)
"""What a person is told (":no_entry: … Nothing was changed."), never reported as a failure."""


def finance_team(rt: Runtime) -> frozenset[str]:
    """Members of every approver role: the policy's users plus their Slack user groups."""
    return permissions.finance_team(members_by_role(rt.policy, directory=rt.slack).values())


def authorize_item(rt: Runtime, *, item_id: int, control: Control, actor: str,
                   finance: frozenset[str] | None = None) -> ItemView:
    finance = finance_team(rt) if finance is None else finance
    with session_scope(rt.engine) as session:
        item = service.authorize(session, item_id=item_id, control=control, actor=actor, finance=finance)
        if item.status != ExceptionStatus.OPEN:
            raise InvalidTransition(f"Exception {item_id} is already {item.status} by {item.resolved_by or 'someone'}")
    return view_of(rt, item_id)
