"""The approval request card posted to the finance channel, and its decided / superseded states.

The request card carries Approve and Reject buttons; every later state of the same message is built
without an actions block so nobody can click a stale button.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Literal, NamedTuple

from slack_sdk.models.blocks import ActionsBlock, Block

from app.slack.blocks.common import button, context, fields_section, header, section
from app.slack.blocks.format import (
    CONTEXT_TEXT_LIMIT,
    NAME_LIMIT,
    SECTION_TEXT_LIMIT,
    join_within,
    link,
    mention,
    money,
    safe_text,
    truncate,
    when_utc,
)
from app.slack.blocks.levels import LevelLine, levels_block
from app.slack.ids import ActionId, BlockId

Decision = Literal["approved", "rejected"]
_DECISIONS: tuple[str, ...] = ("approved", "rejected")
_ASK_LIMIT = 500
_REASON_LIMIT = 1500


class Ask(NamedTuple):
    """One thing the deal needs approved: kind label and what was asked for."""

    kind: str
    text: str


@dataclass(frozen=True, kw_only=True)
class ApprovalCard:
    """What an approver needs to see to decide one approval request."""

    request_id: int
    customer_name: str
    deal_name: str
    opportunity_id: str
    opportunity_url: str | None
    amount: Decimal
    currency: str = "USD"
    asks: tuple[Ask, ...]
    requester_name: str
    requester_slack_id: str | None
    required_role: str
    created_at: datetime
    levels: tuple[LevelLine, ...] = ()
    """Shown when the request has more than one level."""
    proposed_customer: tuple[tuple[str, str], ...] = ()
    """A customer activation: the proposed customer, field by field (and QuickBooks' look-alikes)."""
    changes: tuple[str, ...] = ()
    """A re-approval: the locked values that changed since the superseded approval ("Field: old -> new")."""


@dataclass(frozen=True, kw_only=True)
class DecidedOutcome:
    """How a request was decided; `comment` is the reject reason or an optional approval note."""

    decision: Decision
    decider_slack_id: str | None
    decider_name: str
    decided_at: datetime
    comment: str | None = None

    def __post_init__(self) -> None:
        if self.decision not in _DECISIONS:
            raise ValueError(f"decision must be one of {_DECISIONS}, got {self.decision!r}")


def approval_request_blocks(card: ApprovalCard) -> list[Block]:
    """The live request: summary plus Approve / Reject buttons whose value is the request id. A re-approval says
    so in its title and shows what changed since the approval it replaces."""
    title = f"{'Re-approval' if card.changes else 'Approval'} needed: {card.deal_name}"
    return [*_summary_blocks(card, title), _decision_buttons(card.request_id)]


def approval_decided_blocks(card: ApprovalCard, outcome: DecidedOutcome) -> list[Block]:
    """The same summary after a decision, with an outcome line and no buttons."""
    verb = "Approved" if outcome.decision == "approved" else "Rejected"
    outcome_line = context(_outcome_line(outcome), block_id=BlockId.APPROVAL_OUTCOME.value)
    return [*_summary_blocks(card, f"{verb}: {card.deal_name}"), outcome_line]


def approval_superseded_blocks(card: ApprovalCard, reason: str) -> list[Block]:
    """The summary once the deal's locked values changed: this request no longer counts, and why."""
    line = (
        f"⚠️ Superseded: {safe_text(reason, _REASON_LIMIT)}. Invoicing is held; a new request replaces this one."
    )
    outcome_line = context(truncate(line, CONTEXT_TEXT_LIMIT), block_id=BlockId.APPROVAL_OUTCOME.value)
    return [*_summary_blocks(card, f"Superseded: {card.deal_name}"), outcome_line]


def approval_expired_blocks(card: ApprovalCard, *, after_hours: int | None) -> list[Block]:
    """The summary once the request waited too long: it no longer counts, a fresh request replaces it."""
    limit = f" ({after_hours} business hours)" if after_hours else ""
    line = f"⌛ Expired: nobody decided within the policy's limit{limit}. A fresh request was posted."
    outcome_line = context(line, block_id=BlockId.APPROVAL_OUTCOME.value)
    return [*_summary_blocks(card, f"Expired: {card.deal_name}"), outcome_line]


def approval_message(card: ApprovalCard, *, status: str, outcome: DecidedOutcome | None,
                     expire_after_hours: int | None = None, why: str | None = None) -> tuple[str, list[Block]]:
    """The request message for the request's state: superseded (and why), expired, decided, or pending."""
    if status == "superseded":
        reason = f"the deal changed: {why}" if why else "the deal's terms changed after this request"
        return f"Superseded: {card.deal_name}: {reason}", approval_superseded_blocks(card, reason)
    if status == "expired":
        return f"Expired: {card.deal_name}", approval_expired_blocks(card, after_hours=expire_after_hours)
    if outcome is not None:
        return approval_decided_text(card, outcome), approval_decided_blocks(card, outcome)
    return approval_request_text(card), approval_request_blocks(card)


def approval_request_text(card: ApprovalCard) -> str:
    """Notification / fallback text for the request message."""
    kinds = ", ".join(safe_text(ask.kind, NAME_LIMIT) for ask in card.asks) or "approval"
    deal = safe_text(card.deal_name, NAME_LIMIT)
    customer = safe_text(card.customer_name, NAME_LIMIT)
    text = f"Approval needed: {deal} for {customer}, {money(card.amount, card.currency)} ({kinds})"
    if card.changes:
        text += " (re-approval: " + "; ".join(safe_text(change, _ASK_LIMIT) for change in card.changes) + ")"
    return truncate(text, SECTION_TEXT_LIMIT)


def approval_decided_text(card: ApprovalCard, outcome: DecidedOutcome) -> str:
    """Notification / fallback text for the decided message."""
    verb = "Approved" if outcome.decision == "approved" else "Rejected"
    who = mention(outcome.decider_slack_id, outcome.decider_name)
    return truncate(f"{verb} by {who}: {safe_text(card.deal_name, NAME_LIMIT)}", SECTION_TEXT_LIMIT)


def _summary_blocks(card: ApprovalCard, title: str) -> list[Block]:
    fields = [
        ("Customer", safe_text(card.customer_name, NAME_LIMIT)),
        ("Deal", link(card.opportunity_url, card.deal_name)),
        ("Amount", money(card.amount, card.currency)),
        ("Requested by", mention(card.requester_slack_id, card.requester_name)),
        ("Approver role", safe_text(card.required_role, NAME_LIMIT)),
        ("Opportunity", safe_text(card.opportunity_id, NAME_LIMIT)),
    ]
    meta = f"Request #{card.request_id} · opened {when_utc(card.created_at)}"
    levels = [levels_block(card.levels)] if card.levels else []
    changed = [section(_changes_text(card.changes))] if card.changes else []
    customer = [section(_customer_text(card.proposed_customer))] if card.proposed_customer else []
    return [header(title), fields_section(fields), section(_asks_text(card.asks)), *customer, *changed, *levels,
            context(meta)]
def _customer_text(rows: tuple[tuple[str, str], ...]) -> str:
    title = "*Proposed customer*\n"
    lines = [f"• {safe_text(label, NAME_LIMIT)}: {safe_text(value, _ASK_LIMIT)}" for label, value in rows]
    return title + join_within(lines, SECTION_TEXT_LIMIT - len(title))


def _changes_text(changes: tuple[str, ...]) -> str:
    title = "*Changed since the last approval*\n"
    lines = [f"• {safe_text(change, _ASK_LIMIT)}" for change in changes]
    return title + join_within(lines, SECTION_TEXT_LIMIT - len(title))


def _asks_text(asks: tuple[Ask, ...]) -> str:
    title = "*Needs approval for*\n"
    if not asks:
        return title + "_No details were given._"
    lines = [f"• *{safe_text(a.kind, NAME_LIMIT)}*: {safe_text(a.text, _ASK_LIMIT)}" for a in asks]
    return title + join_within(lines, SECTION_TEXT_LIMIT - len(title))


def _decision_buttons(request_id: int) -> ActionsBlock:
    value = str(request_id)
    approve = button("Approve", action_id=ActionId.APPROVE.value, value=value, style="primary")
    reject = button("Reject", action_id=ActionId.REJECT.value, value=value, style="danger")
    return ActionsBlock(block_id=BlockId.APPROVAL_ACTIONS.value, elements=[approve, reject])


def _outcome_line(outcome: DecidedOutcome) -> str:
    who = mention(outcome.decider_slack_id, outcome.decider_name)
    at = when_utc(outcome.decided_at)
    if outcome.decision == "approved":
        line = f"✅ Approved by {who} at {at}"
        label = "note"
    else:
        line = f"❌ Rejected by {who} at {at}"
        label = "reason"
    if outcome.comment and outcome.comment.strip():
        line += f" — {label}: {safe_text(outcome.comment.strip(), _REASON_LIMIT)}"
    return truncate(line, CONTEXT_TEXT_LIMIT)
