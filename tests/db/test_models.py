"""Column types and constraints behave the same on SQLite and PostgreSQL."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal

import pytest
from sqlalchemy import Engine, delete, select
from sqlalchemy.exc import IntegrityError, StatementError
from sqlmodel import Session

from app.approvals.models import ApprovalDecision, ApprovalRequest, Decision
from app.db import session_scope
from app.deals.models import Account, Deal, DealLine
from app.exactly_once.models import InboundEvent, JobRun, SyncWatermark
from app.exception_queue.models import OPEN, ExceptionItem, ExceptionStatus
from app.invoicing.models import InvoiceJob
from app.work_queue.models import WorkItem

NOW = datetime(2024, 5, 1, 12, 30, 15, 123456, tzinfo=UTC)


def _deal(session: Session, sf_id: str = "006000000000001AAA", **fields: object) -> Deal:
    account = Account(sf_id=f"001{sf_id[3:]}", name="Acme", created_at=NOW, updated_at=NOW)
    session.add(account)
    session.flush()
    deal = Deal(sf_id=sf_id, name="Acme renewal", stage="Closed Won", is_won=True, sf_modstamp=NOW,
                account_id=account.id, first_seen_at=NOW, updated_at=NOW, **fields)
    session.add(deal)
    session.flush()
    return deal


def _insert(engine: Engine, *rows: object) -> None:
    with session_scope(engine) as session:
        session.add_all(rows)


def test_money_round_trips_decimal_exactly(engine: Engine) -> None:
    with session_scope(engine) as session:
        deal_id = _deal(session, amount=Decimal("12345678901.23")).id
    with Session(engine) as session:
        amount = session.get(Deal, deal_id).amount
    assert isinstance(amount, Decimal)
    assert amount == Decimal("12345678901.23")
    assert str(amount) == "12345678901.23"


def test_money_refuses_float(engine: Engine) -> None:
    with pytest.raises(StatementError, match="float"):
        with session_scope(engine) as session:
            _deal(session, amount=19.99)


def test_quantities_and_percents_keep_their_scale(engine: Engine) -> None:
    with session_scope(engine) as session:
        deal = _deal(session)
        session.add(DealLine(deal_id=deal.id, sf_id="00k000000000001AAA", product_name="Seats",
                             quantity=Decimal("1234.5678"), unit_price=Decimal("0.10"),
                             discount_percent=Decimal("12.3456"), total_price=Decimal("108.02")))
    with Session(engine) as session:
        line = session.scalars(select(DealLine)).one()
    assert (line.quantity, line.discount_percent) == (Decimal("1234.5678"), Decimal("12.3456"))
    assert line.total_price == Decimal("108.02")


def test_timestamps_come_back_aware_utc(engine: Engine) -> None:
    paris_summer = timezone(timedelta(hours=2))
    with session_scope(engine) as session:
        deal_id = _deal(session, won_seen_at=datetime(2024, 5, 1, 14, 0, tzinfo=paris_summer)).id
    with Session(engine) as session:
        deal = session.get(Deal, deal_id)
    assert deal.won_seen_at == datetime(2024, 5, 1, 12, 0, tzinfo=UTC)
    assert deal.won_seen_at.utcoffset() == timedelta(0)
    assert deal.sf_modstamp == NOW and deal.sf_modstamp.tzinfo is not None


def test_naive_timestamps_are_refused(engine: Engine) -> None:
    with pytest.raises(StatementError, match="naive"):
        _insert(engine, InboundEvent(event_key="Ev1", received_at=datetime(2024, 5, 1, 12, 0)))


def test_json_columns_round_trip(engine: Engine) -> None:
    snapshot = {"Id": "006A", "Amount": 1200.5, "OpportunityLineItems": {"records": [{"Id": "00kA"}]}}
    with session_scope(engine) as session:
        deal_id = _deal(session, snapshot=snapshot, gate_problems=["missing PO"]).id
        session.add(SyncWatermark(name="opportunities", modstamp=NOW, ids_at_modstamp=["006A", "006B"],
                                  updated_at=NOW))
    with Session(engine) as session:
        deal = session.get(Deal, deal_id)
        watermark = session.get(SyncWatermark, "opportunities")
    assert (deal.snapshot, deal.gate_problems) == (snapshot, ["missing PO"])
    assert watermark.ids_at_modstamp == ["006A", "006B"]


def _request(session: Session, deal: Deal, fingerprint: str = "f1") -> ApprovalRequest:
    request = ApprovalRequest(deal_id=deal.id, kind="discount", role="finance", ask="Approve 30% off?",
                              terms_fingerprint=fingerprint, created_at=NOW)
    session.add(request)
    session.flush()
    return request


def _decision(request_id: int, user: str) -> ApprovalDecision:
    return ApprovalDecision(request_id=request_id, slack_user_id=user, decision=Decision.APPROVED, decided_at=NOW)


def test_one_decision_per_approval_request(engine: Engine) -> None:
    with session_scope(engine) as session:
        request_id = _request(session, _deal(session)).id
    _insert(engine, _decision(request_id, "U1"))
    with pytest.raises(IntegrityError):
        _insert(engine, _decision(request_id, "U2"))
    with Session(engine) as session:
        assert [d.slack_user_id for d in session.scalars(select(ApprovalDecision))] == ["U1"]


def test_same_ask_is_never_stored_twice(engine: Engine) -> None:
    with session_scope(engine) as session:
        deal = _deal(session)
        _request(session, deal, "f1")
        _request(session, deal, "f2")  # new terms: a new ask is fine
        deal_id = deal.id
    with pytest.raises(IntegrityError), session_scope(engine) as session:
        _request(session, session.get(Deal, deal_id), "f1")


def _invoice_job(deal_id: int, key: str) -> InvoiceJob:
    return InvoiceJob(deal_id=deal_id, idempotency_key=key, qbo_realm_id="9130", created_at=NOW, updated_at=NOW)


def test_one_invoice_job_per_deal_and_unique_idempotency_key(engine: Engine) -> None:
    with session_scope(engine) as session:
        first, second = _deal(session, "006000000000001AAA").id, _deal(session, "006000000000002AAA").id
    _insert(engine, _invoice_job(first, "lb-inv-1"))
    with pytest.raises(IntegrityError):
        _insert(engine, _invoice_job(first, "lb-inv-2"))
    with pytest.raises(IntegrityError):
        _insert(engine, _invoice_job(second, "lb-inv-1"))
    _insert(engine, _invoice_job(second, "lb-inv-2"))


def _exception(key: str, *, closed: bool = False) -> ExceptionItem:
    """New items are open by default; closed ones carry open_marker=None."""
    closing = {"open_marker": None, "status": ExceptionStatus.RESOLVED} if closed else {}
    return ExceptionItem(kind="missing_po", dedupe_key=key, reason="No PO number", sla_due_at=NOW,
                         created_at=NOW, **closing)


def test_a_problem_is_open_only_once(engine: Engine) -> None:
    _insert(engine, _exception("deal:1:missing_po"))
    with Session(engine) as session:
        assert session.scalars(select(ExceptionItem.open_marker)).one() == OPEN
    with pytest.raises(IntegrityError):
        _insert(engine, _exception("deal:1:missing_po"))


def test_closed_problems_never_collide_and_can_reopen(engine: Engine) -> None:
    _insert(engine, _exception("deal:1:missing_po", closed=True),
            _exception("deal:1:missing_po", closed=True))
    _insert(engine, _exception("deal:1:missing_po"))
    with session_scope(engine) as session:
        item = session.scalars(select(ExceptionItem).where(ExceptionItem.open_marker == OPEN)).one()
        item.open_marker, item.status = None, ExceptionStatus.RESOLVED
    _insert(engine, _exception("deal:1:missing_po"))
    with Session(engine) as session:
        assert len(session.scalars(select(ExceptionItem)).all()) == 4


def test_job_run_slot_is_taken_once(engine: Engine) -> None:
    slot = datetime(2024, 5, 2, 6, 30, tzinfo=UTC)
    _insert(engine, JobRun(job_name="nightly_sync", scheduled_for=slot, started_at=NOW))
    with pytest.raises(IntegrityError):
        _insert(engine, JobRun(job_name="nightly_sync", scheduled_for=slot, started_at=NOW))
    _insert(engine, JobRun(job_name="nightly_sync", scheduled_for=slot + timedelta(days=1), started_at=NOW),
            JobRun(job_name="digest", scheduled_for=slot, started_at=NOW))


def test_inbound_event_and_work_item_dedupe(engine: Engine) -> None:
    _insert(engine, InboundEvent(event_key="Ev1", received_at=NOW))
    with pytest.raises(IntegrityError):
        _insert(engine, InboundEvent(event_key="Ev1", received_at=NOW))
    work = dict(kind="create_invoice", run_after=NOW, created_at=NOW, updated_at=NOW)
    _insert(engine, WorkItem(**work), WorkItem(**work), WorkItem(dedupe_key="deal:1", **work))
    with pytest.raises(IntegrityError):
        _insert(engine, WorkItem(dedupe_key="deal:1", **work))


def test_deal_lines_go_with_their_deal(engine: Engine) -> None:
    with session_scope(engine) as session:
        deal = _deal(session)
        session.add(DealLine(deal_id=deal.id, sf_id="00k1", product_name="Seats", quantity=Decimal("2"),
                             unit_price=Decimal("50.00"), total_price=Decimal("100.00")))
        deal_id = deal.id
    with pytest.raises(IntegrityError):
        _insert(engine, DealLine(deal_id=deal_id, sf_id="00k1", product_name="Seats", quantity=Decimal("1"),
                                 unit_price=Decimal("50.00"), total_price=Decimal("50.00")))
    with session_scope(engine) as session:
        session.execute(delete(Deal).where(Deal.id == deal_id))
    with Session(engine) as session:
        assert session.scalars(select(DealLine)).all() == []


def test_foreign_keys_are_enforced(engine: Engine) -> None:
    with pytest.raises(IntegrityError):
        _insert(engine, _invoice_job(424242, "lb-inv-orphan"))
