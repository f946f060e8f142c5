"""Create, read, update (full and sparse) and delete of stored objects, with SyncToken and MetaData."""
from __future__ import annotations

import copy
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from app.sandbox.quickbooks.books import ENTITIES, TRANSACTIONS, RealmBook
from app.sandbox.quickbooks.faults import QboFault, required, stale_object
from app.sandbox.quickbooks.links import links_of, prepare_payment, refresh_linked
from app.sandbox.quickbooks.names import prepare_customer, prepare_item, prepare_term
from app.sandbox.quickbooks.transactions import prepare_sale

READ_ONLY = ("Id", "SyncToken", "MetaData", "domain", "sparse", "TotalAmt", "Balance", "LinkedTxn",
             "FullyQualifiedName", "UnappliedAmt", "time")


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


def create(book: RealmBook, entity: str, body: dict[str, Any], now: datetime, rules: BookRules) -> dict[str, Any]:
    obj = _prepare(book, entity, _writable(body, entity), now, rules, own_id=None)
    stamp = book.stamp(now)
    stored = {"domain": "QBO", "sparse": False, "Id": book.new_id(entity), "SyncToken": "0",
              "MetaData": {"CreateTime": stamp, "LastUpdatedTime": stamp}, **obj}
    book.objects[entity][stored["Id"]] = stored
    _after_payment_change(book, entity, None, stored, now)
    return copy.deepcopy(stored)


def update(book: RealmBook, entity: str, body: dict[str, Any], now: datetime, rules: BookRules) -> dict[str, Any]:
    existing = _current(book, entity, body)
    before = copy.deepcopy(existing)
    if body.get("sparse") is True or str(body.get("sparse")).lower() == "true":
        merged = {**_writable(existing, entity), **_writable(body, entity)}
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
    existing = _current(book, entity, body)
    if entity != "Payment" and existing.get("LinkedTxn"):
        raise QboFault("6000", "A business validation error has occurred while processing your request",
                       f"Business Validation Error: {entity} {existing['Id']} has payments applied")
    del book.objects[entity][existing["Id"]]
    book.deleted[entity][existing["Id"]] = now
    _after_payment_change(book, entity, existing, None, now)
    return {"domain": "QBO", "status": "Deleted", "Id": existing["Id"]}


def read(book: RealmBook, entity: str, object_id: str) -> dict[str, Any]:
    return copy.deepcopy(book.get(entity, object_id))


def _current(book: RealmBook, entity: str, body: dict[str, Any]) -> dict[str, Any]:
    if body.get("Id") in (None, ""):
        raise required("Id")
    if body.get("SyncToken") in (None, ""):
        raise required("SyncToken")
    existing = book.get(entity, str(body["Id"]))
    if str(body["SyncToken"]) != existing["SyncToken"]:
        raise stale_object()
    return existing


def _writable(obj: dict[str, Any], entity: str) -> dict[str, Any]:
    computed = READ_ONLY if entity != "Payment" else tuple(k for k in READ_ONLY if k != "TotalAmt")
    return {key: copy.deepcopy(value) for key, value in obj.items() if key not in computed}


def _prepare(book: RealmBook, entity: str, obj: dict[str, Any], now: datetime, rules: BookRules,
             *, own_id: str | None) -> dict[str, Any]:
    today = book.local_time(now).date()
    if entity in ("Invoice", "CreditMemo"):
        return prepare_sale(book, entity, obj, today=today, own_id=own_id, check_doc_numbers=rules.check_doc_numbers)
    if entity == "Payment":
        return prepare_payment(book, obj, today=today, own_id=own_id)
    preparer = {"Customer": prepare_customer, "Item": prepare_item, "Term": prepare_term}[entity]
    return preparer(book, obj, own_id)


def _after_payment_change(book: RealmBook, entity: str, before: dict[str, Any] | None,
                          after: dict[str, Any] | None, now: datetime) -> None:
    if entity != "Payment":
        return
    touched = {(kind, txn_id) for payment in (before, after) if payment for kind, txn_id, _ in links_of(payment)}
    refresh_linked(book, touched, now)
