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
    PING_APPROVAL_LEVEL = "ping_approval_level"
    """Tell the approvers of a level that just opened: a reply in the request's thread and a DM to each."""
    CREATE_INVOICE = "create_invoice"
    WRITE_BACK_INVOICE = "write_back_invoice"
    ANNOUNCE_INVOICE = "announce_invoice"
    REFRESH_EXCEPTION_MESSAGE = "refresh_exception_message"
    """Re-render a Slack message showing exceptions after one of them closed (queued by the close)."""
    SEND_SLA_PING = "send_sla_ping"
    """Post one recorded SLA ping (recorded as due with the decision to send it; marked sent on Slack's ok)."""
    CREATE_CORRECTION = "create_correction"
    """Make an approved correction in QuickBooks, exactly once (credit memo, its application, a rebill)."""
    ANNOUNCE_CORRECTION = "announce_correction"
    """Tell the approval thread, the proposer and the deal owner how a correction ended."""
    FLUSH_EXCEPTION_FEED = "flush_exception_feed"
    """Post the exceptions opened since the last flush: one threaded message per deal, or a burst summary."""
    REFRESH_EXCEPTION_THREAD = "refresh_exception_thread"
    """Re-render one deal's exceptions message (a keyed SlackPost) after one of its exceptions changed."""
    SHOW_OWNER_NOTICE = "show_owner_notice"
    """Post or update the deal owner's pre-flight DM (what to fix in Salesforce, then ready or waiting)."""
    PREPARE_ACTIVATION = "prepare_activation"
    """Before a customer activation is posted: the proposed customer and QuickBooks' look-alikes, stored."""
    ACTIVATE_CUSTOMER = "activate_customer"
    """An approved activation: create (or link) the QuickBooks customer once, then move the account's deals on."""
    DM_INVOICE_TO_OWNER = "dm_invoice_to_owner"
    """Tell the deal owner by DM that the invoice exists (number, amount, due date, QuickBooks link)."""
    RETRY_READ_DEAL = "retry_read_deal"
    RETRY_QUICKBOOKS_STEP = "retry_quickbooks_step"
    RETRY_SALESFORCE_STEP = "retry_salesforce_step"
    RETRY_SLACK_STEP = "retry_slack_step"
    """Retry on an exception, in the lane of each vendor: re-read the deal (Salesforce), then run the step that
    failed for good once more in its own vendor's lane (app/jobs/retries.py)."""
    TICK_SALESFORCE_POLL = "tick_salesforce_poll"
    TICK_EXCEPTION_DIGEST = "tick_exception_digest"
    TICK_SLA_REMINDERS = "tick_sla_reminders"
    TICK_INVOICE_STATUSES = "tick_invoice_statuses"
    TICK_PURGE_FINISHED_WORK = "tick_purge_finished_work"
    TICK_WEEKLY_REVIEW = "tick_weekly_review"
    TICK_APPROVAL_EXPIRY = "tick_approval_expiry"
    TICK_QUICKBOOKS_CHANGES = "tick_quickbooks_changes"
    """A scheduled job is due: queued by the scheduler once per slot, run by the lane that owns its vendor."""
    DECIDE_APPROVAL = "decide_approval"
    ANSWER_INVOICE_STATUS = "answer_invoice_status"
    ANSWER_APPROVALS = "answer_approvals"
    ANSWER_EXCEPTIONS = "answer_exceptions"
    EXCEPTION_CONTROL = "exception_control"
    CLOSE_EXCEPTION = "close_exception"
    PUBLISH_HOME = "publish_home"
    TELL_USER = "tell_user"
    PROPOSE_CORRECTION = "propose_correction"
    SHOW_RETRY_OUTCOME = "show_retry_outcome"
    OPEN_CLOSE_FORM = "open_close_form"
    """Someone clicked or typed in Slack: the web process recorded the intent (app/slack/intents.py) and acked;
    the worker's interactive lane does the work and answers (chat.update, response_url, an ephemeral note)."""


INTERACTIVE_KINDS = frozenset({
    WorkKind.DECIDE_APPROVAL, WorkKind.ANSWER_INVOICE_STATUS, WorkKind.ANSWER_APPROVALS, WorkKind.ANSWER_EXCEPTIONS,
    WorkKind.EXCEPTION_CONTROL, WorkKind.CLOSE_EXCEPTION, WorkKind.PUBLISH_HOME, WorkKind.TELL_USER,
    WorkKind.PROPOSE_CORRECTION, WorkKind.SHOW_RETRY_OUTCOME,
    WorkKind.OPEN_CLOSE_FORM})
"""A person waits for these: they run in their own lane, never behind bulk posts or invoicing."""
