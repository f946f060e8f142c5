"""One invoice per deal, even when QuickBooks' answer is lost or the process dies before our commit."""
from __future__ import annotations

from decimal import Decimal

from sqlmodel import select

from app.db import session_scope
from app.deals.models import Deal
from app.exception_queue.models import ExceptionItem
from app.invoicing import service as invoicing
from app.invoicing.models import InvoiceJob
from app.jobs.handlers import build_handlers
from app.jobs.worker import Worker
from app.sandbox.book import Book, Line
from app.sandbox.quickbooks.demo import DEMO_REALM_ID
from app.sandbox.stack import Stack
from tests.e2e.conftest import eventually, poll


def standard_deal(stack: Stack, book: Book) -> str:
    book.add_account("Globex Inc")
    return book.add_deal("Globex - Support renewal", account="Globex Inc",
                         owner_id=stack.emulators.sf_user_ids["sam"], lines=[Line("Support Plan", Decimal(3))])


def invoices(stack: Stack) -> list[dict]:
    return stack.emulators.quickbooks.objects(DEMO_REALM_ID, "Invoice")


def job(stack: Stack) -> InvoiceJob | None:
    with session_scope(stack.runtime.engine) as session:
        return session.exec(select(InvoiceJob)).one_or_none()


def first_attempt(stack: Stack, book: Book) -> invoicing.InvoicePlan:
    """The standard deal polled in, and its first invoice attempt begun (step 1 of invoicing, by hand)."""
    standard_deal(stack, book)
    poll(stack)
    with session_scope(stack.runtime.engine) as session:
        deal_id = session.exec(select(Deal.id)).one()
        return invoicing.begin_attempt(session, deal_id=deal_id, realm_id=DEMO_REALM_ID, clock=stack.runtime.clock)


def create_in_quickbooks(stack: Stack, plan: invoicing.InvoicePlan) -> invoicing.QuickBooksResult:
    rt = stack.runtime
    return invoicing.create_in_quickbooks(plan, quickbooks=rt.quickbooks, policy=rt.policy,
                                          txn_date=rt.clock.now().date())


def test_a_lost_quickbooks_answer_is_retried_without_a_second_invoice(stack: Stack, book: Book):
    stack.emulators.quickbooks.inject_fault("lost_response", count=1, path_contains="invoice")
    deal_id = standard_deal(stack, book)
    poll(stack)

    eventually(lambda: (found := job(stack)) and found.status == "created", timeout=20, what="the retried invoice job")
    assert len(invoices(stack)) == 1
    created = job(stack)
    assert created.attempts == 2 and created.qbo_invoice_id == invoices(stack)[0]["Id"]
    assert created.doc_number == deal_id


def test_a_crash_after_quickbooks_created_the_invoice_adopts_it_on_restart(stack: Stack, book: Book):
    stack.worker.stop()                                 # nothing runs in the background now
    create_in_quickbooks(stack, first_attempt(stack, book))
    # ... the process dies here: QuickBooks has the invoice, our database does not know it.
    assert len(invoices(stack)) == 1 and job(stack).qbo_invoice_id is None

    rt = stack.runtime
    restarted = Worker(engine=rt.engine, handlers=build_handlers(rt), clock=rt.clock)
    assert restarted.drain() >= 1

    assert len(invoices(stack)) == 1
    adopted = job(stack)
    assert adopted.status == "created" and adopted.qbo_invoice_id == invoices(stack)[0]["Id"]
    assert adopted.total == Decimal("7200.00")
    create_calls = [c for c in stack.emulators.quickbooks.call_log(path_contains="/invoice")
                    if c.method == "POST"]
    assert len(create_calls) == 1                                 # the restart looked up, it did not create


def test_repeating_the_create_step_replays_by_requestid(stack: Stack, book: Book):
    stack.worker.stop()
    plan = first_attempt(stack, book)
    first = create_in_quickbooks(stack, plan)
    again = create_in_quickbooks(stack, plan)
    assert again.invoice.id == first.invoice.id
    assert len(invoices(stack)) == 1


def test_a_deal_the_policy_books_in_another_company_is_never_invoiced_here(stack: Stack, book: Book):
    entities = stack.runtime.policy.mappings.entities
    other = entities.model_copy(update={"by_segment": {"Public Sector": "9341452000009999"}})
    stack.runtime.policy = stack.runtime.policy.model_copy(update={"mappings": stack.runtime.policy.mappings
                                                                   .model_copy(update={"entities": other})})
    book.add_account("Globex Inc", Segment__c="Public Sector")
    book.add_deal("Globex - Records", account="Globex Inc", owner_id=stack.emulators.sf_user_ids["sam"],
                  lines=[Line("Support Plan", Decimal(1))], PO_Number__c="PS-1")
    poll(stack)

    found = eventually(lambda: _open_items(stack), what="the exception")
    assert "9341452000009999" in found[0].reason and found[0].kind == "invalid_field"
    assert invoices(stack) == []


def _open_items(stack: Stack) -> list[ExceptionItem]:
    with session_scope(stack.runtime.engine) as session:
        return list(session.exec(select(ExceptionItem).where(ExceptionItem.status == "open")))
