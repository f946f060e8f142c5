"""A Salesforce deal becomes an approved QuickBooks invoice through Slack, exactly once."""
from __future__ import annotations

import json
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from decimal import Decimal

from sqlmodel import select

from app.approvals.models import ApprovalDecision, ApprovalRequest
from app.audit.models import AuditEvent
from app.db import session_scope
from app.deals.models import Deal
from app.exactly_once.models import SyncWatermark
from app.invoicing.models import InvoiceJob
from app.sandbox.book import Book, Line
from app.sandbox.people import ANN, BOB, ERIN
from app.sandbox.quickbooks.demo import DEMO_REALM_ID
from app.sandbox.slack.state import DEFAULT_BOT_TOKEN
from app.sandbox.stack import Stack
from app.slack.ids import ActionId
from tests.e2e.conftest import approval_messages, eventually, poll

APPROVALS = "C05APPR0VAL"


def qbo_invoices(stack: Stack) -> list[dict]:
    return list(stack.emulators.quickbooks.objects(DEMO_REALM_ID, "Invoice"))


def invoice_jobs(stack: Stack) -> list[InvoiceJob]:
    with session_scope(stack.runtime.engine) as session:
        return list(session.exec(select(InvoiceJob)))


def deal_row(stack: Stack, sf_id: str) -> Deal:
    with session_scope(stack.runtime.engine) as session:
        return session.exec(select(Deal).where(Deal.sf_id == sf_id)).one()


def buttons(message) -> list[str]:
    return [element["action_id"] for block in message.blocks if block["type"] == "actions"
            for element in block["elements"]]


def discounted_deal(stack: Stack, book: Book, *, owner: str = "sam") -> str:
    book.add_account("Globex Inc", Segment__c="SMB")        # QuickBooks already has "Globex Inc"
    return book.add_deal("Globex - Expansion", account="Globex Inc", owner_id=stack.emulators.sf_user_ids[owner],
                         lines=[Line("Annual Subscription", Decimal(2), discount=Decimal(25))])


def test_standard_deal_is_invoiced_written_back_and_announced(stack: Stack, book: Book):
    book.add_account("Globex Inc")
    deal_id = book.add_deal("Globex - Support renewal", account="Globex Inc",
                            owner_id=stack.emulators.sf_user_ids["sam"], lines=[Line("Support Plan", Decimal(1))])

    assert poll(stack).processed == 1

    invoice = eventually(lambda: qbo_invoices(stack), what="the QuickBooks invoice")[0]
    assert invoice["DocNumber"] == deal_id
    assert Decimal(str(invoice["TotalAmt"])) == Decimal("2400.00")
    assert invoice["SalesTermRef"]["value"]                      # Net 30 mapped to the QuickBooks term
    opportunity = eventually(lambda: (o := stack.emulators.salesforce.record("Opportunity", deal_id))
                             and o.get("QBO_Invoice_Number__c") and o, what="the write-back")
    assert opportunity["QBO_Invoice_Id__c"] == invoice["Id"]
    assert Decimal(str(opportunity["QBO_Balance__c"])) == Decimal("2400.00")
    confirmation = eventually(lambda: [m for m in stack.emulators.slack.messages(APPROVALS) if deal_id in m.text
                                       or invoice["DocNumber"] in m.text], what="the confirmation")
    assert confirmation
    assert approval_messages(stack) == []                           # no approval was needed
    assert deal_row(stack, deal_id).gate_status == "invoiced"


def test_discounted_deal_waits_for_approval_then_invoices_once(stack: Stack, book: Book):
    deal_id = discounted_deal(stack, book)
    poll(stack)
    request = eventually(lambda: approval_messages(stack), what="the approval request")[0]
    assert "25%" in json.dumps(request.blocks) and "15%" in json.dumps(request.blocks)
    assert buttons(request) == [ActionId.APPROVE, ActionId.REJECT]
    assert qbo_invoices(stack) == []

    reply = stack.slack_side.click_button(ANN.slack_id, APPROVALS, request.ts, ActionId.APPROVE)
    assert reply.status_code == 200

    eventually(lambda: qbo_invoices(stack), what="the invoice after approval")
    updated = eventually(lambda: (m := stack.emulators.slack.find_message(APPROVALS, request.ts))
                         and "Approved" in json.dumps(m.blocks) and m, what="the message update")
    assert buttons(updated) == []
    with session_scope(stack.runtime.engine) as session:
        decision = session.exec(select(ApprovalDecision)).one()
        assert (decision.slack_user_id, decision.decision) == (ANN.slack_id, "approved")
        assert decision.decided_at.tzinfo is not None

    def audited() -> list[str]:
        with session_scope(stack.runtime.engine) as session:
            return [event.action for event in session.exec(select(AuditEvent))]
    # QuickBooks has the invoice a moment before our own commit records it: wait for ours
    actions = eventually(lambda: "invoice.created" in audited() and audited(), what="the invoice in the audit log")
    assert "approval.approved" in actions
    thread = eventually(lambda: [m for m in stack.emulators.slack.messages(APPROVALS) if m.thread_ts == request.ts],
                        what="the confirmation in the thread")
    assert deal_id in thread[0].text or qbo_invoices(stack)[0]["DocNumber"] in thread[0].text


def test_rejection_asks_for_a_reason_and_blocks_the_invoice(stack: Stack, book: Book):
    deal_id = discounted_deal(stack, book)
    poll(stack)
    request = eventually(lambda: approval_messages(stack), what="the approval request")[0]

    stack.slack_side.click_button(ANN.slack_id, APPROVALS, request.ts, ActionId.REJECT)
    modal = eventually(lambda: stack.emulators.slack.views, what="the reject modal")
    view_id = next(iter(modal)) if isinstance(modal, dict) else modal[0]["id"]
    too_short = stack.slack_side.submit_view(ANN.slack_id, view_id, {
        "approval_reject_reason_input": {"approval_reject_reason_text": "no"}})
    assert too_short.json["response_action"] == "errors"
    stack.slack_side.submit_view(ANN.slack_id, view_id, {
        "approval_reject_reason_input": {"approval_reject_reason_text": "25% needs a multi-year commitment"}})

    updated = eventually(lambda: (m := stack.emulators.slack.find_message(APPROVALS, request.ts))
                         and "Rejected" in json.dumps(m.blocks) and m, what="the rejected message")
    assert "multi-year commitment" in json.dumps(updated.blocks)
    assert buttons(updated) == []
    eventually(lambda: deal_row(stack, deal_id).gate_status == "rejected", what="the deal to be rejected")
    stack.runtime.wake_worker()
    assert qbo_invoices(stack) == []


def test_a_non_approver_click_changes_nothing(stack: Stack, book: Book):
    discounted_deal(stack, book)
    poll(stack)
    request = eventually(lambda: approval_messages(stack), what="the approval request")[0]

    stack.slack_side.click_button(ERIN.slack_id, APPROVALS, request.ts, ActionId.APPROVE)

    note = eventually(lambda: stack.emulators.slack.ephemerals(ERIN.slack_id), what="the ephemeral refusal")
    assert "may decide this request now" in note[0].text
    assert buttons(stack.emulators.slack.find_message(APPROVALS, request.ts)) == [ActionId.APPROVE, ActionId.REJECT]
    with session_scope(stack.runtime.engine) as session:
        assert session.exec(select(ApprovalDecision)).all() == []
        assert session.exec(select(ApprovalRequest)).one().status == "pending"


def test_nobody_approves_their_own_request(stack: Stack, book: Book):
    discounted_deal(stack, book, owner="bob")                  # Bob sells and is a finance approver
    poll(stack)
    request = eventually(lambda: approval_messages(stack), what="the approval request")[0]

    stack.slack_side.click_button(BOB.slack_id, APPROVALS, request.ts, ActionId.APPROVE)

    note = eventually(lambda: stack.emulators.slack.ephemerals(BOB.slack_id), what="the ephemeral refusal")
    assert "own request" in note[0].text
    with session_scope(stack.runtime.engine) as session:
        assert session.exec(select(ApprovalDecision)).all() == []


def test_two_concurrent_approvals_give_one_decision_and_one_invoice(stack: Stack, book: Book):
    discounted_deal(stack, book)
    poll(stack)
    request = eventually(lambda: approval_messages(stack), what="the approval request")[0]

    with ThreadPoolExecutor(max_workers=2) as pool:
        clicks = [pool.submit(stack.slack_side.click_button, who.slack_id, APPROVALS, request.ts, ActionId.APPROVE)
                  for who in (ANN, BOB)]
        assert all(click.result().status_code == 200 for click in clicks)

    eventually(lambda: qbo_invoices(stack), what="the invoice")
    refusal = eventually(lambda: stack.emulators.slack.ephemerals(ANN.slack_id)
                         + stack.emulators.slack.ephemerals(BOB.slack_id), what="the loser's note")
    assert "Already approved" in refusal[0].text
    with session_scope(stack.runtime.engine) as session:
        assert len(session.exec(select(ApprovalDecision)).all()) == 1
    poll(stack)
    assert len(qbo_invoices(stack)) == 1


def test_repeated_polls_post_nothing_twice(stack: Stack, book: Book):
    discounted_deal(stack, book)
    book.add_deal("Globex - Support", account="Globex Inc", owner_id=stack.emulators.sf_user_ids["sam"],
                  lines=[Line("Support Plan", Decimal(1))])
    poll(stack)
    eventually(lambda: approval_messages(stack) and qbo_invoices(stack), what="request and invoice")

    eventually(lambda: (jobs := invoice_jobs(stack)) and all(job.writeback_done for job in jobs), what="the write-back")
    assert poll(stack).processed == 1                          # our own write-back, seen once
    assert poll(stack).processed == 0                          # nothing changed since
    with session_scope(stack.runtime.engine) as session:       # the watermark is not consulted: re-ingest
        session.delete(session.get(SyncWatermark, "salesforce.opportunity"))
    assert poll(stack).processed == 2
    stack.runtime.wake_worker()
    assert len(approval_messages(stack)) == 1
    assert len(qbo_invoices(stack)) == 1


def test_a_won_deal_is_not_invoiced_until_delivered(stack: Stack, book: Book):
    book.add_account("Globex Inc")
    deal_id = book.add_deal("Globex - Phase 2", account="Globex Inc", owner_id=stack.emulators.sf_user_ids["sam"],
                            lines=[Line("Consulting Services", Decimal(10))], Billing_Status__c="Not Started")
    poll(stack)
    assert deal_row(stack, deal_id).gate_status == "not_eligible"
    stack.runtime.wake_worker()
    assert qbo_invoices(stack) == []

    stack.emulators.salesforce.advance_clock(timedelta(seconds=1))
    stack.emulators.salesforce.user_edit("Opportunity", deal_id, {"Billing_Status__c": "Delivered"})
    assert poll(stack).processed == 1
    invoice = eventually(lambda: qbo_invoices(stack), what="the invoice after delivery")[0]
    assert invoice["DocNumber"] == deal_id


def test_golden_path_on_postgresql(pg_stack: Stack):
    book = Book(pg_stack.emulators.salesforce)
    deal_id = discounted_deal(pg_stack, book)
    poll(pg_stack)
    request = eventually(lambda: approval_messages(pg_stack), what="the approval request")[0]
    pg_stack.slack_side.click_button(ANN.slack_id, APPROVALS, request.ts, ActionId.APPROVE)
    invoice = eventually(lambda: qbo_invoices(pg_stack), what="the invoice")[0]
    assert invoice["DocNumber"] == deal_id
    job = eventually(lambda: [j for j in invoice_jobs(pg_stack) if j.status == "created"], what="the job")[0]
    assert job.total == Decimal("18000.00") and job.qbo_invoice_id == invoice["Id"]


def test_fractional_prices_and_discounts_stay_exact_end_to_end(stack: Stack, book: Book):
    book.add_account("Globex Inc")
    deal_id = book.add_deal("Globex - Workshop days", account="Globex Inc", owner_id=stack.emulators.sf_user_ids["sam"],
                            lines=[Line("Consulting Services", Decimal(3), unit_price=Decimal("337.50"),
                                        discount=Decimal("12.5"))])       # 3 x 337.50 x 0.875 = 885.9375
    poll(stack)
    invoice = eventually(lambda: qbo_invoices(stack), what="the invoice")[0]
    assert Decimal(str(invoice["TotalAmt"])) == Decimal("885.94")
    job = eventually(lambda: [j for j in invoice_jobs(stack) if j.writeback_done], what="the write-back")[0]
    assert job.total == Decimal("885.94")
    assert str(stack.emulators.salesforce.record("Opportunity", deal_id)["QBO_Balance__c"]) == "885.94"
    assert deal_row(stack, deal_id).snapshot["Amount"] == "885.94"


def test_a_message_left_stale_by_a_slack_outage_is_redrawn(stack: Stack, book: Book):
    discounted_deal(stack, book)
    poll(stack)
    request = eventually(lambda: approval_messages(stack), what="the approval request")[0]
    slack = stack.emulators.slack
    answer = stack.slack_side.send_slash_command(ANN.slack_id, "/invoice-status", "")
    assert answer.status_code == 200  # bolt authorized
    slack.revoke_token(DEFAULT_BOT_TOKEN)                          # then Slack rejects the bot for a while

    stack.slack_side.click_button(ANN.slack_id, APPROVALS, request.ts, ActionId.APPROVE)
    eventually(lambda: (d := decisions(stack)) and d, what="the decision")
    time.sleep(0.5)
    assert buttons(slack.find_message(APPROVALS, request.ts)) == [ActionId.APPROVE, ActionId.REJECT]   # stale

    slack.set_tokens([DEFAULT_BOT_TOKEN])
    stack.slack_side.click_button(BOB.slack_id, APPROVALS, request.ts, ActionId.APPROVE)   # a later click heals it
    healed = eventually(lambda: (m := slack.find_message(APPROVALS, request.ts)) and not buttons(m) and m,
                        what="the redrawn message")
    assert "Approved" in json.dumps(healed.blocks)
    assert len(decisions(stack)) == 1


def decisions(stack: Stack) -> list[ApprovalDecision]:
    with session_scope(stack.runtime.engine) as session:
        return list(session.exec(select(ApprovalDecision)))
