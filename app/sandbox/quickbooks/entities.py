"""Create, read, update (full and sparse) and delete of stored objects, with SyncToken and MetaData."""
from __future__ import annotations

import copy
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from app.sandbox.quickbooks.balances import COMPUTED, refresh_customer_balances
from app.sandbox.quickbooks.books import ENTITIES, READ_ONLY_LISTS, TRANSACTIONS, RealmBook
from app.sandbox.quickbooks.faults import QboFault, required, stale_object
from app.sandbox.quickbooks.links import links_of, prepare_payment, refresh_linked
from app.sandbox.quickbooks.names import prepare_customer, prepare_item, prepare_term
from app.sandbox.quickbooks.transactions import prepare_sale

READ_ONLY = ("Id", "SyncToken", "MetaData", "domain", "sparse", "time", *COMPUTED)


@dataclass(frozen=True)
class BookRules:
    check_doc_numbers: bool = True


def entity_named(name: str) -> str:
    """`invoice` (URL) or `Invoice` (JSON key) -> `Invoice`; 400 for anything we do not emulate."""
    for entity in ENTITIES:
        if entity.lower() == name.lower():
            return entity
    raise QboFault("2010", "Request has invalid or unsupported property", f"Unsupported entity {name}",
                   element=name)


def writable_entity(entity: str) -> str:
    """Tax codes and rates come from the company's tax setup, never from a POST to their endpoint."""
    if entity in READ_ONLY_LISTS:
        raise QboFault("500", "Unsupported Operation", f"Operation Create/Update is not supported for {entity}")
    return entity


def create(book: RealmBook, entity: str, body: dict[str, Any], now: datetime, rules: BookRules) -> dict[str, Any]:
    writable_entity(entity)
    obj = _prepare(book, entity, _writable(body, entity), now, rules, own_id=None)
    stamp = book.stamp(now)
    stored = {"domain": "QBO", "sparse": False, "Id": book.new_id(entity), "SyncToken": "0",
              "MetaData": {"CreateTime": stamp, "LastUpdatedTime": stamp}, **obj}
    book.objects[entity][stored["Id"]] = stored
    _after_payment_change(book, entity, None, stored, now)
    return copy.deepcopy(stored)


def update(book: RealmBook, entity: str, body: dict[str, Any], now: datetime, rules: BookRules) -> dict[str, Any]:
    writable_entity(entity)
    existing = current(book, entity, body)
    before = copy.deepcopy(existing)
    if body.get("sparse") is True or str(body.get("sparse")).lower() == "true":
        merged = {**_kept_on_sparse_update(existing, entity, book), **_writable(body, entity)}
    else:
        merged = _writable(body, entity)
    obj = _prepare(book, entity, merged, now, rules, own_id=existing["Id"])
    updated = {"domain": "QBO", "sparse": False, "Id": existing["Id"],
               "SyncToken": str(int(existing["SyncToken"]) + 1),
               "MetaData": {"CreateTime": existing["MetaData"]["CreateTime"], "LastUpdatedTime": book.stamp(now)},
               **obj}
    if entity != "Payment" and "LinkedTxn" in existing:
        updated["LinkedTxn"] = existing["LinkedTxn"]
    book.objects[entity][existing["Id"]] = updated
    _after_payment_change(book, entity, before, updated, now)
    return copy.deepcopy(updated)


def delete(book: RealmBook, entity: str, body: dict[str, Any], now: datetime) -> dict[str, Any]:
    if entity not in TRANSACTIONS:
        raise QboFault("500", "Unsupported Operation", f"Operation Delete is not supported for {entity}; "
                       "make it inactive instead (Active=false)")
    existing = current(book, entity, body)
    if entity != "Payment" and existing.get("LinkedTxn"):
        raise QboFault("6000", "A business validation error has occurred while processing your request",
                       f"Business Validation Error: {entity} {existing['Id']} has payments applied")
    del book.objects[entity][existing["Id"]]
    book.deleted[entity][existing["Id"]] = now
    _after_payment_change(book, entity, existing, None, now)
    return {"domain": "QBO", "status": "Deleted", "Id": existing["Id"]}


def read(book: RealmBook, entity: str, object_id: str) -> dict[str, Any]:
    return copy.deepcopy(book.get(entity, object_id))


def current(book: RealmBook, entity: str, body: dict[str, Any]) -> dict[str, Any]:
    """The stored object the request names, if its SyncToken is the current one (else 5010 stale)."""
    if body.get("Id") in (None, ""):
        raise required("Id")
    if body.get("SyncToken") in (None, ""):
        raise required("SyncToken")
    existing = book.get(entity, str(body["Id"]))
    if str(body["SyncToken"]) != existing["SyncToken"]:
        raise stale_object()
    return existing


def _kept_on_sparse_update(existing: dict[str, Any], entity: str, book: RealmBook) -> dict[str, Any]:
    """What a sparse update keeps: the writable fields, less the tax QuickBooks computes again (only a chosen
    TxnTaxCodeRef outside automated sales tax survives)."""
    kept = _writable(existing, entity)
    detail = kept.pop("TxnTaxDetail", None)
    if isinstance(detail, dict) and detail.get("TxnTaxCodeRef") and not book.company.uses_automated_sales_tax:
        kept["TxnTaxDetail"] = {"TxnTaxCodeRef": detail["TxnTaxCodeRef"]}
    return kept


def _writable(obj: dict[str, Any], entity: str) -> dict[str, Any]:
    computed = READ_ONLY if entity != "Payment" else tuple(k for k in READ_ONLY if k != "TotalAmt")
    return {key: copy.deepcopy(value) for key, value in obj.items() if key not in computed}


def _prepare(book: RealmBook, entity: str, obj: dict[str, Any], now: datetime, rules: BookRules,
             *, own_id: str | None) -> dict[str, Any]:
    if entity in ("Invoice", "CreditMemo"):
        return prepare_sale(book, entity, obj, now=now, own_id=own_id, check_doc_numbers=rules.check_doc_numbers)
    if entity == "Payment":
        return prepare_payment(book, obj, today=book.local_time(now).date(), own_id=own_id)
    preparer = {"Customer": prepare_customer, "Item": prepare_item, "Term": prepare_term}[entity]
    return preparer(book, obj, own_id)


def _after_payment_change(book: RealmBook, entity: str, before: dict[str, Any] | None,
                          after: dict[str, Any] | None, now: datetime) -> None:
    """A payment re-computes what it touched; any transaction re-computes its customers' balances."""
    if entity == "Payment":
        touched = {(kind, txn_id) for payment in (before, after) if payment for kind, txn_id, _ in links_of(payment)}
        refresh_linked(book, touched, now)
    if entity in TRANSACTIONS:
        refresh_customer_balances(book)
