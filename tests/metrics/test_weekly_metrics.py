"""The weekly review's credit memos issued: every correction whose credit memo QuickBooks made in the week (a line
or amount credit, a write-off, the credit of a credit-and-rebill), counted and totalled per currency, read from the
tables on the real schema."""
from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from app.db import session_scope
from app.deals.models import Deal
from app.invoicing.correction_models import Correction
from app.invoicing.models import InvoiceJob
from app.metrics.weekly import CreditMemos, credit_memos_issued, weekly_numbers

UNTIL = datetime(2026, 11, 30, 14, 0, tzinfo=UTC)
SINCE = UNTIL - timedelta(days=7)


def add_correction(session, deal: Deal, job: InvoiceJob, number: int, *, kind: str, status: str,
                   done_at: datetime | None, amount: str, credit_total: str | None, currency: str = "USD") -> None:
    session.add(Correction(deal_id=deal.id, invoice_job_id=job.id, number=number, kind=kind, status=status,
                           amount=Decimal(amount), currency=currency, reason="r",
                           idempotency_key=f"c-{deal.id}-{number}",
                           doc_number=f"{deal.sf_id}-C{number}", invoice_id="1",
                           qbo_credit_memo_id=f"{number}" if done_at else None,
                           credit_total=Decimal(credit_total) if credit_total else None,
                           created_at=SINCE, updated_at=SINCE, done_at=done_at))


def test_credit_memos_issued_in_the_week_counted_and_totalled_per_currency(engine):
    inside, before = UNTIL - timedelta(days=1), SINCE - timedelta(hours=1)
    with session_scope(engine) as session:
        deal = Deal(sf_id="006000000000000001", name="Deal", stage="Closed Won", is_won=True,
                    close_date=date(2026, 11, 1), sf_modstamp=SINCE, first_seen_at=SINCE, won_seen_at=SINCE,
                    updated_at=SINCE)
        session.add(deal)
        session.flush()
        job = InvoiceJob(deal_id=deal.id, idempotency_key="k", status="created", attempts=1, qbo_realm_id="r",
                         total=Decimal("1000"), created_at=SINCE, updated_at=SINCE, created_in_qbo_at=SINCE)
        session.add(job)
        session.flush()
        add_correction(session, deal, job, 1, kind="credit_memo", status="done", done_at=inside, amount="100",
                       credit_total="108.25")
        add_correction(session, deal, job, 2, kind="write_off", status="done", done_at=inside, amount="50",
                       credit_total=None)
        add_correction(session, deal, job, 3, kind="credit_memo", status="done", done_at=inside, amount="20",
                       credit_total="20", currency="EUR")
        add_correction(session, deal, job, 4, kind="credit_memo", status="done", done_at=before, amount="7",
                       credit_total="7")
        add_correction(session, deal, job, 5, kind="credit_memo", status="rejected", done_at=None, amount="9",
                       credit_total=None)
        add_correction(session, deal, job, 6, kind="credit_memo", status="done", done_at=UNTIL, amount="3",
                       credit_total="3")
    with session_scope(engine) as session:
        issued = credit_memos_issued(session, since=SINCE, until=UNTIL)
        numbers = weekly_numbers(session, until=UNTIL, tz=ZoneInfo("America/New_York"))
    assert issued == CreditMemos(count=3, total_by_currency={"USD": Decimal("158.25"), "EUR": Decimal("20.00")})
    assert numbers.credit_memos == issued


def test_no_credit_memo_in_the_week_is_zero_not_unknown(engine):
    with session_scope(engine) as session:
        assert credit_memos_issued(session, since=SINCE, until=UNTIL) == CreditMemos(count=0, total_by_currency={})
