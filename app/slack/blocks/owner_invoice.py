"""The DM that tells a deal's owner their invoice exists: number (linked to QuickBooks), amount and due date."""
from __future__ import annotations

from slack_sdk.models.blocks import Block

from app.slack.blocks.common import context, section
from app.slack.blocks.format import NAME_LIMIT, day, link, money, safe_text
from app.slack.blocks.invoice import InvoiceConfirmation


def owner_invoice_text(confirmation: InvoiceConfirmation, deal_name: str) -> str:
    return (f"Invoice {safe_text(confirmation.invoice_number, NAME_LIMIT)} created for "
            f"{safe_text(deal_name, NAME_LIMIT)}: {money(confirmation.amount, confirmation.currency)}")


def owner_invoice_blocks(confirmation: InvoiceConfirmation, *, deal_name: str, deal_url: str | None) -> list[Block]:
    number = link(confirmation.qbo_url, confirmation.invoice_number)
    due = f", due *{day(confirmation.due_date)}*" if confirmation.due_date else ""
    amount = money(confirmation.amount, confirmation.currency)
    text = (f":receipt: Your deal *{link(deal_url, deal_name)}* is invoiced: invoice *{number}* for "
            f"{safe_text(confirmation.customer_name, NAME_LIMIT)}, *{amount}*{due}.")
    where = link(confirmation.qbo_url, "Open the invoice in QuickBooks") if confirmation.qbo_url else \
        f"QuickBooks invoice id {safe_text(confirmation.invoice_id, NAME_LIMIT)}"
    return [section(text), context(where)]
