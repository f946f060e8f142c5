"""Retry on an exception, run in the lanes of the vendors it calls; the interactive lane only asks for it.

The interactive lane (a Retry click) checks the permission, queues a retry item and acks the person in a line;
the deal is re-read by a `RETRY_READ_DEAL` item in the Salesforce lane, and the step that failed for good runs
again from a `RETRY_*_STEP` item in the lane of its own vendor (QuickBooks, Salesforce or Slack), so a vendor's
Retry-After reschedules that item in that lane and delays nothing else. The outcome is stored on the exception,
then `SHOW_RETRY_OUTCOME` (interactive lane) re-renders the item where Retry was clicked (chat.update, or the
click's response_url for an ephemeral list).
"""
from __future__ import annotations

import functools
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict

from app.db import session_scope
from app.jobs.lanes import retry_kind_for
from app.jobs.notes import respond
from app.jobs.worker import Handler
from app.pipeline import retry as flow
from app.runtime import Runtime
from app.slack.intents import ExceptionControl
from app.work_queue.kinds import WorkKind
from app.work_queue.service import enqueue

NOT_RETRYABLE = "this kind of step cannot be run again from here"


class RetryWork(BaseModel):
    """One retry as it moves from lane to lane: the exception, who asked, what to run, where to show the outcome."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    exception_id: int
    actor: str
    since: datetime
    sf_id: str | None = None
    step_kind: str | None = None
    step_payload: dict[str, Any] | None = None
    step_work_item_id: int | None = None
    reply: dict[str, Any]
    """The Retry click (an ExceptionControl payload): where the item is re-rendered with the outcome."""

    @property
    def step(self) -> flow.FailedStep | None:
        if self.step_kind is None or self.step_work_item_id is None:
            return None
        return flow.FailedStep(self.step_kind, dict(self.step_payload or {}), self.step_work_item_id)


def request_retry(rt: Runtime, intent: ExceptionControl, item_id: int) -> None:
    """The interactive lane's part: queue the retry's first vendor step and tell the person it is under way.

    Raises InvalidTransition (a refusal) when the exception is no longer open."""
    plan = flow.plan_retry(rt, item_id=item_id)
    step = plan.step
    work = RetryWork(exception_id=item_id, actor=intent.user_id, since=rt.clock.now(), sf_id=plan.sf_id,
                     step_kind=step.kind if step else None, step_payload=step.payload if step else None,
                     step_work_item_id=step.work_item_id if step else None, reply=intent.payload())
    if plan.sf_id:
        _queue(rt, WorkKind.RETRY_READ_DEAL, work)
    else:
        _next(rt, work, flow.after_read(rt, item_id=item_id, step=step))
    if intent.response_url:
        respond(rt, intent.response_url, text=f":arrows_counterclockwise: Retrying exception {item_id}: "
                "its outcome shows on the item in a moment.", response_type="ephemeral", replace_original=False)


def build_retry_handlers(rt: Runtime) -> dict[str, Handler]:
    step_kinds = (WorkKind.RETRY_QUICKBOOKS_STEP, WorkKind.RETRY_SALESFORCE_STEP, WorkKind.RETRY_SLACK_STEP)
    return {WorkKind.RETRY_READ_DEAL.value: functools.partial(retry_read_deal, rt),
            **{kind.value: functools.partial(retry_step, rt) for kind in step_kinds}}


def retry_read_deal(rt: Runtime, payload: dict[str, Any]) -> None:
    """Salesforce lane: re-read the deal, then finish or queue the failed step in its lane."""
    work = RetryWork.model_validate(payload)
    failed = flow.read_deal(rt, sf_id=work.sf_id) if work.sf_id else None
    _next(rt, work, failed or flow.after_read(rt, item_id=work.exception_id, step=work.step))


def retry_step(rt: Runtime, payload: dict[str, Any]) -> None:
    """The step's own lane: run it again (or wait, rescheduled, for its requeued item), then finish."""
    work = RetryWork.model_validate(payload)
    step = work.step
    outcome = (flow.RetryOutcome(True, flow.GONE) if step is None else
               flow.run_failed_step(rt, item_id=work.exception_id, step=step, actor=work.actor, since=work.since))
    _finish(rt, work, outcome)


def _next(rt: Runtime, work: RetryWork, after: flow.RetryOutcome | flow.FailedStep) -> None:
    if isinstance(after, flow.RetryOutcome):
        _finish(rt, work, after)
        return
    kind = retry_kind_for(after.kind)
    if kind is None:
        _finish(rt, work, flow.RetryOutcome(False, NOT_RETRYABLE))
        return
    _queue(rt, kind, work)


def _finish(rt: Runtime, work: RetryWork, outcome: flow.RetryOutcome) -> None:
    """Store the outcome on the exception, then queue showing it where Retry was clicked."""
    with session_scope(rt.engine) as session:
        flow.record_outcome(session, rt, item_id=work.exception_id, actor=work.actor, outcome=outcome)
        enqueue(session, kind=WorkKind.SHOW_RETRY_OUTCOME, payload=work.reply, clock=rt.clock)
    rt.wake_worker()


def _queue(rt: Runtime, kind: WorkKind, work: RetryWork) -> None:
    with session_scope(rt.engine) as session:
        enqueue(session, kind=kind, payload=work.model_dump(mode="json"), clock=rt.clock)
    rt.wake_worker()
