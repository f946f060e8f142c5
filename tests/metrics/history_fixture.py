"""A small hand-built history with known answers for the dashboard's charts (see test_dashboard_metrics.py).

NOW is Tuesday 24 Nov 2026, 10:00 in New York. Close dates are New York days (midnight = 05:00 UTC in November,
04:00 before 1 Nov). Three accounts: SMB and Enterprise in company R1, SMB in company R2.
"""
from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

from app.db import session_scope
from app.deals.models import Account, Deal, DealStatus
from app.exception_queue.models import ExceptionItem, ExceptionStatus
from app.invoicing.correction_models import Correction, CorrectionStatus
from app.invoicing.models import InvoiceJob
from app.invoicing.qbo_change_models import QboCreditMemoSeen

NOW = datetime(2026, 11, 24, 15, 0, tzinfo=UTC)


def utc(month: int, day: int, hour: int = 5) -> datetime:
    return datetime(2026, month, day, hour, tzinfo=UTC)


def _account(session, n: int, segment: str, realm: str) -> Account:
    account = Account(sf_id=f"001{n:015d}", name=f"Account {n}", segment=segment, qbo_customer_id=f"C{n}",
                      qbo_realm_id=realm, created_at=NOW, updated_at=NOW)
    session.add(account)
    session.flush()
    return account


def _deal(session, n: int, account: Account, *, close: date, status: str, amount: str = "0", won: bool = True,
          stage: str = "Closed Won", currency: str = "USD") -> Deal:
    seen = datetime(close.year, close.month, close.day, 15, tzinfo=UTC)
    deal = Deal(sf_id=f"006{n:015d}", name=f"Deal {n}", stage=stage, is_won=won, amount=Decimal(amount),
                currency=currency, close_date=close, sf_modstamp=NOW, first_seen_at=seen,
                won_seen_at=seen if won else None, updated_at=NOW, account_id=account.id, gate_status=status)
    session.add(deal)
    session.flush()
    return deal


def _invoice(session, deal: Deal, *, at: datetime, total: str, balance: str, due: date, attempts: int = 1,
             realm: str = "R1") -> InvoiceJob:
    job = InvoiceJob(deal_id=deal.id, idempotency_key=f"key-{deal.id}", status="created", attempts=attempts,
                     qbo_realm_id=realm, qbo_customer_id="C", qbo_invoice_id=f"INV{deal.id}", total=Decimal(total),
                     balance=Decimal(balance), due_date=due, currency="USD", created_at=at, updated_at=at,
                     created_in_qbo_at=at)
    session.add(job)
    session.flush()
    return job


def _exception(session, deal: Deal, *, kind: str, cause: str, opened: datetime, due: datetime,
               resolved: datetime | None = None, by: str | None = None) -> None:
    session.add(ExceptionItem(kind=kind, dedupe_key=f"{kind}:{deal.id}", deal_id=deal.id, reason="r",
                              suggested_root_cause=cause, created_at=opened, sla_due_at=due, resolved_at=resolved,
                              resolved_by=by, open_marker=None if resolved else 1,
                              status=ExceptionStatus.RESOLVED if resolved else ExceptionStatus.OPEN))


def _memo(session, qbo_id: str, *, realm: str, at: datetime, total: str, job: InvoiceJob | None,
          deleted: bool = False) -> None:
    session.add(QboCreditMemoSeen(realm_id=realm, qbo_id=qbo_id, total=Decimal(total), currency="USD",
                                  created_in_qbo_at=at, deleted=deleted, invoice_job_id=job.id if job else None,
                                  seen_at=at, updated_at=at))


def seed_known_history(engine) -> None:
    with session_scope(engine) as session:
        smb, ent, smb2 = _account(session, 1, "SMB", "R1"), _account(session, 2, "Enterprise", "R1"), \
            _account(session, 3, "SMB", "R2")
        invoiced = DealStatus.INVOICED
        d1 = _deal(session, 1, smb, close=date(2026, 11, 2), status=invoiced, amount="1000")
        _invoice(session, d1, at=utc(11, 4, 17), total="1000.00", balance="0.00", due=date(2026, 12, 4))   # 2.5 d
        d2 = _deal(session, 2, smb, close=date(2026, 11, 3), status=invoiced, amount="500")
        _invoice(session, d2, at=utc(11, 5), total="500.00", balance="500.00", due=date(2026, 11, 10))      # 2.0 d
        _exception(session, d2, kind="missing_field", cause="missing_po", opened=utc(11, 3, 12),
                   due=utc(11, 4, 0), resolved=utc(11, 4, 12), by="system")                       # late: breached
        d3 = _deal(session, 3, ent, close=date(2026, 11, 9), status=invoiced, amount="10000")
        j3 = _invoice(session, d3, at=utc(11, 13), total="10000.00", balance="10000.00", due=date(2026, 12, 13))
        _exception(session, d3, kind="unmapped_product", cause="new_product", opened=utc(11, 9, 16),
                   due=utc(11, 10, 16), resolved=utc(11, 10, 10), by="U0ANN")                     # in time
        _memo(session, "CM-3", realm="R1", at=utc(11, 20, 12), total="1000.00", job=j3)           # by hand in QBO
        _memo(session, "CM-GONE", realm="R1", at=utc(11, 21, 12), total="5.00", job=j3, deleted=True)
        d4 = _deal(session, 4, ent, close=date(2026, 11, 10), status=invoiced, amount="2000")
        _invoice(session, d4, at=utc(11, 11), total="2000.00", balance="2000.00", due=date(2026, 10, 1),
                 attempts=2)                                                                      # 1.0 d, retried
        d5 = _deal(session, 5, smb2, close=date(2026, 11, 16), status=invoiced, amount="300")
        j5 = _invoice(session, d5, at=utc(11, 18), total="300.00", balance="0.00", due=date(2026, 12, 18),
                      realm="R2")                                                                 # 2.0 d
        session.add(Correction(deal_id=d5.id, invoice_job_id=j5.id, number=1, kind="credit_memo",
                               status=CorrectionStatus.DONE, amount=Decimal("30.00"), reason="price", currency="USD",
                               idempotency_key="corr-5-1", doc_number="006-C1", invoice_id="INV5",
                               qbo_credit_memo_id="CM-9", credit_total=Decimal("30.00"), created_at=utc(11, 19),
                               updated_at=utc(11, 19), done_at=utc(11, 19, 12)))
        _memo(session, "CM-9", realm="R2", at=utc(11, 19, 12), total="30.00", job=j5)            # the same one, via CDC
        d6 = _deal(session, 6, smb, close=date(2026, 9, 1), status=invoiced, amount="700")
        j6 = _invoice(session, d6, at=utc(9, 3, 4), total="700.00", balance="700.00", due=date(2026, 10, 3))
        _memo(session, "CM-6", realm="R1", at=utc(10, 10), total="70.00", job=j6)     # 37 days after issue
        _deal(session, 7, smb, close=date(2026, 11, 20), status=DealStatus.AWAITING_APPROVAL, amount="800")
        d8 = _deal(session, 8, ent, close=date(2026, 11, 19), status=DealStatus.BLOCKED, amount="5000")
        _exception(session, d8, kind="missing_field", cause="rep_data_entry", opened=utc(11, 19, 14),
                   due=utc(11, 20, 14))                                                           # open, past due
        _deal(session, 9, smb, close=date(2026, 11, 21), status=DealStatus.NOT_ELIGIBLE, amount="1200", currency="EUR")
        _deal(session, 10, smb, close=date(2026, 11, 5), status=DealStatus.NOT_WON, won=False, stage="Closed Lost")
        _deal(session, 11, smb, close=date(2026, 12, 1), status=DealStatus.NOT_WON, won=False, stage="Negotiation")
