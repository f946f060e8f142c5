"""The durable work queue: enqueue once per dedupe key, claim with a lease, finish or retry with backoff."""
from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import func, or_, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from app.clock import Clock
from app.db import require
from app.work_queue.models import WorkItem, WorkStatus

LEASE = timedelta(minutes=5)


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


def claim_next(session: Session, *, worker_id: str, clock: Clock) -> WorkItem | None:
    """Take the oldest runnable item (or one whose lease ran out after a crash). Safe across processes."""
    now = clock.now()
    runnable = or_(col(WorkItem.status) == WorkStatus.QUEUED,
                   (col(WorkItem.status) == WorkStatus.RUNNING) & (col(WorkItem.locked_until) < now))
    candidates = session.exec(select(WorkItem.id).where(runnable, col(WorkItem.run_after) <= now)
                              .order_by(col(WorkItem.run_after), col(WorkItem.id)).limit(5)).all()
    for item_id in candidates:
        claimed = session.exec(update(WorkItem).where(col(WorkItem.id) == item_id, runnable).values(
            status=WorkStatus.RUNNING, locked_by=worker_id, locked_until=now + LEASE,
            attempts=WorkItem.attempts + 1, updated_at=now))
        if claimed.rowcount == 1:
            item = require(session, WorkItem, item_id)
            session.refresh(item)
            return item
    return None


def complete(session: Session, *, item_id: int, worker_id: str, clock: Clock) -> bool:
    """Mark done; False (nothing changed) when this worker's lease ran out and another took the item."""
    return _finish(session, item_id, worker_id=worker_id, status=WorkStatus.DONE, error=None, clock=clock)


def fail(session: Session, *, item_id: int, worker_id: str, error: str, clock: Clock,
         retry_in: timedelta | None) -> bool:
    """Record a failure: queued again after `retry_in`, or FAILED for good when it is None.

    Only the lease holder may: a worker that lost its lease must not requeue someone else's run.
    """
    if retry_in is None:
        return _finish(session, item_id, worker_id=worker_id, status=WorkStatus.FAILED, error=error, clock=clock)
    item = _held(session, item_id, worker_id)
    if item is None:
        return False
    item.status, item.last_error = WorkStatus.QUEUED, error[:4000]
    item.run_after = clock.now() + retry_in
    item.locked_by = item.locked_until = None
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
    return session.exec(statement).one()


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
