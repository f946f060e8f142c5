"""Customer activation end to end ("sales creates, finance approves"), through signed Slack requests against the
three emulators: the request shows the proposed customer; Approve opens a modal where the controller adjusts terms
and credit limit (a bad credit limit is refused in the field); the QuickBooks customer is created with the adjusted
values and the held invoice follows; with a look-alike in QuickBooks, "use this one" links it and creates nothing."""
from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

from sqlmodel import select

from app.approvals.activation_models import CustomerActivation
from app.approvals.models import ApprovalRequest
from app.audit.models import AuditEvent
from app.db import session_scope
from app.deals.models import Account
from app.deals.service import find_deal
from app.sandbox.book import Book, Line
from app.sandbox.people import CARL, SAM
from app.sandbox.quickbooks.demo import DEMO_REALM_ID
from app.sandbox.stack import Stack
from app.slack.ids import ActionId, BlockId
from tests.e2e.conftest import eventually, poll

APPROVALS = "C05APPR0VAL"


def shown(blocks: Any) -> str:
    return json.dumps(blocks, ensure_ascii=False).replace("&gt;", ">").replace("&lt;", "<").replace("&amp;", "&")


def qbo(stack: Stack, entity: str) -> list[dict]:
    return list(stack.emulators.quickbooks.objects(DEMO_REALM_ID, entity))


def activation_request(stack: Stack, deal_id: str) -> ApprovalRequest:
    def posted() -> ApprovalRequest | None:
        with session_scope(stack.runtime.engine) as session:
            deal = find_deal(session, sf_id=deal_id)
            return session.exec(select(ApprovalRequest).where(
                ApprovalRequest.deal_id == deal.id, ApprovalRequest.kind == "customer_activation",
                ApprovalRequest.slack_ts.is_not(None))).first() if deal else None
    return eventually(posted, what="the activation request posted")


def card(stack: Stack, ts: str) -> Any:
    return next(m for m in stack.emulators.slack.messages(APPROVALS) if m.ts == ts)


def open_modal(stack: Stack, request: ApprovalRequest) -> dict[str, Any]:
    stack.slack_side.click_button(CARL.slack_id, APPROVALS, request.slack_ts, ActionId.APPROVE)
    return eventually(lambda: next((v for v in stack.emulators.slack.views
                                    if v.get("callback_id") == "customer_activation"), None), what="the modal")


def submit(stack: Stack, view: dict[str, Any], *, terms: str, credit_limit: str, customer: str | None = None):
    values: dict[str, dict[str, Any]] = {
        BlockId.ACTIVATION_TERMS_INPUT.value: {ActionId.ACTIVATION_TERMS.value: terms},
        BlockId.ACTIVATION_CREDIT_LIMIT_INPUT.value: {ActionId.ACTIVATION_CREDIT_LIMIT.value: credit_limit}}
    if customer is not None:
        values[BlockId.ACTIVATION_CUSTOMER_INPUT.value] = {ActionId.ACTIVATION_CUSTOMER.value: customer}
    return stack.slack_side.submit_view(CARL.slack_id, view["id"], values)


def account(stack: Stack, sf_id: str) -> Account:
    with session_scope(stack.runtime.engine) as session:
        return session.exec(select(Account).where(Account.sf_id == sf_id)).one()


def invoice_of(stack: Stack, deal_id: str) -> dict:
    return eventually(lambda: next((i for i in qbo(stack, "Invoice") if i["DocNumber"] == deal_id), None),
                      timeout=30, what="the held invoice")


def test_an_activation_with_adjusted_terms_and_credit_limit_creates_the_customer_with_them(stack: Stack,
                                                                                          book: Book) -> None:
    account_id = book.add_account("Hooli Labs", Credit_Limit__c=Decimal("40000"), Billing_Email__c="ap@hooli.example",
                                  ShippingStreet="7 Dock Rd", ShippingCity="Oakland", ShippingState="CA")
    deal_id = book.add_deal("Hooli - Pilot", account="Hooli Labs", owner_id=stack.emulators.sf_user_ids["sam"],
                            lines=[Line("Consulting Services", Decimal(10))], Payment_Terms__c="Net 60")
    poll(stack)
    request = activation_request(stack, deal_id)
    proposal = shown(card(stack, request.slack_ts).blocks)
    for expected in ("Proposed customer", "Name: Hooli Labs", "Email: ap@hooli.example",
                     "Bill-to: 1 Main St, Springfield, IL, 62701, USA", "Ship-to: 7 Dock Rd, Oakland, CA",
                     "Terms: Net 60", "Tax status: taxable", "Credit limit: 40,000.00"):
        assert expected in proposal
    customers_before = len(qbo(stack, "Customer"))

    stack.slack_side.click_button(SAM.slack_id, APPROVALS, request.slack_ts, ActionId.APPROVE)   # the requester
    eventually(lambda: any("You cannot approve your own request: a Controller other than you decides it. Ask "
                           in note.text for note in stack.emulators.slack.ephemerals(SAM.slack_id)),
               what="the refusal, in the same words as every other button's")
    view = open_modal(stack, request)
    assert "Hooli Labs" in shown(view["blocks"]) and "ap@hooli.example" in shown(view["blocks"])
    refused = submit(stack, view, terms="Net 30", credit_limit="lots")
    assert refused.json["response_action"] == "errors"
    assert "is not an amount" in refused.json["errors"][BlockId.ACTIVATION_CREDIT_LIMIT_INPUT.value]
    assert stack.emulators.slack.view_errors(view["id"])            # shown under the field
    submit(stack, view, terms="Net 30", credit_limit="25,000.00")

    invoice = invoice_of(stack, deal_id)
    created = [c for c in qbo(stack, "Customer") if c["DisplayName"] == "Hooli Labs"]
    assert len(created) == 1 and len(qbo(stack, "Customer")) == customers_before + 1
    terms = {t["Id"]: t["Name"] for t in qbo(stack, "Term")}
    assert terms[created[0]["SalesTermRef"]["value"]] == "Net 30"
    assert "Credit limit: 25,000.00 USD" in created[0]["Notes"]
    assert created[0]["PrimaryEmailAddr"]["Address"] == "ap@hooli.example"
    assert invoice["CustomerRef"]["value"] == created[0]["Id"] and terms[invoice["SalesTermRef"]["value"]] == "Net 30"
    linked = account(stack, account_id)
    assert linked.qbo_customer_id == created[0]["Id"] and linked.activated_credit_limit == Decimal("25000.00")
    with session_scope(stack.runtime.engine) as session:
        events = {e.action: e for e in session.exec(select(AuditEvent))}
        statuses = {r.kind: r.status for r in session.exec(select(ApprovalRequest))}
    approved = events["customer.activation_approved"].details
    assert approved["before"]["payment_terms"] == "Net 60" and approved["after"]["payment_terms"] == "Net 30"
    assert Decimal(str(approved["after"]["credit_limit"])) == Decimal("25000.00")
    assert "customer.activated" in events and "approval.locked" in events
    for action in ("customer.activation_approved", "customer.activated", "approval.locked"):
        event = events[action]
        assert (event.deal_id, event.approval_id) == (request.deal_id, request.id), action
        assert event.after is not None, action
    assert events["customer.activation_approved"].before["payment_terms"] == "Net 60"
    assert events["customer.activation_approved"].after["payment_terms"] == "Net 30"
    assert events["customer.activated"].after["qbo_customer_id"] == created[0]["Id"]
    assert events["approval.locked"].after["payment_terms"] == "Net 30"
    assert statuses == {"customer_activation": "approved", "payment_terms": "superseded"}  # Net 60 is no more


def test_a_look_alike_chosen_in_the_modal_is_linked_and_no_customer_is_created(stack: Stack, book: Book) -> None:
    account_id = book.add_account("Globex, Inc")                      # QuickBooks has "Globex Inc"
    deal_id = book.add_deal("Globex - Pilot", account="Globex, Inc", owner_id=stack.emulators.sf_user_ids["sam"],
                            lines=[Line("Consulting Services", Decimal(10))])
    poll(stack)
    request = activation_request(stack, deal_id)
    globex = next(c for c in qbo(stack, "Customer") if c["DisplayName"] == "Globex Inc")
    assert "Look-alike in QuickBooks: Globex Inc (a similar name)" in shown(card(stack, request.slack_ts).blocks)
    customers_before = len(qbo(stack, "Customer"))

    view = open_modal(stack, request)
    assert "Use this one: Globex Inc" in shown(view["blocks"]) and "Create new: Globex, Inc" in shown(view["blocks"])
    unpicked = submit(stack, view, terms="Net 30", credit_limit="")
    assert BlockId.ACTIVATION_CUSTOMER_INPUT.value in unpicked.json["errors"]
    submit(stack, view, terms="Net 30", credit_limit="", customer=globex["Id"])

    invoice = invoice_of(stack, deal_id)
    assert invoice["CustomerRef"]["value"] == globex["Id"] and len(qbo(stack, "Customer")) == customers_before
    assert account(stack, account_id).qbo_customer_id == globex["Id"]
    with session_scope(stack.runtime.engine) as session:
        row = session.exec(select(CustomerActivation)).one()
    assert (row.status, row.choice, row.qbo_customer_id) == ("done", globex["Id"], globex["Id"])
