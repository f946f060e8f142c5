"""Every exception kind from real emulator data; dedupe; auto-resolve after a Salesforce fix; Retry clears them."""
from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import yaml
from sqlmodel import select

from app.audit.service import events_for
from app.clock import FixedClock
from app.db import session_scope
from app.exception_queue.models import ExceptionItem
from app.jobs.digest import run_digest
from app.sandbox.book import Book, Line
from app.sandbox.people import ANN
from app.sandbox.quickbooks.demo import DEMO_REALM_ID
from app.sandbox.stack import DEMO_POLICY, Stack
from app.slack.ids import ActionId
from app.work_queue.models import WorkItem
from tests.e2e.conftest import FIXED_START, approval_messages, eventually, poll, start_stack

START = FIXED_START
DIGEST = "C05D1GESTFIN"


def items(stack: Stack, **where) -> list[ExceptionItem]:
    with session_scope(stack.runtime.engine) as session:
        statement = select(ExceptionItem).order_by(ExceptionItem.id)
        for name, value in where.items():
            statement = statement.where(getattr(ExceptionItem, name) == value)
        return list(session.exec(statement).all())


def owner(stack: Stack) -> str:
    return stack.emulators.sf_user_ids["sam"]


def digest_message(stack: Stack):
    assert run_digest(stack.runtime)
    return stack.emulators.slack.messages(DIGEST)[-1]


def ticking(stack: Stack, check: Callable[[], Any]) -> Callable[[], Any]:
    """`check`, after moving the fixed clock a second on: a retry that waits for a requeued step is rescheduled a
    second later (it never sleeps), and with a FixedClock that second passes only when the test says."""
    def advanced() -> Any:
        stack.runtime.clock.advance(timedelta(seconds=1))
        stack.runtime.wake_worker()
        return check()
    return advanced


def item_section(message, item_id: int) -> str:
    return next(block["text"]["text"] for block in message.blocks
                if block.get("block_id") == f"exception_item:{item_id}")


def test_gate_problems_become_exceptions_once_and_close_when_fixed_in_salesforce(cstack: Stack, cbook: Book):
    cbook.add_account("Umbrella Health", Segment__c="Enterprise")
    cbook.add_account("Acme Corporation", Segment__c="Enterprise")
    cbook.add_account("Globex Inc")
    no_po = cbook.add_deal("Umbrella - Clinic rollout", account="Umbrella Health", owner_id=owner(cstack),
                           lines=[Line("Implementation", Decimal(2))])
    cbook.add_deal("Acme - Hardware refresh", account="Acme Corporation", owner_id=owner(cstack),
                   lines=[Line("Hardware Bundle", Decimal(10))], PO_Number__c="PO-4190")
    cbook.add_deal("Globex - Net 45", account="Globex Inc", owner_id=owner(cstack),
                   lines=[Line("Support Plan", Decimal(1))], Payment_Terms__c="Net 45")

    poll(cstack)
    opened = {item.dedupe_key.split(":", 2)[2]: item for item in items(cstack, status="open")}
    assert set(opened) == {"missing_field:po_number", "unmapped_product:HW-BUNDLE", "unmapped_terms:Net 45"}
    assert opened["missing_field:po_number"].suggested_root_cause == "missing_po"     # the cause named by the problem
    assert "PO number is required for Enterprise" in opened["missing_field:po_number"].reason
    # SLA: 8 business hours from 09:00 New York (the poll ran at 08:35) -> 17:00 = 22:00 UTC
    assert opened["missing_field:po_number"].sla_due_at == datetime(2026, 11, 24, 22, 0, tzinfo=UTC)

    cstack.emulators.salesforce.advance_clock(timedelta(seconds=1))
    cstack.emulators.salesforce.user_edit("Opportunity", no_po, {"Name": "Umbrella - Clinic rollout (v2)"})
    assert poll(cstack).processed == 1                       # the deal changed, the problem did not: no duplicate
    assert len(items(cstack)) == 3

    cstack.emulators.salesforce.advance_clock(timedelta(seconds=1))
    cstack.emulators.salesforce.user_edit("Opportunity", no_po, {"PO_Number__c": "UMB-77"})
    poll(cstack)
    fixed = items(cstack, id=opened["missing_field:po_number"].id)[0]
    assert (fixed.status, fixed.resolved_by) == ("resolved", "system")
    assert "latest Salesforce read" in fixed.resolution
    with session_scope(cstack.runtime.engine) as session:
        actions = [event.action for event in events_for(session, "exception", fixed.id)]
    assert actions == ["exception.opened", "exception.auto_resolved"]
    assert len(items(cstack, status="open")) == 2


def test_a_rejected_approval_needs_rework(cstack: Stack, cbook: Book):
    cbook.add_account("Globex Inc")
    cbook.add_deal("Globex - Expansion", account="Globex Inc", owner_id=owner(cstack),
                   lines=[Line("Annual Subscription", Decimal(2), discount=Decimal(25))])
    poll(cstack)
    request = eventually(lambda: approval_messages(cstack), what="the approval request")[0]
    cstack.slack_side.click_button(ANN.slack_id, "C05APPR0VAL", request.ts, ActionId.REJECT)
    view_id = eventually(lambda: cstack.emulators.slack.views, what="the reject modal")[0]["id"]
    cstack.slack_side.submit_view(ANN.slack_id, view_id, {
        "approval_reject_reason_input": {"approval_reject_reason_text": "25% needs a multi-year commitment"}})

    rejected = eventually(lambda: items(cstack, kind="approval_rejected"), what="the rejection exception")[0]
    assert "multi-year commitment" in rejected.reason and "ann" in rejected.reason
    assert rejected.suggested_root_cause == "non_standard_terms"


@pytest.fixture
def unactivated(sqlite_url: str, tmp_path: Path) -> Iterator[Stack]:
    """The demo policy without customer activation: a new customer is made when its first invoice is (with an
    activation, the approver picks between look-alikes in its modal: tests/e2e/test_customer_activation.py)."""
    data = yaml.safe_load(DEMO_POLICY.read_text(encoding="utf-8"))
    data["approval_rules"].pop("customer_activation")
    path = tmp_path / "policy.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    running = start_stack(sqlite_url, clock=FixedClock(FIXED_START), policy_path=path)
    yield running
    running.stop()


def test_a_look_alike_customer_is_a_duplicate_until_the_account_is_renamed(unactivated: Stack):
    cstack, cbook = unactivated, Book(unactivated.emulators.salesforce)
    account = cbook.add_account("Globex, Inc.")                  # QuickBooks has "Globex Inc"
    cbook.add_deal("Globex - Support", account="Globex, Inc.", owner_id=owner(cstack),
                   lines=[Line("Support Plan", Decimal(1))])
    poll(cstack)

    duplicate = eventually(lambda: items(cstack, kind="duplicate_customer"), what="the duplicate exception")[0]
    assert "'Globex Inc'" in duplicate.reason and duplicate.work_item_id is not None
    customers = cstack.emulators.quickbooks.objects(DEMO_REALM_ID, "Customer")
    assert [c["DisplayName"] for c in customers].count("Globex Inc") == 1 and len(customers) == 3

    cstack.emulators.salesforce.advance_clock(timedelta(seconds=1))
    cstack.emulators.salesforce.user_edit("Account", account, {"Name": "Globex Inc"})
    message = digest_message(cstack)
    cstack.slack_side.click_button(ANN.slack_id, DIGEST, message.ts, ActionId.EXCEPTION_RETRY)

    eventually(lambda: items(cstack, id=duplicate.id)[0].status == "resolved", what="the retry to resolve it")
    invoice = cstack.emulators.quickbooks.objects(DEMO_REALM_ID, "Invoice")
    assert len(invoice) == 1 and invoice[0]["CustomerRef"]["value"] == "2"           # the existing Globex Inc
    updated = eventually(ticking(cstack, lambda: (m := cstack.emulators.slack.find_message(DIGEST, message.ts))
                                 and "Last retry" in item_section(m, duplicate.id) and m),
                         what="the item updated in place")
    assert f"exception_actions:{duplicate.id}" not in json.dumps(updated.blocks)
    assert f"by <@{ANN.slack_id}>: succeeded" in item_section(updated, duplicate.id)


def test_a_vendor_error_retries_could_not_clear_then_retry_clears_it(cstack: Stack, cbook: Book):
    cbook.add_account("Globex Inc")
    cbook.add_deal("Globex - Support renewal", account="Globex Inc", owner_id=owner(cstack),
                   lines=[Line("Support Plan", Decimal(1))])
    cstack.emulators.quickbooks.inject_fault("error", count=8, path_contains="invoice", delay=0)
    poll(cstack)
    deadline = time.monotonic() + 20
    while not items(cstack, kind="vendor_error") and time.monotonic() < deadline:
        cstack.runtime.clock.advance(timedelta(minutes=6))        # past every backoff, without sleeping
        cstack.runtime.wake_worker()
        time.sleep(0.1)
    failure = items(cstack, kind="vendor_error")[0]
    assert "retries did not clear it" in failure.reason and failure.suggested_root_cause == "integration_outage"
    with session_scope(cstack.runtime.engine) as session:
        work = session.get(WorkItem, failure.work_item_id)
        assert (work.kind, work.status, work.attempts) == ("create_invoice", "failed", 8)
    assert cstack.emulators.quickbooks.objects(DEMO_REALM_ID, "Invoice") == []

    cstack.runtime.clock.set(datetime(2026, 11, 25, 13, 31, tzinfo=UTC))      # Wednesday's digest, 08:31 New York
    message = digest_message(cstack)
    assert "SLA breached" in item_section(message, failure.id)                # 4 business hours passed on Tuesday
    cstack.slack_side.click_button(ANN.slack_id, DIGEST, message.ts, ActionId.EXCEPTION_RETRY)
    eventually(lambda: items(cstack, id=failure.id)[0].status == "resolved", what="the retry")
    assert len(cstack.emulators.quickbooks.objects(DEMO_REALM_ID, "Invoice")) == 1
    updated = eventually(ticking(cstack, lambda: (m := cstack.emulators.slack.find_message(DIGEST, message.ts))
                                 and "Last retry" in item_section(m, failure.id) and m),
                         what="the item updated in place")
    assert f"exception_actions:{failure.id}" not in json.dumps(updated.blocks)
    assert f"by <@{ANN.slack_id}>: succeeded" in item_section(updated, failure.id)
    resolved = items(cstack, id=failure.id)[0]
    assert resolved.retry_count == 1 and "succeeded" in resolved.resolution     # by the retry or the requeued item
