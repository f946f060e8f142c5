"""Credit memos and their application to an invoice (a zero payment linking both), as our types and QBO JSON."""
from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from app.integrations.exact_json import to_decimal
from app.integrations.quickbooks_models import InvoiceDraft, invoice_payload

CREDIT_MEMO_ONLY_DROPPED = ("SalesTermRef", "DueDate")
"""An invoice's payload less what a credit memo has not (it is not due; it is applied)."""


@dataclass(frozen=True)
class QboCreditMemo:
    id: str
    doc_number: str | None
    sync_token: str
    customer_id: str
    total: Decimal
    remaining_credit: Decimal
    total_tax: Decimal = Decimal("0.00")
    payment_ids: tuple[str, ...] = ()
    """The payments that applied this credit (its LinkedTxn)."""


@dataclass(frozen=True)
class CreditApplication:
    """Apply `amount` of credit memo `credit_memo_id` to invoice `invoice_id` (a payment of 0 received)."""

    customer_id: str
    invoice_id: str
    credit_memo_id: str
    amount: Decimal
    reference: str      # PaymentRefNum: the credit memo's DocNumber, to find the application again


def credit_memo_payload(draft: InvoiceDraft) -> dict[str, Any]:
    payload = invoice_payload(draft)
    for key in CREDIT_MEMO_ONLY_DROPPED:
        payload.pop(key, None)
    return payload


def application_payload(application: CreditApplication) -> dict[str, Any]:
    return {"CustomerRef": {"value": application.customer_id}, "TotalAmt": Decimal("0.00"),
            "PaymentRefNum": application.reference[:21],
            "Line": [{"Amount": application.amount,
                      "LinkedTxn": [{"TxnId": application.invoice_id, "TxnType": "Invoice"}]},
                     {"Amount": application.amount,
                      "LinkedTxn": [{"TxnId": application.credit_memo_id, "TxnType": "CreditMemo"}]}]}


def parse_credit_memo(data: dict[str, Any]) -> QboCreditMemo:
    total = to_decimal(data.get("TotalAmt")) or Decimal("0.00")
    remaining = to_decimal(data.get("RemainingCredit"))
    if remaining is None:
        remaining = to_decimal(data.get("Balance"))
    return QboCreditMemo(
        id=str(data["Id"]), doc_number=data.get("DocNumber"), sync_token=str(data["SyncToken"]),
        customer_id=str((data.get("CustomerRef") or {}).get("value", "")), total=total,
        remaining_credit=total if remaining is None else remaining,
        total_tax=to_decimal((data.get("TxnTaxDetail") or {}).get("TotalTax")) or Decimal("0.00"),
        payment_ids=tuple(str(link["TxnId"]) for link in data.get("LinkedTxn") or []
                          if isinstance(link, dict) and link.get("TxnType") == "Payment"))
