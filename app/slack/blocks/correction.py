"""The correction form (a credit memo for lines or an amount, or a write-off), the button that opens it, and the
messages that say how a correction ended. Pure builders: view models in, Block Kit out."""
from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    CheckboxesElement,
    InputBlock,
    Option,
    PlainTextInputElement,
    PlainTextObject,
    RadioButtonsElement,
    StaticSelectElement,
)
from slack_sdk.models.views import View

from app.slack.blocks.common import button, context, section
from app.slack.blocks.format import NAME_LIMIT, money, safe_text, truncate
from app.slack.ids import ActionId, BlockId, CallbackId

KINDS = (("lines", "Credit memo for invoice lines"), ("amount", "Credit memo for an amount"),
         ("write_off", "Write off the unpaid balance"))
OPTION_TEXT_LIMIT = 75
"""Block Kit: an option's text is at most 75 characters."""
MAX_LINE_OPTIONS = 10
MAX_CAUSE_OPTIONS = 100
REASON_MAX_LENGTH = 1000


@dataclass(frozen=True, kw_only=True)
class CorrectionForm:
    deal_name: str
    invoice_number: str
    total: Decimal
    balance: Decimal
    currency: str
    lines: tuple[tuple[int, str, Decimal], ...]
    """(index, label, amount) of each invoice line."""
    causes: tuple[tuple[str, str], ...]
    """(key, label) of the policy's root causes."""


def propose_correction_button(opportunity_id: str) -> ActionsBlock:
    return ActionsBlock(block_id=BlockId.CORRECTION_ACTIONS.value, elements=[
        button("Propose correction", action_id=ActionId.PROPOSE_CORRECTION.value, value=opportunity_id)])


def correction_modal(form: CorrectionForm, *, private_metadata: str) -> View:
    intro = section(f"*{safe_text(form.deal_name, NAME_LIMIT)}* · invoice {safe_text(form.invoice_number, 40)} · "
                    f"total {money(form.total, form.currency)} · open balance {money(form.balance, form.currency)}\n"
                    "An approver (never you) decides it in the approvals channel; QuickBooks is changed only then.")
    blocks: list[Block] = [intro, _kind_input()]
    if form.lines:
        blocks.append(_lines_input(form))
    blocks += [_amount_input(form.currency), _reason_input()]
    if form.causes:
        blocks.append(_cause_input(form.causes))
    return View(type="modal", callback_id=CallbackId.CORRECTION_PROPOSAL.value, private_metadata=private_metadata,
                title=PlainTextObject(text="Correct an invoice"), submit=PlainTextObject(text="Propose"),
                close=PlainTextObject(text="Cancel"), blocks=blocks)


def _option(value: str, label: str) -> Option:
    return Option(value=value, text=PlainTextObject(text=truncate(label, OPTION_TEXT_LIMIT)))


def _kind_input() -> InputBlock:
    options = [_option(value, label) for value, label in KINDS]
    return InputBlock(block_id=BlockId.CORRECTION_KIND_INPUT.value, label=PlainTextObject(text="Correction"),
                      element=RadioButtonsElement(action_id=ActionId.CORRECTION_KIND.value, options=options,
                                                  initial_option=options[0]))


def _lines_input(form: CorrectionForm) -> InputBlock:
    options = [_option(str(index), f"{label} — {money(amount, form.currency)}")
               for index, label, amount in form.lines[:MAX_LINE_OPTIONS]]
    return InputBlock(block_id=BlockId.CORRECTION_LINES_INPUT.value, label=PlainTextObject(text="Lines to credit"),
                      optional=True, hint=PlainTextObject(text="For a credit memo for lines; tax is credited too."),
                      element=CheckboxesElement(action_id=ActionId.CORRECTION_LINES.value, options=options))


def _amount_input(currency: str) -> InputBlock:
    label = PlainTextObject(text=f"Amount ({currency})")
    hint = PlainTextObject(text="For a credit memo for an amount, e.g. 250.00.")
    return InputBlock(block_id=BlockId.CORRECTION_AMOUNT_INPUT.value, label=label, optional=True, hint=hint,
                      element=PlainTextInputElement(action_id=ActionId.CORRECTION_AMOUNT.value, max_length=20))


def _reason_input() -> InputBlock:
    return InputBlock(block_id=BlockId.CORRECTION_REASON_INPUT.value, label=PlainTextObject(text="Reason"),
                      element=PlainTextInputElement(action_id=ActionId.CORRECTION_REASON.value, multiline=True,
                                                    min_length=5, max_length=REASON_MAX_LENGTH))


def _cause_input(causes: tuple[tuple[str, str], ...]) -> InputBlock:
    options = [_option(key, label) for key, label in causes[:MAX_CAUSE_OPTIONS]]
    return InputBlock(block_id=BlockId.CORRECTION_CAUSE_INPUT.value, label=PlainTextObject(text="Root cause"),
                      element=StaticSelectElement(action_id=ActionId.CORRECTION_CAUSE.value, options=options,
                                                  placeholder="Why was the invoice wrong?"))


def form_values(view: dict[str, Any]) -> dict[str, Any]:
    """The submitted values: kind, line indexes, amount text, reason, root cause (missing ones empty)."""
    values = (view.get("state") or {}).get("values") or {}

    def element(block: BlockId, action: ActionId) -> dict[str, Any]:
        return (values.get(block.value) or {}).get(action.value) or {}

    kind = (element(BlockId.CORRECTION_KIND_INPUT, ActionId.CORRECTION_KIND).get("selected_option") or {})
    chosen = element(BlockId.CORRECTION_LINES_INPUT, ActionId.CORRECTION_LINES).get("selected_options") or []
    cause = element(BlockId.CORRECTION_CAUSE_INPUT, ActionId.CORRECTION_CAUSE).get("selected_option") or {}
    return {"kind": str(kind.get("value") or "lines"),
            "line_indexes": [int(option["value"]) for option in chosen if str(option.get("value", "")).isdigit()],
            "amount": str(element(BlockId.CORRECTION_AMOUNT_INPUT, ActionId.CORRECTION_AMOUNT).get("value") or ""),
            "reason": str(element(BlockId.CORRECTION_REASON_INPUT, ActionId.CORRECTION_REASON).get("value") or ""),
            "root_cause": cause.get("value") or None}


@dataclass(frozen=True, kw_only=True)
class CorrectionNews:
    """How a correction ended, for its approval thread, the proposer and the deal owner."""

    deal_name: str
    kind_label: str
    status: str
    amount: Decimal
    currency: str
    invoice_number: str
    credit_memo_number: str | None = None
    credit_total: Decimal | None = None
    invoice_balance: Decimal | None = None
    rebill_number: str | None = None
    decided_by: str | None = None
    comment: str | None = None


def correction_text(news: CorrectionNews) -> str:
    deal = safe_text(news.deal_name, NAME_LIMIT)
    if news.status == "done":
        text = (f"🧾 {news.kind_label} {safe_text(news.credit_memo_number or '', 40)} created in QuickBooks for "
                f"{deal}: {money(news.credit_total or news.amount, news.currency)}, applied to invoice "
                f"{safe_text(news.invoice_number, 40)}")
        if news.invoice_balance is not None:
            text += f" (balance now {money(news.invoice_balance, news.currency)})"
        if news.rebill_number:
            text += f"; corrected invoice {safe_text(news.rebill_number, 40)} created"
        return text + "."
    who = f" by {safe_text(news.decided_by, NAME_LIMIT)}" if news.decided_by else ""
    why = f": “{safe_text(news.comment, 500)}”" if news.comment else ""
    return (f"❌ {news.kind_label} of {money(news.amount, news.currency)} on invoice "
            f"{safe_text(news.invoice_number, 40)} ({deal}) was rejected{who}{why}. QuickBooks is unchanged.")


def correction_blocks(news: CorrectionNews) -> list[Block]:
    return [section(correction_text(news)), context(f"{safe_text(news.kind_label, NAME_LIMIT)} · {news.status}")]
