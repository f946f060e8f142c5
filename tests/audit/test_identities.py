"""Who a Slack user is in Salesforce: remembered for a while, and filled into the export when it was matched only
after the decision was recorded."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine
from sqlmodel import Session

from app.audit.identities import MATCHED_FOR, UNMATCHED_FOR, needs_lookup, remember_identity
from app.audit.service import Links, record_event
from app.clock import FixedClock
from app.db import session_scope
from app.status.audit_trail import decision_records

NOW = datetime(2026, 12, 7, 15, 0, tzinfo=UTC)


def test_a_match_is_kept_a_day_and_a_miss_an_hour(engine: Engine) -> None:
    with session_scope(engine) as session:
        assert needs_lookup(session, slack_user_id="U1", now=NOW)
        remember_identity(session, slack_user_id="U1", slack_name="Ann", email="ann@x.example",
                          sf_user_id="005000000000001AAA", now=NOW)
        remember_identity(session, slack_user_id="U2", slack_name="Erin", email=None, sf_user_id=None, now=NOW)
    with Session(engine) as session:
        assert not needs_lookup(session, slack_user_id="U1", now=NOW + MATCHED_FOR)
        assert needs_lookup(session, slack_user_id="U1", now=NOW + MATCHED_FOR + timedelta(seconds=1))
        assert not needs_lookup(session, slack_user_id="U2", now=NOW + UNMATCHED_FOR)
        assert needs_lookup(session, slack_user_id="U2", now=NOW + UNMATCHED_FOR + timedelta(seconds=1))


def test_events_name_the_known_salesforce_user_and_the_export_fills_a_later_match(engine: Engine) -> None:
    clock = FixedClock(NOW)
    with session_scope(engine) as session:
        before_match = record_event(session, actor="U1", actor_name="ann", action="approval.approved",
                                    subject_type="approval_request", subject_id="9", details={}, clock=clock,
                                    links=Links(approval_id=9))
        remember_identity(session, slack_user_id="U1", slack_name="Ann", email="ann@x.example",
                          sf_user_id="005000000000001AAA", now=NOW)
        after_match = record_event(session, actor="U1", actor_name="ann", action="approval.rejected",
                                   subject_type="approval_request", subject_id="10", details={"comment": "no"},
                                   clock=clock, links=Links(approval_id=10))
        assert (before_match.actor_sf_id, after_match.actor_sf_id) == (None, "005000000000001AAA")
    with Session(engine) as session:
        records = decision_records(session, since=NOW, until=NOW + timedelta(days=1))
    assert [(r.approval_id, r.decision, r.salesforce_user_id, r.comment) for r in records] == [
        (9, "approved", "005000000000001AAA", None), (10, "rejected", "005000000000001AAA", "no")]
    assert records[0].decided_at == "2026-12-07T15:00:00Z" and records[0].qbo_invoice_id is None
