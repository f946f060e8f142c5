"""QuickBooks owns payments: bring invoice balance and status back (then on to Salesforce) via CDC.

Two short transactions from the caller's `Transactions` (app/db.py), with the QuickBooks call between them.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from sqlmodel import Session, col, select

from app.audit.service import Links, record_event
from app.clock import Clock
from app.db import Transactions, persisted_id
from app.exactly_once.models import SyncWatermark
from app.integrations.quickbooks_models import QboInvoice
from app.invoicing.models import InvoiceJob
from app.work_queue.service import enqueue

INVOICE_WATERMARK = "quickbooks.invoice"
CDC_LOOKBACK = timedelta(days=29)          # QuickBooks answers CDC for at most 30 days back
OVERLAP = timedelta(minutes=2)             # re-read a little: clocks differ; updates are idempotent


class InvoiceChanges(Protocol):
    def invoices_changed_since(self, since: datetime) -> list[QboInvoice]: ...


@dataclass(frozen=True)
class PaymentsReport:
    seen: int
    updated: int


def refresh_payments(*, transactions: Transactions, quickbooks: InvoiceChanges, clock: Clock,
                     write_back_kind: str) -> PaymentsReport:
    """Balance and status of our invoices as QuickBooks has them now; changed ones are written back."""
    started = clock.now()
    with transactions.read() as session:
        mark = session.get(SyncWatermark, INVOICE_WATERMARK)
        since = max(mark.modstamp - OVERLAP if mark and mark.modstamp else started - CDC_LOOKBACK,
                    started - CDC_LOOKBACK)
    changed = quickbooks.invoices_changed_since(since)
    updated = 0
    with transactions.begin() as session:
        for invoice in changed:
            updated += _apply(session, invoice, clock=clock, write_back_kind=write_back_kind)
        _save_mark(session, started, clock=clock)
    return PaymentsReport(seen=len(changed), updated=updated)


def _apply(session: Session, invoice: QboInvoice, *, clock: Clock, write_back_kind: str) -> int:
    job = session.exec(select(InvoiceJob).where(col(InvoiceJob.qbo_invoice_id) == invoice.id)).first()
    if job is None or (job.balance, job.qbo_status) == (invoice.balance, invoice.status):
        return 0
    before = {"balance": job.balance, "status": job.qbo_status}
    job.balance, job.qbo_status, job.due_date = invoice.balance, invoice.status, invoice.due_date
    job.writeback_done, job.updated_at = False, clock.now()
    session.add(job)
    record_event(session, actor="system", action="invoice.status_changed", subject_type="invoice_job",
                 subject_id=persisted_id(job), details={"before": before, "balance": invoice.balance,
                                                        "status": invoice.status}, clock=clock,
                 before=before, after={"balance": invoice.balance, "status": invoice.status},
                 links=Links(deal_id=job.deal_id, invoice_id=job.qbo_invoice_id))
    enqueue(session, kind=write_back_kind, payload={"deal_id": job.deal_id}, clock=clock,
            dedupe_key=f"{write_back_kind}:{job.deal_id}:{invoice.sync_token}")
    return 1


def _save_mark(session: Session, stamp: datetime, *, clock: Clock) -> None:
    mark = session.get(SyncWatermark, INVOICE_WATERMARK) or SyncWatermark(name=INVOICE_WATERMARK,
                                                                          updated_at=clock.now())
    mark.modstamp, mark.updated_at = stamp, clock.now()
    session.add(mark)
    session.flush()
