"""Append to, verify and read the hash-chained audit log. Services add and flush; the caller commits."""
from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from enum import Enum
from typing import Any, NamedTuple
from uuid import UUID

from sqlalchemy import false, select, text, update
from sqlmodel import Session, col

from app.audit.models import CHAIN_V1, CHAIN_V2, AuditEvent, AuditIdentity
from app.clock import Clock

GENESIS_HASH = ""
"""`prev_hash` of the first event."""

SYSTEM_ACTOR = "system"

CHAIN_LOCK_KEY = 0x4C42_4155_4449_5431
"""PostgreSQL advisory-lock key ("LBAUDIT1") that serialises appends to the chain."""


@dataclass(frozen=True)
class ChainReport:
    """`ok`, or the first event that does not add up (`first_bad_id`, `first_bad_seq`) and what is wrong."""

    ok: bool
    first_bad_id: int | None = None
    checked: int = 0
    first_bad_seq: int | None = None
    problem: str | None = None
    tip_seq: int | None = None
    tip_hash: str | None = None


@dataclass(frozen=True)
class Links:
    """The records an event is about (any may be None): our deal and approval request, the QuickBooks invoice id,
    the exception."""

    deal_id: int | None = None
    approval_id: int | None = None
    invoice_id: str | None = None
    exception_id: int | None = None


class _Tip(NamedTuple):
    seq: int
    hash: str
    policy_version: str | None


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
    before: Mapping[str, Any] | None = None,
    after: Mapping[str, Any] | None = None,
    links: Links | None = None,
    policy_version: str | None = None,
    actor_sf_id: str | None = None,
) -> AuditEvent:
    """Append one event, chained to the newest one. Details, before and after must be JSON-able (Decimal, dates,
    enums allowed). The policy version defaults to the one in force (the newest event's); the actor's Salesforce
    user id to the one a worker matched (audit_identity), when known."""
    _lock_chain(session)
    tip = _tip(session)
    links = links or Links()
    event = AuditEvent(
        seq=tip.seq + 1,
        chain_version=CHAIN_V2,
        occurred_at=clock.now().astimezone(UTC),
        actor=actor,
        actor_name=actor_name,
        actor_sf_id=actor_sf_id or _known_sf_user(session, actor),
        action=action,
        subject_type=subject_type,
        subject_id=str(subject_id),
        details=_json_safe(details),
        before=None if before is None else _json_safe(before),
        after=None if after is None else _json_safe(after),
        policy_version=policy_version or tip.policy_version,
        deal_id=links.deal_id,
        approval_id=links.approval_id,
        invoice_id=None if links.invoice_id is None else str(links.invoice_id),
        exception_id=links.exception_id,
        prev_hash=tip.hash,
        hash="",                                # set just below: it covers the fields above
    )
    event.hash = event_hash(event)
    session.add(event)
    session.flush()
    return event


def verify_chain(session: Session) -> ChainReport:
    """Walk the log in sequence order; report the first event whose sequence, link or content does not add up.

    An event slipped in between two others (the later ones renumbered) is named itself: the event after it still
    links to the one before it."""
    expected_prev, expected_seq, previous = GENESIS_HASH, 1, None
    walked: list[AuditEvent] = []
    query = select(AuditEvent).order_by(col(AuditEvent.seq), col(AuditEvent.id)).execution_options(yield_per=500)
    for event in session.scalars(query):
        problem = _problem(event, expected_prev=expected_prev, expected_seq=expected_seq, previous=previous)
        if problem is not None:
            inserted = _inserted_before(event, walked) if problem.startswith("broken link") else None
            if inserted is not None:
                slipped_in, checked = inserted
                return ChainReport(ok=False, first_bad_id=slipped_in.id, first_bad_seq=slipped_in.seq,
                                   checked=checked, problem=_inserted_problem(event, slipped_in, walked))
            return ChainReport(ok=False, first_bad_id=event.id, first_bad_seq=event.seq, checked=len(walked),
                               problem=problem)
        expected_prev, expected_seq, previous = event.hash, event.seq + 1, event
        walked.append(event)
        del walked[:-RECENT_LINKS]
    return ChainReport(ok=True, checked=expected_seq - 1, tip_seq=previous.seq if previous else None,
                       tip_hash=previous.hash if previous else None)


RECENT_LINKS = 1000
"""How far back `verify_chain` looks for the event a broken link really points at (an insertion's size)."""


def _inserted_before(event: AuditEvent, walked: list[AuditEvent]) -> tuple[AuditEvent, int] | None:
    """The first of the events between the one `event` links to and `event` itself, and how many came before."""
    for index in range(len(walked) - 2, -1, -1):
        if walked[index].hash == event.prev_hash:
            slipped_in = walked[index + 1]
            return slipped_in, slipped_in.seq - 1
    return None


def _inserted_problem(event: AuditEvent, slipped_in: AuditEvent, walked: list[AuditEvent]) -> str:
    linked = next(e for e in walked if e.hash == event.prev_hash)
    which = (f"event seq {slipped_in.seq} (id {slipped_in.id}) was" if slipped_in.seq == event.seq - 1 else
             f"the events from seq {slipped_in.seq} (id {slipped_in.id}) to seq {event.seq - 1} were")
    return f"inserted: event seq {event.seq} (id {event.id}) links to seq {linked.seq} (id {linked.id}), so {which} " \
           "slipped in"


def _problem(event: AuditEvent, *, expected_prev: str, expected_seq: int, previous: AuditEvent | None) -> str | None:
    after = f"event seq {previous.seq} (id {previous.id})" if previous else "the start of the log"
    if event.seq < expected_seq:
        return f"inserted: a second event claims sequence {event.seq}"
    if event.seq > expected_seq:
        missing = str(expected_seq) if event.seq == expected_seq + 1 else f"{expected_seq}-{event.seq - 1}"
        return f"deleted: sequence {missing} missing between {after} and this event"
    if event.prev_hash != expected_prev:
        return (f"broken link: prev_hash does not match the hash of {after} "
                "(an event was inserted or replaced there)")
    if event.hash != event_hash(event):
        return "altered: the event's content does not match its hash"
    if previous is not None and previous.id is not None and event.id is not None and event.id < previous.id:
        return f"inserted: {after} has a newer id than this event, which it comes before in the chain"
    return None


def events_for(session: Session, subject_type: str, subject_id: str | int) -> Sequence[AuditEvent]:
    """Every event about one subject, oldest first."""
    query = (
        select(AuditEvent)
        .where(col(AuditEvent.subject_type) == subject_type, col(AuditEvent.subject_id) == str(subject_id))
        .order_by(col(AuditEvent.seq))
    )
    return session.scalars(query).all()


def list_events(session: Session, *, since: datetime | None = None, until: datetime | None = None,
                actions: Sequence[str] = (), deal_id: int | None = None, limit: int | None = None,
                newest_first: bool = False) -> Sequence[AuditEvent]:
    """Events in [since, until), optionally only these actions (an entry ending in '.' is a prefix) or one deal."""
    query = select(AuditEvent)
    if since is not None:
        query = query.where(col(AuditEvent.occurred_at) >= since)
    if until is not None:
        query = query.where(col(AuditEvent.occurred_at) < until)
    if actions:
        exact = [a for a in actions if not a.endswith(".")]
        prefixes = [col(AuditEvent.action).startswith(a) for a in actions if a.endswith(".")]
        query = query.where(col(AuditEvent.action).in_(exact) | _any(prefixes))
    if deal_id is not None:
        query = query.where(col(AuditEvent.deal_id) == deal_id)
    query = query.order_by(col(AuditEvent.seq).desc() if newest_first else col(AuditEvent.seq))
    return session.scalars(query.limit(limit)).all()


def last_event(session: Session, *, action: str) -> AuditEvent | None:
    """The newest event of one action."""
    query = select(AuditEvent).where(col(AuditEvent.action) == action).order_by(col(AuditEvent.seq).desc())
    return session.scalars(query.limit(1)).first()


def lock_chain(session: Session) -> None:
    """Hold the chain's append lock until the transaction ends (read the tip, decide, then append)."""
    _lock_chain(session)


def _any(conditions: list[Any]) -> Any:
    combined: Any = false()
    for condition in conditions:
        combined = combined | condition
    return combined


def event_hash(event: AuditEvent) -> str:
    """sha256 over prev_hash + the canonical JSON of the event's content."""
    return hashlib.sha256((event.prev_hash + _canonical(event)).encode("utf-8")).hexdigest()


def _canonical(event: AuditEvent) -> str:
    content: dict[str, Any] = {
        "occurred_at": event.occurred_at.astimezone(UTC).isoformat(),
        "actor": event.actor,
        "actor_name": event.actor_name,
        "action": event.action,
        "subject_type": event.subject_type,
        "subject_id": event.subject_id,
        "details": event.details,
    }
    if event.chain_version != CHAIN_V1:
        content.update(
            chain_version=event.chain_version, seq=event.seq, actor_sf_id=event.actor_sf_id,
            before=event.before, after=event.after, policy_version=event.policy_version,
            links={"deal": event.deal_id, "approval": event.approval_id, "invoice": event.invoice_id,
                   "exception": event.exception_id},
        )
    return json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def _tip(session: Session) -> _Tip:
    query = select(col(AuditEvent.seq), col(AuditEvent.hash), col(AuditEvent.policy_version))
    newest = session.execute(query.order_by(col(AuditEvent.seq).desc()).limit(1)).first()
    return _Tip(newest[0], newest[1], newest[2]) if newest else _Tip(0, GENESIS_HASH, None)


def _known_sf_user(session: Session, actor: str) -> str | None:
    if actor == SYSTEM_ACTOR:
        return None
    identity = session.get(AuditIdentity, actor)
    return identity.sf_user_id if identity else None


def _lock_chain(session: Session) -> None:
    """Make reading the tip and appending atomic across concurrent writers.

    PostgreSQL: a transaction-scoped advisory lock (the app's role needs no UPDATE on audit_event). SQLite: a
    no-op UPDATE takes the database write lock before the tip is read (a plain SELECT would let two writers read
    the same tip).
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
