"""The demo console (README: "press Approve or Reject" at /demo/) drives the app through signed requests."""
from __future__ import annotations

from decimal import Decimal

import httpx

from app.sandbox.book import Book, Line
from app.sandbox.console import create_console
from app.sandbox.people import ANN, ERIN, SAM
from app.sandbox.stack import Stack
from app.slack.ids import ActionId
from tests.e2e.conftest import approval_messages, eventually, poll


def console_with_a_request(stack: Stack, book: Book) -> tuple[object, httpx.Client]:
    """The console mounted as the demo mounts it, and one discounted deal waiting for approval."""
    stack.app.mount("/demo", create_console(stack))
    book.add_account("Globex Inc")
    book.add_deal("Globex - Expansion", account="Globex Inc", owner_id=stack.emulators.sf_user_ids["sam"],
                  lines=[Line("Annual Subscription", Decimal(2), discount=Decimal(25))])
    poll(stack)
    request = eventually(lambda: approval_messages(stack), what="the approval request")[0]
    return request, httpx.Client(base_url=stack.app_url + "/demo/", follow_redirects=True)


def test_console_buttons_and_commands_work_like_slack(stack: Stack, book: Book):
    request, console = console_with_a_request(stack, book)

    page = console.get("", params={"as": ERIN.slack_id})
    assert page.status_code == 200 and "Globex - Expansion" in page.text and "Approve" in page.text

    refused = console.post("click", data={"as": ERIN.slack_id, "channel": "C05APPR0VAL", "ts": request.ts,
                                          "action": ActionId.APPROVE.value})
    assert refused.status_code == 200
    eventually(lambda: "Only members of" in console.get("", params={"as": ERIN.slack_id}).text,
               what="Erin's refusal on the console")

    approved = console.post("click", data={"as": ANN.slack_id, "channel": "C05APPR0VAL", "ts": request.ts,
                                           "action": ActionId.APPROVE.value})
    assert approved.status_code == 200
    eventually(lambda: stack.emulators.quickbooks.objects("9341452000000001", "Invoice"), what="the invoice")
    asked = console.post("command", data={"as": SAM.slack_id, "text": "Globex - Expansion"})
    assert asked.status_code == 200
    eventually(lambda: "Invoiced" in console.get("", params={"as": SAM.slack_id}).text, what="the status answer")
    assert "18000.00" in console.get("").text                     # the QuickBooks invoices table


def test_console_reject_sends_the_reason_through_the_modal(stack: Stack, book: Book):
    request, console = console_with_a_request(stack, book)
    rejected = console.post("click", data={"as": ANN.slack_id, "channel": "C05APPR0VAL", "ts": request.ts,
                                           "action": ActionId.REJECT.value, "reason": "Needs a 3-year term"})
    assert rejected.status_code == 200
    eventually(lambda: "Needs a 3-year term" in console.get("").text, what="the rejection on the message")
    assert console.post("click", data={"as": ANN.slack_id}).status_code == 200       # junk form: no 500


def test_the_console_echoes_only_known_people(stack: Stack):
    stack.app.mount("/demo", create_console(stack))
    page = httpx.get(stack.app_url + "/demo/", params={"as": "'><script>alert(1)</script>"})
    assert page.status_code == 200 and "<script>alert(1)</script>" not in page.text
