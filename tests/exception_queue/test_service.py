"""Exception use cases on SQLite and PostgreSQL: dedupe, auto-resolve, assign, tag, close, retry, claimed pings."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import select

from app.audit.service import events_for, verify_chain
from app.clock import FixedClock
from app.db import session_scope
from app.deals.models import Deal
from app.errors import InvalidTransition, NotAllowed
from app.exception_queue import service
from app.exception_queue.models import ExceptionItem, ExceptionStatus
from app.exception_queue.permissions import Control
from app.exception_queue.rules import Ping
from app.policy import load_policy
from app.sandbox.stack import DEMO_POLICY
from app.work_queue.kinds import WorkKind
from app.work_queue.models import WorkItem

POLICY = load_policy(DEMO_POLICY)
NY = ZoneInfo("America/New_York")


@dataclass(frozen=True)
class FakeProblem:          # a plain value with the Problem shape (code, message)
    code: str
    message: str


PO = FakeProblem("missing_field:po_number", "PO number is required for Enterprise accounts")
HW = FakeProblem("unmapped_product:HW-BUNDLE", "Product 'Hardware Bundle' has no QuickBooks item mapping")


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


def sync(engine, deal_id, clock, problems, rejection=None):
    with session_scope(engine) as session:
        return service.sync_deal_exceptions(session, deal_id=deal_id, account_id=None, problems=problems,
                                            rejection=rejection, policy=POLICY, clock=clock)


def open_items(engine) -> list[ExceptionItem]:
    with session_scope(engine) as session:
        return list(session.exec(select(ExceptionItem).where(ExceptionItem.status == "open")
                                 .order_by(ExceptionItem.id)).all())


def test_the_same_problem_never_opens_twice(engine, deal_id, clock):
    sync(engine, deal_id, clock, [PO, HW])
    sync(engine, deal_id, clock, [PO, HW])
    items = open_items(engine)
    assert [item.kind for item in items] == ["missing_field", "unmapped_product"]
    assert items[0].suggested_root_cause == "missing_po" and items[1].suggested_root_cause == "new_product"
    assert items[0].sla_due_at == datetime(2026, 11, 25, 9, 30, tzinfo=NY)   # 8 business hours: 7.5 today, 0.5 tomorrow


def test_a_fixed_problem_is_resolved_and_audited_and_can_reopen(engine, deal_id, clock):
    sync(engine, deal_id, clock, [PO, HW])
    clock.advance(datetime.resolution * 1000)
    result = sync(engine, deal_id, clock, [HW])
    assert [item.kind for item in result.resolved] == ["missing_field"]
    with session_scope(engine) as session:
        closed = session.get(ExceptionItem, result.resolved[0].id)
        assert (closed.status, closed.resolved_by, closed.open_marker) == ("resolved", "system", None)
        assert closed.root_cause == "missing_po"
        actions = [event.action for event in events_for(session, "exception", closed.id)]
        assert actions == ["exception.opened", "exception.auto_resolved"]
        assert verify_chain(session).ok
    sync(engine, deal_id, clock, [PO, HW])                     # the same problem again: a new exception
    assert sorted(item.kind for item in open_items(engine)) == ["missing_field", "unmapped_product"]


def test_work_failures_are_not_closed_by_the_gate(engine, deal_id, clock):
    with session_scope(engine) as session:
        service.open_exception(session, policy=POLICY, clock=clock, new=service.NewException(
            kind="vendor_error", dedupe_key="work:create_invoice:deal:1", reason="QuickBooks down", fix="wait",
            deal_id=deal_id, work_item_id=None))
    sync(engine, deal_id, clock, [])
    assert [item.kind for item in open_items(engine)] == ["vendor_error"]


def test_rejections_open_and_close_with_the_deal(engine, deal_id, clock):
    sync(engine, deal_id, clock, [], rejection="Discount 25%: rejected by ann: needs a multi-year deal")
    assert [item.kind for item in open_items(engine)] == ["approval_rejected"]
    sync(engine, deal_id, clock, [])
    assert open_items(engine) == []


def test_assign_tag_and_close_are_audited_and_checked(engine, deal_id, clock):
    sync(engine, deal_id, clock, [PO])
    item_id = open_items(engine)[0].id
    with session_scope(engine) as session:
        service.assign(session, item_id=item_id, owner_slack_id="U05SAMSALES", actor="U05ANNFIN01", clock=clock)
        service.tag_cause(session, item_id=item_id, cause="missing_po", actor="U05ANNFIN01", policy=POLICY,
                          clock=clock)
    with pytest.raises(InvalidTransition, match="not a root cause"):
        with session_scope(engine) as session:
            service.tag_cause(session, item_id=item_id, cause="gremlins", actor="U1", policy=POLICY, clock=clock)
    with pytest.raises(InvalidTransition, match="why"):
        with session_scope(engine) as session:
            service.close(session, item_id=item_id, status=ExceptionStatus.DISMISSED, actor="U1", note=" ",
                          clock=clock)
    with session_scope(engine) as session:
        service.close(session, item_id=item_id, status=ExceptionStatus.DISMISSED, actor="U05ANNFIN01",
                      note="Deal cancelled by the customer", clock=clock)
    with pytest.raises(InvalidTransition, match="already dismissed"):
        with session_scope(engine) as session:
            service.assign(session, item_id=item_id, owner_slack_id="U1", actor="U1", clock=clock)
    with session_scope(engine) as session:
        item = session.get(ExceptionItem, item_id)
        assert (item.owner_slack_id, item.root_cause, item.resolution) == (
            "U05SAMSALES", "missing_po", "Deal cancelled by the customer")
        actions = [event.action for event in events_for(session, "exception", item_id)]
    assert actions == ["exception.opened", "exception.assigned", "exception.tagged", "exception.dismissed"]


def test_pings_are_claimed_once(engine, deal_id, clock):
    sync(engine, deal_id, clock, [PO])
    item_id = open_items(engine)[0].id
    with session_scope(engine) as session:
        first = service.claim_pings(session, item_id=item_id, pings=[Ping.REMINDER, Ping.BREACH], clock=clock)
    with session_scope(engine) as session:
        second = service.claim_pings(session, item_id=item_id, pings=[Ping.REMINDER, Ping.BREACH], clock=clock)
    assert first == [Ping.REMINDER, Ping.BREACH] and second == []


def test_a_failed_retry_keeps_the_reason_and_records_the_outcome_beside_it(engine, deal_id, clock):
    sync(engine, deal_id, clock, [HW])
    item_id = open_items(engine)[0].id
    with session_scope(engine) as session:
        service.record_retry(session, item_id=item_id, actor="U05ANNFIN01", succeeded=False,
                             detail="the latest Salesforce data still shows the problem", clock=clock)
    with session_scope(engine) as session:
        item = session.get(ExceptionItem, item_id)
        assert item.reason == HW.message                                  # never overwritten
        assert (item.retry_count, item.last_retry_by, item.last_retry_at) == (1, "U05ANNFIN01", clock.now())
        assert item.last_retry_result == "still failing — the latest Salesforce data still shows the problem"
        retried = [e for e in events_for(session, "exception", item_id) if e.action == "exception.retried"][0]
        assert retried.details["succeeded"] is False and "still shows" in retried.details["detail"]


def test_a_closed_item_cannot_be_tagged_and_strangers_are_refused(engine, deal_id, clock):
    sync(engine, deal_id, clock, [PO])
    item_id = open_items(engine)[0].id
    with pytest.raises(NotAllowed, match="Only the finance team"):
        with session_scope(engine) as session:
            service.authorize(session, item_id=item_id, control=Control.RESOLVE, actor="U05ERINOPS1",
                              finance=frozenset({"U05ANNFIN01"}))
    with session_scope(engine) as session:
        service.close(session, item_id=item_id, status=ExceptionStatus.RESOLVED, actor="U05ANNFIN01", note=None,
                      clock=clock)
    with pytest.raises(InvalidTransition, match="already resolved"):
        with session_scope(engine) as session:
            service.tag_cause(session, item_id=item_id, cause="other", actor="U05ANNFIN01", policy=POLICY, clock=clock)


def test_closing_an_item_shown_in_a_digest_queues_its_refresh_in_the_same_transaction(engine, deal_id, clock):
    sync(engine, deal_id, clock, [PO, HW])
    shown, hidden = open_items(engine)
    with session_scope(engine) as session:
        item = session.get(ExceptionItem, shown.id)
        item.slack_channel, item.slack_ts = "C05D1GESTFIN", "1700000000.000100"
        session.add(item)
    with pytest.raises(RuntimeError):
        with session_scope(engine) as session:          # a close that rolls back queues nothing
            service.close(session, item_id=shown.id, status=ExceptionStatus.RESOLVED, actor="U1", note=None,
                          clock=clock)
            raise RuntimeError("rolled back")
    assert refreshes(engine) == []
    with session_scope(engine) as session:
        service.close(session, item_id=shown.id, status=ExceptionStatus.RESOLVED, actor="U1", note=None, clock=clock)
        service.close(session, item_id=hidden.id, status=ExceptionStatus.RESOLVED, actor="U1", note=None, clock=clock)
    assert refreshes(engine) == [{"channel": "C05D1GESTFIN", "ts": "1700000000.000100"}]


def refreshes(engine) -> list[dict]:
    with session_scope(engine) as session:
        return [item.payload for item in session.exec(select(WorkItem).where(
            WorkItem.kind == WorkKind.REFRESH_EXCEPTION_MESSAGE)).all()]
