"""The demo's history is deterministic (seeded RNG) and plausible: spread in cycle times, every segment, exceptions
closed (so the live queue shows only the walkthrough's), some credit memos and late payments."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlmodel import col, select

from app.db import make_engine, session_scope
from app.db_migrate import upgrade
from app.exception_queue.models import ExceptionItem, ExceptionStatus
from app.metrics.dashboard import chart_data
from app.metrics.invoicing import days_to_invoice, invoiced_deals
from app.metrics.series import Scope
from app.policy.metrics import MetricsPolicy
from app.sandbox.history import seed_history

NOW = datetime(2026, 12, 7, 15, 0, tzinfo=UTC)
NY = ZoneInfo("America/New_York")


def seeded(url: str):
    upgrade(url)
    engine = make_engine(url)
    seed_history(engine, now=NOW, realm_id="realm")
    return engine


def test_the_same_seed_gives_the_same_history_and_it_has_spread(tmp_path):
    first, second = seeded(f"sqlite:///{tmp_path / 'a.db'}"), seeded(f"sqlite:///{tmp_path / 'b.db'}")
    try:
        answers = []
        for engine in (first, second):
            with session_scope(engine) as session:
                answers.append(chart_data(session, now=NOW, days=365, tz=NY, home_currency="USD",
                                          scope=Scope(default_realm_id="realm"), policy=MetricsPolicy()))
        assert answers[0] == answers[1]
        with session_scope(first) as session:
            invoiced = invoiced_deals(session, since=NOW - timedelta(days=120))
            still_open = session.exec(select(ExceptionItem).where(
                col(ExceptionItem.status) == ExceptionStatus.OPEN)).all()
        spread = days_to_invoice(invoiced, NY)
        assert spread.median is not None and spread.p90 is not None and spread.p90 >= 2 * spread.median
        assert {row.segment for row in invoiced} == {"Enterprise", "Mid-Market", "SMB"}
        assert any(row.had_correction for row in invoiced) and still_open == []
        late = answers[0].aging
        assert sum(bucket for segment in late.values() for name, bucket in segment.items() if name != "current") > 0
    finally:
        first.dispose()
        second.dispose()
