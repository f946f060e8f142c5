"""Change Data Capture rows for credit memos and invoices, as our types (`GET /cdc?entities=CreditMemo,Invoice`)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from app.integrations.exact_json import to_decimal

CHANGE_ENTITIES = "CreditMemo,Invoice"


@dataclass(frozen=True)
class CreditMemoChange:
    """A credit memo as CDC shows it now; `deleted` rows carry only the id and when."""

    id: str
    deleted: bool
    created_at: datetime
    updated_at: datetime
    doc_number: str | None = None
    customer_id: str | None = None
    txn_date: date | None = None
    total: Decimal = Decimal("0.00")
    currency: str | None = None
    home_total: Decimal | None = None
    applied_to_invoice_ids: tuple[str, ...] = ()
    """Invoices named in its LinkedTxn (QuickBooks links a credit memo to payments; a hand-made one may name one)."""


@dataclass(frozen=True)
class InvoiceChange:
    id: str
    deleted: bool
    updated_at: datetime
    total: Decimal | None = None
    voided: bool = False


@dataclass(frozen=True)
class QboChanges:
    credit_memos: tuple[CreditMemoChange, ...]
    invoices: tuple[InvoiceChange, ...]


def rows_of(data: dict[str, Any], entity: str) -> list[dict[str, Any]]:
    return [row for response in data.get("CDCResponse", []) for part in response.get("QueryResponse", [])
            for row in part.get(entity, [])]


def parse_changes(data: dict[str, Any]) -> QboChanges:
    return QboChanges(credit_memos=tuple(parse_credit_memo_change(row) for row in rows_of(data, "CreditMemo")),
                      invoices=tuple(parse_invoice_change(row) for row in rows_of(data, "Invoice")))


def parse_credit_memo_change(row: dict[str, Any]) -> CreditMemoChange:
    meta = row.get("MetaData") or {}
    updated = _moment(meta.get("LastUpdatedTime"))
    created = _moment(meta.get("CreateTime")) if meta.get("CreateTime") else updated
    if row.get("status") == "Deleted":
        return CreditMemoChange(id=str(row["Id"]), deleted=True, created_at=created, updated_at=updated)
    return CreditMemoChange(
        id=str(row["Id"]), deleted=False, created_at=created, updated_at=updated, doc_number=row.get("DocNumber"),
        customer_id=str((row.get("CustomerRef") or {}).get("value", "")) or None,
        txn_date=date.fromisoformat(str(row["TxnDate"])[:10]) if row.get("TxnDate") else None,
        total=to_decimal(row.get("TotalAmt")) or Decimal("0.00"),
        currency=(row.get("CurrencyRef") or {}).get("value"), home_total=to_decimal(row.get("HomeTotalAmt")),
        applied_to_invoice_ids=tuple(str(link["TxnId"]) for link in row.get("LinkedTxn") or []
                                     if isinstance(link, dict) and link.get("TxnType") == "Invoice"))


def parse_invoice_change(row: dict[str, Any]) -> InvoiceChange:
    updated = _moment((row.get("MetaData") or {}).get("LastUpdatedTime"))
    if row.get("status") == "Deleted":
        return InvoiceChange(id=str(row["Id"]), deleted=True, updated_at=updated)
    note = str(row.get("PrivateNote") or "")
    return InvoiceChange(id=str(row["Id"]), deleted=False, updated_at=updated,
                         total=to_decimal(row.get("TotalAmt")), voided=note.startswith("Voided"))


def _moment(text: Any) -> datetime:
    """QuickBooks' ISO times carry an offset; a missing one reads as UTC."""
    if not text:
        return datetime.now(UTC)
    parsed = datetime.fromisoformat(str(text).replace("Z", "+00:00"))
    return (parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)).astimezone(UTC)
