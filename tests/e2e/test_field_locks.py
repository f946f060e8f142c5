"""The field lock end to end, through signed Slack requests against the three emulators: a locked value changed
in Salesforce before the invoice supersedes the approval (its message says why) and a re-approval shows the diff;
after the invoice, the change opens an exception with the diff; a description or close date reopens nothing; the
amount moves within the policy's tolerance without a re-approval and beyond it with one."""
from __future__ import annotations

import json
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import yaml
from sqlmodel import select

from app.approvals.models import ApprovalRequest
from app.audit.models import AuditEvent
from app.db import session_scope
from app.deals.service import find_deal
from app.exception_queue.models import ExceptionItem
from app.sandbox.book import Book, Line
from app.sandbox.people import ANN
from app.sandbox.quickbooks.demo import DEMO_REALM_ID
from app.sandbox.stack import DEMO_POLICY, Stack
from app.slack.ids import ActionId
from tests.e2e.conftest import eventually, poll, settle, start_stack

APPROVALS = "C05APPR0VAL"
BIG_CREDIT = {"Credit_Limit__c": Decimal("75000")}       # above the demo policy's 50,000: the CFO approves it


def requests_of(stack: Stack, deal_id: str) -> list[ApprovalRequest]:
    with session_scope(stack.runtime.engine) as session:
        deal = find_deal(session, sf_id=deal_id)
        return list(session.exec(select(ApprovalRequest).where(ApprovalRequest.deal_id == deal.id)
                                 .order_by(ApprovalRequest.id))) if deal else []


def shown(blocks: Any) -> str:
    """What Slack shows of the blocks: their text, with mrkdwn's escapes undone."""
    return json.dumps(blocks, ensure_ascii=False).replace("&gt;", ">").replace("&lt;", "<").replace("&amp;", "&")


def message(stack: Stack, ts: str) -> Any:
    return next(m for m in stack.emulators.slack.messages(APPROVALS) if m.ts == ts)


def posted(stack: Stack, request_id: int) -> ApprovalRequest:
    def found() -> ApprovalRequest | None:
        with session_scope(stack.runtime.engine) as session:
            row = session.get(ApprovalRequest, request_id)
            return row if row is not None and row.slack_ts else None
    return eventually(found, what=f"request {request_id} posted")


def two_approvals_deal(stack: Stack, book: Book, name: str, **account: Any) -> str:
    """Net 60 (a finance approver) and a 75,000 credit limit (the CFO): the first approval alone invoices nothing."""
    book.add_account("Globex Inc", **BIG_CREDIT, **account)
    deal_id = book.add_deal(name, account="Globex Inc", owner_id=stack.emulators.sf_user_ids["sam"],
                            lines=[Line("Consulting Services", Decimal(100))], Payment_Terms__c="Net 60")
    poll(stack)
    eventually(lambda: len([r for r in requests_of(stack, deal_id) if r.slack_ts]) == 2, what="both requests posted")
    return deal_id


def approve_terms(stack: Stack, deal_id: str) -> ApprovalRequest:
    terms = next(r for r in requests_of(stack, deal_id) if r.kind == "payment_terms")
    stack.slack_side.click_button(ANN.slack_id, APPROVALS, terms.slack_ts, ActionId.APPROVE)
    eventually(lambda: next(r for r in requests_of(stack, deal_id) if r.id == terms.id).status == "approved",
               what="the terms approved")
    return terms


def reapproval(stack: Stack, deal_id: str, kind: str) -> Any:
    request = eventually(lambda: next((r for r in requests_of(stack, deal_id)
                                       if r.kind == kind and r.reapproval_of and r.slack_ts), None),
                         what=f"the {kind} re-approval posted")
    return request, message(stack, request.slack_ts)


def test_a_taxability_change_supersedes_the_approval_and_the_reapproval_shows_the_diff(stack: Stack,
                                                                                      book: Book) -> None:
    deal_id = two_approvals_deal(stack, book, "Globex - Taxability")
    approved = approve_terms(stack, deal_id)
    stack.emulators.salesforce.user_edit("Account", book.account_ids["Globex Inc"], {"Tax_Exempt__c": True})
    poll(stack)

    request, card = reapproval(stack, deal_id, "payment_terms")
    assert "Re-approval needed" in shown(card.blocks)
    assert "Taxability: taxable -> exempt" in shown(card.blocks) and request.reapproval_of == approved.id
    old = eventually(lambda: "Superseded" in (m := message(stack, approved.slack_ts)).text and m,
                     what="the original message updated")
    assert "Taxability: taxable -> exempt" in shown(old.blocks) and "Invoicing is held" in shown(old.blocks)
    assert not any(b.get("type") == "actions" for b in old.blocks)           # nobody clicks a stale button
    assert all(i["DocNumber"] != deal_id for i in stack.emulators.quickbooks.objects(DEMO_REALM_ID, "Invoice"))
    with session_scope(stack.runtime.engine) as session:
        events = [e for e in session.exec(select(AuditEvent).where(AuditEvent.action == "approval.superseded"))
                  if e.subject_id == str(approved.id)]
    assert events and "exempt" in json.dumps(events[0].details)


def test_a_bill_to_change_supersedes_the_approval_and_the_reapproval_shows_old_and_new(stack: Stack,
                                                                                      book: Book) -> None:
    deal_id = two_approvals_deal(stack, book, "Globex - Move")
    approved = approve_terms(stack, deal_id)
    stack.emulators.salesforce.user_edit("Account", book.account_ids["Globex Inc"], {"BillingStreet": "9 Elm St"})
    poll(stack)
    _, card = reapproval(stack, deal_id, "payment_terms")
    assert "Bill-to: 1 Main St, Springfield, IL, 62701, USA -> 9 Elm St, Springfield, IL, 62701, USA" in shown(
        card.blocks)
    _, credit = reapproval(stack, deal_id, "credit_limit")       # the pending CFO request is asked again too
    assert "Bill-to" in shown(credit.blocks)
    eventually(lambda: "Superseded" in message(stack, approved.slack_ts).text, what="the original message updated")


def test_a_description_or_close_date_change_reopens_nothing(stack: Stack, book: Book) -> None:
    deal_id = two_approvals_deal(stack, book, "Globex - Typo")
    approved = approve_terms(stack, deal_id)
    stack.emulators.salesforce.user_edit("Opportunity", deal_id, {"Description": "Fixed a typo",
                                                                  "CloseDate": "2026-11-21"})
    poll(stack)
    settle(stack)
    assert [(r.kind, r.status) for r in requests_of(stack, deal_id)] == [("payment_terms", "approved"),
                                                                         ("credit_limit", "pending")]
    assert "Superseded" not in message(stack, approved.slack_ts).text


def test_a_locked_change_after_the_invoice_opens_an_exception_with_the_diff(stack: Stack, book: Book) -> None:
    book.add_account("Globex Inc")
    deal_id = book.add_deal("Globex - After", account="Globex Inc", owner_id=stack.emulators.sf_user_ids["sam"],
                            lines=[Line("Consulting Services", Decimal(10))], Payment_Terms__c="Net 60")
    poll(stack)
    terms = eventually(lambda: next((r for r in requests_of(stack, deal_id) if r.slack_ts), None), what="the request")
    stack.slack_side.click_button(ANN.slack_id, APPROVALS, terms.slack_ts, ActionId.APPROVE)
    eventually(lambda: any(i["DocNumber"] == deal_id
                           for i in stack.emulators.quickbooks.objects(DEMO_REALM_ID, "Invoice")),
               what="the invoice")
    settle(stack)
    stack.emulators.salesforce.user_edit("Account", book.account_ids["Globex Inc"], {"BillingStreet": "9 Elm St"})
    line_id = stack.emulators.salesforce.records("OpportunityLineItem")[-1]["Id"]
    stack.emulators.salesforce.user_edit("OpportunityLineItem", line_id, {"Quantity": 8})
    poll(stack)

    def exception() -> ExceptionItem | None:
        with session_scope(stack.runtime.engine) as session:
            return session.exec(select(ExceptionItem).where(ExceptionItem.dedupe_key.startswith("locked:"))).first()
    item = eventually(exception, what="the exception")
    assert "Amount: 1,500.00 USD -> 1,200.00 USD" in item.reason and "Bill-to: 1 Main St" in item.reason
    assert "9 Elm St" in item.reason and item.status == "open"
    rebill = eventually(lambda: next((m for m in stack.emulators.slack.messages(APPROVALS)
                                      if "Credit and re-invoice" in json.dumps(m.blocks)), None), what="the rebill")
    assert "Approved values changed: Amount: 1,500.00 USD -> 1,200.00 USD" in shown(rebill.blocks)
    assert [r.status for r in requests_of(stack, deal_id) if r.kind == "payment_terms"] == ["approved"]
    poll(stack)
    with session_scope(stack.runtime.engine) as session:        # the same change is one exception
        assert len(session.exec(select(ExceptionItem).where(ExceptionItem.dedupe_key.startswith("locked:"))).all()) == 1
        (event,) = session.exec(select(AuditEvent).where(AuditEvent.action == "approval.changed_after_invoice")).all()
    assert (event.deal_id, event.exception_id) == (item.deal_id, item.id) and event.invoice_id
    assert event.approval_id == next(r.id for r in requests_of(stack, deal_id) if r.kind == "payment_terms")
    assert event.before["amount"] != event.after["amount"] and event.after["bill_to"].startswith("9 Elm St")


@pytest.fixture
def tolerant_stack(sqlite_url: str, tmp_path: Path) -> Iterator[Stack]:
    data = yaml.safe_load(DEMO_POLICY.read_text(encoding="utf-8"))
    data["field_locks"] = {"amount_tolerance_percent": 5}
    path = tmp_path / "policy.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    running = start_stack(sqlite_url, policy_path=path)
    yield running
    running.stop()


def test_the_amount_within_the_tolerance_reopens_nothing_and_beyond_it_supersedes(tolerant_stack: Stack) -> None:
    stack, book = tolerant_stack, Book(tolerant_stack.emulators.salesforce)
    deal_id = two_approvals_deal(stack, book, "Globex - Seats")            # 100 x 150.00 = 15,000.00
    approved = approve_terms(stack, deal_id)
    line_id = stack.emulators.salesforce.records("OpportunityLineItem")[-1]["Id"]
    stack.emulators.salesforce.user_edit("OpportunityLineItem", line_id, {"UnitPrice": Decimal("147.00")})  # -2%
    poll(stack)
    settle(stack)
    assert [r.status for r in requests_of(stack, deal_id)] == ["approved", "pending"]

    stack.emulators.salesforce.user_edit("OpportunityLineItem", line_id, {"UnitPrice": Decimal("135.00")})  # -10%
    poll(stack)
    _, card = reapproval(stack, deal_id, "payment_terms")
    assert "Amount: 15,000.00 USD -> 13,500.00 USD" in shown(card.blocks)
    eventually(lambda: "Superseded" in message(stack, approved.slack_ts).text, what="the original message updated")
