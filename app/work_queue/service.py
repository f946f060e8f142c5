"""The durable work queue: enqueue once per dedupe key, claim with a lease, finish or retry with backoff."""
from __future__ import annotations

from collections.abc import Collection
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, func, or_, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from app.clock import Clock
from app.db import require
from app.work_queue.models import WorkItem, WorkStatus

LEASE = timedelta(seconds=20)
"""Short, because a running item's worker renews it every HEARTBEAT: a crashed worker's items are free again
within LEASE (and at once when a worker on the same host sees that the holder's process is gone)."""
HEARTBEAT = timedelta(seconds=5)
FINISHED_WORK_KEPT = timedelta(days=7)


def enqueue(session: Session, *, kind: str, payload: dict[str, Any], clock: Clock,
            dedupe_key: str | None = None, delay: timedelta = timedelta(0)) -> WorkItem:
    """Add work. With a dedupe key the same work is queued once; a FAILED item with that key is requeued."""
    if dedupe_key is not None:
        existing = session.exec(select(WorkItem).where(WorkItem.dedupe_key == dedupe_key)).first()
        if existing is not None:
            return _requeue_failed(session, existing, clock=clock)
    now = clock.now()
    item = WorkItem(kind=kind, payload=payload, dedupe_key=dedupe_key, run_after=now + delay,
                    created_at=now, updated_at=now)
    try:
        with session.begin_nested():
            session.add(item)
    except IntegrityError:       # another transaction queued the same key first: theirs stands
        return session.exec(select(WorkItem).where(WorkItem.dedupe_key == dedupe_key)).one()
    return item


def claim_next(session: Session, *, worker_id: str, clock: Clock, kinds: Collection[str] | None = None,
               lease: timedelta = LEASE, running: Collection[int] = ()) -> WorkItem | None:
    """Take the oldest runnable item (or one whose lease ran out after a crash). Safe across processes.

    `kinds` restricts the claim to one lane's kinds, so a lane waiting on a vendor never holds up another.
    `running` are the ids the claiming process runs right now: never taken twice, whatever the lease says."""
    now = clock.now()
    runnable = or_(col(WorkItem.status) == WorkStatus.QUEUED,
                   (col(WorkItem.status) == WorkStatus.RUNNING) & (col(WorkItem.locked_until) < now))
    statement = select(WorkItem.id).where(runnable, col(WorkItem.run_after) <= now)
    if kinds is not None:
        statement = statement.where(col(WorkItem.kind).in_(sorted(kinds)))
    if running:
        statement = statement.where(col(WorkItem.id).not_in(sorted(running)))
    candidates = session.exec(statement.order_by(col(WorkItem.run_after), col(WorkItem.id)).limit(5)).all()
    for item_id in candidates:
        claimed = session.exec(update(WorkItem).where(col(WorkItem.id) == item_id, runnable).values(
            status=WorkStatus.RUNNING, locked_by=worker_id, locked_until=now + lease,
            attempts=WorkItem.attempts + 1, updated_at=now))
        if claimed.rowcount == 1:
            item = require(session, WorkItem, item_id)
            session.refresh(item)
            return item
    return None


def claim_more(session: Session, *, worker_id: str, clock: Clock, kind: str, count: int,
               lease: timedelta = LEASE, running: Collection[int] = ()) -> list[WorkItem]:
    """Up to `count` more runnable items of one kind at once (a batch), in one UPDATE: two workers claiming
    together never split a backlog between them item by item (on PostgreSQL the second waits for the first's
    rows, then finds them taken and claims none of them)."""
    if count < 1:
        return []
    now = clock.now()
    runnable = or_(col(WorkItem.status) == WorkStatus.QUEUED,
                   (col(WorkItem.status) == WorkStatus.RUNNING) & (col(WorkItem.locked_until) < now))
    statement = select(WorkItem.id).where(runnable, col(WorkItem.run_after) <= now, col(WorkItem.kind) == kind)
    if running:
        statement = statement.where(col(WorkItem.id).not_in(sorted(running)))
    candidates = session.exec(statement.order_by(col(WorkItem.run_after), col(WorkItem.id)).limit(count)).all()
    if not candidates:
        return []
    session.exec(update(WorkItem).where(col(WorkItem.id).in_(candidates), runnable).values(
        status=WorkStatus.RUNNING, locked_by=worker_id, locked_until=now + lease,
        attempts=WorkItem.attempts + 1, updated_at=now))
    claimed = select(WorkItem).where(col(WorkItem.id).in_(candidates), WorkItem.locked_by == worker_id,
                                     WorkItem.status == WorkStatus.RUNNING)
    items = list(session.exec(claimed.order_by(col(WorkItem.run_after), col(WorkItem.id)).execution_options(
        populate_existing=True)).all())
    return items


def renew_leases(session: Session, *, worker_id: str, item_ids: Collection[int], clock: Clock,
                 lease: timedelta = LEASE) -> int:
    """The heartbeat: items this worker is still running keep their lease; returns how many were renewed."""
    if not item_ids:
        return 0
    now = clock.now()
    renewed = session.exec(update(WorkItem).where(
        col(WorkItem.id).in_(sorted(item_ids)), col(WorkItem.locked_by) == worker_id,
        col(WorkItem.status) == WorkStatus.RUNNING).values(locked_until=now + lease))
    return int(renewed.rowcount or 0)


def release_leases_of(session: Session, *, worker_ids: Collection[str], clock: Clock) -> int:
    """Items held by workers known to be dead become claimable now instead of when their lease runs out."""
    if not worker_ids:
        return 0
    released = session.exec(update(WorkItem).where(
        col(WorkItem.locked_by).in_(sorted(worker_ids)), col(WorkItem.status) == WorkStatus.RUNNING)
        .values(status=WorkStatus.QUEUED, locked_by=None, locked_until=None, updated_at=clock.now()))
    return int(released.rowcount or 0)


def running_holders(session: Session) -> list[str]:
    """The worker ids holding RUNNING items (to look for dead ones)."""
    statement = select(WorkItem.locked_by).where(WorkItem.status == WorkStatus.RUNNING).distinct()
    return [holder for holder in session.exec(statement).all() if holder]


def complete(session: Session, *, item_id: int, worker_id: str, clock: Clock) -> bool:
    """Mark done; False (nothing changed) when this worker's lease ran out and another took the item."""
    return _finish(session, item_id, worker_id=worker_id, status=WorkStatus.DONE, error=None, clock=clock)


def fail(session: Session, *, item_id: int, worker_id: str, error: str, clock: Clock,
         retry_in: timedelta | None, count_attempt: bool = True) -> bool:
    """Record a failure: queued again after `retry_in`, or FAILED for good when it is None.

    Only the lease holder may: a worker that lost its lease must not requeue someone else's run.
    `count_attempt=False` is for a vendor's "not now" (429): waiting is not failing, so it does not use up
    one of the item's attempts.
    """
    if retry_in is None:
        return _finish(session, item_id, worker_id=worker_id, status=WorkStatus.FAILED, error=error, clock=clock)
    item = _held(session, item_id, worker_id)
    if item is None:
        return False
    item.status, item.last_error = WorkStatus.QUEUED, error[:4000]
    item.run_after = clock.now() + retry_in
    item.locked_by = item.locked_until = None
    if not count_attempt:
        item.attempts = max(item.attempts - 1, 0)
    item.updated_at = clock.now()
    session.add(item)
    session.flush()
    return True


def backoff(attempts: int) -> timedelta:
    """2, 4, 8 ... seconds, at most 5 minutes."""
    return timedelta(seconds=min(2 ** max(attempts, 1), 300))


def pending_count(session: Session) -> int:
    statement = select(func.count()).select_from(WorkItem).where(
        col(WorkItem.status).in_([WorkStatus.QUEUED, WorkStatus.RUNNING]))
    return int(session.exec(statement).one())


def _requeue_failed(session: Session, item: WorkItem, *, clock: Clock) -> WorkItem:
    if item.status == WorkStatus.FAILED:
        item.status, item.attempts, item.run_after = WorkStatus.QUEUED, 0, clock.now()
        item.updated_at = clock.now()
        session.add(item)
        session.flush()
    return item


def _held(session: Session, item_id: int, worker_id: str) -> WorkItem | None:
    item = session.get(WorkItem, item_id, with_for_update=True)
    return item if item is not None and item.locked_by == worker_id else None


def _finish(session: Session, item_id: int, *, worker_id: str, status: WorkStatus, error: str | None,
            clock: Clock) -> bool:
    item = _held(session, item_id, worker_id)
    if item is None:
        return False
    item.status, item.last_error = status, (error or None) and error[:4000]
    item.locked_by = item.locked_until = None
    item.updated_at = clock.now()
    session.add(item)
    session.flush()
    return True


def purge_finished(session: Session, *, older_than: datetime) -> int:
    """Delete DONE items last touched before `older_than` (ticks and finished work pile up otherwise).

    FAILED items stay: each may back an open exception that a person retries."""
    deleted = session.exec(delete(WorkItem).where(col(WorkItem.status) == WorkStatus.DONE,
                                                  col(WorkItem.updated_at) < older_than))
    return int(deleted.rowcount or 0)
