"""Every chart's numbers on a small hand-built history with known answers (tests/metrics/history_fixture.py),
read through real SQL (SQLite, and PostgreSQL when available). The answers are worked out by hand below."""
from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from app.db import session_scope
from app.metrics.credit_memos import CreditMemos, IssuedMemo, count_memos, credit_memos_issued
from app.metrics.dashboard import ChartData, chart_data
from app.metrics.invoicing import Rate, invoiced_deals
from app.metrics.position import Amounts, Funnel, aging_bucket, manual_hours_eliminated
from app.metrics.roi import roi_metrics
from app.metrics.series import Scope
from app.metrics.weekly import weekly_numbers
from app.policy.metrics import MetricsPolicy
from tests.metrics.history_fixture import NOW, seed_known_history, utc

NY = ZoneInfo("America/New_York")
WEEKS = [date(2026, 10, 19), date(2026, 10, 26), date(2026, 11, 2), date(2026, 11, 9), date(2026, 11, 16),
         date(2026, 11, 23)]
D = Decimal


def charts(engine, **scope: str) -> ChartData:
    with session_scope(engine) as session:
        return chart_data(session, now=NOW, days=30, tz=NY, home_currency="USD",
                          scope=Scope(default_realm_id="R1", **scope), policy=MetricsPolicy())


def test_weekly_series_over_30_days(engine):
    seed_known_history(engine)
    data = charts(engine)
    assert data.weeks == WEEKS
    assert data.invoices == [0, 0, 2, 2, 1, 0]                                  # d1 d2 | d3 d4 | d5
    assert data.invoiced_amount == [D("0.00"), D("0.00"), D("1500.00"), D("12000.00"), D("300.00"), D("0.00")]
    assert data.dti_median == [None, None, D("2.3"), D("2.5"), D("2.0"), None]  # (2.5+2.0)/2, (4.0+1.0)/2, 2.0
    assert data.dti_p90 == [None, None, D("2.5"), D("4.0"), D("2.0"), None]
    assert data.first_pass == [None, None, D("50.0"), D("0.0"), D("0.0"), None]  # d3 credit memo, d4 retried
    assert data.error_rate == [None, None, D("50.0"), D("50.0"), D("25.0"), None]  # d5 d7 d8 d9: only d8
    assert data.opened_by_cause == {"missing_po": [0, 0, 1, 0, 0, 0], "new_product": [0, 0, 0, 1, 0, 0],
                                    "rep_data_entry": [0, 0, 0, 0, 1, 0]}
    assert data.closed_by_cause == {"missing_po": [0, 0, 1, 0, 0, 0], "new_product": [0, 0, 0, 1, 0, 0]}
    assert data.breach_rate == [None, None, D("100.0"), D("0.0"), D("100.0"), None]


def test_aging_backlog_conversion_and_hours(engine):
    seed_known_history(engine)
    data = charts(engine)
    zero = D("0.00")
    assert data.aging == {"Enterprise": {"current": D("10000.00"), "1-30": zero, "31-60": D("2000.00"),
                                         "61-90": zero, "90+": zero},
                          "SMB": {"current": zero, "1-30": D("500.00"), "31-60": D("700.00"), "61-90": zero,
                                  "90+": zero}}
    assert data.billed == Amounts(5, D("13800.00"))
    assert data.unbilled == {"waiting for approval": Amounts(1, D("800.00")), "blocked": Amounts(1, D("5000.00")),
                             "not yet eligible": Amounts(1, D("0.00"), unconverted=1)}
    assert data.funnel == Funnel(closed=9, won=8, invoiced=5)                   # d1-d5, d7-d9 won; d10 lost
    assert data.funnel.conversion.percent == D("55.6")
    assert data.credit_memo_frequency == Rate(2, 5)                             # d3 (by hand), d5 (from Slack)
    assert data.manual_hours == D("1.6")                 # 5 invoices x 15 min + 1 self-resolved exception x 20 min


def test_credit_memos_from_slack_and_quickbooks_are_counted_once(engine):
    seed_known_history(engine)
    since = NOW - timedelta(days=30)
    with session_scope(engine) as session:
        everything = credit_memos_issued(session, since, NOW)
        first, second = credit_memos_issued(session, since, NOW, "R1"), credit_memos_issued(session, since, NOW, "R2")
    # CM-9 made from Slack and seen by CDC is one; CM-3 by hand; CM-GONE deleted; CM-6 before the period
    assert everything == CreditMemos(2, {"USD": D("1030.00")})
    assert (first, second) == (CreditMemos(1, {"USD": D("1000.00")}), CreditMemos(1, {"USD": D("30.00")}))


def test_count_memos_keeps_the_first_source_of_each_quickbooks_id():
    memos = [IssuedMemo(("R1", "7"), NOW, D("10.00"), "USD"), IssuedMemo(None, NOW, D("1.00"), "USD"),
             IssuedMemo(("R1", "7"), NOW, D("99.00"), "USD"), IssuedMemo(("R2", "7"), NOW, D("5.00"), "EUR")]
    assert count_memos(memos) == CreditMemos(3, {"EUR": D("5.00"), "USD": D("11.00")})


def test_the_first_pass_window_after_issue_is_the_policys(engine):
    seed_known_history(engine)
    with session_scope(engine) as session:
        month = {row.deal_id: row for row in invoiced_deals(session, since=utc(9, 1), window=timedelta(days=30))}
        longer = {row.deal_id: row for row in invoiced_deals(session, since=utc(9, 1), window=timedelta(days=60))}
    assert not month[6].had_correction and longer[6].had_correction          # CM-6 came 37 days after issue


def test_filters_by_segment_and_company(engine):
    seed_known_history(engine)
    smb, second_company = charts(engine, segment="SMB"), charts(engine, realm_id="R2")
    assert smb.invoices == [0, 0, 2, 0, 1, 0] and second_company.invoices == [0, 0, 0, 0, 1, 0]
    assert smb.opened_by_cause == {"missing_po": [0, 0, 1, 0, 0, 0]}
    assert list(smb.aging) == ["SMB"] and second_company.aging == {}
    assert smb.funnel == Funnel(closed=6, won=5, invoiced=3)                    # d1 d2 d5 d7 d9 won, d10 lost
    assert second_company.credit_memos == CreditMemos(1, {"USD": D("30.00")})
    with session_scope(engine) as session:
        tiles = roi_metrics(session, now=NOW, days=30, tz=NY, scope=Scope("Enterprise", None, "R1"))
    assert (tiles.invoices.count, tiles.first_pass, tiles.exceptions.by_cause) == (2, Rate(0, 2),
                                                                                    {"new_product": 1,
                                                                                     "rep_data_entry": 1})


def test_the_weekly_review_counts_credit_memos_from_both_sources(engine):
    seed_known_history(engine)
    with session_scope(engine) as session:
        numbers = weekly_numbers(session, until=utc(11, 23), tz=NY)             # 16 Nov 05:00 to 23 Nov 05:00
    assert numbers.credit_memos == CreditMemos(2, {"USD": D("1030.00")})
    assert numbers.first_pass == Rate(0, 1)                                     # d5: corrected from Slack


@pytest.mark.parametrize("due, bucket", [(None, "current"), (date(2026, 11, 24), "current"),
                                         (date(2026, 11, 23), "1-30"), (date(2026, 10, 25), "1-30"),
                                         (date(2026, 10, 24), "31-60"), (date(2026, 9, 25), "31-60"),
                                         (date(2026, 9, 24), "61-90"), (date(2026, 8, 26), "61-90"),
                                         (date(2026, 8, 25), "90+")])
def test_aging_buckets_by_days_past_due(due, bucket):
    assert aging_bucket(due, date(2026, 11, 24)) == bucket


def test_manual_hours_round_to_one_decimal():
    assert manual_hours_eliminated(invoices=4, exceptions_auto_resolved=0, minutes_per_invoice=D(15),
                                   minutes_per_fix=D(20)) == D("1.0")
