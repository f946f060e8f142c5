"""Running a parsed Query over stored objects (pure: dicts in, a QueryResponse dict out)."""
from __future__ import annotations

import re
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from app.sandbox.quickbooks.faults import QboFault, query_validation_error
from app.sandbox.quickbooks.query import Condition, Query

_COMMON = {"Id", "SyncToken", "MetaData.CreateTime", "MetaData.LastUpdatedTime"}
QUERYABLE: dict[str, set[str]] = {
    "Customer": _COMMON | {"DisplayName", "GivenName", "FamilyName", "CompanyName", "FullyQualifiedName",
                           "PrimaryEmailAddr", "Active", "Balance", "Taxable", "CurrencyRef", "Level"},
    "Item": _COMMON | {"Name", "Sku", "Type", "Active", "FullyQualifiedName", "Taxable"},
    "Term": _COMMON | {"Name", "DueDays", "Active", "Type"},
    "Invoice": _COMMON | {"DocNumber", "TxnDate", "DueDate", "CustomerRef", "SalesTermRef", "TotalAmt",
                          "Balance", "EmailStatus", "PrivateNote", "CurrencyRef"},
    "Payment": _COMMON | {"TxnDate", "CustomerRef", "TotalAmt", "PaymentRefNum"},
    "CreditMemo": _COMMON | {"DocNumber", "TxnDate", "CustomerRef", "TotalAmt", "Balance", "RemainingCredit"},
    "TaxCode": _COMMON | {"Name", "Active", "Taxable", "TaxGroup"},
    "TaxRate": _COMMON | {"Name", "Active", "RateValue"},
    "ExchangeRate": {"SourceCurrencyCode", "TargetCurrencyCode", "AsOfDate", "MetaData.LastUpdatedTime"},
}
NAME_LISTS = {"Customer", "Item", "Term", "TaxCode", "TaxRate"}  # inactive rows hidden unless Active is in WHERE
HIDDEN_UNLESS_SELECTED: dict[str, frozenset[str]] = {"Item": frozenset({"Sku"})}
"""Fields `SELECT *` leaves out; `SELECT *, Sku` or naming them brings them back (as QuickBooks answers)."""


def canonical_entity(name: str) -> str:
    for entity in QUERYABLE:
        if entity.lower() == name.lower():
            return entity
    raise query_validation_error(f"Metadata not found for Entity: {name}")


def check_fields(query: Query, entity: str) -> None:
    named = [c.field for c in query.where] + [f for f, _ in query.order_by] + list(query.fields)
    named += list(query.also_selected)
    for name in named:
        if _canonical_field(name, entity) is None:
            raise QboFault("4001", "Invalid query",
                           f"QueryValidationError: property '{name}' is not queryable", element=name)


def _canonical_field(name: str, entity: str) -> str | None:
    for known in QUERYABLE[entity]:
        if known.lower() == name.lower():
            return known
    return None


def lookup(obj: dict[str, Any], dotted: str) -> Any:
    value: Any = obj
    for part in dotted.split("."):
        value = value.get(part) if isinstance(value, dict) else None
    if isinstance(value, dict):  # CustomerRef -> its value, PrimaryEmailAddr -> its address
        value = value.get("value", value.get("Address"))
    return value


def matches(obj: dict[str, Any], condition: Condition, entity: str) -> bool:
    name = _canonical_field(condition.field, entity) or condition.field
    actual = lookup(obj, name)
    if actual is None or actual == "":
        return False
    if condition.op == "IN":
        return any(_compare(actual, value) == 0 for value in condition.values)
    if condition.op == "LIKE":
        return _like(str(actual), condition.values[0])
    order = _compare(actual, condition.values[0])
    return {"=": order == 0, "!=": order != 0, "<": order < 0, ">": order > 0,
            "<=": order <= 0, ">=": order >= 0}[condition.op]


def _like(actual: str, pattern: str) -> bool:
    regex = "".join(".*" if char == "%" else re.escape(char) for char in pattern)
    return re.fullmatch(regex, actual, flags=re.IGNORECASE | re.DOTALL) is not None


def _compare(actual: Any, literal: str) -> int:
    left, right = _comparable(actual), _comparable(literal)
    if type(left) is not type(right):
        left, right = str(actual).lower(), literal.lower()
    return (left > right) - (left < right)


def _comparable(value: Any) -> Any:
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, (int, Decimal)):
        return Decimal(value)
    text = str(value)
    for parse in (_as_datetime, _as_decimal):
        parsed = parse(text)
        if parsed is not None:
            return parsed
    return text.lower()


def _as_datetime(text: str) -> datetime | None:
    if len(text) < 10 or text[4:5] != "-":
        return None
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)


def _as_decimal(text: str) -> Decimal | None:
    if not re.fullmatch(r"-?\d+(\.\d+)?", text):
        return None
    try:
        return Decimal(text)
    except InvalidOperation:
        return None


def run_query(query: Query, rows: list[dict[str, Any]]) -> dict[str, Any]:
    entity = canonical_entity(query.entity)
    check_fields(query, entity)
    selected = [row for row in rows if all(matches(row, cond, entity) for cond in query.where)]
    if entity in NAME_LISTS and not any(c.field.lower() == "active" for c in query.where):
        selected = [row for row in selected if row.get("Active", True) is not False]
    if query.count:
        return {"totalCount": len(selected)}
    for name, descending in reversed(query.order_by):
        field_name = _canonical_field(name, entity) or name
        selected.sort(key=lambda row: _sort_key(lookup(row, field_name)), reverse=descending)
    page = selected[query.start_position - 1: query.start_position - 1 + query.max_results]
    if not page:
        return {}
    if query.fields:
        page = [_project(row, query.fields, entity) for row in page]
    else:
        page = [_default_fields(row, entity, query.also_selected) for row in page]
    return {entity: page, "startPosition": query.start_position, "maxResults": len(page)}


def _default_fields(row: dict[str, Any], entity: str, also_selected: tuple[str, ...]) -> dict[str, Any]:
    wanted = {(_canonical_field(name, entity) or name) for name in also_selected}
    hidden = HIDDEN_UNLESS_SELECTED.get(entity, frozenset()) - wanted
    return {key: value for key, value in row.items() if key not in hidden}


def _sort_key(value: Any) -> tuple[int, Any]:
    if value is None or value == "":
        return (0, "")
    comparable = _comparable(value)
    return (1 if isinstance(comparable, str) else 2 if isinstance(comparable, Decimal) else 3, comparable)


def _project(row: dict[str, Any], fields: tuple[str, ...], entity: str) -> dict[str, Any]:
    projected: dict[str, Any] = {"domain": "QBO", "sparse": True, "Id": row.get("Id")}
    for name in fields:
        top = (_canonical_field(name, entity) or name).split(".")[0]
        if top in row:
            projected[top] = row[top]
    return projected
