"""SLA ping bookkeeping on SQLite and PostgreSQL: decided and recorded together, once; attempts and outcomes."""
from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlmodel import select

from app.clock import FixedClock
from app.db import session_scope
from app.deals.models import Deal
from app.exception_queue import service, sla_pings
from app.exception_queue.models import ExceptionStatus, SlaPing
from app.exception_queue.rules import Ping
from app.work_queue.models import WorkItem
from tests.exception_queue.test_service import NY, PO, open_items, sync


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(datetime(2026, 11, 24, 10, 0, tzinfo=NY))


@pytest.fixture
def deal_id(engine, clock) -> int:
    with session_scope(engine) as session:
        deal = Deal(sf_id="006000000000001AAA", name="Acme - Hardware", stage="Closed Won", sf_modstamp=clock.now(),
                    first_seen_at=clock.now(), updated_at=clock.now())
        session.add(deal)
        session.flush()
        return deal.id


def _record(engine, item_id, clock, **recipients):
    with session_scope(engine) as session:
        return [(p.kind, p.recipient) for p in sla_pings.record_due(
            session, item_id=item_id, settle=[Ping(kind) for kind in recipients] or [Ping.REMINDER],
            recipients={Ping(kind): people for kind, people in recipients.items()}, clock=clock)]


def test_the_decision_records_each_ping_and_queues_it_once(engine, deal_id, clock):
    sync(engine, deal_id, clock, [PO])
    item_id = open_items(engine)[0].id
    first = _record(engine, item_id, clock, breach=["C05EXCEPT10N"], escalation=["U05CARLCTRL", "U05ANNFIN01"])
    again = _record(engine, item_id, clock, breach=["C05EXCEPT10N"], escalation=["U05CARLCTRL"])
    assert first == [("breach", "C05EXCEPT10N"), ("escalation", "U05CARLCTRL"), ("escalation", "U05ANNFIN01")]
    assert again == []
    with session_scope(engine) as session:
        work = session.exec(select(WorkItem).where(WorkItem.kind == sla_pings.SLA_PING_KIND)).all()
        pings = session.exec(select(SlaPing)).all()
        assert sorted(w.dedupe_key for w in work) == sorted(p.dedupe_key for p in pings)
        assert {p.status for p in pings} == {"due"}


def test_a_settled_ping_without_recipients_is_claimed_but_not_recorded(engine, deal_id, clock):
    sync(engine, deal_id, clock, [PO])
    item_id = open_items(engine)[0].id
    assert _record(engine, item_id, clock) == []                     # the reminder's moment passed: settled
    assert _record(engine, item_id, clock, reminder=["U05SAMSALES"]) == []
    assert open_items(engine)[0].reminded_before_at is not None


def test_attempts_are_stamped_once_and_know_when_they_retry(engine, deal_id, clock):
    sync(engine, deal_id, clock, [PO])
    item_id = open_items(engine)[0].id
    _record(engine, item_id, clock, breach=["C05EXCEPT10N"])
    with session_scope(engine) as session:
        ping_id = session.exec(select(SlaPing)).one().id
        first = sla_pings.begin_attempt(session, ping_id=ping_id, clock=clock)
    clock.advance(timedelta(minutes=5))
    with session_scope(engine) as session:
        second = sla_pings.begin_attempt(session, ping_id=ping_id, clock=clock)
        sla_pings.mark_sent(session, ping_id=ping_id, channel="C05EXCEPT10N", ts="1.000100", clock=clock)
    with session_scope(engine) as session:
        third = sla_pings.begin_attempt(session, ping_id=ping_id, clock=clock)
        sent = session.get(SlaPing, ping_id)
        assert (sent.status, sent.slack_ts, sent.sent_at) == ("sent", "1.000100", clock.now())
    assert (first.retried, second.retried, second.first_tried_at) == (False, True, first.first_tried_at)
    assert third is None


def test_a_ping_for_an_item_closed_meanwhile_is_cancelled(engine, deal_id, clock):
    sync(engine, deal_id, clock, [PO])
    item_id = open_items(engine)[0].id
    _record(engine, item_id, clock, breach=["C05EXCEPT10N"])
    with session_scope(engine) as session:
        service.close(session, item_id=item_id, status=ExceptionStatus.RESOLVED, actor="U05ANNFIN01",
                      note="PO received", clock=clock)
    with session_scope(engine) as session:
        ping_id = session.exec(select(SlaPing)).one().id
        assert sla_pings.begin_attempt(session, ping_id=ping_id, clock=clock) is None
    with session_scope(engine) as session:
        sla_pings.mark_failed(session, ping_id=ping_id)                  # settled already: stays cancelled
        assert session.get(SlaPing, ping_id).status == "cancelled"
