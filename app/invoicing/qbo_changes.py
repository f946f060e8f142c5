"""Credit memos and invoice changes made in QuickBooks after issue, read through CDC and kept for the metrics.

A credit memo is kept once per (realm, id) and linked to the invoice it credits: an invoice it names in its
LinkedTxn, else the customer's newest invoice of ours issued at or before it. An invoice whose total differs from
the one it was issued with (an edit or a void) gets `changed_in_qbo_at`, once.
Two short transactions from the caller's `Transactions`, with the QuickBooks call between them.
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
from app.integrations.quickbooks_cdc import CreditMemoChange, InvoiceChange, QboChanges
from app.invoicing.models import InvoiceJob
from app.invoicing.qbo_change_models import QboCreditMemoSeen

CHANGES_WATERMARK = "quickbooks.credit_memo"
CDC_LOOKBACK = timedelta(days=29)          # QuickBooks answers CDC for at most 30 days back
OVERLAP = timedelta(minutes=2)
CLOCK_SLACK = timedelta(minutes=2)
"""QuickBooks' stamps are whole seconds on its clock: an invoice we recorded a moment 'after' a credit memo may
still be the one it credits."""


class ChangeFeed(Protocol):
    def changes_since(self, since: datetime) -> QboChanges: ...


@dataclass(frozen=True)
class ChangesReport:
    credit_memos: int
    invoices_changed: int


def read_quickbooks_changes(*, transactions: Transactions, quickbooks: ChangeFeed, clock: Clock,
                            realm_id: str) -> ChangesReport:
    started = clock.now()
    with transactions.read() as session:
        mark = session.get(SyncWatermark, CHANGES_WATERMARK)
        since = max(mark.modstamp - OVERLAP if mark and mark.modstamp else started - CDC_LOOKBACK,
                    started - CDC_LOOKBACK)
    changes = quickbooks.changes_since(since)
    with transactions.begin() as session:
        memos = sum(record_credit_memo(session, memo, realm_id=realm_id, clock=clock) for memo in changes.credit_memos)
        changed = sum(record_invoice_change(session, invoice, clock=clock) for invoice in changes.invoices)
        _save_mark(session, started, clock=clock)
    return ChangesReport(credit_memos=memos, invoices_changed=changed)


def record_credit_memo(session: Session, memo: CreditMemoChange, *, realm_id: str, clock: Clock) -> int:
    """1 when the credit memo is new to us, else 0 (a later version updates the row)."""
    row = session.exec(select(QboCreditMemoSeen).where(col(QboCreditMemoSeen.realm_id) == realm_id,
                                                       col(QboCreditMemoSeen.qbo_id) == memo.id)).first()
    if row is None and memo.deleted:
        return 0
    new = row is None
    row = row or QboCreditMemoSeen(realm_id=realm_id, qbo_id=memo.id, total=memo.total, seen_at=clock.now(),
                                   created_in_qbo_at=memo.created_at, updated_at=clock.now())
    row.deleted, row.updated_at = memo.deleted, clock.now()
    if not memo.deleted:
        row.doc_number, row.customer_id, row.txn_date, row.total = (memo.doc_number, memo.customer_id,
                                                                     memo.txn_date, memo.total)
        row.currency, row.home_total = memo.currency or "USD", memo.home_total
        row.invoice_job_id = _credited_job(session, memo, realm_id=realm_id)
    session.add(row)
    session.flush()
    if new:
        record_event(session, actor="quickbooks", action="credit_memo.seen", subject_type="qbo_credit_memo",
                     subject_id=persisted_id(row), details={"qbo_id": memo.id, "doc_number": memo.doc_number,
                                                            "invoice_job_id": row.invoice_job_id}, clock=clock,
                     after={"total": str(row.total), "currency": row.currency, "deleted": row.deleted},
                     links=_links_of_job(session, row.invoice_job_id))
    return int(new)


def _links_of_job(session: Session, job_id: int | None) -> Links | None:
    job = session.get(InvoiceJob, job_id) if job_id is not None else None
    return Links(deal_id=job.deal_id, invoice_id=job.qbo_invoice_id) if job is not None else None


def _credited_job(session: Session, memo: CreditMemoChange, *, realm_id: str) -> int | None:
    jobs = select(InvoiceJob).where(col(InvoiceJob.qbo_realm_id) == realm_id)
    if memo.applied_to_invoice_ids:
        named = session.exec(jobs.where(col(InvoiceJob.qbo_invoice_id).in_(memo.applied_to_invoice_ids))).first()
        if named is not None:
            return named.id
    if not memo.customer_id:
        return None
    latest = session.exec(jobs.where(col(InvoiceJob.qbo_customer_id) == memo.customer_id,
                                     col(InvoiceJob.created_in_qbo_at) <= memo.created_at + CLOCK_SLACK)
                          .order_by(col(InvoiceJob.created_in_qbo_at).desc())).first()
    return latest.id if latest else None


def record_invoice_change(session: Session, invoice: InvoiceChange, *, clock: Clock) -> int:
    job = session.exec(select(InvoiceJob).where(col(InvoiceJob.qbo_invoice_id) == invoice.id)).first()
    if job is None or job.changed_in_qbo_at is not None or job.total is None:
        return 0
    if not (invoice.deleted or invoice.voided or (invoice.total is not None and invoice.total != job.total)):
        return 0
    job.changed_in_qbo_at, job.updated_at = invoice.updated_at, clock.now()
    session.add(job)
    record_event(session, actor="quickbooks", action="invoice.changed_in_quickbooks", subject_type="invoice_job",
                 subject_id=persisted_id(job), details={"issued_total": job.total, "total": invoice.total,
                                                        "voided": invoice.voided, "deleted": invoice.deleted},
                 clock=clock, before={"total": str(job.total)},
                 after={"total": None if invoice.total is None else str(invoice.total), "voided": invoice.voided,
                        "deleted": invoice.deleted},
                 links=Links(deal_id=job.deal_id, invoice_id=job.qbo_invoice_id))
    return 1


def _save_mark(session: Session, stamp: datetime, *, clock: Clock) -> None:
    mark = session.get(SyncWatermark, CHANGES_WATERMARK) or SyncWatermark(name=CHANGES_WATERMARK,
                                                                          updated_at=clock.now())
    mark.modstamp, mark.updated_at = stamp, clock.now()
    session.add(mark)
    session.flush()
