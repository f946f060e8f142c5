"""Both invoice numbering policies create each invoice exactly once after a lost answer (single and batch paths).

With `invoice_number: quickbooks` no DocNumber is sent: QuickBooks (custom transaction numbers off) numbers the
invoice, and a retry finds it by the idempotency key in its PrivateNote among the customer's recent invoices.
"""
from __future__ import annotations

from decimal import Decimal

import pytest
from sqlmodel import select

from app.db import session_scope
from app.invoicing.mapping import key_marker
from app.invoicing.models import InvoiceJob
from app.jobs.handlers import build_handlers
from app.jobs.worker import Worker
from app.policy import InvoiceNumbering
from app.sandbox.book import Book
from app.sandbox.quickbooks.demo import DEMO_REALM_ID
from app.sandbox.stack import Stack
from tests.e2e.conftest import eventually, poll
from tests.e2e.test_batch_invoicing import batch_worker, drain_until_invoiced, posts, seed_deals
from tests.e2e.test_exactly_once import create_in_quickbooks, first_attempt, invoices, job, standard_deal


def number_by_quickbooks(stack: Stack) -> None:
    """The policy lets QuickBooks number invoices, in a company with custom transaction numbers off."""
    stack.runtime.policy = stack.runtime.policy.model_copy(update={"invoice_number": InvoiceNumbering.QUICKBOOKS})
    stack.emulators.quickbooks.set_custom_txn_numbers(DEMO_REALM_ID, False)


def invoice_posts(stack: Stack) -> int:
    return sum(1 for call in stack.emulators.quickbooks.call_log(path_contains="/invoice")
               if call.method == "POST" and call.path.endswith("/invoice"))


@pytest.mark.parametrize("numbering", list(InvoiceNumbering))
def test_a_lost_answer_makes_one_invoice_in_either_numbering(stack: Stack, book: Book, numbering: str):
    if numbering == InvoiceNumbering.QUICKBOOKS:
        number_by_quickbooks(stack)
    stack.emulators.quickbooks.inject_fault("lost_response", count=1, path_contains="invoice")
    deal_id = standard_deal(stack, book)
    poll(stack)

    eventually(lambda: (found := job(stack)) and found.status == "created", timeout=20, what="the retried invoice job")
    made = invoices(stack)
    assert len(made) == 1 and invoice_posts(stack) == 1          # the retry looked the invoice up, sent nothing
    created = job(stack)
    assert created.attempts == 2 and created.qbo_invoice_id == made[0]["Id"]
    assert key_marker(created.idempotency_key) in made[0]["PrivateNote"]
    expected_number = deal_id if numbering == InvoiceNumbering.OPPORTUNITY else "1001"
    assert made[0]["DocNumber"] == expected_number and created.doc_number == expected_number


def test_quickbooks_numbering_never_adopts_another_invoice_of_the_same_customer(stack: Stack, book: Book):
    number_by_quickbooks(stack)
    stack.worker.stop()
    plan = first_attempt(stack, book)
    ours = create_in_quickbooks(stack, plan).invoice            # ... and the process dies before recording it
    customer = invoices(stack)[0]["CustomerRef"]["value"]
    item = stack.emulators.quickbooks.objects(DEMO_REALM_ID, "Item")[0]
    twin = {"CustomerRef": {"value": customer}, "PrivateNote": f"Typed by finance for {plan.idempotency_key}-M1",
            "Line": [{"DetailType": "SalesItemLineDetail", "Amount": "7200.00",
                      "SalesItemLineDetail": {"ItemRef": {"value": item["Id"]}, "Qty": 1, "UnitPrice": "7200.00"}}]}
    stack.emulators.quickbooks.seed(DEMO_REALM_ID, "Invoice", twin)   # same customer and amount, made later

    rt = stack.runtime
    assert Worker(engine=rt.engine, handlers=build_handlers(rt), clock=rt.clock).drain() >= 1

    assert len(invoices(stack)) == 2 and invoice_posts(stack) == 1
    adopted = job(stack)
    assert adopted.status == "created" and adopted.qbo_invoice_id == ours.id and adopted.total == Decimal("7200.00")


def test_a_lost_batch_answer_is_adopted_by_key_when_quickbooks_numbers(stack: Stack):
    number_by_quickbooks(stack)
    stack.worker.stop()
    stack.emulators.quickbooks.inject_fault("lost_response", count=1, path_contains="batch")
    seed_deals(stack, 6)
    stack.emulators.quickbooks.calls.clear()

    drain_until_invoiced(stack, batch_worker(stack), 6)

    made = invoices(stack)
    assert len(made) == 6 and posts(stack, "/batch") == 1      # the lost one; the retry found all six by key
    assert sorted(int(invoice["DocNumber"]) for invoice in made) == list(range(1001, 1007))
    with session_scope(stack.runtime.engine) as session:
        jobs = list(session.exec(select(InvoiceJob)))
    assert {job.attempts for job in jobs} == {2}
    assert {job.qbo_invoice_id for job in jobs} == {invoice["Id"] for invoice in made}
