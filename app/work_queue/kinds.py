"""Every kind of queued work, by name. The worker's handler table (app/jobs/handlers.py) maps each to its step.

Values are stored in `work_item.kind`: renaming one strands the rows already queued under the old name.
"""
from __future__ import annotations

from enum import StrEnum


class WorkKind(StrEnum):
    READ_OPPORTUNITIES = "read_opportunities"
    POST_APPROVAL_REQUEST = "post_approval_request"
    WITHDRAW_APPROVAL_MESSAGE = "withdraw_approval_message"
    REDRAW_APPROVAL_MESSAGE = "redraw_approval_message"
    """Show an approval request's current state in its message (after a failed chat.update, a stale click)."""
    CREATE_INVOICE = "create_invoice"
    WRITE_BACK_INVOICE = "write_back_invoice"
    ANNOUNCE_INVOICE = "announce_invoice"
    REFRESH_EXCEPTION_MESSAGE = "refresh_exception_message"
    """Re-render a Slack message showing exceptions after one of them closed (queued by the close)."""
