"""The modal that asks an approver why they reject a request."""
from __future__ import annotations

from slack_sdk.models.blocks import InputBlock, PlainTextInputElement, PlainTextObject
from slack_sdk.models.views import View

from app.slack.blocks.common import section
from app.slack.blocks.format import NAME_LIMIT, safe_text
from app.slack.ids import ActionId, BlockId, CallbackId
from app.slack.metadata import RejectReasonMetadata

REASON_MIN_LENGTH = 5
REASON_MAX_LENGTH = 1000


def reject_reason_modal(request_id: int, deal_name: str) -> View:
    """Modal whose submission carries the request id in private_metadata and the reason in its input."""
    intro = section(
        f"You are rejecting the approval request for *{safe_text(deal_name, NAME_LIMIT)}*. "
        "The requester will see your reason."
    )
    return View(
        type="modal",
        callback_id=CallbackId.REJECT_REASON.value,
        private_metadata=RejectReasonMetadata(request_id=request_id).encode(),
        title=PlainTextObject(text="Reject approval"),
        submit=PlainTextObject(text="Reject"),
        close=PlainTextObject(text="Cancel"),
        blocks=[intro, _reason_input()],
    )


def _reason_input() -> InputBlock:
    element = PlainTextInputElement(
        action_id=ActionId.REJECT_REASON_TEXT.value,
        multiline=True,
        min_length=REASON_MIN_LENGTH,
        max_length=REASON_MAX_LENGTH,
        placeholder=PlainTextObject(text="e.g. PO number missing; Net 90 not justified"),
    )
    return InputBlock(
        block_id=BlockId.REJECT_REASON_INPUT.value,
        label=PlainTextObject(text="Reason"),
        element=element,
        hint=PlainTextObject(text=f"At least {REASON_MIN_LENGTH} characters."),
        optional=False,
    )
