"""The audit log is a hash chain: appends link up, any edit or deletion is detected."""
from __future__ import annotations

import hashlib
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import Engine, delete, select, update
from sqlmodel import Session

from app.audit.models import AuditEvent
from app.audit.service import GENESIS_HASH, event_hash, events_for, record_event, verify_chain
from app.clock import FixedClock, SystemClock
from app.db import session_scope

START = datetime(2024, 5, 1, 9, 0, tzinfo=UTC)


def _record(engine: Engine, clock: FixedClock, action: str, subject_id: str = "42", **details: object) -> int:
    with session_scope(engine) as session:
        event = record_event(session, actor="U123", actor_name="Ann", action=action, subject_type="deal",
                             subject_id=subject_id, details=details, clock=clock)
        clock.advance(timedelta(seconds=1))
        return event.id


def _history(engine: Engine) -> list[int]:
    clock = FixedClock(START)
    return [
        _record(engine, clock, "deal.seen", amount=Decimal("1200.00")),
        _record(engine, clock, "approval.requested", level=1, due=date(2024, 5, 3)),
        _record(engine, clock, "approval.approved", subject_id="43", by="U9"),
        _record(engine, clock, "invoice.created", qbo_invoice_id="145"),
    ]


def test_chain_links_each_event_to_the_previous_one(engine: Engine) -> None:
    ids = _history(engine)
    with Session(engine) as session:
        events = session.scalars(select(AuditEvent).order_by(AuditEvent.id)).all()
        report = verify_chain(session)
    assert [e.id for e in events] == ids
    assert events[0].prev_hash == GENESIS_HASH
    assert all(later.prev_hash == earlier.hash for earlier, later in zip(events, events[1:], strict=False))
    assert all(len(e.hash) == 64 and e.hash == event_hash(e) for e in events)
    assert (report.ok, report.first_bad_id, report.checked) == (True, None, 4)


def test_hash_is_sha256_over_prev_hash_and_canonical_json(engine: Engine) -> None:
    _record(engine, FixedClock(START), "deal.seen", amount=Decimal("1200.00"))
    with Session(engine) as session:
        event = session.scalars(select(AuditEvent)).one()
    canonical = (
        '{"action":"deal.seen","actor":"U123","actor_name":"Ann","actor_sf_id":null,"after":null,"before":null,'
        '"chain_version":2,"details":{"amount":"1200.00"},'
        '"links":{"approval":null,"deal":null,"exception":null,"invoice":null},'
        '"occurred_at":"2024-05-01T09:00:00+00:00","policy_version":null,"seq":1,"subject_id":"42",'
        '"subject_type":"deal"}'
    )
    assert event.hash == hashlib.sha256(canonical.encode()).hexdigest()
    assert event.details == {"amount": "1200.00"}


def test_events_written_before_sequence_numbers_keep_their_hash(engine: Engine) -> None:
    """A chain-version-1 event (written before migration 0010c) is hashed over its original fields only."""
    _record(engine, FixedClock(START), "deal.seen", amount=Decimal("1200.00"))
    v1_canonical = (
        '{"action":"deal.seen","actor":"U123","actor_name":"Ann","details":{"amount":"1200.00"},'
        '"occurred_at":"2024-05-01T09:00:00+00:00","subject_id":"42","subject_type":"deal"}'
    )
    with session_scope(engine) as session:
        session.execute(update(AuditEvent).values(chain_version=1,
                                                  hash=hashlib.sha256(v1_canonical.encode()).hexdigest()))
    _record(engine, FixedClock(START + timedelta(seconds=5)), "deal.gated")
    with Session(engine) as session:
        report = verify_chain(session)
    assert (report.ok, report.checked, report.tip_seq) == (True, 2, 2)


def test_edited_details_are_detected(engine: Engine) -> None:
    ids = _history(engine)
    with session_scope(engine) as session:
        session.execute(update(AuditEvent).where(AuditEvent.id == ids[1]).values(details={"level": 2}))
    with Session(engine) as session:
        report = verify_chain(session)
    assert (report.ok, report.first_bad_id, report.first_bad_seq, report.checked) == (False, ids[1], 2, 1)
    assert report.problem == "altered: the event's content does not match its hash"


def test_edited_actor_is_detected_even_with_a_recomputed_hash_downstream(engine: Engine) -> None:
    ids = _history(engine)
    with session_scope(engine) as session:
        forged = session.get(AuditEvent, ids[2])
        forged.actor = "U666"
        forged.hash = event_hash(forged)  # the forger fixes this event's hash; the next link breaks
    with Session(engine) as session:
        report = verify_chain(session)
    assert (report.ok, report.first_bad_id) == (False, ids[3])
    assert report.problem is not None and report.problem.startswith("broken link")


def test_deleted_event_is_detected(engine: Engine) -> None:
    ids = _history(engine)
    with session_scope(engine) as session:
        session.execute(delete(AuditEvent).where(AuditEvent.id == ids[1]))
    with Session(engine) as session:
        report = verify_chain(session)
    assert (report.ok, report.first_bad_id, report.first_bad_seq) == (False, ids[2], 3)
    assert report.problem == f"deleted: sequence 2 missing between event seq 1 (id {ids[0]}) and this event"


def test_events_for_one_subject_oldest_first(engine: Engine) -> None:
    ids = _history(engine)
    with Session(engine) as session:
        about_42 = events_for(session, "deal", 42)
        about_43 = events_for(session, "deal", "43")
    assert [e.id for e in about_42] == [ids[0], ids[1], ids[3]]
    assert [e.action for e in about_43] == ["approval.approved"]


def test_rolled_back_event_leaves_the_chain_intact(engine: Engine) -> None:
    clock = FixedClock(START)
    _record(engine, clock, "deal.seen")
    with pytest.raises(RuntimeError), session_scope(engine) as session:
        record_event(session, actor="system", action="deal.gated", subject_type="deal", subject_id="42",
                     details={}, clock=clock)
        raise RuntimeError("use case failed after auditing")
    _record(engine, clock, "deal.gated")
    with Session(engine) as session:
        assert verify_chain(session).ok and verify_chain(session).checked == 2


def test_concurrent_appends_keep_one_chain(engine: Engine) -> None:
    def append(worker: int) -> None:
        for n in range(6):
            with session_scope(engine) as session:
                record_event(session, actor="system", action="work.done", subject_type="worker",
                             subject_id=str(worker), details={"n": n}, clock=SystemClock())

    with ThreadPoolExecutor(max_workers=4) as pool:
        list(pool.map(append, range(4)))
    with Session(engine) as session:
        report = verify_chain(session)
    assert (report.ok, report.checked) == (True, 24)


def test_details_that_cannot_be_stored_faithfully_are_refused(engine: Engine) -> None:
    with session_scope(engine) as session:
        for bad in ({"at": datetime(2024, 5, 1, 9, 0)}, {"blob": object()}, {"ratio": float("nan")}):
            with pytest.raises((TypeError, ValueError)):
                record_event(session, actor="system", action="x", subject_type="deal", subject_id="1",
                             details=bad, clock=FixedClock(START))
        assert session.scalars(select(AuditEvent)).all() == []
