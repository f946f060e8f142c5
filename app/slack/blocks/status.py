"""Ephemeral replies to `/invoice-status <opportunity id | deal name | invoice number>`."""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import NamedTuple
from zoneinfo import ZoneInfo

from slack_sdk.models.blocks import Block

from app.slack.blocks.common import context, fields_section, header, section
from app.slack.blocks.correction import propose_correction_button
from app.slack.blocks.format import (
    NAME_LIMIT,
    SECTION_TEXT_LIMIT,
    day,
    escape,
    join_within,
    link,
    mention,
    money,
    safe_text,
    slack_time,
)
from app.slack.ids import SlashCommand

MAX_CANDIDATES_SHOWN = 10
_QUERY_LIMIT = 100
_LINE_LIMIT = 500
_USAGE_ARG = "<opportunity id | deal name | invoice number>"


class ApprovalLine(NamedTuple):
    """One approval on the deal: kind label, status label and, once decided, who, when and why."""

    kind: str
    status: str
    decider_name: str | None = None
    decided_at: datetime | None = None
    comment: str | None = None
    decider_slack_id: str | None = None


class Candidate(NamedTuple):
    """One deal matching an ambiguous query."""

    opportunity_id: str
    name: str
    stage: str
    amount: Decimal | None
    currency: str = "USD"


class CorrectionLine(NamedTuple):
    """One correction of the invoice: kind label, status label, amount, the credit memo number once made."""

    kind: str
    status: str
    amount: Decimal
    credit_memo_number: str | None = None


@dataclass(frozen=True, kw_only=True)
class InvoiceStatusView:
    """Where one deal stands on its way to a QuickBooks invoice."""

    deal_name: str
    opportunity_id: str
    opportunity_url: str | None = None
    stage: str
    gate_status: str
    gate_problems: tuple[str, ...] = ()
    approvals: tuple[ApprovalLine, ...] = ()
    invoice_number: str | None = None
    amount: Decimal | None = None
    balance: Decimal | None = None
    due_date: date | None = None
    invoice_status: str | None = None
    currency: str = "USD"
    tax: Decimal | None = None
    corrections: tuple[CorrectionLine, ...] = ()
    can_correct: bool = False
    problems_title: str = "Blocking the invoice"
    milestones: tuple[str, ...] = ()
    """One line per due milestone of the billing schedule, with its invoice."""
    """Corrections are on in the policy and the deal has an invoice: show the "Propose correction" button."""


def invoice_status_blocks(view: InvoiceStatusView, *, tz: ZoneInfo) -> list[Block]:
    """Deal summary, what blocks the billing gate, approvals (deciders as mentions, times in each reader's zone through
    Slack's date formatting; `tz` is kept for callers) and the invoice."""
    blocks: list[Block] = [header(view.deal_name), fields_section(_deal_fields(view))]
    if view.gate_problems:
        problems = [f"• {safe_text(problem, _LINE_LIMIT)}" for problem in view.gate_problems]
        blocks.append(section(_titled(view.problems_title, problems, empty="None.")))
    approvals = [_approval_line(approval, tz) for approval in view.approvals]
    blocks.append(section(_titled("Approvals", approvals, empty="None needed.")))
    blocks.append(_invoice_block(view))
    if view.milestones:
        blocks.append(section(_titled("Milestones", [safe_text(line, _LINE_LIMIT) for line in view.milestones],
                                      empty="None.")))
    if view.corrections:
        lines = [_correction_line(c, view.currency) for c in view.corrections]
        blocks.append(section(_titled("Corrections", lines, empty="None.")))
    if view.can_correct and view.invoice_number is not None:
        blocks.append(propose_correction_button(view.opportunity_id))
    return blocks


def _correction_line(correction: CorrectionLine, currency: str) -> str:
    memo = f" · credit memo {safe_text(correction.credit_memo_number, 40)}" if correction.credit_memo_number else ""
    return (f"• *{safe_text(correction.kind, NAME_LIMIT)}* of {money(correction.amount, currency)}: "
            f"{safe_text(correction.status, NAME_LIMIT)}{memo}")


def status_candidates_blocks(query: str, candidates: Sequence[Candidate]) -> list[Block]:
    """Several deals match: list them and tell the user how to pick one."""
    lines = [_candidate_line(c) for c in candidates]
    title = f"{len(candidates)} deals match “{_query(query)}”:"
    body = join_within(lines, SECTION_TEXT_LIMIT - len(title) - 1, max_lines=MAX_CANDIDATES_SHOWN)
    hint = f"Try `{SlashCommand.INVOICE_STATUS.value} {escape('<opportunity id>')}` to see one of them."
    return [section(f"{title}\n{body}"), context(hint)]


def status_candidates_text(query: str, count: int) -> str:
    """Notification / fallback text for the candidates reply."""
    return f"{count} deals match “{_query(query)}”."


def status_not_found_text(query: str) -> str:
    """Nothing matched: say what the command accepts."""
    return (
        f"No deal, opportunity or invoice matches “{_query(query)}”. Try the Salesforce opportunity id "
        "(starts with 006), the deal name, or the QuickBooks invoice number."
    )


def status_too_long_text(length: int, limit: int) -> str:
    """A query longer than any id, name or invoice number: refused before any lookup."""
    return (f"That is {length:,} characters; `{SlashCommand.INVOICE_STATUS.value}` takes at most {limit}: "
            "an opportunity id, a deal name or a QuickBooks invoice number.")


def status_usage_text() -> str:
    """How to use the command, for an empty or malformed query."""
    command = f"{SlashCommand.INVOICE_STATUS.value} {escape(_USAGE_ARG)}"
    return (
        f"Usage: `{command}`\nShows the deal's billing gate, its approvals and its QuickBooks invoice. "
        f"Example: `{SlashCommand.INVOICE_STATUS.value} 0065g00000AbCdE`"
    )


def _deal_fields(view: InvoiceStatusView) -> list[tuple[str, str]]:
    fields = [
        ("Opportunity", link(view.opportunity_url, view.opportunity_id)),
        ("Stage", safe_text(view.stage, NAME_LIMIT)),
        ("Billing gate", safe_text(view.gate_status, NAME_LIMIT)),
    ]
    if view.amount is not None:
        fields.append(("Amount", money(view.amount, view.currency)))
    return fields


def _invoice_block(view: InvoiceStatusView) -> Block:
    if view.invoice_number is None:
        return section("*Invoice*\n_No QuickBooks invoice yet._")
    fields = [
        ("Invoice", safe_text(view.invoice_number, NAME_LIMIT)),
        ("Status", safe_text(view.invoice_status or "unknown", NAME_LIMIT)),
    ]
    if view.tax:
        fields.append(("Tax", money(view.tax, view.currency)))
    if view.balance is not None:
        fields.append(("Balance", money(view.balance, view.currency)))
    if view.due_date is not None:
        fields.append(("Due", day(view.due_date)))
    return fields_section(fields)


def _approval_line(approval: ApprovalLine, tz: ZoneInfo) -> str:
    line = f"• *{safe_text(approval.kind, NAME_LIMIT)}*: {safe_text(approval.status, NAME_LIMIT)}"
    if approval.decider_name:
        line += f" by {mention(approval.decider_slack_id, approval.decider_name)}"
    if approval.decided_at is not None:
        line += f", {slack_time(approval.decided_at)}"
    if approval.comment and approval.comment.strip():
        line += f" — “{safe_text(approval.comment.strip(), _LINE_LIMIT)}”"
    return line


def _candidate_line(candidate: Candidate) -> str:
    amount = f", {money(candidate.amount, candidate.currency)}" if candidate.amount is not None else ""
    name = safe_text(candidate.name, NAME_LIMIT)
    stage = safe_text(candidate.stage, NAME_LIMIT)
    return f"• *{name}* ({stage}{amount}) · `{safe_text(candidate.opportunity_id, 40)}`"


def _titled(title: str, lines: list[str], *, empty: str) -> str:
    heading = f"*{title}*\n"
    if not lines:
        return heading + f"_{empty}_"
    return heading + join_within(lines, SECTION_TEXT_LIMIT - len(heading))


def _query(query: str) -> str:
    return safe_text(" ".join(query.split()), _QUERY_LIMIT)
