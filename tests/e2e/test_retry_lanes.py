"""Retry on an exception runs in the vendors' lanes, not in the interactive lane: the click is acked with no vendor
call, the deal is re-read in the Salesforce lane, the failed step runs again in the QuickBooks lane, and a
QuickBooks 429 on the way reschedules the item that met it instead of sleeping. Signed requests, real emulators."""
from __future__ import annotations

import json
import time
from datetime import timedelta
from decimal import Decimal

from sqlmodel import col, select

from app.db import session_scope
from app.jobs.lanes import lane_of
from app.processes.worker import build_worker_process
from app.sandbox.book import Book, Line
from app.sandbox.people import ANN, CARL, SAM
from app.sandbox.quickbooks.demo import DEMO_REALM_ID
from app.sandbox.stack import Stack
from app.slack.ids import ActionId, SlashCommand
from app.work_queue.kinds import WorkKind
from app.work_queue.models import WorkItem, WorkStatus
from tests.e2e.conftest import eventually, poll
from tests.e2e.test_ack_before_work import vendor_calls
from tests.e2e.test_corrections import correction_request, invoiced_deal, last_view, open_exceptions, qbo, submit_form
from tests.e2e.test_exceptions import item_section, items, owner, ticking

FEED = "C05EXCEPT10N"


def failed_invoice(stack: Stack, book: Book):
    """A deal whose invoice failed for good (QuickBooks answered 500 eight times): its vendor_error exception."""
    book.add_account("Globex Inc")
    book.add_deal("Globex - Support renewal", account="Globex Inc", owner_id=owner(stack),
                  lines=[Line("Support Plan", Decimal(1))])
    stack.emulators.quickbooks.inject_fault("error", count=8, path_contains="invoice", delay=0)
    poll(stack)
    deadline = time.monotonic() + 30
    while not items(stack, kind="vendor_error") and time.monotonic() < deadline:
        stack.runtime.clock.advance(timedelta(minutes=6))          # past every backoff, without sleeping
        stack.runtime.wake_worker()
        time.sleep(0.1)
    return items(stack, kind="vendor_error")[0]


def feed_message(stack: Stack, item_id: int):
    """The exception as posted in the exceptions channel when it opened, with its Retry button."""
    return eventually(lambda: next((m for m in stack.emulators.slack.messages(FEED)
                                    if f"exception_actions:{item_id}" in json.dumps(m.blocks)), None),
                      what="the exception in the exceptions channel")


def click_retry(stack: Stack, message, item_id: int):
    return stack.slack_side.click_button(ANN.slack_id, FEED, message.ts, ActionId.EXCEPTION_RETRY,
                                         block_id=f"exception_actions:{item_id}")


def work(stack: Stack, *kinds: WorkKind) -> list[WorkItem]:
    with session_scope(stack.runtime.engine) as session:
        statement = select(WorkItem).where(col(WorkItem.kind).in_([kind.value for kind in kinds]))
        return list(session.exec(statement.order_by(col(WorkItem.id))))


def test_a_retry_click_is_acked_without_vendor_calls_and_its_steps_run_in_their_lanes(cstack: Stack, cbook: Book):
    failure = failed_invoice(cstack, cbook)
    message = feed_message(cstack, failure.id)
    cstack.worker.stop()                    # only the web app runs now: any vendor call would be the click's
    before = vendor_calls(cstack)

    click = click_retry(cstack, message, failure.id)

    assert click.status_code == 200
    assert vendor_calls(cstack) == before
    [control] = work(cstack, WorkKind.EXCEPTION_CONTROL)
    assert control.status == WorkStatus.QUEUED and control.payload["control"] == "retry"

    worker = build_worker_process(cstack.runtime, run_scheduler=False)
    worker.start()
    try:
        updated = eventually(ticking(cstack, lambda: (m := cstack.emulators.slack.find_message(FEED, message.ts))
                                     and "Last retry" in item_section(m, failure.id) and m),
                             what="the retry's outcome shown in place")
    finally:
        worker.stop()
    assert f"by <@{ANN.slack_id}>: succeeded" in item_section(updated, failure.id)
    assert f"exception_actions:{failure.id}" not in json.dumps(updated.blocks)
    assert len(cstack.emulators.quickbooks.objects(DEMO_REALM_ID, "Invoice")) == 1
    [read] = work(cstack, WorkKind.RETRY_READ_DEAL)                     # the re-read: the Salesforce lane's
    [step] = work(cstack, WorkKind.RETRY_QUICKBOOKS_STEP)               # the invoice again: the QuickBooks lane's
    assert (read.status, step.status) == (WorkStatus.DONE, WorkStatus.DONE)
    assert (lane_of(read.kind).name, lane_of(step.kind).name) == ("salesforce", "quickbooks")
    assert step.payload["step_kind"] == WorkKind.CREATE_INVOICE and step.payload["actor"] == ANN.slack_id
    [shown] = work(cstack, WorkKind.SHOW_RETRY_OUTCOME)
    assert shown.status == WorkStatus.DONE and lane_of(shown.kind).name == "interactive"
    assert len(cstack.emulators.salesforce.calls()) > before[1]         # the deal re-read after the ack, by a lane


def test_a_quickbooks_429_during_a_retry_reschedules_instead_of_sleeping(cstack: Stack, cbook: Book):
    failure = failed_invoice(cstack, cbook)
    message = feed_message(cstack, failure.id)
    cstack.emulators.quickbooks.inject_fault("throttle", count=1, path_contains="invoice", delay=0)
    now = cstack.runtime.clock.now()

    click_retry(cstack, message, failure.id)

    waiting = eventually(lambda: next((item for item in work(cstack, WorkKind.CREATE_INVOICE,
                                                             WorkKind.RETRY_QUICKBOOKS_STEP)
                                       if (item.last_error or "").startswith("RateLimited")
                                       and item.status == WorkStatus.QUEUED), None),
                         what="the QuickBooks item that met the 429, rescheduled")
    print(f"\n429 met by {waiting.kind}")
    assert waiting.run_after.replace(tzinfo=now.tzinfo) >= now + timedelta(seconds=60)   # Intuit's documented wait
    assert items(cstack, id=failure.id)[0].status == "open"
    assert cstack.emulators.quickbooks.objects(DEMO_REALM_ID, "Invoice") == []

    asked = cstack.slack_side.send_slash_command(SAM.slack_id, SlashCommand.INVOICE_STATUS.value,
                                                 "Globex - Support renewal")
    answer = eventually(lambda: cstack.emulators.slack.responses(asked.payload["response_url"]),
                        what="/invoice-status answered while QuickBooks waits")          # other lanes go on
    assert answer

    cstack.runtime.clock.advance(timedelta(seconds=61))
    updated = eventually(ticking(cstack, lambda: (m := cstack.emulators.slack.find_message(FEED, message.ts))
                                 and "Last retry" in item_section(m, failure.id) and m),
                         what="the retry's outcome after QuickBooks' wait")
    assert f"by <@{ANN.slack_id}>: succeeded" in item_section(updated, failure.id)
    assert len(cstack.emulators.quickbooks.objects(DEMO_REALM_ID, "Invoice")) == 1


def test_a_retried_correction_meets_a_quickbooks_429_in_its_own_retry_item_which_is_rescheduled(stack: Stack,
                                                                                                book: Book):
    """The re-read does not queue a correction again: the QuickBooks lane's retry item runs it, meets the 429,
    and is put back with Intuit's 60 s wait (no attempt used up), while the other lanes go on."""
    deal_id, invoice = invoiced_deal(stack, book, "Globex - Unpaid", [Line("Support Plan", Decimal(1))])
    bad_debt = stack.emulators.quickbooks.deactivate(DEMO_REALM_ID, "Item", "Bad Debt")
    stack.slack_side.send_slash_command(ANN.slack_id, "/correct-invoice", invoice["DocNumber"])
    submit_form(stack, ANN.slack_id, last_view(stack), kind="write_off", reason="Customer disputes and will not pay")
    request = correction_request(stack, "Write-off")
    stack.slack_side.click_button(CARL.slack_id, "C05APPR0VAL", request.ts, ActionId.APPROVE)
    item = eventually(lambda: next((e for e in open_exceptions(stack) if e.work_item_id), None),
                      what="the exception for the missing item")
    stack.emulators.quickbooks.book(DEMO_REALM_ID).objects["Item"][bad_debt["Id"]]["Active"] = True
    stack.emulators.quickbooks.inject_fault("throttle", count=1, path_contains="creditmemo", delay=0)
    before = stack.runtime.clock.now()

    click_retry(stack, feed_message(stack, item.id), item.id)

    step = eventually(lambda: next((w for w in work(stack, WorkKind.RETRY_QUICKBOOKS_STEP)
                                    if (w.last_error or "").startswith("RateLimited")), None),
                      what="the retry item rescheduled after the 429")
    assert step.status == WorkStatus.QUEUED and step.attempts == 0                   # waiting is not failing
    assert step.run_after.replace(tzinfo=before.tzinfo) >= before + timedelta(seconds=60)
    assert step.payload["step_kind"] == WorkKind.CREATE_CORRECTION
    assert qbo(stack, "CreditMemo") == [] and open_exceptions(stack)
    asked = stack.slack_side.send_slash_command(SAM.slack_id, SlashCommand.INVOICE_STATUS.value, deal_id)
    assert eventually(lambda: stack.emulators.slack.responses(asked.payload["response_url"]),
                      what="/invoice-status answered while the retry waits for QuickBooks")
