"""Exception metrics from root-cause tags: counts, weekly trend, time to resolve, SLA breach rate."""
from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from app.db import session_scope
from app.exception_queue.models import ExceptionItem
from app.metrics.exceptions import (
    ExceptionRow,
    breach_rate,
    counts_by_cause,
    exception_metrics,
    resolve_times,
    weekly_trend,
)

NY = ZoneInfo("America/New_York")
MON = datetime(2026, 11, 23, 10, 0, tzinfo=NY)


def row(cause, opened, hours_to_resolve=None, *, sla_hours=8, status="resolved"):
    resolved = opened + timedelta(hours=hours_to_resolve) if hours_to_resolve is not None else None
    return ExceptionRow(kind="missing_field", cause=cause, opened_at=opened,
                        sla_due_at=opened + timedelta(hours=sla_hours),
                        resolved_at=resolved, status=status if resolved else "open")


ROWS = [row("rep_data_entry", MON, 2), row("rep_data_entry", MON + timedelta(days=1), 10),
        row("new_product", MON + timedelta(days=7), 4), row(None, MON + timedelta(days=8)),
        row("rep_data_entry", MON + timedelta(days=8), 1, status="dismissed")]


def test_counts_and_weekly_trend_by_cause():
    assert counts_by_cause(ROWS) == {"rep_data_entry": 3, "new_product": 1, "untagged": 1}
    assert weekly_trend(ROWS, NY) == {date(2026, 11, 23): {"rep_data_entry": 2},
                                      date(2026, 11, 30): {"new_product": 1, "untagged": 1, "rep_data_entry": 1}}


def test_time_to_resolve_ignores_open_and_dismissed():
    times = resolve_times(ROWS)
    assert times.count == 3
    assert times.median == timedelta(hours=4) and times.p90 == timedelta(hours=10)
    assert times.mean == timedelta(hours=16 / 3)
    assert resolve_times([]).median is None


def test_breach_rate_counts_only_decided_slas():
    now = MON + timedelta(days=8, hours=1)          # the open one (due in 7 more hours) is not decided yet
    assert breach_rate(ROWS, now=now) == 1 / 4       # the 10-hour resolution missed its 8-hour SLA
    assert breach_rate(ROWS, now=now + timedelta(hours=8)) == 2 / 5
    assert breach_rate([], now=now) is None


def test_metrics_read_from_the_table(engine):
    with session_scope(engine) as session:
        for index, item in enumerate(ROWS):
            session.add(ExceptionItem(kind=item.kind, dedupe_key=f"k{index}", reason="r", created_at=item.opened_at,
                                      sla_due_at=item.sla_due_at, resolved_at=item.resolved_at, status=item.status,
                                      root_cause=item.cause, open_marker=1 if item.status == "open" else None))
    with session_scope(engine) as session:
        metrics = exception_metrics(session, now=MON + timedelta(days=9), since=MON - timedelta(days=30), tz=NY)
    assert metrics.by_cause == {"rep_data_entry": 3, "new_product": 1, "untagged": 1}
    assert metrics.time_to_resolve.count == 3 and metrics.breach_rate == 2 / 5
