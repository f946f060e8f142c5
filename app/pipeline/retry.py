"""Retry on an exception, as steps the worker runs each in the lane of its vendor.

1. `plan_retry` (no vendor call): what to retry, the deal's Salesforce id and the queued step that failed for good.
2. `read_deal` (the Salesforce lane): re-read the deal; gate problems close themselves. `after_read` says whether
   that settled it or the failed step must run again.
3. `run_failed_step` (the lane of the step's vendor): the re-read may have queued the failed step again, and then
   its lane runs it (never two runs at once) and this waits for it; else the step runs here, once.
4. `record_outcome`: the outcome is stored on the exception (and shown on it by the caller).

No step sleeps: a vendor's "not now" (RateLimited) and "the step is queued again, not done yet" (WaitingOnWork)
are raised to the worker, which reschedules the retry's own item in its lane.
The steps are the worker's own (`Runtime.run_step`, wired at start-up), so a retried step does exactly what
the queued one does.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlmodel import Session

from app.db import session_scope
from app.deals.models import Deal
from app.errors import InvalidTransition, RateLimited, WaitingOnWork
from app.exception_queue import service as exceptions
from app.exception_queue.classify import classify_failure
from app.exception_queue.models import ExceptionStatus
from app.runtime import Runtime
from app.work_queue.kinds import WorkKind
from app.work_queue.models import WorkItem, WorkStatus

REQUEUED_WAIT = timedelta(minutes=2)
"""How long a retry waits for a failed step that its re-read queued again before it says so and stops waiting."""
REQUEUED_LOOK_SECONDS = 1.0
GONE = "the problem is gone"
STILL_THERE = "the latest Salesforce data still shows the problem"


@dataclass(frozen=True)
class FailedStep:
    kind: str
    payload: dict[str, object]
    work_item_id: int


@dataclass(frozen=True)
class RetryPlan:
    sf_id: str | None
    step: FailedStep | None


@dataclass(frozen=True)
class RetryOutcome:
    succeeded: bool
    detail: str


def plan_retry(rt: Runtime, *, item_id: int) -> RetryPlan:
    """The deal's Salesforce id (to re-read it) and the queued step that failed for good, if any."""
    with session_scope(rt.engine) as session:
        item = exceptions.get_item(session, item_id)
        if item.status != ExceptionStatus.OPEN:
            raise InvalidTransition(f"Exception {item_id} is already {item.status}")
        deal = session.get(Deal, item.deal_id) if item.deal_id else None
        work = session.get(WorkItem, item.work_item_id) if item.work_item_id else None
        step = FailedStep(work.kind, dict(work.payload), work.id) if work is not None and work.id else None
        return RetryPlan(deal.sf_id if deal else None, step)


def read_deal(rt: Runtime, *, sf_id: str) -> RetryOutcome | None:
    """Re-read the deal; None when that went through, else the failure as the retry's outcome."""
    return _attempt(rt, WorkKind.READ_OPPORTUNITIES, {"ids": [sf_id]})


def after_read(rt: Runtime, *, item_id: int, step: FailedStep | None) -> RetryOutcome | FailedStep:
    """What the re-read left: the outcome, or the step to run again."""
    if not still_open(rt, item_id):
        return RetryOutcome(True, GONE)
    if step is None:
        return RetryOutcome(False, STILL_THERE)
    return step


def run_failed_step(rt: Runtime, *, item_id: int, step: FailedStep, actor: str,
                    since: datetime) -> RetryOutcome:
    """Run the step that failed for good once more, here, unless its own queued item runs (or ran) it again.

    Raises WaitingOnWork while that item is queued or running (up to REQUEUED_WAIT after `since`), and a vendor's
    RateLimited: the worker reschedules the retry either way, without sleeping."""
    if not still_open(rt, item_id):
        return RetryOutcome(True, GONE)
    status = _work_status(rt, step.work_item_id)
    if status in (WorkStatus.QUEUED, WorkStatus.RUNNING):
        if rt.clock.now() - since < REQUEUED_WAIT:
            raise WaitingOnWork(f"work item {step.work_item_id} runs again in its lane",
                                retry_after=REQUEUED_LOOK_SECONDS)
        return RetryOutcome(False, "the step is queued again and runs by itself; retry later to see how it went")
    if status == WorkStatus.FAILED:
        failed = _attempt(rt, step.kind, dict(step.payload))
        if failed is not None:
            return failed
    _resolve_work(rt, step.work_item_id, actor=actor, note="Retry succeeded")
    open_now = still_open(rt, item_id)
    return RetryOutcome(not open_now, STILL_THERE if open_now else GONE)


def record_outcome(session: Session, rt: Runtime, *, item_id: int, actor: str, outcome: RetryOutcome) -> None:
    exceptions.record_retry(session, item_id=item_id, actor=actor, succeeded=outcome.succeeded,
                            detail=outcome.detail, clock=rt.clock)


def still_open(rt: Runtime, item_id: int) -> bool:
    with session_scope(rt.engine) as session:
        return exceptions.get_item(session, item_id).status == ExceptionStatus.OPEN


def _attempt(rt: Runtime, kind: str, payload: dict[str, object]) -> RetryOutcome | None:
    """Run one step now; its failure is the outcome the person asked for, except a vendor's "not now"."""
    try:
        rt.run_step(kind, payload)
    except RateLimited:
        raise
    except Exception as error:  # recorded on the exception and shown to the person who clicked Retry
        return RetryOutcome(False, classify_failure(error, step=kind).reason)
    return None


def _work_status(rt: Runtime, work_item_id: int) -> str:
    """The step's queue row status; a row no longer there was purged, which only happens to DONE rows."""
    with session_scope(rt.engine) as session:
        item = session.get(WorkItem, work_item_id)
        return WorkStatus.DONE if item is None else item.status


def _resolve_work(rt: Runtime, work_item_id: int, *, actor: str, note: str) -> None:
    try:
        with session_scope(rt.engine) as session:
            exceptions.resolve_for_work(session, work_item_id=work_item_id, clock=rt.clock, note=note, actor=actor)
    except InvalidTransition:   # the worker's success hook closed it first
        pass
