"""`ledgerbridge audit verify` (run as its own process) finds a tampered, an inserted and a deleted event, names it
and exits 1; `audit export` refuses bad dates and formats clearly."""
from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

from sqlalchemy import Engine, delete, insert, select, update
from sqlmodel import Session

from app.audit.models import AuditEvent
from app.audit.service import Links, event_hash, record_event
from app.clock import FixedClock
from app.db import session_scope

REPO_ROOT = Path(__file__).resolve().parents[2]
START = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


def ledgerbridge(*args: str) -> subprocess.CompletedProcess[str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith(("LEDGERBRIDGE_", "DATABASE_URL"))}
    return subprocess.run([sys.executable, "-m", "app.cli", *args], cwd=REPO_ROOT, env=env, capture_output=True,
                          text=True, timeout=60, check=False)


def _url(engine: Engine) -> str:
    return engine.url.render_as_string(hide_password=False)


def _history(engine: Engine) -> list[AuditEvent]:
    clock = FixedClock(START)
    with session_scope(engine) as session:
        for n, action in enumerate(("approval.requested", "approval.approved", "invoice.created", "exception.opened")):
            record_event(session, actor="U0ANN", actor_name="Ann", action=action, subject_type="deal",
                         subject_id="7", details={"n": n, "amount": Decimal("100.50")},
                         before={"status": "pending"}, after={"status": "approved"},
                         links=Links(deal_id=7, approval_id=3, invoice_id="145"), clock=clock)
            clock.advance(timedelta(minutes=1))
    with Session(engine) as session:
        return list(session.scalars(select(AuditEvent).order_by(AuditEvent.seq)))


def test_an_intact_log_is_verified_and_counted(engine: Engine) -> None:
    events = _history(engine)
    result = ledgerbridge("audit", "verify", "--url", _url(engine))
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == f"audit log OK: 4 events checked; newest: seq 4, hash {events[-1].hash}"


def test_a_tampered_event_is_named(engine: Engine) -> None:
    events = _history(engine)
    with session_scope(engine) as session:
        session.execute(update(AuditEvent).where(AuditEvent.id == events[1].id)
                        .values(after={"status": "rejected"}))
    result = ledgerbridge("audit", "verify", "--url", _url(engine))
    assert result.returncode == 1
    assert result.stderr.strip() == (f"audit log BROKEN at event id {events[1].id} (seq 2): altered: the event's "
                                     "content does not match its hash; 1 events before it are intact")


def test_an_inserted_event_is_named(engine: Engine) -> None:
    """A forger slips an event in after seq 2 (renumbering the later ones, hashing their own row right): the
    event after it no longer links up."""
    events = _history(engine)
    with session_scope(engine) as session:
        for later in reversed(events[2:]):
            session.execute(update(AuditEvent).where(AuditEvent.id == later.id).values(seq=later.seq + 1))
        forged = AuditEvent(seq=3, occurred_at=START + timedelta(minutes=1, seconds=30), actor="U0MAL",
                            action="approval.approved", subject_type="deal", subject_id="7", details={},
                            prev_hash=events[1].hash, hash="")
        forged.hash = event_hash(forged)
        values = forged.model_dump(exclude={"id"})
        session.execute(insert(AuditEvent).values(**values))
        forged_id = session.scalars(select(AuditEvent.id).where(AuditEvent.actor == "U0MAL")).one()
    result = ledgerbridge("audit", "verify", "--url", _url(engine))
    assert result.returncode == 1
    assert result.stderr.strip() == (
        f"audit log BROKEN at event id {forged_id} (seq 3): inserted: event seq 4 (id {events[2].id}) links to "
        f"seq 2 (id {events[1].id}), so event seq 3 (id {forged_id}) was slipped in; "
        "2 events before it are intact")


def test_an_event_inserted_at_the_end_with_a_made_up_link_is_named(engine: Engine) -> None:
    _history(engine)
    with session_scope(engine) as session:
        forged = AuditEvent(seq=5, occurred_at=START + timedelta(hours=1), actor="U0MAL", action="approval.approved",
                            subject_type="deal", subject_id="7", details={}, prev_hash="0" * 64, hash="")
        forged.hash = event_hash(forged)
        session.execute(insert(AuditEvent).values(**forged.model_dump(exclude={"id"})))
    result = ledgerbridge("audit", "verify", "--url", _url(engine))
    assert result.returncode == 1
    assert "(seq 5): broken link: prev_hash does not match the hash of event seq 4" in result.stderr
    assert result.stderr.endswith("4 events before it are intact\n")


def test_a_deleted_event_is_named(engine: Engine) -> None:
    events = _history(engine)
    with session_scope(engine) as session:
        session.execute(delete(AuditEvent).where(AuditEvent.id == events[2].id))
    result = ledgerbridge("audit", "verify", "--url", _url(engine))
    assert result.returncode == 1
    assert result.stderr.strip() == (f"audit log BROKEN at event id {events[3].id} (seq 4): deleted: sequence 3 "
                                     f"missing between event seq 2 (id {events[1].id}) and this event; "
                                     "2 events before it are intact")


def test_events_deleted_from_the_end_are_caught_by_the_anchor_an_earlier_verify_printed(engine: Engine) -> None:
    events = _history(engine)
    anchor = f"{events[-1].seq}:{events[-1].hash}"
    assert ledgerbridge("audit", "verify", "--url", _url(engine), "--anchor", anchor).returncode == 0
    with session_scope(engine) as session:
        session.execute(delete(AuditEvent).where(AuditEvent.seq >= 3))
    assert ledgerbridge("audit", "verify", "--url", _url(engine)).returncode == 0     # a shorter, valid chain
    result = ledgerbridge("audit", "verify", "--url", _url(engine), "--anchor", anchor)
    assert result.returncode == 1
    assert result.stderr.strip() == ("audit log BROKEN: the anchor event seq 4 is missing: events were deleted "
                                     "from the end of the log (2 events now)")
    bad = ledgerbridge("audit", "verify", "--url", _url(engine), "--anchor", "four")
    assert bad.returncode == 2 and "--anchor 'four' must be SEQ:HASH" in bad.stderr


def test_export_refuses_bad_dates_and_formats(sqlite_url: str) -> None:
    cases = {
        ("--from", "2026-13-01", "--to", "2026-12-07"): "--from '2026-13-01' is not a date: use YYYY-MM-DD (UTC)",
        ("--from", "2026-12-07", "--to", "2026-12-01"): "--to (2026-12-01) must be after --from (2026-12-07)",
        ("--from", "2026-12-01T09:00", "--to", "2026-12-07"): "has no UTC offset",
        ("--from", "2026-12-01", "--to", "2026-12-07", "--format", "xml"): "--format must be one of csv, jsonl",
    }
    for args, message in cases.items():
        result = ledgerbridge("audit", "export", *args, "--url", sqlite_url)
        assert result.returncode == 2, (args, result.stderr)
        assert result.stderr.startswith("ledgerbridge audit export: ") and message in result.stderr
        assert "Traceback" not in result.stderr
