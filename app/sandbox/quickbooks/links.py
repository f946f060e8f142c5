"""Payments applied to invoices and credit memos: validation, applied totals, refreshing linked balances."""
from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from app.sandbox.quickbooks.books import RealmBook
from app.sandbox.quickbooks.currency import transaction_currency
from app.sandbox.quickbooks.faults import business_rule, invalid_reference, invalid_value, required
from app.sandbox.quickbooks.values import as_amount, as_date, referenced

LINKABLE = ("Invoice", "CreditMemo")


def links_of(payment: dict[str, Any]) -> list[tuple[str, str, Decimal]]:
    """(TxnType, TxnId, Amount) for every applied line of a stored payment."""
    found = []
    for line in payment.get("Line", []):
        for link in line.get("LinkedTxn", []):
            found.append((link["TxnType"], str(link["TxnId"]), Decimal(line["Amount"])))
    return found


def applied_to(book: RealmBook, txn_type: str, txn_id: str | None, *, skip_payment: str | None = None) -> Decimal:
    if txn_id is None:
        return Decimal("0.00")
    return sum((amount for payment in book.rows("Payment") if payment["Id"] != skip_payment
                for kind, linked_id, amount in links_of(payment) if (kind, linked_id) == (txn_type, txn_id)),
               start=Decimal("0.00"))


def prepare_payment(book: RealmBook, obj: dict[str, Any], *, today: date, own_id: str | None) -> dict[str, Any]:
    customer = referenced(book, obj, "CustomerRef", "Customer")
    if obj.get("TotalAmt") in (None, ""):
        raise required("TotalAmt")
    total = as_amount(obj["TotalAmt"], "TotalAmt")
    lines = [_payment_line(book, raw, customer["Id"], own_id) for raw in obj.get("Line") or []]
    paid = sum((Decimal(line["Amount"]) for line in lines if line["LinkedTxn"][0]["TxnType"] == "Invoice"),
               Decimal("0.00"))
    credited = sum((Decimal(line["Amount"]) for line in lines if line["LinkedTxn"][0]["TxnType"] == "CreditMemo"),
                   Decimal("0.00"))
    if paid - credited > total:
        raise business_rule(f"the amounts applied ({paid - credited}) exceed the payment total {total}")
    txn_date = as_date(obj["TxnDate"], "TxnDate") if obj.get("TxnDate") else today
    obj.update(Line=lines, TotalAmt=total, UnappliedAmt=total - (paid - credited), TxnDate=txn_date.isoformat(),
               CustomerRef={"value": customer["Id"], "name": customer["DisplayName"]})
    transaction_currency(book, obj, customer, txn_date)
    return obj


def _payment_line(book: RealmBook, raw: Any, customer_id: str, own_id: str | None) -> dict[str, Any]:
    links = raw.get("LinkedTxn") if isinstance(raw, dict) else None
    if not links or not isinstance(links, list) or not isinstance(links[0], dict):
        raise required("Line.LinkedTxn")
    kind, txn_id = links[0].get("TxnType"), str(links[0].get("TxnId", ""))
    if kind not in LINKABLE:
        raise invalid_value("Line.LinkedTxn.TxnType", f"cannot apply a payment to {kind!r}")
    target = book.find(kind, txn_id)
    if target is None:
        raise invalid_reference(kind, txn_id)
    if target["CustomerRef"]["value"] != customer_id:
        raise business_rule(f"{kind} {txn_id} belongs to another customer")
    amount = as_amount(raw.get("Amount"), "Line.Amount")
    open_amount = Decimal(target["TotalAmt"]) - applied_to(book, kind, txn_id, skip_payment=own_id)
    if amount <= 0 or amount > open_amount:
        raise business_rule(f"the amount {amount} must be positive and at most the open "
                            f"{open_amount} of {kind} {txn_id}")
    return {"Amount": amount, "LinkedTxn": [{"TxnId": txn_id, "TxnType": kind}]}


def refresh_linked(book: RealmBook, targets: set[tuple[str, str]], now: datetime) -> None:
    """Recompute Balance and LinkedTxn of invoices/credit memos a payment touched; QBO bumps their SyncToken."""
    for kind, txn_id in sorted(targets):
        target = book.find(kind, txn_id)
        if target is None:
            continue
        target["Balance"] = Decimal(target["TotalAmt"]) - applied_to(book, kind, txn_id)
        if kind == "CreditMemo":
            target["RemainingCredit"] = target["Balance"]
        if "ExchangeRate" in target and kind == "Invoice":
            target["HomeBalance"] = (target["Balance"] * Decimal(target["ExchangeRate"])).quantize(Decimal("0.01"))
        target["LinkedTxn"] = [{"TxnId": payment["Id"], "TxnType": "Payment"} for payment in book.rows("Payment")
                               if any((k, i) == (kind, txn_id) and amount for k, i, amount in links_of(payment))]
        target["SyncToken"] = str(int(target["SyncToken"]) + 1)
        target["MetaData"] = {**target["MetaData"], "LastUpdatedTime": book.stamp(now)}
