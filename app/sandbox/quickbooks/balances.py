"""Fields QuickBooks computes and never takes from a request: customer balances, a credit memo's remaining
credit, the Level of a sub-customer or sub-item."""
from __future__ import annotations

from decimal import Decimal
from typing import Any

from app.sandbox.quickbooks.books import RealmBook
from app.sandbox.quickbooks.faults import invalid_reference
from app.sandbox.quickbooks.values import ref_id

COMPUTED = ("Balance", "BalanceWithJobs", "RemainingCredit", "Level", "UnappliedAmt", "HomeTotalAmt",
            "HomeBalance", "TotalAmt", "LinkedTxn", "FullyQualifiedName")
"""Sent values of these are dropped (Payment keeps TotalAmt: its total is what was received)."""


def level_of(book: RealmBook, obj: dict[str, Any], entity: str) -> int:
    """0 for a top-level customer or item; one more than its parent's for a sub-customer (job) or sub-item."""
    parent_id = ref_id(obj, "ParentRef")
    if parent_id is None:
        return 0
    parent = book.find(entity, parent_id)
    if parent is None:
        raise invalid_reference(entity, parent_id)
    return int(parent.get("Level", 0)) + 1


def refresh_customer_balances(book: RealmBook) -> None:
    """Balance: open invoices less unused credit memos and unapplied payments; BalanceWithJobs adds the jobs'."""
    owed: dict[str, Decimal] = {}
    for entity, field_name, sign in (("Invoice", "Balance", 1), ("CreditMemo", "RemainingCredit", -1),
                                     ("Payment", "UnappliedAmt", -1)):
        for row in book.rows(entity):
            customer_id = ref_id(row, "CustomerRef") or ""
            owed[customer_id] = owed.get(customer_id, Decimal("0.00")) + sign * Decimal(row.get(field_name) or 0)
    customers = book.rows("Customer")
    for customer in customers:
        customer["Balance"] = owed.get(str(customer["Id"]), Decimal("0.00"))
    for customer in customers:
        customer["BalanceWithJobs"] = customer["Balance"] + sum(
            (Decimal(job["Balance"]) for job in customers if _descends_from(book, job, str(customer["Id"]))),
            Decimal("0.00"))


def _descends_from(book: RealmBook, customer: dict[str, Any], ancestor_id: str) -> bool:
    seen: set[str] = set()
    parent_id = ref_id(customer, "ParentRef")
    while parent_id is not None and parent_id not in seen:
        if parent_id == ancestor_id:
            return True
        seen.add(parent_id)
        parent = book.find("Customer", parent_id)
        parent_id = ref_id(parent, "ParentRef") if parent else None
    return False
