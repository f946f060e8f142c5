"""The demo's scripted story: every step goes through the real clients and signed Slack requests.

The web and worker processes do the work (app/sandbox/split.py); the story only sends what Slack would send
and reads what the emulators and our database then hold."""
from __future__ import annotations

import time
from collections.abc import Callable
from decimal import Decimal
from typing import Any, TextIO

from sqlalchemy import func
from sqlmodel import select

from app.db import session_scope
from app.deals.models import Deal
from app.sandbox.book import CFO_DEAL, SELF_APPROVAL_DEAL, STORY_DEAL
from app.sandbox.people import ANN, BOB, SAM
from app.sandbox.quickbooks.demo import DEMO_REALM_ID
from app.sandbox.split import SplitStack
from app.slack.ids import ActionId, SlashCommand

APPROVALS_CHANNEL = "C05APPR0VAL"


STEP_TIMEOUT_SECONDS = 60.0
"""Generous: the worker polls Salesforce every 5 s here and posts at Slack's pace (about 1 message/s/channel)."""


def wait_for(check: Callable[[], Any], *, timeout: float = STEP_TIMEOUT_SECONDS) -> Any:
    deadline = time.monotonic() + timeout
    while not (value := check()):
        if time.monotonic() > deadline:
            raise TimeoutError("the demo did not reach the next step in time")
        time.sleep(0.1)
    return value


def approval_requests(stack: SplitStack) -> list[Any]:
    return [message for message in stack.emulators.slack.messages(APPROVALS_CHANNEL)
            if not message.thread_ts and message.text.startswith("Approval needed")]


def invoices(stack: SplitStack) -> list[dict[str, Any]]:
    return stack.emulators.quickbooks.objects(DEMO_REALM_ID, "Invoice")


def stored_deals(stack: SplitStack) -> int:
    with session_scope(stack.engine) as session:
        return int(session.exec(select(func.count()).select_from(Deal)).one())


def run_walkthrough(stack: SplitStack, out: TextIO, *, opportunities: int) -> bool:
    """Wait for the worker's poll, show the approval requests, approve the discounted deal as Ann, show its
    invoice. True if it all held."""
    stored = wait_for(lambda: (count := stored_deals(stack)) >= opportunities and count)
    say(out, f"1. The worker's Salesforce poll stored {stored} opportunities and checked them against the billing "
             "gate.")
    requests = wait_for(lambda: len(approval_requests(stack)) >= 4 and approval_requests(stack))
    say(out, f"2. {len(requests)} approval requests are waiting in #finance-approvals:")
    for message in requests:
        say(out, f"     - {message.text}")
    story = next((message for message in requests if STORY_DEAL in message.text), None)
    if story is None:
        say(out, "   (the discounted Globex deal did not ask for approval: something is wrong)")
        return False
    reply = stack.slack_side.click_button(ANN.slack_id, APPROVALS_CHANNEL, story.ts, ActionId.APPROVE)
    say(out, f"3. Ann (finance approver) clicks Approve on '{STORY_DEAL}': Slack got HTTP {reply.status_code} "
             f"in {reply.elapsed * 1000:.0f} ms.")
    created = wait_for(lambda: [i for i in invoices(stack) if STORY_DEAL in (i.get("PrivateNote") or "")])
    invoice = created[0]
    say(out, f"4. QuickBooks invoice {invoice['DocNumber']} (Id {invoice['Id']}) created for "
             f"${Decimal(str(invoice['TotalAmt'])):,.2f}; QuickBooks now holds {len(invoices(stack))} invoices "
             "(the standard deals needed no approval).")
    status = stack.slack_side.send_slash_command(SAM.slack_id, SlashCommand.INVOICE_STATUS.value, STORY_DEAL)
    answer = wait_for(lambda: _last_response_text(stack))
    say(out, f"5. Sam types `/invoice-status {STORY_DEAL}` (ack HTTP {status.status_code}): {answer}")
    say(out, f"6. Bob, a finance approver, clicks Approve on his own deal '{SELF_APPROVAL_DEAL}': "
             f"{refusal(stack, BOB.slack_id, SELF_APPROVAL_DEAL)}")
    say(out, f"7. Ann clicks Approve on the CFO-level discount '{CFO_DEAL}': {refusal(stack, ANN.slack_id, CFO_DEAL)}")
    return True


def refusal(stack: SplitStack, user: str, deal: str) -> str:
    """Click Approve on `deal`'s request as `user` and return the note only they see (Slack: ephemeral)."""
    request = wait_for(lambda: next((m for m in approval_requests(stack) if deal in m.text), None))
    before = len(stack.emulators.slack.ephemerals(user))
    stack.slack_side.click_button(user, APPROVALS_CHANNEL, request.ts, ActionId.APPROVE)
    note = wait_for(lambda: stack.emulators.slack.ephemerals(user)[before:])
    return note[0].text.replace(":no_entry: ", "refused: ")


def _last_response_text(stack: SplitStack) -> str | None:
    responses = [r for r in stack.emulators.slack.all_responses() if r.posts]
    if not responses:
        return None
    last = responses[-1].posts[-1]
    return last.get("text") if "Looking up" not in (last.get("text") or "") else None


def say(out: TextIO, line: str) -> None:
    out.write(line + "\n")
    out.flush()
