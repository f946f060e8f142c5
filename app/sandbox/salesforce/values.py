"""Field values in and out: JSON request values to typed Python (by field type), and back to JSON."""
from __future__ import annotations

import re
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from app.sandbox.salesforce.schema import NUMBER_TYPES, TEXT_TYPES, FieldSpec, FieldType


class ValueRejected(ValueError):
    """A request value that does not fit its field's type."""


def to_stored(moment: datetime) -> datetime:
    """Salesforce stores datetimes to the second (the API prints .000): many writes share one stamp."""
    return moment.astimezone(UTC).replace(microsecond=0)


def format_datetime(moment: datetime) -> str:
    moment = moment.astimezone(UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}+0000"


def json_default(value: Any) -> Any:
    """`json.dumps(default=...)` hook: the REST API's wire formats."""
    if isinstance(value, datetime):
        return format_datetime(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    raise TypeError(f"not JSON serializable: {type(value).__name__}")


def parse_datetime_value(text: str) -> datetime:
    normalized = text.strip().replace("Z", "+00:00")
    if re.search(r"[+-]\d{4}$", normalized):
        normalized = normalized[:-2] + ":" + normalized[-2:]
    moment = datetime.fromisoformat(normalized)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return to_stored(moment)


def coerce(field: FieldSpec, value: Any) -> Any:
    """Turn a JSON value into the stored Python value for `field`, or raise ValueRejected."""
    if value is None:
        return None
    try:
        return _coerce(field.type, value)
    except (ValueError, TypeError, InvalidOperation):
        raise ValueRejected(
            f"Cannot deserialize instance of {field.type.value} from {type(value).__name__} value "
            f"{value!r} for field {field.name}") from None


def _coerce(kind: FieldType, value: Any) -> Any:
    if kind in TEXT_TYPES:
        if not isinstance(value, str):
            raise TypeError(value)
        return value
    if kind is FieldType.BOOLEAN:
        if not isinstance(value, bool):
            raise TypeError(value)
        return value
    if kind in NUMBER_TYPES:
        if isinstance(value, bool) or not isinstance(value, (int, float, Decimal, str)):
            raise TypeError(value)
        number = Decimal(str(value))
        if not number.is_finite():
            raise ValueError(value)
        return int(number) if kind is FieldType.INT else number
    if kind is FieldType.DATE:
        return value if isinstance(value, date) and not isinstance(value, datetime) \
            else date.fromisoformat(str(value))
    if isinstance(value, datetime):
        return to_stored(value if value.tzinfo else value.replace(tzinfo=UTC))
    return parse_datetime_value(str(value))
