"""Exception use cases: open once, auto-resolve, assign, tag, resolve, dismiss, count retries. Audited; no commits."""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from sqlalchemy import update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from app.audit.service import Links, record_event
from app.clock import Clock
from app.db import persisted_id
from app.errors import InvalidTransition, NotAllowed, NotFound
from app.exception_queue import feed, permissions, rules
from app.exception_queue.classify import FIXES
from app.exception_queue.messages import queue_message_refresh
from app.exception_queue.models import OPEN, ExceptionItem, ExceptionStatus
from app.policy import ExceptionKind, Policy

SYSTEM = "system"
RETRY_RESULT_LIMIT = 1000
FIXED_AT_SOURCE = "Fixed at the source: the latest Salesforce read no longer shows this problem"
_PING_COLUMNS = {rules.Ping.REMINDER: "reminded_before_at", rules.Ping.BREACH: "breach_posted_at",
                 rules.Ping.ESCALATION: "escalated_at"}


class GateProblem(Protocol):
    @property
    def code(self) -> str: ...
    @property
    def message(self) -> str: ...


@dataclass(frozen=True, slots=True, kw_only=True)
class NewException:
    kind: ExceptionKind
    dedupe_key: str
    reason: str
    fix: str
    deal_id: int | None = None
    account_id: int | None = None
    work_item_id: int | None = None
    code: str | None = None
    """The problem's stable code ("missing_field:po_number"): it picks the suggested root cause."""


@dataclass(frozen=True, slots=True)
class SyncResult:
    opened: tuple[ExceptionItem, ...]
    resolved: tuple[ExceptionItem, ...]


def get_item(session: Session, item_id: int) -> ExceptionItem:
    item = session.get(ExceptionItem, item_id)
    if item is None:
        raise NotFound(f"Exception {item_id} does not exist")
    return item


def find_open(session: Session, dedupe_key: str) -> ExceptionItem | None:
    statement = select(ExceptionItem).where(ExceptionItem.dedupe_key == dedupe_key, ExceptionItem.open_marker == OPEN)
    return session.exec(statement).first()


def open_exception(session: Session, *, new: NewException, policy: Policy, clock: Clock) -> ExceptionItem:
    """Open the problem unless it is already open (then refresh its words). Concurrent openers get one row."""
    existing = find_open(session, new.dedupe_key)
    if existing is not None:
        return _refresh(session, existing, new, clock)
    now = clock.now()
    item = ExceptionItem(kind=new.kind, dedupe_key=new.dedupe_key, deal_id=new.deal_id, account_id=new.account_id,
                         reason=new.reason, fix=new.fix, created_at=now, work_item_id=new.work_item_id,
                         sla_due_at=rules.sla_due_at(opened_at=now, kind=new.kind, policy=policy),
                         suggested_root_cause=rules.suggested_cause(new.kind, policy, new.code))
    try:
        with session.begin_nested():
            session.add(item)
    except IntegrityError:          # another transaction opened the same problem first: theirs stands
        theirs = find_open(session, new.dedupe_key)
        if theirs is None:          # ...and has closed it again since: nothing to refresh, the conflict stands
            raise
        return _refresh(session, theirs, new, clock)
    _audit(session, item, "exception.opened", actor=SYSTEM, clock=clock,
           details={"kind": item.kind, "dedupe_key": item.dedupe_key, "reason": item.reason,
                    "sla_due_at": item.sla_due_at, "suggested_root_cause": item.suggested_root_cause},
           after={"status": item.status, "owner": item.owner_slack_id, "reason": item.reason})
    feed.queue_flush(session, item=item, clock=clock)
    return item


def sync_deal_exceptions(session: Session, *, deal_id: int, account_id: int | None, problems: Sequence[GateProblem],
                         rejection: str | None, policy: Policy, clock: Clock) -> SyncResult:
    """Open one exception per gate problem (and per rejection); resolve those Salesforce no longer shows."""
    wanted = {rules.gate_key(deal_id, problem.code): _gate_exception(deal_id, account_id, problem)
              for problem in problems}
    if rejection is not None:
        wanted[rules.rejection_key(deal_id)] = NewException(
            kind=ExceptionKind.APPROVAL_REJECTED, dedupe_key=rules.rejection_key(deal_id), deal_id=deal_id,
            account_id=account_id, reason=rejection, fix=FIXES[ExceptionKind.APPROVAL_REJECTED])
    resolved = tuple(close(session, item_id=persisted_id(item), status=ExceptionStatus.RESOLVED, actor=SYSTEM,
                           note=FIXED_AT_SOURCE, clock=clock)
                     for item in _synced_open(session, deal_id) if item.dedupe_key not in wanted)
    opened = tuple(open_exception(session, new=new, policy=policy, clock=clock) for new in wanted.values())
    return SyncResult(opened=opened, resolved=resolved)


def resolve_for_work(session: Session, *, work_item_id: int, note: str, clock: Clock,
                     actor: str = SYSTEM) -> list[ExceptionItem]:
    """The failed step has now succeeded: its open exceptions are resolved (by `actor` when a Retry did it)."""
    statement = select(ExceptionItem).where(ExceptionItem.work_item_id == work_item_id,
                                            ExceptionItem.open_marker == OPEN)
    return [close(session, item_id=persisted_id(item), status=ExceptionStatus.RESOLVED, actor=actor, note=note,
                  clock=clock) for item in session.exec(statement).all()]


def authorize(session: Session, *, item_id: int, control: permissions.Control, actor: str,
              finance: frozenset[str]) -> ExceptionItem:
    """The item, if `actor` may use `control` on it; else NotAllowed (nothing changes, nothing is audited)."""
    item = get_item(session, item_id)
    if not permissions.may_act(control, actor=actor, owner=item.owner_slack_id, finance=finance):
        raise NotAllowed(permissions.refusal(control, item_id=item_id, owner=item.owner_slack_id))
    return item


def assign(session: Session, *, item_id: int, owner_slack_id: str, actor: str, clock: Clock) -> ExceptionItem:
    item = _open_item(session, item_id)
    previous, item.owner_slack_id = item.owner_slack_id, owner_slack_id
    session.add(item)
    _audit(session, item, "exception.assigned", actor=actor, clock=clock,
           details={"owner": owner_slack_id, "previous_owner": previous},
           before={"owner": previous}, after={"owner": owner_slack_id})
    feed.queue_refresh(session, item=item, clock=clock)
    return item


def tag_cause(session: Session, *, item_id: int, cause: str, actor: str, policy: Policy,
              clock: Clock) -> ExceptionItem:
    known = [root.key for root in policy.root_causes]
    if cause not in known:
        raise InvalidTransition(f"'{cause}' is not a root cause in the policy; use one of {', '.join(known)}")
    item = _open_item(session, item_id)
    previous, item.root_cause = item.root_cause, cause
    session.add(item)
    _audit(session, item, "exception.tagged", actor=actor, clock=clock,
           details={"root_cause": cause, "previous_root_cause": previous},
           before={"root_cause": previous}, after={"root_cause": cause})
    feed.queue_refresh(session, item=item, clock=clock)
    return item


def close(session: Session, *, item_id: int, status: ExceptionStatus, actor: str, note: str | None,
          clock: Clock) -> ExceptionItem:
    """Resolve or dismiss, with who and why. Dismissing needs a reason; the suggested cause is kept if none.
    A Slack message tracked for the item is queued for a refresh in the same transaction."""
    if status == ExceptionStatus.OPEN:
        raise InvalidTransition("close() resolves or dismisses; it cannot reopen")
    why = (note or "").strip()
    if status == ExceptionStatus.DISMISSED and not why:
        raise InvalidTransition("Say why you dismiss it: /exceptions dismiss <id> <reason>")
    item = _open_item(session, item_id)
    item.status, item.open_marker = status, None
    item.resolved_by, item.resolved_at, item.resolution = actor, clock.now(), why or "Resolved"
    item.root_cause = item.root_cause or item.suggested_root_cause
    session.add(item)
    session.flush()
    action = "exception.auto_resolved" if actor == SYSTEM else f"exception.{status.value}"
    _audit(session, item, action, actor=actor, clock=clock,
           details={"status": status.value, "why": item.resolution, "root_cause": item.root_cause},
           before={"status": ExceptionStatus.OPEN.value},
           after={"status": status.value, "resolution": item.resolution, "root_cause": item.root_cause})
    queue_message_refresh(session, item=item, clock=clock)
    feed.queue_refresh(session, item=item, clock=clock)
    return item


def record_retry(session: Session, *, item_id: int, actor: str, succeeded: bool, detail: str,
                 clock: Clock) -> ExceptionItem:
    """Count the retry and keep its outcome beside the reason (which stays what the problem is)."""
    item = get_item(session, item_id)
    item.retry_count += 1
    item.last_retry_at, item.last_retry_by = clock.now(), actor
    item.last_retry_result = ("succeeded" if succeeded else f"still failing — {detail}")[:RETRY_RESULT_LIMIT]
    session.add(item)
    _audit(session, item, "exception.retried", actor=actor, clock=clock,
           details={"succeeded": succeeded, "detail": detail[:1000], "retry_count": item.retry_count})
    feed.queue_refresh(session, item=item, clock=clock)
    return item


def claim_pings(session: Session, *, item_id: int, pings: Sequence[rules.Ping], clock: Clock) -> list[rules.Ping]:
    """Mark each ping sent, only if nobody did yet (a conditional UPDATE): the caller sends only what it claimed."""
    claimed = []
    for ping in pings:
        column = getattr(ExceptionItem, _PING_COLUMNS[ping])
        result = session.exec(update(ExceptionItem).where(
            col(ExceptionItem.id) == item_id, col(column).is_(None), col(ExceptionItem.open_marker) == OPEN,
        ).values({_PING_COLUMNS[ping]: clock.now()}))
        if result.rowcount == 1:
            claimed.append(ping)
    return claimed


def _gate_exception(deal_id: int, account_id: int | None, problem: GateProblem) -> NewException:
    kind = rules.kind_of_code(problem.code)
    return NewException(kind=kind, dedupe_key=rules.gate_key(deal_id, problem.code), deal_id=deal_id,
                        account_id=account_id, reason=problem.message, fix=FIXES[kind], code=problem.code)


def _synced_open(session: Session, deal_id: int) -> list[ExceptionItem]:
    """Open exceptions that the deal's own data decides (gate problems, rejections), not failed work."""
    statement = select(ExceptionItem).where(ExceptionItem.deal_id == deal_id, ExceptionItem.open_marker == OPEN)
    prefix, rejection = rules.gate_key_prefix(deal_id), rules.rejection_key(deal_id)
    return [item for item in session.exec(statement).all()
            if item.dedupe_key.startswith(prefix) or item.dedupe_key == rejection]


def _open_item(session: Session, item_id: int) -> ExceptionItem:
    item = get_item(session, item_id)
    if item.status != ExceptionStatus.OPEN:
        raise InvalidTransition(f"Exception {item_id} is already {item.status} by {item.resolved_by or 'someone'}")
    return item


def _refresh(session: Session, item: ExceptionItem, new: NewException, clock: Clock) -> ExceptionItem:
    if item.reason != new.reason or (new.work_item_id and item.work_item_id != new.work_item_id):
        item.reason = new.reason
        item.work_item_id = new.work_item_id or item.work_item_id
        session.add(item)
        session.flush()
        feed.queue_refresh(session, item=item, clock=clock)
    return item


def _audit(session: Session, item: ExceptionItem, action: str, *, actor: str, clock: Clock, details: dict,
           before: dict | None = None, after: dict | None = None) -> None:
    session.flush()
    record_event(session, actor=actor, action=action, subject_type="exception", subject_id=persisted_id(item),
                 details={"deal_id": item.deal_id, **details}, clock=clock, before=before, after=after,
                 links=Links(deal_id=item.deal_id, exception_id=persisted_id(item)))
