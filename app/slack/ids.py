"""Every Slack action_id, block_id, callback_id and slash command the app uses, in one place.

Listeners match on these values and builders emit them, so a rename happens here only.
Values are stable wire identifiers: changing one breaks buttons on messages already posted.
An id that names one row ("exception_item:42") is built and read back with `prefixed_id` / `parse_prefixed_id`.
"""
from __future__ import annotations

from enum import StrEnum


class ActionId(StrEnum):
    """`action_id` of interactive elements (buttons, selects, inputs)."""

    APPROVE = "approval_approve"
    REJECT = "approval_reject"
    REJECT_REASON_TEXT = "approval_reject_reason_text"
    HOME_REFRESH = "home_refresh"
    EXCEPTION_RETRY = "exception_retry"
    EXCEPTION_TAG_CAUSE = "exception_tag_cause"
    EXCEPTION_ASSIGN = "exception_assign"
    EXCEPTION_RESOLVE = "exception_resolve"
    EXCEPTIONS_PAGE = "exceptions_page"
    EXCEPTION_CLOSE_OUTCOME = "exception_close_outcome"
    EXCEPTION_CLOSE_NOTE = "exception_close_note"
    PROPOSE_CORRECTION = "correction_propose"
    """The button under an invoiced deal in /invoice-status; its value is the opportunity id."""
    CORRECTION_KIND = "correction_kind"
    CORRECTION_LINES = "correction_lines"
    CORRECTION_AMOUNT = "correction_amount"
    CORRECTION_REASON = "correction_reason"
    CORRECTION_CAUSE = "correction_cause"
    ACTIVATION_TERMS = "activation_terms"
    ACTIVATION_CREDIT_LIMIT = "activation_credit_limit"
    ACTIVATION_CUSTOMER = "activation_customer"


class BlockId(StrEnum):
    """`block_id` of blocks that listeners read back (actions, inputs)."""

    APPROVAL_ACTIONS = "approval_actions"
    APPROVAL_OUTCOME = "approval_outcome"
    APPROVAL_LEVELS = "approval_levels"
    REJECT_REASON_INPUT = "approval_reject_reason_input"
    HOME_ACTIONS = "home_actions"
    EXCEPTION_ACTIONS = "exception_actions"
    """Prefix: the actions block of exception N is "exception_actions:N"."""
    EXCEPTION_ITEM = "exception_item"
    """Prefix: the section describing exception N is "exception_item:N"."""
    EXCEPTIONS_PAGER = "exceptions_pager"
    EXCEPTION_CLOSE_OUTCOME = "exception_close_outcome_input"
    EXCEPTION_CLOSE_NOTE = "exception_close_note_input"
    CORRECTION_ACTIONS = "correction_actions"
    CORRECTION_KIND_INPUT = "correction_kind_input"
    CORRECTION_LINES_INPUT = "correction_lines_input"
    CORRECTION_AMOUNT_INPUT = "correction_amount_input"
    CORRECTION_REASON_INPUT = "correction_reason_input"
    CORRECTION_CAUSE_INPUT = "correction_cause_input"
    ACTIVATION_TERMS_INPUT = "activation_terms_input"
    ACTIVATION_CREDIT_LIMIT_INPUT = "activation_credit_limit_input"
    ACTIVATION_CUSTOMER_INPUT = "activation_customer_input"


class CallbackId(StrEnum):
    """`callback_id` of modals."""

    REJECT_REASON = "approval_reject_reason"
    EXCEPTION_CLOSE = "exception_close"
    CORRECTION_PROPOSAL = "correction_proposal"
    CUSTOMER_ACTIVATION = "customer_activation"


class SlashCommand(StrEnum):
    """Slash commands declared in manifest.yaml."""

    INVOICE_STATUS = "/invoice-status"
    EXCEPTIONS = "/exceptions"
    APPROVALS = "/approvals"
    CORRECT_INVOICE = "/correct-invoice"


MAX_ID_DIGITS = 18
"""Row ids on the wire are at most 18 digits, so a BIGINT always fits."""


def parse_id(text: object) -> int | None:
    """A row id from a payload or from what a user typed ("42", "#42"): ASCII digits only, at most MAX_ID_DIGITS."""
    value = str(text or "").strip().lstrip("#")
    if not (value.isascii() and value.isdigit()) or len(value) > MAX_ID_DIGITS:
        return None
    return int(value)


def prefixed_id(prefix: BlockId, row_id: int) -> str:
    """The block_id of the block that shows row `row_id`: "exception_item:42"."""
    return f"{prefix.value}:{row_id}"


def parse_prefixed_id(value: object, *prefixes: BlockId) -> int | None:
    """The row id in "<prefix>:<id>" for one of `prefixes`; None for any other value."""
    prefix, _, rest = str(value or "").partition(":")
    if prefix not in {wanted.value for wanted in prefixes} or rest.startswith("#"):
        return None
    return parse_id(rest)
