"""Every action the product offers in Slack can be done from the demo console, the correction form included: its
lines are checkboxes, drawn as checkboxes, and a submission from the console reaches the app as Slack's
view_submission (selected_options), whose proposal then waits in the approvals channel."""
from __future__ import annotations

import json
from decimal import Decimal

import httpx

from app.sandbox.book import Book, Line
from app.sandbox.console import create_console
from app.sandbox.people import ANN
from app.sandbox.quickbooks.demo import DEMO_REALM_ID
from app.sandbox.stack import Stack
from app.slack.ids import ActionId, BlockId, CallbackId
from tests.e2e.conftest import eventually, poll

APPROVALS = "C05APPR0VAL"


def test_a_line_credit_is_proposed_from_the_console(stack: Stack, book: Book):
    stack.app.mount("/demo", create_console(stack))
    book.add_account("Globex Inc")
    deal_id = book.add_deal("Globex - Two lines", account="Globex Inc", owner_id=stack.emulators.sf_user_ids["sam"],
                            lines=[Line("Support Plan", Decimal(1)), Line("Implementation", Decimal(1))])
    poll(stack)
    eventually(lambda: any(i["DocNumber"] == deal_id
                           for i in stack.emulators.quickbooks.objects(DEMO_REALM_ID, "Invoice")), what="the invoice")
    console = httpx.Client(base_url=stack.app_url + "/demo/", follow_redirects=True)
    dm = stack.emulators.slack.open_dm(ANN.slack_id)
    asked = console.post("command", data={"as": ANN.slack_id, "c": dm, "command": "/correct-invoice",
                                          "text": deal_id})
    assert asked.status_code == 200
    view = eventually(lambda: next((v for v in stack.emulators.slack.views_of(ANN.slack_id)
                                    if v.get("callback_id") == CallbackId.CORRECTION_PROPOSAL), None),
                      what="the correction form")
    page = console.get("", params={"as": ANN.slack_id, "c": dm}).text
    lines_name = f"v|{BlockId.CORRECTION_LINES_INPUT.value}|{ActionId.CORRECTION_LINES.value}"
    assert page.count(f'type="checkbox" name="{lines_name}"') == 2 and "[checkboxes]" not in page

    submitted = console.post("submit", data={
        "as": ANN.slack_id, "page": dm, "view_id": view["id"],
        f"v|{BlockId.CORRECTION_KIND_INPUT.value}|{ActionId.CORRECTION_KIND.value}": "lines",
        lines_name: "0",
        f"v|{BlockId.CORRECTION_REASON_INPUT.value}|{ActionId.CORRECTION_REASON.value}": "Support was never used",
        f"v|{BlockId.CORRECTION_CAUSE_INPUT.value}|{ActionId.CORRECTION_CAUSE.value}": "rep_data_entry"})
    assert submitted.status_code == 200
    eventually(lambda: any(not m.thread_ts and "Support was never used" in json.dumps(m.blocks)
                           for m in stack.emulators.slack.messages(APPROVALS)), what="the proposal to approve")
