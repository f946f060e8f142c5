"""Web acks, workers work: a click is recorded and acked with no vendor call; the worker then does the work."""
from __future__ import annotations

import json
from datetime import timedelta

from sqlmodel import select

from app.approvals.models import ApprovalDecision
from app.db import session_scope
from app.processes.worker import build_worker_process
from app.sandbox.book import Book
from app.sandbox.people import ANN, SAM
from app.sandbox.stack import Stack
from app.slack.ids import ActionId, SlashCommand
from app.slack.listeners.home import HOME_OPENS_MERGED_SECONDS
from app.work_queue.kinds import WorkKind
from app.work_queue.models import WorkItem, WorkStatus
from tests.e2e.conftest import approval_messages, eventually, poll
from tests.e2e.test_golden_path import APPROVALS, discounted_deal, qbo_invoices


def vendor_calls(stack: Stack) -> tuple[int, int, int]:
    """Calls each vendor received. auth.test is left out: the web process confirms its own token once, in a
    background task that no ack waits for (app/slack/authorization.py), and it is no work anyone asked for."""
    emulators = stack.emulators
    slack = [call for call in emulators.slack.calls if call.method != "auth.test"]
    return len(slack), len(emulators.salesforce.calls()), len(emulators.quickbooks.call_log())


def queued(stack: Stack, kind: WorkKind) -> list[WorkItem]:
    with session_scope(stack.runtime.engine) as session:
        return list(session.exec(select(WorkItem).where(WorkItem.kind == kind.value)))


def test_an_approve_click_is_acked_before_any_vendor_call_happens(stack: Stack, book: Book):
    discounted_deal(stack, book)
    poll(stack)
    request = eventually(lambda: approval_messages(stack), what="the approval request")[0]
    stack.worker.stop()                 # nothing runs beside the web app now: whatever calls a vendor, it is not us
    before = vendor_calls(stack)

    click = stack.slack_side.click_button(ANN.slack_id, APPROVALS, request.ts, ActionId.APPROVE)

    assert click.status_code == 200
    assert vendor_calls(stack) == before                      # no Slack, Salesforce or QuickBooks call at all
    [intent] = queued(stack, WorkKind.DECIDE_APPROVAL)        # the click, recorded as the worker's work
    assert intent.status == WorkStatus.QUEUED
    assert (intent.payload["user_id"], intent.payload["decision"]) == (ANN.slack_id, "approved")
    recorded = json.dumps(intent.payload)
    assert stack.slack_side.verification_token not in recorded and "trigger" not in recorded    # never a token
    with session_scope(stack.runtime.engine) as session:
        assert session.exec(select(ApprovalDecision)).all() == []     # not decided yet

    worker = build_worker_process(stack.runtime, run_scheduler=False)    # a worker comes up and decides
    worker.start()
    try:
        updated = eventually(lambda: (m := stack.emulators.slack.find_message(APPROVALS, request.ts))
                             and "Approved" in json.dumps(m.blocks) and m, what="the decision in the message")
        eventually(lambda: qbo_invoices(stack), what="the invoice")
    finally:
        worker.stop()
    assert updated.edited_ts
    updates = [call for call in stack.emulators.slack.calls_to("chat.update") if call.params.get("ts") == request.ts]
    assert updates and all(call.monotonic > click.answered_at for call in updates)
    lookups = stack.emulators.slack.calls_to("usergroups.users.list")
    assert lookups and all(call.monotonic > click.answered_at for call in lookups)    # the role check: worker's


def test_a_slash_command_is_acked_with_a_note_then_answered_by_the_worker(stack: Stack, book: Book):
    discounted_deal(stack, book)
    poll(stack)
    eventually(lambda: approval_messages(stack), what="the approval request")
    stack.worker.stop()
    before = vendor_calls(stack)

    asked = stack.slack_side.send_slash_command(SAM.slack_id, SlashCommand.INVOICE_STATUS.value, "Globex - Expansion")

    assert asked.status_code == 200 and "Looking up `Globex - Expansion`" in asked.body
    assert vendor_calls(stack) == before
    assert stack.emulators.slack.responses(asked.payload["response_url"]) == []
    worker = build_worker_process(stack.runtime, run_scheduler=False)
    worker.start()
    try:
        answer = eventually(lambda: stack.emulators.slack.responses(asked.payload["response_url"]),
                            what="the answer through response_url")[-1]
    finally:
        worker.stop()
    assert "Awaiting approval" in json.dumps(answer) and answer["replace_original"] is True
    [response] = [r for r in stack.emulators.slack.all_responses() if r.posts and r.user_id == SAM.slack_id]
    assert response.posted_at[0] > asked.answered_at


def test_opening_the_home_tab_again_within_seconds_publishes_it_once(cstack: Stack):
    side, slack = cstack.slack_side, cstack.emulators.slack
    first, second = side.open_home(ANN.slack_id), side.open_home(ANN.slack_id)   # two events, not a retry of one
    assert (first.status_code, second.status_code) == (200, 200)
    assert first.payload["event_id"] != second.payload["event_id"]
    eventually(lambda: slack.calls_to("views.publish"), what="the Home tab")
    assert len(queued(cstack, WorkKind.PUBLISH_HOME)) == 1

    cstack.runtime.clock.advance(timedelta(seconds=HOME_OPENS_MERGED_SECONDS))
    side.open_home(ANN.slack_id)                                # later: published again
    eventually(lambda: len(slack.calls_to("views.publish")) == 2, what="the second publish")
    assert len(queued(cstack, WorkKind.PUBLISH_HOME)) == 2
