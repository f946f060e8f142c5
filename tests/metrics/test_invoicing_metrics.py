"""Invoicing ROI metrics: pure definitions on plain rows, then the same numbers read from real SQL."""
from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from app.approvals.models import ApprovalDecision, ApprovalRequest
from app.db import session_scope
from app.deals.models import Deal
from app.exception_queue.models import ExceptionItem
from app.invoicing.models import InvoiceJob
from app.metrics.invoicing import (
    InvoicedDeal,
    Rate,
    WonDeal,
    days_to_invoice,
    error_rate,
    first_pass_acceptance,
    invoice_totals,
    invoiced_deals,
    won_deals,
)
from app.metrics.roi import BadWindow, parse_window, roi_metrics

NY = ZoneInfo("America/New_York")
NOW = datetime(2026, 11, 26, 15, 0, tzinfo=UTC)


def invoiced(close: date | None, at: datetime, **extra) -> InvoicedDeal:
    return InvoicedDeal(deal_id=extra.pop("deal_id", 1), close_date=close, won_seen_at=extra.pop("won", None),
                        invoiced_at=at, total=extra.pop("total", Decimal("100.00")), **extra)


def test_days_to_invoice_starts_at_midnight_of_the_close_date_in_the_policy_zone():
    # 1 Nov 2026 is the day New York leaves daylight time: midnight there is 04:00 UTC
    rows = [invoiced(date(2026, 11, 1), datetime(2026, 11, 3, 16, 0, tzinfo=UTC)),        # 2.5 days
            invoiced(date(2026, 11, 10), datetime(2026, 11, 11, 5, 0, tzinfo=UTC)),       # exactly 1.0
            invoiced(date(2026, 11, 20), datetime(2026, 11, 30, 5, 0, tzinfo=UTC))]       # 10.0
    result = days_to_invoice(rows, NY)
    assert (result.count, result.median, result.mean, result.p90) == (
        3, Decimal("2.5"), Decimal("4.5"), Decimal("10.0"))


def test_days_to_invoice_falls_back_to_when_we_saw_it_won_and_never_goes_negative():
    won = datetime(2026, 11, 2, 12, 0, tzinfo=UTC)
    rows = [invoiced(None, won + timedelta(hours=36), won=won),                             # 1.5
            invoiced(date(2026, 12, 31), datetime(2026, 11, 5, tzinfo=UTC)),               # before close: 0
            invoiced(None, NOW, won=None)]                                                  # nothing to measure
    result = days_to_invoice(rows, NY)
    assert (result.count, result.median, result.mean) == (2, Decimal("0.8"), Decimal("0.8"))
    assert days_to_invoice([], NY).median is None


def test_first_pass_needs_no_exception_no_rejection_and_one_attempt():
    rows = [invoiced(None, NOW), invoiced(None, NOW, had_exception=True), invoiced(None, NOW, had_rejection=True),
            invoiced(None, NOW, attempts=2), invoiced(None, NOW, attempts=1)]
    assert first_pass_acceptance(rows) == Rate(2, 5)
    assert Rate(2, 5).percent == Decimal("40.0") and Rate(2, 3).percent == Decimal("66.7")
    assert first_pass_acceptance([]).percent is None


def test_error_rate_and_invoice_totals():
    won = [WonDeal(deal_id=n, won_seen_at=NOW, had_exception=n % 3 == 0) for n in range(1, 8)]
    assert error_rate(won) == Rate(2, 7) and error_rate(won).percent == Decimal("28.6")
    totals = invoice_totals([invoiced(None, NOW, total=Decimal("0.10")), invoiced(None, NOW, total=Decimal("0.20")),
                             invoiced(None, NOW, total=Decimal("5.00"), currency="EUR"),
                             invoiced(None, NOW, total=None)])
    assert totals.count == 4
    assert totals.total_by_currency == {"EUR": Decimal("5.00"), "USD": Decimal("0.30")}   # exact, no float


@pytest.mark.parametrize("raw, days", [(None, 30), ("", 30), ("7", 7), (" 90 ", 90)])
def test_period_accepts_7_30_90(raw, days):
    assert parse_window(raw) == days


@pytest.mark.parametrize("raw", ["abc", "0", "-7", "31", "1e3", "7.5"])
def test_period_rejects_anything_else_with_a_clear_message(raw):
    with pytest.raises(BadWindow, match="days must be one of 7, 30, 90"):
        parse_window(raw)


# --- real SQL ---------------------------------------------------------------------------------------------


def add_deal(session, n: int, *, won_seen: datetime | None, close: date | None = date(2026, 11, 20)) -> Deal:
    deal = Deal(sf_id=f"006{n:015d}", name=f"Deal {n}", stage="Closed Won", is_won=won_seen is not None,
                close_date=close, sf_modstamp=NOW, first_seen_at=won_seen or NOW, won_seen_at=won_seen,
                updated_at=NOW)
    session.add(deal)
    session.flush()
    return deal


def add_invoice(session, deal: Deal, *, at: datetime | None, total: str, attempts: int = 1) -> None:
    session.add(InvoiceJob(deal_id=deal.id, idempotency_key=f"key-{deal.id}", status="created" if at else "failed",
                           attempts=attempts, qbo_realm_id="realm", total=Decimal(total), created_at=NOW,
                           updated_at=NOW, created_in_qbo_at=at))


def add_exception(session, deal: Deal, *, opened: datetime) -> None:
    session.add(ExceptionItem(kind="missing_field", dedupe_key=f"deal:{deal.id}", deal_id=deal.id, reason="r",
                              created_at=opened, sla_due_at=opened + timedelta(hours=8),
                              suggested_root_cause="rep_data_entry"))


def add_rejection(session, deal: Deal, *, decision: str = "rejected") -> None:
    request = ApprovalRequest(kind="discount", role="finance", ask="25%", terms_fingerprint="f", deal_id=deal.id,
                              status=decision, live_marker=1, created_at=NOW)
    session.add(request)
    session.flush()
    session.add(ApprovalDecision(request_id=request.id, slack_user_id="U1", decision=decision, decided_at=NOW))


def seed(engine) -> None:
    recent, old = NOW - timedelta(days=2), NOW - timedelta(days=20)
    with session_scope(engine) as session:
        clean = add_deal(session, 1, won_seen=recent)
        add_invoice(session, clean, at=recent, total="1000.10")
        fixed = add_deal(session, 2, won_seen=recent)               # invoiced, but after an exception
        add_exception(session, fixed, opened=recent)
        add_invoice(session, fixed, at=NOW - timedelta(days=1), total="200.20")
        rejected = add_deal(session, 3, won_seen=old)               # rejected once, then invoiced (old)
        add_rejection(session, rejected)
        add_invoice(session, rejected, at=old, total="300.30")
        approved = add_deal(session, 4, won_seen=recent)            # approved: still first pass, but retried
        add_rejection(session, approved, decision="approved")
        add_invoice(session, approved, at=recent, total="400.40", attempts=2)
        blocked = add_deal(session, 5, won_seen=recent)             # won, never invoiced
        add_exception(session, blocked, opened=recent)
        add_invoice(session, blocked, at=None, total="999.99")
        add_deal(session, 6, won_seen=None)                         # not won


def test_rows_read_from_the_tables(engine):
    seed(engine)
    with session_scope(engine) as session:
        rows = {row.deal_id: row for row in invoiced_deals(session, since=NOW - timedelta(days=30))}
        won = won_deals(session, since=NOW - timedelta(days=7))
    assert set(rows) == {1, 2, 3, 4}
    assert [(rows[n].had_exception, rows[n].had_rejection, rows[n].attempts) for n in (1, 2, 3, 4)] == [
        (False, False, 1), (True, False, 1), (False, True, 1), (False, False, 2)]
    assert rows[1].total == Decimal("1000.10") and rows[1].invoiced_at.tzinfo is not None
    assert rows[1].close_date == date(2026, 11, 20)
    assert sorted((w.deal_id, w.had_exception) for w in won) == [(1, False), (2, True), (4, False), (5, True)]


def test_roi_metrics_over_a_period(engine):
    seed(engine)
    with session_scope(engine) as session:
        month = roi_metrics(session, now=NOW, days=30, tz=NY)
        week = roi_metrics(session, now=NOW, days=7, tz=NY)
    assert (month.first_pass, week.first_pass) == (Rate(1, 4), Rate(1, 3))
    assert (month.error_rate, week.error_rate) == (Rate(2, 5), Rate(2, 4))
    assert month.invoices.total_by_currency == {"USD": Decimal("1901.00")}
    assert week.invoices.count == 3 and week.invoices.total_by_currency == {"USD": Decimal("1600.70")}
    assert month.open_exceptions == week.open_exceptions == 2
    assert month.exceptions.by_cause == {"rep_data_entry": 2}
    assert week.days_to_invoice.count == 3
