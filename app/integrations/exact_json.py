"""Exact JSON for money (QuickBooks and Salesforce): Decimal in, JSON number out, with no float on the way."""
from __future__ import annotations

import json
from decimal import Decimal
from typing import Any


def dumps_exact(value: Any) -> str:
    """Serialize like json.dumps (compact), writing Decimal as its exact digits, e.g. 100.00."""
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise ValueError(f"cannot send non-finite amount {value}")
        return format(value, "f")
    if isinstance(value, dict):
        items = (f"{json.dumps(str(key))}:{dumps_exact(item)}" for key, item in value.items())
        return "{" + ",".join(items) + "}"
    if isinstance(value, (list, tuple)):
        return "[" + ",".join(dumps_exact(item) for item in value) + "]"
    if isinstance(value, float):
        raise TypeError("floats are not allowed in money payloads; use Decimal")
    return json.dumps(value)


def loads_exact(text: str | bytes) -> Any:
    """Parse JSON keeping every fractional number as Decimal."""
    return json.loads(text, parse_float=Decimal)


def to_decimal(value: Any) -> Decimal | None:
    """A JSON amount (number, numeric string, Decimal) as Decimal; None for missing or ""."""
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        raise ValueError(f"not an amount: {value!r}")
    if isinstance(value, float):
        return Decimal(repr(value))
    return Decimal(str(value))


def plain_json(value: Any) -> Any:
    """A copy safe for a JSON column: Decimal becomes its exact text, dates their ISO form."""
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, dict):
        return {str(key): plain_json(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain_json(item) for item in value]
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value
