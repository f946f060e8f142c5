"""The App Home tab: what waits for the user, recent invoices and the health counters."""
from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from typing import NamedTuple, TypeVar

from slack_sdk.models.blocks import ActionsBlock, Block
from slack_sdk.models.views import View

from app.slack.blocks.common import button, context, divider, fields_section, header, section
from app.slack.blocks.format import NAME_LIMIT, age, link, money, safe_text
from app.slack.ids import ActionId, BlockId, SlashCommand

MAX_PENDING_SHOWN = 40
MAX_INVOICES_SHOWN = 20
_ASK_LIMIT = 300
Row = TypeVar("Row")


class PendingApprovalRow(NamedTuple):
    """One request waiting for this approver; `permalink` points at the request message."""

    deal_name: str
    ask: str
    age: timedelta
    permalink: str | None = None
    waiting_for: tuple[str, ...] = ()
    """The label of every open level's role."""


class RecentInvoiceRow(NamedTuple):
    """One invoice we created recently."""

    invoice_number: str
    customer_name: str
    amount: Decimal
    currency: str = "USD"
    qbo_url: str | None = None


@dataclass(frozen=True, kw_only=True)
class HomeView:
    """Everything the Home tab shows for one user."""

    is_approver: bool
    pending_approvals: tuple[PendingApprovalRow, ...] = ()
    recent_invoices: tuple[RecentInvoiceRow, ...] = ()
    open_exceptions: int = 0
    deals_awaiting_data: int = 0


def home_view(view: HomeView) -> View:
    """The Home tab (type "home"), at most 40 pending rows and 20 invoices so it stays under 100 blocks."""
    blocks: list[Block] = [header("Ledgerbridge"), _refresh_actions(), fields_section(_counters(view))]
    blocks += [divider(), *_pending_blocks(view), divider(), *_invoice_blocks(view)]
    return View(type="home", blocks=blocks)


def _refresh_actions() -> ActionsBlock:
    refresh = button("Refresh", action_id=ActionId.HOME_REFRESH.value, value="refresh")
    return ActionsBlock(block_id=BlockId.HOME_ACTIONS.value, elements=[refresh])


def _counters(view: HomeView) -> list[tuple[str, str]]:
    counters = [
        ("Open exceptions", str(view.open_exceptions)),
        ("Deals awaiting data", str(view.deals_awaiting_data)),
    ]
    if view.is_approver:
        counters.insert(0, ("Waiting for you", str(len(view.pending_approvals))))
    return counters


def _pending_blocks(view: HomeView) -> list[Block]:
    title = header("Waiting for your approval")
    if not view.is_approver:
        return [title, context("You are not an approver, so no requests wait for you.")]
    if not view.pending_approvals:
        return [title, section("_Nothing waits for you. Nice._")]
    more = f"see `{SlashCommand.APPROVALS.value}` for the full list"
    return [title, *_rows(view.pending_approvals, _pending_section, MAX_PENDING_SHOWN, more)]


def _invoice_blocks(view: HomeView) -> list[Block]:
    title = header("Recent invoices")
    if not view.recent_invoices:
        return [title, section("_No invoices yet._")]
    more = "older ones are in QuickBooks"
    return [title, *_rows(view.recent_invoices, _invoice_section, MAX_INVOICES_SHOWN, more)]


def _rows(rows: Sequence[Row], render: Callable[[Row], Block], cap: int, more: str) -> list[Block]:
    blocks = [render(row) for row in rows[:cap]]
    if len(rows) > cap:
        blocks.append(context(f"…and {len(rows) - cap} more; {more}."))
    return blocks


def _pending_section(row: PendingApprovalRow) -> Block:
    deal = link(row.permalink, row.deal_name)
    roles = f" for {', '.join(safe_text(role, NAME_LIMIT) for role in row.waiting_for)}" if row.waiting_for else ""
    return section(f"*{deal}*\n{safe_text(row.ask, _ASK_LIMIT)} · waiting {age(row.age)}{roles}")


def _invoice_section(row: RecentInvoiceRow) -> Block:
    number = link(row.qbo_url, row.invoice_number)
    customer = safe_text(row.customer_name, NAME_LIMIT)
    return section(f"*{number}* · {customer} · {money(row.amount, row.currency)}")
