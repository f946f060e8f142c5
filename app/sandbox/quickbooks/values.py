"""Reading request values the way QBO does: "" and null mean unset; amounts are Decimal, never float."""
from __future__ import annotations

from datetime import date
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from app.integrations.exact_json import to_decimal
from app.sandbox.quickbooks.books import RealmBook
from app.sandbox.quickbooks.faults import invalid_reference, invalid_value, made_inactive, required

CENT = Decimal("0.01")


def without_unset(value: Any) -> Any:
    """Drop keys whose value is "" or null, recursively (python-quickbooks sends "DueDate": "" for unset)."""
    if isinstance(value, dict):
        return {key: without_unset(item) for key, item in value.items() if item is not None and item != ""}
    if isinstance(value, list):
        return [without_unset(item) for item in value]
    return value


def as_amount(value: Any, field: str, *, places: Decimal | None = CENT) -> Decimal:
    try:
        amount = to_decimal(value)
    except (InvalidOperation, ValueError):
        raise invalid_value(field, f"{value!r} is not a number") from None
    if amount is None:
        return Decimal("0.00") if places is not None else Decimal(0)
    if not amount.is_finite():
        raise invalid_value(field, f"{value!r} is not a number")
    return amount.quantize(places, rounding=ROUND_HALF_UP) if places is not None else amount


def as_int(value: Any, field: str) -> int:
    try:
        return int(str(value))
    except ValueError:
        raise invalid_value(field, f"{value!r} is not a whole number") from None


def as_date(value: Any, field: str) -> date:
    try:
        return date.fromisoformat(str(value)[:10])
    except ValueError:
        raise invalid_value(field, f"{value!r} is not a date (yyyy-mm-dd)") from None


def ref_id(obj: dict[str, Any], field: str) -> str | None:
    ref = obj.get(field)
    if isinstance(ref, dict) and ref.get("value") not in (None, ""):
        return str(ref["value"])
    if isinstance(ref, (str, int)) and str(ref):
        return str(ref)
    return None


def referenced(book: RealmBook, obj: dict[str, Any], field: str, entity: str, *, path: str | None = None
               ) -> dict[str, Any]:
    """The `entity` that the required reference `obj[field]` names; `path` is the field as QBO reports it."""
    object_id = ref_id(obj, field)
    if object_id is None:
        raise required(path or field)
    found = book.find(entity, object_id)
    if found is None:
        raise invalid_reference(entity, object_id)
    if found.get("Active") is False:
        raise made_inactive()
    return found
