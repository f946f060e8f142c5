"""Rules of the name lists: Customer, Item, Term (unique names, derived fields)."""
from __future__ import annotations

from typing import Any

from app.sandbox.quickbooks.balances import level_of
from app.sandbox.quickbooks.books import RealmBook
from app.sandbox.quickbooks.currency import customer_currency
from app.sandbox.quickbooks.faults import QboFault, duplicate_name, invalid_value, required
from app.sandbox.quickbooks.values import as_amount, as_int

MAX_NAME = 500
EXEMPTION_REASONS = range(1, 16)
"""QuickBooks' TaxExemptionReasonId values (1 Federal government ... 9 Resale ... 15 Other)."""


def prepare_customer(book: RealmBook, obj: dict[str, Any], own_id: str | None) -> dict[str, Any]:
    name = str(obj.get("DisplayName") or _composed_name(obj) or "").strip()
    if not name:
        raise required("DisplayName")
    _check_name(name, "DisplayName")
    _unique(book, "Customer", "DisplayName", name, own_id)
    obj.update(DisplayName=name, FullyQualifiedName=name, PrintOnCheckName=obj.get("PrintOnCheckName") or name)
    obj.setdefault("Active", True)
    obj.setdefault("Taxable", True)
    _check_exemption(obj)
    obj["Level"] = level_of(book, obj, "Customer")
    obj["Job"] = obj["Level"] > 0
    obj.setdefault("BillWithParent", False)
    customer_currency(book, obj, book.find("Customer", own_id) if own_id else None)
    obj.setdefault("PreferredDeliveryMethod", "Print")
    current = book.find("Customer", own_id) if own_id else None   # balances are computed (balances.py)
    obj["Balance"] = current["Balance"] if current else 0
    obj["BalanceWithJobs"] = current["BalanceWithJobs"] if current else 0
    return obj


def _check_exemption(obj: dict[str, Any]) -> None:
    """An exempt customer (Taxable false) may carry QuickBooks' exemption reason id and a resale number."""
    for cleared in ("TaxExemptionReasonId", "ResaleNum"):       # null (e.g. in a sparse update) clears it
        if cleared in obj and obj[cleared] is None:
            del obj[cleared]
    if obj.get("Taxable") is True:                               # a taxable customer has no exemption reason
        obj.pop("TaxExemptionReasonId", None)
    reason = obj.get("TaxExemptionReasonId")
    if reason is not None and (not str(reason).isdigit() or int(str(reason)) not in EXEMPTION_REASONS):
        raise invalid_value("TaxExemptionReasonId", f"{reason!r} is not a QuickBooks exemption reason (1-15)")
    if reason is not None:
        obj["TaxExemptionReasonId"] = str(int(str(reason)))
    if not isinstance(obj["Taxable"], bool):
        raise invalid_value("Taxable", "must be true or false")


def _composed_name(obj: dict[str, Any]) -> str:
    person = " ".join(str(obj[key]) for key in ("GivenName", "FamilyName") if obj.get(key))
    return person or str(obj.get("CompanyName") or "")


def prepare_item(book: RealmBook, obj: dict[str, Any], own_id: str | None) -> dict[str, Any]:
    name = str(obj.get("Name") or "").strip()
    if not name:
        raise required("Name")
    _check_name(name, "Name")
    _unique(book, "Item", "Name", name, own_id)
    item_type = obj.setdefault("Type", "Service")
    if item_type in ("Service", "NonInventory") and not obj.get("IncomeAccountRef"):
        raise required("IncomeAccountRef")
    if "UnitPrice" in obj:
        obj["UnitPrice"] = as_amount(obj["UnitPrice"], "UnitPrice", places=None)
    obj.update(Name=name, FullyQualifiedName=name)
    obj.setdefault("Active", True)
    obj.setdefault("Taxable", False)
    obj.setdefault("TrackQtyOnHand", False)
    obj["Level"] = level_of(book, obj, "Item")
    obj["SubItem"] = obj["Level"] > 0
    return obj


def prepare_term(book: RealmBook, obj: dict[str, Any], own_id: str | None) -> dict[str, Any]:
    name = str(obj.get("Name") or "").strip()
    if not name:
        raise required("Name")
    _unique(book, "Term", "Name", name, own_id)
    obj["Name"] = name
    obj.setdefault("Type", "STANDARD")
    obj.setdefault("Active", True)
    if obj["Type"] == "STANDARD":
        obj["DueDays"] = as_int(obj.get("DueDays", 0), "DueDays")
    return obj


def _check_name(name: str, field: str) -> None:
    if len(name) > MAX_NAME:
        raise QboFault("2050", "String length is either shorter or longer than supported by specification",
                       f"{field} is longer than {MAX_NAME} characters", element=field)
    if ":" in name:
        raise invalid_value(field, "a name may not contain ':'")


def _unique(book: RealmBook, entity: str, field: str, name: str, own_id: str | None) -> None:
    for row in book.rows(entity):
        if row["Id"] != own_id and str(row.get(field, "")).strip().lower() == name.lower():
            if entity == "Customer":
                raise duplicate_name(row["Id"])
            raise QboFault("6240", "Duplicate Name Exists Error",
                           f"The name supplied already exists. : Id={row['Id']}")
