"""The dashboard's exception controls (Retry, Tag cause, Assign, Resolve with a reason), recorded exactly like the
Slack buttons: the web process checks what it can from the database, records the intent and its work item in one
transaction and answers at once; the worker checks the permission again (Slack user groups included), changes the
item, audits it with the viewer as the actor, and runs a Retry's vendor steps in their lanes.

The payloads are those of app/slack/intents.py (`ExceptionControl`, `CloseException`): the dashboard may not import
the Slack layer, so they are written out here and a test reads each one back through those models.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlmodel import Session

from app.db import session_scope
from app.exception_queue.models import ExceptionItem, ExceptionStatus
from app.exception_queue.permissions import Control, may_act, refusal
from app.exception_queue.team_snapshot import fresh_within, known_members
from app.runtime import Runtime
from app.work_queue.kinds import WorkKind
from app.work_queue.service import enqueue

ACTIONS = ("retry", "tag", "assign", "resolve")
GROUPS_TRUSTED_TO_REFUSE = timedelta(minutes=2)
"""As in Slack: a refusal needs a user-group snapshot this recent; older, the worker decides."""
_USER_ID = re.compile(r"[UW][A-Z0-9]{2,30}")
MAX_REASON = 2000


class Refused(Exception):
    """The viewer may not do this (403), or the item cannot take it (409)."""

    def __init__(self, message: str, status: int = 403) -> None:
        super().__init__(message)
        self.status = status


class BadAction(ValueError):
    """The form lacks what the action needs (400)."""


@dataclass(frozen=True, slots=True)
class Recorded:
    item_id: int
    action: str
    work_item_id: int


def control_of(action: str, form: dict[str, str]) -> Control:
    if action == "resolve":
        return Control.DISMISS if form.get("outcome") == ExceptionStatus.DISMISSED.value else Control.RESOLVE
    return {"retry": Control.RETRY, "tag": Control.TAG, "assign": Control.ASSIGN}[action]


Intent = tuple[WorkKind, dict[str, Any]]


def payload_of(action: str, *, item_id: int, actor: str, form: dict[str, str], causes: list[str]) -> Intent:
    """The intent's work kind and JSON payload (shapes of ExceptionControl / CloseException)."""
    if action == "resolve":
        reason = (form.get("reason") or "").strip()
        if not reason:
            raise BadAction("Say why: a reason is needed to resolve or dismiss from the dashboard")
        status = ExceptionStatus.DISMISSED if form.get("outcome") == "dismissed" else ExceptionStatus.RESOLVED
        return WorkKind.CLOSE_EXCEPTION, {"user_id": actor, "status": status.value, "note": reason[:MAX_REASON],
                                          "where": {"item_id": item_id}}
    control: dict[str, Any] = {"user_id": actor, "control": action, "item_id": item_id}
    if action == "tag":
        cause = (form.get("cause") or "").strip()
        if cause not in causes:
            raise BadAction(f"Pick a root cause from the list ({', '.join(causes)})")
        control["cause"] = cause
    elif action == "assign":
        owner = (form.get("owner") or "").strip()
        if not _USER_ID.fullmatch(owner):
            raise BadAction("Pick the person to assign it to (a Slack user id such as U05ANNFIN01)")
        control["owner"] = owner
    return WorkKind.EXCEPTION_CONTROL, control


def record_action(rt: Runtime, *, action: str, item_id: int, actor: str, form: dict[str, str]) -> Recorded:
    """Check, then record the intent and its work item in one transaction; the worker does the rest."""
    if action not in ACTIONS:
        raise BadAction(f"Unknown action {action[:40]!r}: use one of {', '.join(ACTIONS)}")
    causes = [cause.key for cause in rt.policy.root_causes]
    kind, payload = payload_of(action, item_id=item_id, actor=actor, form=form, causes=causes)
    with session_scope(rt.engine) as session:
        _check(rt, session, control=control_of(action, form), item_id=item_id, actor=actor)
        work = enqueue(session, kind=kind, payload=payload, clock=rt.clock)
        work_id = work.id
    rt.wake_worker()
    return Recorded(item_id=item_id, action=action, work_item_id=int(work_id or 0))


def _check(rt: Runtime, session: Session, *, control: Control, item_id: int, actor: str) -> None:
    """Refuse now what the database already decides; leave to the worker what only Slack's groups can say."""
    item = session.get(ExceptionItem, item_id)
    if item is None:
        raise Refused(f"Exception {item_id} does not exist", 404)
    if item.status != ExceptionStatus.OPEN:
        raise Refused(f"Exception {item_id} is already {item.status} by {item.resolved_by or 'someone'}", 409)
    named = frozenset(user for role in rt.policy.approver_roles.values() for user in role.users)
    groups = frozenset(role.usergroup for role in rt.policy.approver_roles.values() if role.usergroup)
    known = known_members(session, usergroup_ids=groups)
    fresh = fresh_within(known, max_age=GROUPS_TRUSTED_TO_REFUSE, now=rt.clock.now())
    finance = named | known.members
    if may_act(control, actor=actor, owner=item.owner_slack_id, finance=finance):
        return
    if not groups or fresh:
        raise Refused(refusal(control, item_id=item_id, owner=item.owner_slack_id))
