"""The demo console (README: /demo/) drives the app through signed requests only: a refused click is a note only
its user sees, an approval leads to the invoice, a slash command's answer replaces its "Looking up…", and junk
never makes a 500 nor reaches the page unescaped."""
from __future__ import annotations

from decimal import Decimal

import httpx

from app.sandbox.book import Book, Line
from app.sandbox.console import create_console
from app.sandbox.people import ANN, ERIN, SAM
from app.sandbox.stack import Stack
from app.slack.ids import ActionId, BlockId
from tests.e2e.conftest import approval_messages, eventually, poll

APPROVALS = "C05APPR0VAL"


def console_with_a_request(stack: Stack, book: Book) -> tuple[object, httpx.Client]:
    """The console mounted as the demo mounts it, and one discounted deal waiting for approval."""
    stack.app.mount("/demo", create_console(stack))
    book.add_account("Globex Inc")
    book.add_deal("Globex - Expansion", account="Globex Inc", owner_id=stack.emulators.sf_user_ids["sam"],
                  lines=[Line("Annual Subscription", Decimal(2), discount=Decimal(25))])
    poll(stack)
    request = eventually(lambda: approval_messages(stack), what="the approval request")[0]
    return request, httpx.Client(base_url=stack.app_url + "/demo/", follow_redirects=True)


def click(console: httpx.Client, who: str, ts: str, action: str) -> httpx.Response:
    return console.post("act", data={"as": who, "page": APPROVALS, "where": "message", "channel": APPROVALS,
                                     "ts": ts, "block_id": BlockId.APPROVAL_ACTIONS.value, "action_id": action,
                                     "control": "button"})


def test_console_buttons_and_commands_work_like_slack(stack: Stack, book: Book):
    request, console = console_with_a_request(stack, book)
    page = console.get("", params={"as": ERIN.slack_id, "c": APPROVALS})
    assert page.status_code == 200 and "Globex - Expansion" in page.text and "Approve" in page.text

    assert click(console, ERIN.slack_id, request.ts, ActionId.APPROVE.value).status_code == 200
    eventually(lambda: "may decide this request" in console.get("", params={"as": ERIN.slack_id, "c": APPROVALS}).text,
               what="Erin's refusal on the console")
    assert "may decide this request" not in console.get("", params={"as": ANN.slack_id, "c": APPROVALS}).text

    assert click(console, ANN.slack_id, request.ts, ActionId.APPROVE.value).status_code == 200
    eventually(lambda: stack.emulators.quickbooks.objects("9341452000000001", "Invoice"), what="the invoice")
    dm = stack.emulators.slack.open_dm(SAM.slack_id)
    asked = console.post("command", data={"as": SAM.slack_id, "c": dm, "command": "/invoice-status",
                                          "text": "Globex - Expansion"})
    assert asked.status_code == 200
    eventually(lambda: "Invoiced" in console.get("", params={"as": SAM.slack_id, "c": dm}).text,
               what="the status answer")
    assert "Looking up" not in console.get("", params={"as": SAM.slack_id, "c": dm}).text     # replaced in place
    invoices = console.get("", params={"c": "quickbooks"}).text
    assert "18000" in invoices and "Globex Inc" in invoices and "CustomerRef" not in invoices


def test_junk_forms_change_nothing_and_never_fail(stack: Stack, book: Book):
    request, console = console_with_a_request(stack, book)
    assert console.post("act", data={"as": ANN.slack_id}).status_code == 200
    assert console.post("act", data={"as": ANN.slack_id, "where": "message", "channel": APPROVALS,
                                     "ts": "1.000", "action_id": "nope", "control": "button"}).status_code == 200
    assert console.post("submit", data={"as": ANN.slack_id, "view_id": "V-nope"}).status_code == 200
    assert console.post("command", data={"as": ANN.slack_id, "command": "/rm -rf"}).status_code == 200
    assert stack.emulators.slack.find_message(APPROVALS, request.ts).text.startswith("Approval needed")


def test_the_console_echoes_only_known_people_and_pages(stack: Stack):
    stack.app.mount("/demo", create_console(stack))
    page = httpx.get(stack.app_url + "/demo/", params={"as": "'><script>alert(1)</script>",
                                                       "c": "<img src=x onerror=alert(1)>"})
    assert page.status_code == 200
    assert "<script>alert(1)</script>" not in page.text and "<img src=x" not in page.text
