"""The worker's lanes: which work kinds share a vendor, and so a thread (and a vendor's "not now")."""
from __future__ import annotations

from app.jobs.worker import Lane
from app.work_queue.kinds import INTERACTIVE_KINDS, WorkKind

QUICKBOOKS_THREADS = 2
"""Two calls in flight keep a realm near its 500/min ceiling at ~200 ms a call; the shared throttle caps both."""
INTERACTIVE_THREADS = 2
INTERACTIVE_IDLE_WAIT = 0.1
"""Seconds: a click recorded by the web process is picked up within about this long (no cross-process wake)."""

LANES: tuple[Lane, ...] = (
    Lane("quickbooks", frozenset({WorkKind.CREATE_INVOICE, WorkKind.TICK_INVOICE_STATUSES, WorkKind.CREATE_CORRECTION,
                                  WorkKind.RETRY_QUICKBOOKS_STEP, WorkKind.PREPARE_ACTIVATION,
                                  WorkKind.ACTIVATE_CUSTOMER, WorkKind.TICK_QUICKBOOKS_CHANGES}),
         threads=QUICKBOOKS_THREADS),
    Lane("salesforce", frozenset({WorkKind.READ_OPPORTUNITIES, WorkKind.WRITE_BACK_INVOICE,
                                  WorkKind.TICK_SALESFORCE_POLL, WorkKind.RETRY_READ_DEAL,
                                  WorkKind.RETRY_SALESFORCE_STEP})),
    Lane("slack", frozenset({WorkKind.POST_APPROVAL_REQUEST, WorkKind.WITHDRAW_APPROVAL_MESSAGE,
                             WorkKind.REDRAW_APPROVAL_MESSAGE, WorkKind.ANNOUNCE_INVOICE,
                             WorkKind.REFRESH_EXCEPTION_MESSAGE, WorkKind.SEND_SLA_PING, WorkKind.TICK_EXCEPTION_DIGEST,
                             WorkKind.TICK_SLA_REMINDERS, WorkKind.ANNOUNCE_CORRECTION,
                             WorkKind.FLUSH_EXCEPTION_FEED, WorkKind.REFRESH_EXCEPTION_THREAD,
                             WorkKind.SHOW_OWNER_NOTICE, WorkKind.DM_INVOICE_TO_OWNER, WorkKind.TICK_WEEKLY_REVIEW,
                             WorkKind.RETRY_SLACK_STEP, WorkKind.PING_APPROVAL_LEVEL, WorkKind.TICK_APPROVAL_EXPIRY})),
    Lane("internal", frozenset({WorkKind.TICK_PURGE_FINISHED_WORK})),
    Lane("interactive", frozenset(INTERACTIVE_KINDS), threads=INTERACTIVE_THREADS, idle_wait=INTERACTIVE_IDLE_WAIT),
)
"""`interactive`: what a person in Slack waits for (a decision, an answer); never queued behind bulk posts."""


def lane_of(kind: str) -> Lane | None:
    return next((lane for lane in LANES if lane.kinds is not None and kind in lane.kinds), None)


RETRY_KIND_OF_LANE = {"quickbooks": WorkKind.RETRY_QUICKBOOKS_STEP, "salesforce": WorkKind.RETRY_SALESFORCE_STEP,
                      "slack": WorkKind.RETRY_SLACK_STEP}
"""Retry on an exception runs its failed step again in that step's own lane: a vendor's Retry-After waits there."""


def retry_kind_for(step_kind: str) -> WorkKind | None:
    """The retry kind that runs `step_kind` again in its lane; None for a kind no vendor lane runs."""
    lane = lane_of(step_kind)
    return RETRY_KIND_OF_LANE.get(lane.name) if lane is not None else None
