"""POST /batch: up to 30 create/update/delete/query items, each answered on its own (Fault per item)."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from app.sandbox.quickbooks import entities
from app.sandbox.quickbooks.books import RealmBook
from app.sandbox.quickbooks.company_api import query_rows
from app.sandbox.quickbooks.entities import BookRules
from app.sandbox.quickbooks.faults import QboFault, business_rule, invalid_value, required
from app.sandbox.quickbooks.query import parse_query
from app.sandbox.quickbooks.query_eval import canonical_entity, run_query
from app.sandbox.quickbooks.values import without_unset

OPERATIONS = ("create", "update", "delete")
MAX_BID_WITH_REQUEST_ID = 10  # Intuit: with a requestid on the batch, each bId is at most 10 characters


def run_batch(book: RealmBook, body: Any, now: datetime, rules: BookRules, *, max_items: int,
              has_request_id: bool = False) -> dict[str, Any]:
    items = body.get("BatchItemRequest") if isinstance(body, dict) else None
    if not isinstance(items, list) or not items:
        raise required("BatchItemRequest")
    if len(items) > max_items:
        raise business_rule(f"a batch request may hold at most {max_items} items, got {len(items)}")
    bids = [item.get("bId") if isinstance(item, dict) else None for item in items]
    if any(not bid for bid in bids) or len(set(bids)) != len(bids):
        raise invalid_value("bId", "every batch item needs a unique bId")
    if has_request_id and any(len(str(bid)) > MAX_BID_WITH_REQUEST_ID for bid in bids):
        raise invalid_value("bId", f"with a requestid every bId must be at most {MAX_BID_WITH_REQUEST_ID} characters")
    return {"BatchItemResponse": [_one(book, item, now, rules) for item in items]}


def _one(book: RealmBook, item: dict[str, Any], now: datetime, rules: BookRules) -> dict[str, Any]:
    try:
        return {**_answer(book, item, now, rules), "bId": item["bId"]}
    except QboFault as fault:
        return {"Fault": fault.fault(), "bId": item["bId"]}


def _answer(book: RealmBook, item: dict[str, Any], now: datetime, rules: BookRules) -> dict[str, Any]:
    if "Query" in item:
        query = parse_query(str(item["Query"]))
        return {"QueryResponse": run_query(query, query_rows(book, canonical_entity(query.entity)))}
    operation = item.get("operation")
    if operation not in OPERATIONS:
        raise invalid_value("operation", f"must be one of {', '.join(OPERATIONS)}")
    names = [key for key in item if key not in ("bId", "operation", "optionsData")]
    if len(names) != 1 or not isinstance(item[names[0]], dict):
        raise invalid_value("BatchItemRequest", "each item needs exactly one entity object")
    entity = entities.entity_named(names[0])
    obj = without_unset(item[names[0]])
    if operation == "create":
        return {entity: entities.create(book, entity, obj, now, rules)}
    if operation == "update":
        return {entity: entities.update(book, entity, obj, now, rules)}
    return {entity: entities.delete(book, entity, obj, now)}
