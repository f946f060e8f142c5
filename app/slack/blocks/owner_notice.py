"""The deal owner's pre-flight message: every problem the billing gate found, each with a link to the Salesforce
record to fix; the same message later says the deal is ready, waiting for approval, rejected or invoiced."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from slack_sdk.models.blocks import Block

from app.slack.blocks.common import context, header, section
from app.slack.blocks.format import (
    NAME_LIMIT,
    SECTION_TEXT_LIMIT,
    join_within,
    link,
    mention,
    money,
    safe_text,
    slack_time,
)
from app.slack.ids import SlashCommand

_LINE_LIMIT = 600
HEADLINES = {
    "blocked": "Fix in Salesforce before invoicing",
    "waiting": "Fixed: waiting for approval",
    "ready": "Fixed: ready for invoicing",
    "invoiced": "Invoiced",
    "rejected": "Approval rejected",
    "on_hold": "Not ready to bill",
}


@dataclass(frozen=True)
class FixLine:
    message: str
    record_label: str
    record_url: str | None


@dataclass(frozen=True, kw_only=True)
class OwnerNoticeView:
    state: str
    deal_name: str
    deal_url: str | None
    amount: Decimal | None
    currency: str = "USD"
    owner_not_in_slack: bool = False
    """The owner was not found in Slack by email: the message is in the exceptions channel instead of a DM."""
    owner_name: str | None
    owner_email: str | None
    fixes: tuple[FixLine, ...] = ()
    waiting_for: tuple[tuple[str, tuple[str, ...]], ...] = ()
    invoice_number: str | None = None
    reason: str = ""
    updated_at: datetime


def owner_notice_text(view: OwnerNoticeView) -> str:
    headline = HEADLINES.get(view.state, view.state)
    count = f" ({len(view.fixes)} to fix)" if view.state == "blocked" else ""
    return f"{headline}: {safe_text(view.deal_name, NAME_LIMIT)}{count}"


def owner_notice_blocks(view: OwnerNoticeView) -> list[Block]:
    blocks: list[Block] = [header(f"{HEADLINES.get(view.state, view.state)}: {view.deal_name}")]
    if view.owner_not_in_slack:
        who = safe_text(view.owner_name or "the opportunity owner", NAME_LIMIT)
        email = f" ({safe_text(view.owner_email, NAME_LIMIT)})" if view.owner_email else ""
        blocks.append(context(f":mag: {who}{email} is not in Slack under that email, so this is posted here: "
                              "please pass it on."))
    blocks.append(section(_body(view)))
    if view.state == "blocked" and view.fixes:
        blocks.append(section(_fix_list(view.fixes)))
    status = f"`{SlashCommand.INVOICE_STATUS.value} {safe_text(view.deal_name, NAME_LIMIT)}`"
    blocks.append(context(f"As of the Salesforce record of {slack_time(view.updated_at)} · this message follows "
                          f"the deal · {status}"))
    return blocks


def _body(view: OwnerNoticeView) -> str:
    deal = f"*{link(view.deal_url, view.deal_name)}*"
    amount = f" ({money(view.amount, view.currency)})" if view.amount is not None else ""
    if view.state == "blocked":
        return (f":construction: {deal}{amount} is won, but it cannot be invoiced yet. Fix "
                f"{'this' if len(view.fixes) == 1 else 'these'} in Salesforce and this message updates itself:")
    if view.state == "waiting":
        return (f":hourglass_flowing_sand: Everything is fixed: {deal}{amount} is waiting for approval by "
                f"{_roles(view)}.")
    if view.state == "ready":
        return f":white_check_mark: Everything is fixed: {deal}{amount} is ready for invoicing."
    if view.state == "invoiced":
        number = f" as invoice *{safe_text(view.invoice_number, NAME_LIMIT)}*" if view.invoice_number else ""
        return f":receipt: Everything is fixed: {deal}{amount} was invoiced{number}."
    if view.state == "rejected":
        return f":x: {deal}{amount} was rejected by an approver: {safe_text(view.reason, _LINE_LIMIT)}"
    return f":pause_button: {deal}{amount} is not ready to bill: {safe_text(view.reason, _LINE_LIMIT)}"


def _fix_list(fixes: tuple[FixLine, ...]) -> str:
    lines = [f"{index}. {safe_text(fix.message, _LINE_LIMIT)} · {link(fix.record_url, f'Open {fix.record_label}')}"
             for index, fix in enumerate(fixes, start=1)]
    return join_within(lines, SECTION_TEXT_LIMIT)


def _roles(view: OwnerNoticeView) -> str:
    parts = []
    for label, users in view.waiting_for:
        people = ", ".join(mention(user, user) for user in users)
        parts.append(f"*{safe_text(label, NAME_LIMIT)}*" + (f" ({people})" if people else ""))
    return " and ".join(parts) or "an approver"
