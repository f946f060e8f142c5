"""Append to and verify the hash-chained audit log. Services add and flush; the caller commits."""
from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from enum import Enum
from typing import Any
from uuid import UUID

from sqlalchemy import false, select, text, update
from sqlmodel import Session, col

from app.audit.models import AuditEvent
from app.clock import Clock

GENESIS_HASH = ""
"""`prev_hash` of the first event."""

CHAIN_LOCK_KEY = 0x4C42_4155_4449_5431
"""PostgreSQL advisory-lock key ("LBAUDIT1") that serialises appends to the chain."""


@dataclass(frozen=True)
class ChainReport:
    ok: bool
    first_bad_id: int | None = None
    checked: int = 0


def record_event(
    session: Session,
    *,
    actor: str,
    action: str,
    subject_type: str,
    subject_id: str | int,
    details: Mapping[str, Any],
    actor_name: str | None = None,
    clock: Clock,
) -> AuditEvent:
    """Append one event, chained to the newest one. Details must be JSON-able (Decimal, dates, enums allowed)."""
    _lock_chain(session)
    event = AuditEvent(
        occurred_at=clock.now().astimezone(UTC),
        actor=actor,
        actor_name=actor_name,
        action=action,
        subject_type=subject_type,
        subject_id=str(subject_id),
        details=_json_safe(details),
        prev_hash=_tip_hash(session),
        hash="",                                # set just below: it covers the fields above
    )
    event.hash = event_hash(event)
    session.add(event)
    session.flush()
    return event


def verify_chain(session: Session) -> ChainReport:
    """Walk the log in id order; report the first event whose links or content do not add up."""
    expected_prev = GENESIS_HASH
    checked = 0
    for event in session.scalars(select(AuditEvent).order_by(col(AuditEvent.id)).execution_options(yield_per=500)):
        if event.prev_hash != expected_prev or event.hash != event_hash(event):
            return ChainReport(ok=False, first_bad_id=event.id, checked=checked)
        expected_prev = event.hash
        checked += 1
    return ChainReport(ok=True, checked=checked)


def events_for(session: Session, subject_type: str, subject_id: str | int) -> Sequence[AuditEvent]:
    """Every event about one subject, oldest first."""
    query = (
        select(AuditEvent)
        .where(col(AuditEvent.subject_type) == subject_type, col(AuditEvent.subject_id) == str(subject_id))
        .order_by(col(AuditEvent.id))
    )
    return session.scalars(query).all()


def event_hash(event: AuditEvent) -> str:
    """sha256 over prev_hash + the canonical JSON of the event's content."""
    return hashlib.sha256((event.prev_hash + _canonical(event)).encode("utf-8")).hexdigest()


def _canonical(event: AuditEvent) -> str:
    content = {
        "occurred_at": event.occurred_at.astimezone(UTC).isoformat(),
        "actor": event.actor,
        "actor_name": event.actor_name,
        "action": event.action,
        "subject_type": event.subject_type,
        "subject_id": event.subject_id,
        "details": event.details,
    }
    return json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def _tip_hash(session: Session) -> str:
    newest = session.scalars(select(col(AuditEvent.hash)).order_by(col(AuditEvent.id).desc()).limit(1)).first()
    return newest or GENESIS_HASH


def _lock_chain(session: Session) -> None:
    """Make reading the tip and appending atomic across concurrent writers.

    PostgreSQL: a transaction-scoped advisory lock. SQLite: a no-op UPDATE takes the database write
    lock before the tip is read (a plain SELECT would let two writers read the same tip).
    """
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": CHAIN_LOCK_KEY})
    else:
        session.execute(update(AuditEvent).where(false()).values(hash=AuditEvent.hash))


def _json_safe(details: Mapping[str, Any]) -> dict[str, Any]:
    """The details exactly as they will read back from the JSON column (so the hash stays stable)."""
    if not isinstance(details, Mapping):
        raise TypeError("audit details must be a mapping")
    return json.loads(json.dumps(dict(details), default=_encode_value, allow_nan=False))


def _encode_value(value: object) -> object:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise ValueError("naive datetime refused in audit details: use aware UTC")
        return value.astimezone(UTC).isoformat()
    if isinstance(value, (date, UUID)):
        return str(value)
    if isinstance(value, Enum):
        return value.value
    raise TypeError(f"audit details cannot hold {type(value).__name__}")
