"""The confirmation posted in the approval request's thread once the QuickBooks invoice exists."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from slack_sdk.models.blocks import Block

from app.slack.blocks.common import context, section
from app.slack.blocks.format import NAME_LIMIT, SECTION_TEXT_LIMIT, day, link, money, safe_text, truncate


@dataclass(frozen=True, kw_only=True)
class InvoiceConfirmation:
    """A QuickBooks invoice we just created for a deal."""

    invoice_number: str
    invoice_id: str
    qbo_url: str | None
    amount: Decimal
    currency: str = "USD"
    due_date: date | None
    customer_name: str
    tax: Decimal | None = None
    """The tax QuickBooks computed; shown when there is any."""


def invoice_created_text(confirmation: InvoiceConfirmation) -> str:
    """One line, used as notification text and as the body of the thread message."""
    number = link(confirmation.qbo_url, confirmation.invoice_number)
    customer = safe_text(confirmation.customer_name, NAME_LIMIT)
    amount = money(confirmation.amount, confirmation.currency)
    if confirmation.tax:
        amount += f" (incl. {money(confirmation.tax, confirmation.currency)} tax)"
    due = f", due {day(confirmation.due_date)}" if confirmation.due_date else ""
    text = f"🧾 Invoice {number} created in QuickBooks for {customer}: {amount}{due}."
    return truncate(text, SECTION_TEXT_LIMIT)


def invoice_created_blocks(confirmation: InvoiceConfirmation) -> list[Block]:
    """The thread confirmation: the summary line and the QuickBooks ids for support."""
    ids = (
        f"QuickBooks invoice id {safe_text(confirmation.invoice_id, NAME_LIMIT)}"
        f" · doc number {safe_text(confirmation.invoice_number, NAME_LIMIT)}"
    )
    return [section(invoice_created_text(confirmation)), context(ids)]
