"""What operations watch, read from the shared database at scrape time (so every web replica reports the same
numbers and workers need no metrics server): the queue by work kind, failed work by error, the throttle
waits in progress, breached SLAs and how long ago the Salesforce poll last saved its mark.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import case, func
from sqlmodel import Session, col, select

from app.exactly_once.models import SyncWatermark
from app.exception_queue.models import OPEN, ExceptionItem
from app.work_queue.models import WorkItem, WorkStatus

SALESFORCE_POLL_MARK = "salesforce.opportunity"
"""The poll's watermark row (app/intake/marks.py), saved at the end of every poll."""
THROTTLED_PREFIX = "RateLimited"


@dataclass(frozen=True, slots=True)
class KindQueue:
    kind: str
    waiting: int
    oldest: datetime | None
    throttled: int


@dataclass(frozen=True, slots=True)
class Failures:
    kind: str
    error_code: str
    count: int


@dataclass(frozen=True, slots=True)
class OperationsSnapshot:
    queues: list[KindQueue]
    failures: list[Failures]
    sla_breached: int
    poll_saved_at: datetime | None


def error_code(last_error: str | None) -> str:
    """The error's class name, as the worker records it ("RateLimited: ...", "VendorUnavailable: ...")."""
    head = (last_error or "").split(":", 1)[0].strip()
    return head if head.isidentifier() else "unknown"


def operations_snapshot(session: Session, *, now: datetime) -> OperationsSnapshot:
    waiting = col(WorkItem.status).in_([WorkStatus.QUEUED, WorkStatus.RUNNING])
    throttled = func.sum(case((col(WorkItem.last_error).like(f"{THROTTLED_PREFIX}%"), 1), else_=0))
    queues = [KindQueue(kind, int(count), oldest, int(throttled_count or 0)) for kind, count, oldest, throttled_count
              in session.exec(select(WorkItem.kind, func.count(), func.min(WorkItem.created_at), throttled)
                              .where(waiting).group_by(WorkItem.kind)).all()]
    failed_rows = session.exec(select(WorkItem.kind, WorkItem.last_error)
                               .where(WorkItem.status == WorkStatus.FAILED)).all()
    counted: dict[tuple[str, str], int] = {}
    for kind, last_error in failed_rows:
        key = (kind, error_code(last_error))
        counted[key] = counted.get(key, 0) + 1
    breached = session.exec(select(func.count()).select_from(ExceptionItem).where(
        ExceptionItem.open_marker == OPEN, col(ExceptionItem.sla_due_at) <= now)).one()
    mark = session.get(SyncWatermark, SALESFORCE_POLL_MARK)
    return OperationsSnapshot(queues=queues, failures=[Failures(k, e, n) for (k, e), n in sorted(counted.items())],
                              sla_breached=int(breached), poll_saved_at=mark.updated_at if mark else None)
