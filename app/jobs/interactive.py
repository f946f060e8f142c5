"""The interactive lane's steps: what a person asked for in Slack (app/slack/intents.py), done by the worker.

The web process recorded the intent and acked; each step here reads it back from the work item and answers
through chat.update, the request's response_url or an ephemeral note. A refusal is an answer, not a failure.
A vendor's "not now" or a retryable vendor error goes back to the worker, which reschedules or retries the
item. Any other failure is logged once and the person is told politely (through the response_url, when the
request has one), and the item is done: repeating a half-done answer would not help them.
"""
from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError

from app.errors import IntegrationError
from app.jobs.answers import answer_invoice_status, publish_home
from app.jobs.approval_clicks import answer_approvals, decide_approval
from app.jobs.correction_steps import propose_correction
from app.jobs.exception_command import answer_exceptions
from app.jobs.exception_controls import close_exception, exception_control, show_retry_outcome
from app.jobs.exception_form import open_close_form
from app.jobs.notes import tell_user
from app.jobs.worker import Handler
from app.runtime import Runtime
from app.slack.intents import (
    AnswerApprovals,
    AnswerExceptions,
    AnswerInvoiceStatus,
    CloseException,
    DecideApproval,
    ExceptionControl,
    Intent,
    OpenCloseForm,
    ProposeCorrection,
    PublishHome,
    TellUser,
)
from app.work_queue.kinds import WorkKind
from app.work_queue.models import WorkItem

log = logging.getLogger(__name__)
SORRY = "Sorry, something went wrong on our side; it has been logged. Please try again in a minute."


@dataclass(frozen=True)
class Step:
    intent: type[Intent]
    run: Callable[[Runtime, Any], None]
    what: str
    """How the log names the request."""


STEPS: dict[str, Step] = {
    WorkKind.DECIDE_APPROVAL: Step(DecideApproval, decide_approval, "an approval decision"),
    WorkKind.ANSWER_INVOICE_STATUS: Step(AnswerInvoiceStatus, answer_invoice_status, "/invoice-status"),
    WorkKind.ANSWER_APPROVALS: Step(AnswerApprovals, answer_approvals, "/approvals"),
    WorkKind.ANSWER_EXCEPTIONS: Step(AnswerExceptions, answer_exceptions, "/exceptions"),
    WorkKind.EXCEPTION_CONTROL: Step(ExceptionControl, exception_control, "an exception control"),
    WorkKind.CLOSE_EXCEPTION: Step(CloseException, close_exception, "the Resolve form"),
    WorkKind.PUBLISH_HOME: Step(PublishHome, publish_home, "the Home tab"),
    WorkKind.TELL_USER: Step(TellUser, tell_user, "a note"),
    WorkKind.PROPOSE_CORRECTION: Step(ProposeCorrection, propose_correction, "the correction form"),
    WorkKind.SHOW_RETRY_OUTCOME: Step(ExceptionControl, show_retry_outcome, "a retry's outcome"),
    WorkKind.OPEN_CLOSE_FORM: Step(OpenCloseForm, open_close_form, "the Resolve form"),
}


def build_interactive_handlers(rt: Runtime) -> dict[str, Handler]:
    return {kind: functools.partial(_run, rt, step) for kind, step in STEPS.items()}


def _run(rt: Runtime, step: Step, payload: dict[str, Any]) -> None:
    try:
        intent = step.intent.from_payload(payload)
    except ValidationError as unreadable:       # written by another release: nobody to answer, only logged
        log.error("Slack request %s: unreadable work payload: %s", step.what, unreadable)
        return
    try:
        step.run(rt, intent)
    except IntegrationError as error:
        if error.retryable:                     # RateLimited: rescheduled; VendorUnavailable: retried later
            raise
        report_failure(rt, step.what, intent, error)
    except Exception as error:  # reported here exactly once; the person already has Slack's 200
        report_failure(rt, step.what, intent, error)


def report_failure(rt: Runtime, what: str, intent: Intent, error: BaseException) -> None:
    log.error("Slack answer failed: %s (%s, user %s)", error, what, intent.user_id, exc_info=error)
    url = getattr(intent, "response_url", None)     # commands and message controls carry one
    if not url:
        return
    try:
        rt.slack.respond(url, text=SORRY, response_type="ephemeral", replace_original=False)
    except Exception:  # the note is best effort; the failure itself is logged above
        log.warning("could not tell the user about the failure", exc_info=True)


def is_interactive(item: WorkItem) -> bool:
    return item.kind in STEPS


def report_final_failure(rt: Runtime, item: WorkItem, error: BaseException) -> None:
    """A retryable vendor error that outlasted the item's attempts: the person hears about it like any failure."""
    step = STEPS[item.kind]
    try:
        intent = step.intent.from_payload(dict(item.payload))
    except ValidationError:
        log.error("Slack request %s failed for good: %s", step.what, error)
        return
    report_failure(rt, step.what, intent, error)
