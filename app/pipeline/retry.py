"""Retry on an exception: re-read its deal from Salesforce (gate problems close themselves), then re-run the
step that failed for good, if any. Called by the Retry button; the outcome is stored on the item and shown there.

The steps are the worker's own (`Runtime.run_step`, wired at start-up), so a retried step does exactly what
the queued one does.
"""
from __future__ import annotations

import time
from dataclasses import dataclass

from app.db import require, session_scope
from app.deals.models import Deal
from app.errors import InvalidTransition
from app.exception_queue import service as exceptions
from app.exception_queue.classify import classify_failure
from app.exception_queue.models import ExceptionStatus
from app.runtime import Runtime
from app.work_queue.kinds import WorkKind
from app.work_queue.models import WorkItem, WorkStatus

RETRY_WAIT_SECONDS = 10.0


@dataclass(frozen=True)
class FailedStep:
    kind: str
    payload: dict[str, object]
    work_item_id: int


@dataclass(frozen=True)
class RetryOutcome:
    succeeded: bool
    detail: str


def retry_exception(rt: Runtime, *, item_id: int, actor: str) -> RetryOutcome:
    sf_id, step = _what_to_retry(rt, item_id)
    try:
        if sf_id:
            rt.run_step(WorkKind.READ_OPPORTUNITIES, {"ids": [sf_id]})
        if step is not None and _still_open(rt, item_id):
            status = _wait_if_requeued(rt, step.work_item_id)
            if status is None:                             # still FAILED: run the step here, right now
                rt.run_step(step.kind, dict(step.payload))
            if status in (None, WorkStatus.DONE):          # the queue row may stay FAILED; its step is done
                _resolve_work(rt, step.work_item_id, actor=actor, note="Retry succeeded")
    except Exception as error:  # the failure is the result the person asked for: recorded and shown
        failed_step = step.kind if step else WorkKind.READ_OPPORTUNITIES
        outcome = RetryOutcome(False, classify_failure(error, step=failed_step).reason)
    else:
        open_now = _still_open(rt, item_id)
        outcome = RetryOutcome(not open_now, "the latest Salesforce data still shows the problem"
                               if open_now else "the problem is gone")
    with session_scope(rt.engine) as session:
        exceptions.record_retry(session, item_id=item_id, actor=actor, succeeded=outcome.succeeded,
                                detail=outcome.detail, clock=rt.clock)
    rt.wake_worker()
    return outcome


def _what_to_retry(rt: Runtime, item_id: int) -> tuple[str | None, FailedStep | None]:
    """The deal's Salesforce id (to re-read it) and the queued step that failed for good, if any."""
    with session_scope(rt.engine) as session:
        item = exceptions.get_item(session, item_id)
        if item.status != ExceptionStatus.OPEN:
            raise InvalidTransition(f"Exception {item_id} is already {item.status}")
        deal = session.get(Deal, item.deal_id) if item.deal_id else None
        work = session.get(WorkItem, item.work_item_id) if item.work_item_id else None
        step = FailedStep(work.kind, dict(work.payload), work.id) if work is not None and work.id else None
        return (deal.sf_id if deal else None), step


def _wait_if_requeued(rt: Runtime, work_item_id: int) -> str | None:
    """The re-read may have queued the failed step again: then the worker runs it (never two runs at once).

    None when the step was not requeued; else its status after waiting up to RETRY_WAIT_SECONDS."""
    deadline, requeued = time.monotonic() + RETRY_WAIT_SECONDS, False
    while True:
        with session_scope(rt.engine) as session:
            status = require(session, WorkItem, work_item_id).status
        if status not in (WorkStatus.QUEUED, WorkStatus.RUNNING) or time.monotonic() > deadline:
            return status if requeued else None
        requeued = True
        rt.wake_worker()
        time.sleep(0.05)


def _resolve_work(rt: Runtime, work_item_id: int, *, actor: str, note: str) -> None:
    try:
        with session_scope(rt.engine) as session:
            exceptions.resolve_for_work(session, work_item_id=work_item_id, clock=rt.clock, note=note, actor=actor)
    except InvalidTransition:   # the worker's success hook closed it first
        pass


def _still_open(rt: Runtime, item_id: int) -> bool:
    with session_scope(rt.engine) as session:
        return exceptions.get_item(session, item_id).status == ExceptionStatus.OPEN
