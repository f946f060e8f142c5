"""The worker's lanes: which work kinds share a vendor, and so a thread (and a vendor's "not now")."""
from __future__ import annotations

from app.jobs.worker import Lane
from app.work_queue.kinds import WorkKind

QUICKBOOKS_THREADS = 2
"""Two calls in flight keep a realm near its 500/min ceiling at ~200 ms a call; the shared throttle caps both."""

LANES: tuple[Lane, ...] = (
    Lane("quickbooks", frozenset({WorkKind.CREATE_INVOICE, WorkKind.TICK_INVOICE_STATUSES}),
         threads=QUICKBOOKS_THREADS),
    Lane("salesforce", frozenset({WorkKind.READ_OPPORTUNITIES, WorkKind.WRITE_BACK_INVOICE,
                                  WorkKind.TICK_SALESFORCE_POLL})),
    Lane("slack", frozenset({WorkKind.POST_APPROVAL_REQUEST, WorkKind.WITHDRAW_APPROVAL_MESSAGE,
                             WorkKind.REDRAW_APPROVAL_MESSAGE, WorkKind.ANNOUNCE_INVOICE,
                             WorkKind.REFRESH_EXCEPTION_MESSAGE, WorkKind.SEND_SLA_PING, WorkKind.TICK_EXCEPTION_DIGEST,
                             WorkKind.TICK_SLA_REMINDERS})),
    Lane("internal", frozenset({WorkKind.TICK_PURGE_FINISHED_WORK})),
)


def lane_of(kind: str) -> Lane | None:
    return next((lane for lane in LANES if lane.kinds is not None and kind in lane.kinds), None)
