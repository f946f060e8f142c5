"""A credit memo made by hand in QuickBooks, and a voided invoice, reach the metrics through the scheduled CDC job
(`GET /cdc?entities=CreditMemo,Invoice` through python-quickbooks against the QuickBooks emulator): the invoice is
no longer a first-pass one, and the credit memo is counted once."""
from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

from sqlmodel import col, select

from app.audit.models import AuditEvent
from app.db import session_scope
from app.integrations.exact_json import dumps_exact
from app.integrations.quickbooks_connection import QboCredentials, QuickBooksConnection
from app.integrations.token_store_db import DbTokenStore
from app.invoicing.models import InvoiceJob
from app.invoicing.qbo_change_models import QboCreditMemoSeen
from app.jobs.scheduler import tick_handlers
from app.metrics.credit_memos import CreditMemos, credit_memos_issued
from app.metrics.invoicing import Rate
from app.metrics.roi import roi_metrics
from app.sandbox.book import Book, Line
from app.sandbox.quickbooks.demo import DEMO_REALM_ID
from app.sandbox.stack import Stack
from app.work_queue.kinds import WorkKind
from tests.e2e.conftest import eventually, poll


def bookkeeper(stack: Stack) -> QuickBooksConnection:
    """Someone working in QuickBooks directly (through the real python-quickbooks client)."""
    rt = stack.runtime
    return QuickBooksConnection(QboCredentials.from_settings(rt.settings), token_store=DbTokenStore(rt.engine),
                                clock=rt.clock)


def credit_by_hand(stack: Stack, invoice: dict[str, Any], amount: Decimal) -> dict[str, Any]:
    item = invoice["Line"][0]["SalesItemLineDetail"]["ItemRef"]
    memo = {"CustomerRef": invoice["CustomerRef"], "DocNumber": "HAND-CM-1",
            "Line": [{"DetailType": "SalesItemLineDetail", "Amount": amount,
                      "SalesItemLineDetail": {"ItemRef": item, "Qty": 1, "UnitPrice": amount}}]}
    return bookkeeper(stack).call(lambda qb: qb.create_object("CreditMemo", dumps_exact(memo),
                                                              request_id="hand-cm-1"))["CreditMemo"]


def void_by_hand(stack: Stack, invoice: dict[str, Any]) -> None:
    body = dumps_exact({"Id": invoice["Id"], "SyncToken": invoice["SyncToken"]})
    bookkeeper(stack).call(lambda qb: qb.post(f"{qb.api_url}/company/{qb.company_id}/invoice?operation=void", body,
                                              request_id="hand-void-1"))


def read_changes(stack: Stack) -> None:
    """What the worker does when the scheduler's `quickbooks_changes` tick comes due."""
    tick_handlers(stack.runtime)[WorkKind.TICK_QUICKBOOKS_CHANGES.value]({"job": "quickbooks_changes"})


def created_jobs(stack: Stack) -> list[InvoiceJob]:
    with session_scope(stack.runtime.engine) as session:
        return list(session.exec(select(InvoiceJob).where(col(InvoiceJob.created_in_qbo_at).is_not(None))).all())


def first_pass(stack: Stack) -> Rate:
    rt = stack.runtime
    with session_scope(rt.engine) as session:
        return roi_metrics(session, now=rt.clock.now(), days=30, tz=rt.policy.zone).first_pass


def test_a_credit_memo_made_in_quickbooks_takes_the_invoice_out_of_first_pass(stack: Stack, book: Book):
    book.add_account("Globex Inc")
    for name in ("Globex - Support", "Globex - Training"):
        book.add_deal(name, account="Globex Inc", owner_id=stack.emulators.sf_user_ids["sam"],
                      lines=[Line("Support Plan", Decimal(1))])
    poll(stack)
    invoices = eventually(lambda: (found := stack.emulators.quickbooks.objects(DEMO_REALM_ID, "Invoice"))
                          and len(found) == 2 and found, what="two invoices")
    eventually(lambda: len(created_jobs(stack)) == 2, what="both invoices recorded")
    read_changes(stack)
    assert first_pass(stack) == Rate(2, 2)

    memo = credit_by_hand(stack, invoices[0], Decimal("100.00"))
    read_changes(stack)
    assert first_pass(stack) == Rate(1, 2)
    rt = stack.runtime
    now = rt.clock.now()
    with session_scope(rt.engine) as session:
        seen = session.exec(select(QboCreditMemoSeen)).one()
        credited = session.get(InvoiceJob, seen.invoice_job_id)
        issued = credit_memos_issued(session, now - timedelta(days=1), now + timedelta(minutes=1), DEMO_REALM_ID)
    assert (seen.qbo_id, seen.doc_number, seen.deleted) == (memo["Id"], "HAND-CM-1", False)
    assert credited is not None and credited.qbo_customer_id == invoices[0]["CustomerRef"]["value"]
    assert issued == CreditMemos(1, {"USD": Decimal("100.00")})

    read_changes(stack)                                          # the same change read again: nothing new
    with session_scope(rt.engine) as session:
        assert len(session.exec(select(QboCreditMemoSeen)).all()) == 1

    void_by_hand(stack, next(invoice for invoice in invoices
                             if invoice["Id"] != (credited.qbo_invoice_id if credited else None)))
    read_changes(stack)
    assert first_pass(stack) == Rate(0, 2)
    with session_scope(rt.engine) as session:
        changed = session.exec(select(InvoiceJob).where(col(InvoiceJob.changed_in_qbo_at).is_not(None))).all()
        seen_event = session.exec(select(AuditEvent).where(AuditEvent.action == "credit_memo.seen")).one()
        voided_event = session.exec(select(AuditEvent)
                                    .where(AuditEvent.action == "invoice.changed_in_quickbooks")).one()
    assert len(changed) == 1
    assert credited is not None and (seen_event.deal_id, seen_event.invoice_id) == (credited.deal_id,
                                                                                      credited.qbo_invoice_id)
    assert seen_event.after == {"total": "100.00", "currency": "USD", "deleted": False}
    assert (voided_event.deal_id, voided_event.invoice_id) == (changed[0].deal_id, changed[0].qbo_invoice_id)
    assert voided_event.before == {"total": str(changed[0].total)} and voided_event.after["voided"] is True
