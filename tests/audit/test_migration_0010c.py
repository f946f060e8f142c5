"""Migration 0010c numbers the events written before it in id order; their hashes (chain version 1) still
verify, and new events chain on after them."""
from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime

from sqlalchemy import text
from sqlmodel import Session

from app.audit.service import record_event, verify_chain
from app.clock import FixedClock
from app.db import make_engine, session_scope
from app.db_migrate import upgrade

AT = datetime(2026, 11, 2, 10, 0, tzinfo=UTC)


def _v1_hash(prev: str, action: str) -> str:
    content = {"occurred_at": AT.isoformat(), "actor": "system", "actor_name": None, "action": action,
               "subject_type": "deal", "subject_id": "1", "details": {}}
    return hashlib.sha256((prev + json.dumps(content, sort_keys=True, separators=(",", ":"))).encode()).hexdigest()


def test_events_from_before_the_migration_are_numbered_and_still_verify(db_url: str) -> None:
    upgrade(db_url, revision="0012a")    # the revision just before 0010c
    engine = make_engine(db_url)
    try:
        prev = ""
        with engine.begin() as connection:
            for action in ("deal.seen", "approval.requested", "approval.approved"):
                digest = _v1_hash(prev, action)
                connection.execute(text(
                    "INSERT INTO audit_event (occurred_at, actor, actor_name, action, subject_type, subject_id, "
                    "details, prev_hash, hash) VALUES (:at, 'system', NULL, :action, 'deal', '1', '{}', :prev, :hash)"),
                    {"at": AT, "action": action, "prev": prev, "hash": digest})
                prev = digest
        upgrade(db_url)
        with session_scope(engine) as session:
            newest = record_event(session, actor="system", action="invoice.created", subject_type="deal",
                                  subject_id="1", details={}, clock=FixedClock(AT))
            assert (newest.seq, newest.prev_hash) == (4, prev)
        with Session(engine) as session:
            report = verify_chain(session)
            seqs = session.execute(text("SELECT seq, chain_version FROM audit_event ORDER BY id")).all()
        assert [tuple(row) for row in seqs] == [(1, 1), (2, 1), (3, 1), (4, 2)]
        assert (report.ok, report.checked, report.tip_seq) == (True, 4, 4)
    finally:
        engine.dispose()
