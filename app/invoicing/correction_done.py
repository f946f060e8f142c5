"""Recording a correction QuickBooks made: the credit memo, its application, the invoice's new balance (or, for a
rebill, the corrected invoice taking the original's place on the deal), and the audit trail."""
from __future__ import annotations

from sqlmodel import Session

from app.audit.service import Links, record_event
from app.clock import Clock
from app.db import require
from app.deals.models import Deal
from app.integrations.quickbooks_models import QboInvoice
from app.invoicing.correction_models import Correction, CorrectionStatus
from app.invoicing.correction_qbo import CorrectionOutcome
from app.invoicing.corrections import CorrectionPlan
from app.invoicing.models import InvoiceJob


def record_done(session: Session, *, plan: CorrectionPlan, outcome: CorrectionOutcome, clock: Clock) -> Correction:
    correction = require(session, Correction, plan.correction_id)
    job = require(session, InvoiceJob, plan.job_id)
    now, memo = clock.now(), outcome.credit_memo
    correction.status, correction.done_at, correction.updated_at = CorrectionStatus.DONE, now, now
    correction.qbo_credit_memo_id, correction.credit_total = memo.id, memo.total
    correction.qbo_payment_id, correction.last_error = outcome.payment_id, None
    _follow(job, outcome.rebill or outcome.invoice, replaced=outcome.rebill is not None)
    if outcome.rebill is not None:
        correction.rebill_invoice_id, correction.rebill_doc_number = outcome.rebill.id, outcome.rebill.doc_number
    job.writeback_done, job.updated_at = False, now
    session.add_all([correction, job])
    deal = require(session, Deal, plan.deal_id)
    record_event(session, actor="system", action="correction.created", subject_type="deal", subject_id=deal.sf_id,
                 details={"correction_id": correction.id, "kind": correction.kind, "credit_memo_id": memo.id,
                          "credit_memo_number": memo.doc_number, "credit_total": memo.total,
                          "payment_id": outcome.payment_id, "invoice_id": outcome.invoice.id,
                          "invoice_balance": outcome.invoice.balance, "rebill_invoice_id": correction.rebill_invoice_id,
                          "adopted_existing": outcome.adopted, "attempt": plan.attempt}, clock=clock,
                 after={"status": correction.status, "invoice_balance": outcome.invoice.balance},
                 links=Links(deal_id=deal.id, invoice_id=outcome.invoice.id))
    session.flush()
    return correction


def _follow(job: InvoiceJob, invoice: QboInvoice, *, replaced: bool) -> None:
    """The deal's invoice as QuickBooks has it now; a rebill's corrected invoice becomes the deal's invoice."""
    if replaced:
        job.qbo_invoice_id, job.doc_number, job.total = invoice.id, invoice.doc_number, invoice.total
        job.tax_total, job.due_date = invoice.total_tax, invoice.due_date
        job.exchange_rate, job.home_total = invoice.exchange_rate, invoice.home_total
    job.balance, job.qbo_status = invoice.balance, invoice.status
