"""Voiding as QuickBooks does it: the transaction stays, its amounts and quantities become zero, "Voided" is put
before its PrivateNote, and what it touched is restored (balances, links). CDC then shows it as changed.

POST /invoice?operation=void {Id, SyncToken}; POST /payment?operation=update&include=void {Id, SyncToken, sparse}.
"""
from __future__ import annotations

import copy
from datetime import datetime
from decimal import Decimal
from typing import Any

from app.sandbox.quickbooks.balances import refresh_customer_balances
from app.sandbox.quickbooks.books import RealmBook
from app.sandbox.quickbooks.entities import current
from app.sandbox.quickbooks.faults import QboFault
from app.sandbox.quickbooks.links import links_of, refresh_linked

ZERO = Decimal("0.00")
VOIDABLE = ("Invoice", "Payment")


def void(book: RealmBook, entity: str, body: dict[str, Any], now: datetime) -> dict[str, Any]:
    if entity not in VOIDABLE:
        raise QboFault("500", "Unsupported Operation", f"Operation Void is not supported for {entity}")
    existing = current(book, entity, body)
    if entity == "Invoice":
        _unlink_payments(book, existing["Id"], now)
        _zero_sale(existing)
    else:
        touched = {(kind, txn_id) for kind, txn_id, _ in links_of(existing)}
        _zero_payment(existing)
        refresh_linked(book, touched, now)
    existing["PrivateNote"] = _voided(existing.get("PrivateNote"))
    _bump(book, existing, now)
    refresh_customer_balances(book)
    return copy.deepcopy(existing)


def _zero_sale(sale: dict[str, Any]) -> None:
    for line in sale.get("Line", []):
        line["Amount"] = ZERO
        detail = line.get("SalesItemLineDetail")
        if isinstance(detail, dict):
            for key in ("Qty", "TaxInclusiveAmt"):
                if key in detail:
                    detail[key] = Decimal(0) if key == "Qty" else ZERO
    tax = dict(sale.get("TxnTaxDetail") or {})
    tax["TotalTax"] = ZERO
    if tax.get("TaxLine"):
        tax["TaxLine"] = [{**line, "Amount": ZERO} for line in tax["TaxLine"]]
    sale["TxnTaxDetail"] = tax
    sale["TotalAmt"], sale["Balance"], sale["LinkedTxn"] = ZERO, ZERO, []
    for key in ("HomeTotalAmt", "HomeBalance"):
        if key in sale:
            sale[key] = ZERO


def _zero_payment(payment: dict[str, Any]) -> None:
    for line in payment.get("Line", []):
        line["Amount"] = ZERO
    payment["TotalAmt"], payment["UnappliedAmt"] = ZERO, ZERO


def _unlink_payments(book: RealmBook, invoice_id: str, now: datetime) -> None:
    """A payment applied to a voided invoice stays, unapplied: the customer keeps it as a credit."""
    for payment in book.rows("Payment"):
        kept = [line for line in payment.get("Line", [])
                if not any((link["TxnType"], str(link["TxnId"])) == ("Invoice", invoice_id)
                           for link in line.get("LinkedTxn", []))]
        if len(kept) == len(payment.get("Line", [])):
            continue
        applied = sum((Decimal(line["Amount"]) * (1 if line["LinkedTxn"][0]["TxnType"] == "Invoice" else -1)
                       for line in kept), ZERO)
        payment["Line"], payment["UnappliedAmt"] = kept, Decimal(payment["TotalAmt"]) - applied
        _bump(book, payment, now)


def _voided(note: Any) -> str:
    return f"Voided - {note}" if note else "Voided"


def _bump(book: RealmBook, obj: dict[str, Any], now: datetime) -> None:
    obj["SyncToken"] = str(int(obj["SyncToken"]) + 1)
    obj["MetaData"] = {**obj["MetaData"], "LastUpdatedTime": book.stamp(now)}
