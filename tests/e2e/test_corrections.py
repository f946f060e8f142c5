"""Corrections to issued invoices, approved in Slack, end to end: a credit memo for a line (proposed from the
button in /invoice-status) and a write-off (proposed with /correct-invoice), each approved by the role the policy
names, made exactly once across a lost answer and a retry, applied to the invoice, written back and announced;
the proposer refused as approver; a change after invoicing proposing a credit and a corrected invoice."""
from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import requests
from sqlmodel import select

from app.audit.models import AuditEvent
from app.db import session_scope
from app.deals.service import find_deal
from app.exception_queue.models import ExceptionItem
from app.invoicing.correction_models import Correction
from app.invoicing.models import InvoiceJob
from app.sandbox.book import Book, Line
from app.sandbox.people import ANN, BOB, CARL, SAM
from app.sandbox.quickbooks.demo import DEMO_REALM_ID
from app.sandbox.stack import Stack
from app.slack.ids import ActionId, BlockId
from tests.e2e.conftest import eventually, poll

APPROVALS = "C05APPR0VAL"


def invoiced_deal(stack: Stack, book: Book, name: str, lines: list[Line]) -> tuple[str, dict]:
    book.add_account("Globex Inc")
    deal_id = book.add_deal(name, account="Globex Inc", owner_id=stack.emulators.sf_user_ids["sam"], lines=lines)
    poll(stack)
    invoice = eventually(lambda: next((i for i in qbo(stack, "Invoice") if i["DocNumber"] == deal_id), None),
                         what="the invoice")
    eventually(lambda: job_of(stack, deal_id) is not None and job_of(stack, deal_id).writeback_done,
               what="the invoice recorded and written back")
    return deal_id, invoice


def qbo(stack: Stack, entity: str) -> list[dict]:
    return list(stack.emulators.quickbooks.objects(DEMO_REALM_ID, entity))


def job_of(stack: Stack, deal_id: str) -> InvoiceJob | None:
    with session_scope(stack.runtime.engine) as session:
        deal = find_deal(session, sf_id=deal_id)
        return session.exec(select(InvoiceJob).where(InvoiceJob.deal_id == deal.id)).first() if deal else None


def dms(stack: Stack, user_id: str) -> list:
    slack = stack.emulators.slack
    return [m for m in slack.messages() if m.channel in (slack.open_dm(user_id), user_id)]


def corrections(stack: Stack) -> list[Correction]:
    with session_scope(stack.runtime.engine) as session:
        return list(session.exec(select(Correction).order_by(Correction.id)))


def last_view(stack: Stack) -> dict[str, Any]:
    views = eventually(lambda: stack.emulators.slack.views, what="the correction form")
    return list(views.values())[-1] if isinstance(views, dict) else views[-1]


def submit_form(stack: Stack, user: str, view: dict[str, Any], *, kind: str, lines: list[int] = (),
                amount: str = "", reason: str, cause: str = "rep_data_entry"):
    values = {BlockId.CORRECTION_KIND_INPUT.value: {ActionId.CORRECTION_KIND.value: kind},
              BlockId.CORRECTION_AMOUNT_INPUT.value: {ActionId.CORRECTION_AMOUNT.value: amount},
              BlockId.CORRECTION_REASON_INPUT.value: {ActionId.CORRECTION_REASON.value: reason},
              BlockId.CORRECTION_CAUSE_INPUT.value: {ActionId.CORRECTION_CAUSE.value: cause}}
    if any(block.get("block_id") == BlockId.CORRECTION_LINES_INPUT.value for block in view["blocks"]):
        values[BlockId.CORRECTION_LINES_INPUT.value] = {ActionId.CORRECTION_LINES.value: [str(i) for i in lines]}
    return stack.slack_side.submit_view(user, view["id"], values)


def correction_request(stack: Stack, kind_words: str):
    return eventually(lambda: next((m for m in stack.emulators.slack.messages(APPROVALS)
                                    if not m.thread_ts and kind_words in json.dumps(m.blocks)), None),
                      what=f"the approval request for the {kind_words.lower()}")


def test_a_line_credit_memo_is_approved_made_once_across_a_lost_answer_and_a_retry_and_applied(stack: Stack,
                                                                                                book: Book) -> None:
    deal_id, invoice = invoiced_deal(stack, book, "Globex - Rollout", [Line("Implementation", Decimal(1)),
                                                                        Line("Support Plan", Decimal(1))])
    stack.slack_side.send_slash_command(ANN.slack_id, "/invoice-status", deal_id)
    answer = eventually(lambda: [p for r in stack.emulators.slack.all_responses() for p in r.posts
                                 if "blocks" in p and ActionId.PROPOSE_CORRECTION.value in json.dumps(p)],
                        what="the status answer with its button")[-1]
    stack.slack_side.click_ephemeral_button(ANN.slack_id, APPROVALS, answer["blocks"],
                                            ActionId.PROPOSE_CORRECTION.value)
    form = last_view(stack)
    assert "Support Plan" in json.dumps(form) and "$7,400.00" in json.dumps(form)
    short = submit_form(stack, ANN.slack_id, form, kind="lines", lines=[], reason="no")
    assert short.json["response_action"] == "errors" and BlockId.CORRECTION_LINES_INPUT.value in short.json["errors"]
    submit_form(stack, ANN.slack_id, form, kind="lines", lines=[1], reason="Support was never delivered")
    request = correction_request(stack, "Credit memo")
    assert "2,400.00 USD for 1 line" in json.dumps(request.blocks) and "Finance approver" in json.dumps(request.blocks)

    stack.slack_side.click_button(ANN.slack_id, APPROVALS, request.ts, ActionId.APPROVE)    # the proposer
    eventually(lambda: any("cannot approve your own request" in note.text
                           for note in stack.emulators.slack.ephemerals(ANN.slack_id)), what="the refusal")
    assert any("Proposed: Credit memo" in note.text for note in stack.emulators.slack.ephemerals(ANN.slack_id))
    assert corrections(stack)[0].status == "proposed" and qbo(stack, "CreditMemo") == []

    stack.emulators.quickbooks.inject_fault("lost_response", count=1, path_contains="creditmemo")
    stack.emulators.quickbooks.inject_fault("error", count=1, path_contains="payment")
    stack.slack_side.click_button(BOB.slack_id, APPROVALS, request.ts, ActionId.APPROVE)

    done = eventually(lambda: (c := corrections(stack)[0]).status == "done" and c, timeout=40,
                      what="the credit memo made after the retries")
    memos, payments = qbo(stack, "CreditMemo"), qbo(stack, "Payment")
    assert len(memos) == 1 and len(payments) == 1 and done.attempts == 3
    assert memos[0]["DocNumber"] == f"{deal_id[:15]}-C1" and memos[0]["TotalAmt"] == Decimal("2400.00")
    assert memos[0]["RemainingCredit"] == 0 and done.qbo_payment_id == payments[0]["Id"]
    applied = stack.emulators.quickbooks.get_object(DEMO_REALM_ID, "Invoice", invoice["Id"])
    assert applied["Balance"] == Decimal("5000.00")
    written = eventually(lambda: (o := stack.emulators.salesforce.record("Opportunity", deal_id))
                         and Decimal(str(o.get("QBO_Balance__c"))) == Decimal("5000.00") and o, what="the write-back")
    assert written["QBO_Invoice_Id__c"] == invoice["Id"]
    thread = eventually(lambda: [m for m in stack.emulators.slack.messages(APPROVALS)
                                 if m.thread_ts == request.ts and "applied to invoice" in m.text], what="the thread")
    assert "balance now $5,000.00" in thread[0].text
    eventually(lambda: any("Credit memo" in m.text for m in dms(stack, SAM.slack_id)), what="the deal owner's DM")
    with session_scope(stack.runtime.engine) as session:
        events = list(session.exec(select(AuditEvent)))
    assert {"correction.proposed", "approval.approved", "correction.approved", "correction.created"} <= {
        event.action for event in events}
    [proposed] = [event for event in events if event.action == "correction.proposed"]
    assert (proposed.invoice_id, proposed.approval_id) == (invoice["Id"], done.approval_request_id)
    assert proposed.after is not None and proposed.after["amount"] == "2400.00"

    metrics = requests.get(f"{stack.app_server.url}/dashboard/api/metrics?days=30", timeout=10).json()
    assert metrics["credit_memo_frequency"]["part"] == 1 and metrics["credit_memo_frequency"]["whole"] == 1
    assert metrics["first_pass_acceptance"]["part"] == 0              # a corrected invoice did not pass first time
    assert metrics["corrections_by_cause"] == {"rep_data_entry": 1}


def test_a_write_off_proposed_with_the_command_needs_the_controller_is_made_once_and_clears_the_balance(
        stack: Stack, book: Book) -> None:
    deal_id, invoice = invoiced_deal(stack, book, "Globex - Support", [Line("Support Plan", Decimal(1))])
    stack.emulators.quickbooks.seed(DEMO_REALM_ID, "Payment", {
        "CustomerRef": {"value": invoice["CustomerRef"]["value"]}, "TotalAmt": "400.00",
        "Line": [{"Amount": "400.00", "LinkedTxn": [{"TxnId": invoice["Id"], "TxnType": "Invoice"}]}]})
    stack.slack_side.send_slash_command(SAM.slack_id, "/correct-invoice", deal_id)     # sales may open the form...
    submit_form(stack, SAM.slack_id, last_view(stack), kind="write_off", reason="Customer went out of business")
    # ...but not propose (Sam also gets the invoice DM as the deal's owner: look for the refusal among the notes)
    eventually(lambda: "Only the finance team" in json.dumps(
        [getattr(n, "text", "") for n in [*stack.emulators.slack.ephemerals(SAM.slack_id), *dms(stack, SAM.slack_id)]]),
        what="the refusal")
    assert corrections(stack) == []

    stack.slack_side.send_slash_command(ANN.slack_id, "/correct-invoice", deal_id)
    submit_form(stack, ANN.slack_id, last_view(stack), kind="write_off", reason="Customer went out of business")
    request = correction_request(stack, "Write-off")
    assert "2,000.00 USD" in json.dumps(request.blocks) and "Controller" in json.dumps(request.blocks)
    stack.slack_side.click_button(BOB.slack_id, APPROVALS, request.ts, ActionId.APPROVE)   # not a controller
    eventually(lambda: any("may decide this request now" in n.text
                           for n in stack.emulators.slack.ephemerals(BOB.slack_id)), what="the role refusal")
    stack.emulators.quickbooks.inject_fault("error", count=1, path_contains="creditmemo")     # refused, not made
    stack.emulators.quickbooks.inject_fault("lost_response", count=1, path_contains="payment")  # made, answer lost
    stack.slack_side.click_button(CARL.slack_id, APPROVALS, request.ts, ActionId.APPROVE)
    done = eventually(lambda: (c := corrections(stack)[0]).status == "done" and c, timeout=40, what="the write-off")
    assert done.attempts == 3 and len(qbo(stack, "CreditMemo")) == 1
    applications = [p for p in qbo(stack, "Payment") if p["TotalAmt"] == 0]
    assert len(applications) == 1 and done.qbo_payment_id == applications[0]["Id"]   # adopted, not applied twice
    memo = qbo(stack, "CreditMemo")[0]
    items = {row["Id"]: row["Name"] for row in qbo(stack, "Item")}
    assert items[memo["Line"][0]["SalesItemLineDetail"]["ItemRef"]["value"]] == "Bad Debt"
    assert memo["TotalAmt"] == Decimal("2000.00") and done.credit_total == Decimal("2000.00")
    assert stack.emulators.quickbooks.get_object(DEMO_REALM_ID, "Invoice", invoice["Id"])["Balance"] == 0
    eventually(lambda: job_of(stack, deal_id).balance == 0 and job_of(stack, deal_id).qbo_status == "Paid",
               what="the invoice job's balance")


def test_a_change_after_invoicing_proposes_a_credit_and_a_corrected_invoice(stack: Stack, book: Book) -> None:
    deal_id, invoice = invoiced_deal(stack, book, "Globex - Seats", [Line("Consulting Services", Decimal(10))])
    line_id = stack.emulators.salesforce.records("OpportunityLineItem")[-1]["Id"]
    stack.emulators.salesforce.user_edit("OpportunityLineItem", line_id, {"Quantity": 8})
    poll(stack)
    request = correction_request(stack, "Credit and re-invoice")
    assert "1,500.00 USD" in json.dumps(request.blocks) and "1,200.00" in json.dumps(request.blocks)
    poll(stack)                                                   # the same change is proposed once
    assert len(corrections(stack)) == 1

    stack.slack_side.click_button(ANN.slack_id, APPROVALS, request.ts, ActionId.APPROVE)
    done = eventually(lambda: (c := corrections(stack)[0]).status == "done" and c, timeout=30, what="the rebill")
    corrected = next(i for i in qbo(stack, "Invoice") if i["Id"] == done.rebill_invoice_id)
    assert corrected["DocNumber"] == f"{deal_id[:15]}-R1" and corrected["TotalAmt"] == Decimal("1200.00")
    assert stack.emulators.quickbooks.get_object(DEMO_REALM_ID, "Invoice", invoice["Id"])["Balance"] == 0
    eventually(lambda: (o := stack.emulators.salesforce.record("Opportunity", deal_id))
               and o.get("QBO_Invoice_Number__c") == corrected["DocNumber"], what="the new invoice written back")
    poll(stack)
    assert len(corrections(stack)) == 1                           # the deal now matches its corrected invoice


def test_a_write_off_without_its_quickbooks_item_is_an_exception_and_retry_makes_it(stack: Stack,
                                                                                   book: Book) -> None:
    deal_id, invoice = invoiced_deal(stack, book, "Globex - Unpaid", [Line("Support Plan", Decimal(1))])
    bad_debt = stack.emulators.quickbooks.deactivate(DEMO_REALM_ID, "Item", "Bad Debt")
    stack.slack_side.send_slash_command(ANN.slack_id, "/correct-invoice", invoice["DocNumber"])
    submit_form(stack, ANN.slack_id, last_view(stack), kind="write_off", reason="Customer disputes and will not pay")
    request = correction_request(stack, "Write-off")
    stack.slack_side.click_button(CARL.slack_id, APPROVALS, request.ts, ActionId.APPROVE)
    item = eventually(lambda: next((e for e in open_exceptions(stack) if e.work_item_id), None),
                      what="the exception for the missing item")
    assert "Bad Debt" in item.reason and item.kind == "unmapped_product" and corrections(stack)[0].status == "failed"
    assert qbo(stack, "CreditMemo") == []

    book_items = stack.emulators.quickbooks.book(DEMO_REALM_ID).objects["Item"]
    book_items[bad_debt["Id"]]["Active"] = True                      # finance fixed QuickBooks
    feed = eventually(lambda: next((m for m in stack.emulators.slack.messages("C05EXCEPT10N")
                                    if f"exception_actions:{item.id}" in json.dumps(m.blocks)), None),
                      what="the exception in the exceptions channel")
    stack.slack_side.click_button(ANN.slack_id, "C05EXCEPT10N", feed.ts, ActionId.EXCEPTION_RETRY,
                                  block_id=f"exception_actions:{item.id}")
    retried = eventually(lambda: (e := exception(stack, item.id)).last_retry_result and e, what="the retry's outcome")
    assert retried.last_retry_result == "succeeded" and retried.status == "resolved"
    assert corrections(stack)[0].status == "done" and len(qbo(stack, "CreditMemo")) == 1
    assert stack.emulators.quickbooks.get_object(DEMO_REALM_ID, "Invoice", invoice["Id"])["Balance"] == 0


def exception(stack: Stack, item_id: int) -> ExceptionItem:
    with session_scope(stack.runtime.engine) as session:
        found = session.get(ExceptionItem, item_id)
        assert found is not None
        return found


def open_exceptions(stack: Stack) -> list[ExceptionItem]:
    with session_scope(stack.runtime.engine) as session:
        return list(session.exec(select(ExceptionItem).where(ExceptionItem.status == "open")))
