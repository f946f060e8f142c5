"""GET /cdc: objects of the named entities changed (or deleted) since a moment within the last 30 days."""
from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from app.sandbox.quickbooks import entities
from app.sandbox.quickbooks.books import RealmBook
from app.sandbox.quickbooks.faults import QboFault, business_rule, required

MAX_OBJECTS = 1000


def parse_changed_since(text: str | None, book: RealmBook) -> datetime:
    if not text:
        raise required("changedSince")
    try:
        when = datetime.fromisoformat(text.strip().replace("Z", "+00:00").replace(" ", "+"))
    except ValueError:
        raise QboFault("2010", "Request has invalid or unsupported property",
                       f"changedSince {text!r} is not a date-time", element="changedSince") from None
    return when if when.tzinfo else when.replace(tzinfo=ZoneInfo(book.timezone))


def run_cdc(book: RealmBook, entity_names: str | None, changed_since: datetime, now: datetime,
            *, max_lookback: timedelta) -> dict[str, Any]:
    if not entity_names:
        raise required("entities")
    if changed_since < now - max_lookback:
        raise business_rule(f"changedSince must be within the last {max_lookback.days} days")
    responses, budget = [], MAX_OBJECTS
    for name in [part.strip() for part in entity_names.split(",") if part.strip()]:
        entity = entities.entity_named(name)
        changed = _changed(book, entity, changed_since)[:budget]
        budget -= len(changed)
        if changed:
            responses.append({entity: changed, "startPosition": 1, "maxResults": len(changed),
                              "totalCount": len(changed)})
        else:
            responses.append({})
    return {"CDCResponse": [{"QueryResponse": responses}]}


def _changed(book: RealmBook, entity: str, since: datetime) -> list[dict[str, Any]]:
    live = [row for row in book.rows(entity)
            if datetime.fromisoformat(row["MetaData"]["LastUpdatedTime"]) >= since]
    gone = [{"domain": "QBO", "status": "Deleted", "Id": object_id,
             "MetaData": {"LastUpdatedTime": book.stamp(when)}}
            for object_id, when in book.deleted[entity].items() if when >= since]
    return live + gone
