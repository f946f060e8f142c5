"""A backlog of invoices goes out in QuickBooks batch requests, exactly once per deal (SQLite and PostgreSQL).

The app's own background worker is stopped; the test drains the queue with the worker process's worker
(`build_worker`: lanes and the CREATE_INVOICE batch handler), against the emulators over real HTTP.
"""
from __future__ import annotations

import math
import time
from collections import Counter
from collections.abc import Iterator
from decimal import Decimal

import pytest
from sqlmodel import select

from app.db import session_scope
from app.deals.models import Deal
from app.exception_queue.models import ExceptionItem
from app.invoicing.models import InvoiceJob, InvoiceJobStatus
from app.jobs.lanes import LANES
from app.jobs.worker import Worker
from app.processes.worker import build_worker
from app.sandbox.book import Book, Line
from app.sandbox.quickbooks.demo import DEMO_REALM_ID
from app.sandbox.stack import Stack
from app.work_queue.models import WorkItem
from tests.e2e.conftest import start_stack

ACCOUNTS = ("Globex Inc", "Initech LLC")          # QuickBooks customers of the demo company: no approval needed
PRODUCTS = ("Support Plan", "Consulting Services", "Implementation")


@pytest.fixture
def batch_stack(db_url: str) -> Iterator[Stack]:
    running = start_stack(db_url)
    try:
        running.worker.stop()                     # the test's worker drains the queue
        yield running
    finally:
        running.stop()


def seed_deals(stack: Stack, count: int, *, extra: dict[int, list[Line]] | None = None) -> list[str]:
    """`count` billable deals of 1 to 3 lines over two existing customers, polled in (CREATE_INVOICE queued)."""
    book = Book(stack.emulators.salesforce)
    for name in ACCOUNTS:
        book.add_account(name)
    ids = []
    for index in range(count):
        lines = (extra or {}).get(index) or [Line(PRODUCTS[(index + n) % 3], Decimal(1 + n)) for n in
                                             range(1 + index % 3)]
        ids.append(book.add_deal(f"Burst deal {index:03d}", account=ACCOUNTS[index % 2],
                                 owner_id=stack.emulators.sf_user_ids["sam"], lines=lines))
    stack.poll()
    return ids


def batch_worker(stack: Stack) -> Worker:
    return build_worker(stack.runtime)


def drain_until_invoiced(stack: Stack, worker: Worker, count: int, *, timeout: float = 30.0) -> None:
    """Run the QuickBooks lane (retries wait out their backoff) until `count` deals are invoiced, then the
    Salesforce write-backs. The Slack confirmations stay queued: they go at 1 a second per channel."""
    deadline = time.monotonic() + timeout
    while created_jobs(stack) < count:
        if time.monotonic() > deadline:
            raise AssertionError(f"only {created_jobs(stack)} of {count} deals invoiced after {timeout} s")
        if not drain_lane(worker, "quickbooks"):
            time.sleep(0.2)
    drain_lane(worker, "salesforce")


def drain_lane(worker: Worker, name: str) -> int:
    lane = next(lane for lane in LANES if lane.name == name)
    count = 0
    while worker.run_once(lane):
        count += 1
    return count


def created_jobs(stack: Stack) -> int:
    with session_scope(stack.runtime.engine) as session:
        return len(session.exec(select(InvoiceJob).where(InvoiceJob.status == InvoiceJobStatus.CREATED)).all())


def invoices(stack: Stack) -> list[dict]:
    return stack.emulators.quickbooks.objects(DEMO_REALM_ID, "Invoice")


def posts(stack: Stack, path: str) -> int:
    return sum(1 for call in stack.emulators.quickbooks.call_log(path_contains=path)
               if call.method == "POST" and call.path.endswith(path))


def assert_each_deal_invoiced_once(stack: Stack, deal_ids: list[str]) -> None:
    numbers = Counter(invoice["DocNumber"] for invoice in invoices(stack))
    assert sorted(numbers) == sorted(deal_ids)
    assert set(numbers.values()) == {1}
    with session_scope(stack.runtime.engine) as session:
        jobs = session.exec(select(InvoiceJob)).all()
        ids_in_qbo = {invoice["DocNumber"]: invoice["Id"] for invoice in invoices(stack)}
        assert {job.doc_number: job.qbo_invoice_id for job in jobs} == ids_in_qbo


def follow_ups(stack: Stack, kind: str) -> Counter[str]:
    with session_scope(stack.runtime.engine) as session:
        return Counter(item.status for item in session.exec(select(WorkItem).where(WorkItem.kind == kind)))


def test_a_backlog_of_deals_goes_out_in_batches_of_thirty(batch_stack: Stack):
    deal_ids = seed_deals(batch_stack, 65)
    batch_stack.emulators.quickbooks.calls.clear()

    drain_until_invoiced(batch_stack, batch_worker(batch_stack), 65)

    assert_each_deal_invoiced_once(batch_stack, deal_ids)
    assert posts(batch_stack, "/batch") <= math.ceil(65 / 30)
    assert posts(batch_stack, "/invoice") == 0
    every_call = len(batch_stack.emulators.quickbooks.call_log())
    assert every_call / 65 <= 0.2                 # items and terms are looked up once, then remembered
    assert follow_ups(batch_stack, "write_back_invoice") == {"done": 65}
    assert follow_ups(batch_stack, "announce_invoice") == {"queued": 65}


def test_a_lost_batch_answer_is_looked_up_and_adopted_not_sent_again(batch_stack: Stack):
    batch_stack.emulators.quickbooks.inject_fault("lost_response", count=1, path_contains="batch")
    deal_ids = seed_deals(batch_stack, 12)
    batch_stack.emulators.quickbooks.calls.clear()

    drain_until_invoiced(batch_stack, batch_worker(batch_stack), 12)

    assert_each_deal_invoiced_once(batch_stack, deal_ids)
    assert posts(batch_stack, "/batch") == 1       # the lost one; the retry found all 12 by DocNumber
    with session_scope(batch_stack.runtime.engine) as session:
        assert {job.attempts for job in session.exec(select(InvoiceJob))} == {2}


def test_an_invoice_quickbooks_has_already_is_adopted_on_6140(batch_stack: Stack):
    deal_ids = seed_deals(batch_stack, 4)
    customer = batch_stack.emulators.quickbooks.objects(DEMO_REALM_ID, "Customer")[0]
    item = batch_stack.emulators.quickbooks.objects(DEMO_REALM_ID, "Item")[0]
    existing = batch_stack.emulators.quickbooks.seed(DEMO_REALM_ID, "Invoice", {
        "DocNumber": deal_ids[2], "CustomerRef": {"value": customer["Id"]},
        "Line": [{"DetailType": "SalesItemLineDetail", "Amount": "10.00",
                  "SalesItemLineDetail": {"ItemRef": {"value": item["Id"]}, "Qty": 1, "UnitPrice": "10.00"}}]})

    drain_until_invoiced(batch_stack, batch_worker(batch_stack), 4)

    assert_each_deal_invoiced_once(batch_stack, deal_ids)
    with session_scope(batch_stack.runtime.engine) as session:
        adopted = session.exec(select(InvoiceJob).where(InvoiceJob.doc_number == deal_ids[2])).one()
    assert adopted.qbo_invoice_id == existing["Id"]


def test_one_unmapped_product_is_one_exception_and_the_others_are_invoiced(batch_stack: Stack):
    policy = batch_stack.runtime.policy                  # mapped in the policy, but QuickBooks has no such item
    products = {**policy.mappings.products, "Hardware Bundle": "Hardware Bundle"}
    batch_stack.runtime.policy = policy.model_copy(update={"mappings": policy.mappings.model_copy(
        update={"products": products})})
    deal_ids = seed_deals(batch_stack, 6, extra={3: [Line("Support Plan", Decimal(1)),
                                                     Line("Hardware Bundle", Decimal(2))]})
    batch_stack.emulators.quickbooks.calls.clear()

    drain_until_invoiced(batch_stack, batch_worker(batch_stack), 5)

    numbers = sorted(invoice["DocNumber"] for invoice in invoices(batch_stack))
    assert numbers == sorted(deal_ids[:3] + deal_ids[4:])
    assert posts(batch_stack, "/batch") == 1
    with session_scope(batch_stack.runtime.engine) as session:
        items = session.exec(select(ExceptionItem).where(ExceptionItem.status == "open")).all()
    assert [item.kind for item in items] == ["unmapped_product"]
    assert items[0].deal_id == deal_db_id(batch_stack, deal_ids[3])
    assert "Hardware Bundle" in items[0].reason


def deal_db_id(stack: Stack, sf_id: str) -> int:
    with session_scope(stack.runtime.engine) as session:
        return session.exec(select(Deal.id).where(Deal.sf_id == sf_id)).one()
