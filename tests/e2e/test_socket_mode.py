"""SLACK_APP_TOKEN set: the app connects to the Slack emulator over Socket Mode and works over the WebSocket."""
from __future__ import annotations

import json
import logging
import time
from collections.abc import Iterator

import pytest
from sqlmodel import select

from app.approvals.models import ApprovalDecision
from app.db import session_scope
from app.sandbox.book import Book
from app.sandbox.people import ANN, SAM
from app.sandbox.slack import DEFAULT_APP_TOKEN, SocketSide
from app.sandbox.stack import Stack
from app.slack.ids import ActionId
from tests.e2e.conftest import approval_messages, eventually, poll, start_stack
from tests.e2e.test_golden_path import APPROVALS, buttons, discounted_deal, qbo_invoices


def start_socket_stack(database_url: str) -> Stack:
    """The plain start path (start_stack -> create_app) with SLACK_APP_TOKEN set; Slack talks over the socket."""
    running = start_stack(database_url, slack_app_token=DEFAULT_APP_TOKEN)
    running.slack_side = SocketSide(running.emulators.slack, emulator_url=running.emulators.url("slack"))
    return running


@pytest.fixture
def stack(sqlite_url: str) -> Iterator[Stack]:
    running = start_socket_stack(sqlite_url)
    yield running
    running.stop()


def test_the_app_connects_and_acks_a_slash_command_over_the_socket(stack: Stack):
    slack = stack.emulators.slack
    opened = slack.calls_to("apps.connections.open")
    assert [call.response["ok"] for call in opened] == [True]
    assert len(slack.sockets.wait_for(live=1)) == 1

    usage = stack.slack_side.send_slash_command(SAM.slack_id, "/invoice-status", "")

    assert usage.status_code == 200
    assert "invoice-status" in json.dumps(usage.json)               # the usage text, in the ack's payload
    assert usage.envelope["type"] == "slash_commands"
    assert slack.sockets.stray_messages == []                        # every frame the app sent was an ack


def test_approve_over_the_socket_creates_the_invoice(stack: Stack):
    deal_id = discounted_deal(stack, Book(stack.emulators.salesforce))
    poll(stack)
    request = eventually(lambda: approval_messages(stack), what="the approval request")[0]
    assert qbo_invoices(stack) == []

    reply = stack.slack_side.click_button(ANN.slack_id, APPROVALS, request.ts, ActionId.APPROVE)
    assert reply.status_code == 200 and reply.envelope["type"] == "interactive"

    invoice = eventually(lambda: qbo_invoices(stack), what="the invoice after approval")[0]
    assert invoice["DocNumber"] == deal_id
    updated = eventually(lambda: (m := stack.emulators.slack.find_message(APPROVALS, request.ts))
                         and "Approved" in json.dumps(m.blocks) and m, what="the message update")
    assert buttons(updated) == []
    with session_scope(stack.runtime.engine) as session:
        decision = session.exec(select(ApprovalDecision)).one()
        assert (decision.slack_user_id, decision.decision) == (ANN.slack_id, "approved")


def test_app_home_opened_publishes_the_home_tab_once_even_when_retried(stack: Stack):
    slack = stack.emulators.slack
    event = {"type": "app_home_opened", "user": ANN.slack_id, "channel": slack.open_dm(ANN.slack_id), "tab": "home"}
    first = stack.slack_side.send_event(event, event_id="EvSOCKET1")
    assert first.status_code == 200 and first.envelope["type"] == "events_api"
    home = eventually(lambda: slack.home_views.get(ANN.slack_id), what="Ann's Home tab")
    assert home["type"] == "home"

    stack.slack_side.send_event(event, event_id="EvSOCKET1", retry_num=1, retry_reason="timeout")
    time.sleep(0.3)
    assert len(slack.calls_to("views.publish")) == 1               # the retry is acked and dropped


def test_stopping_the_app_closes_the_socket_cleanly(sqlite_url: str, caplog: pytest.LogCaptureFixture):
    with caplog.at_level(logging.INFO):             # before create_app: bolt copies the root level then
        running = start_socket_stack(sqlite_url)
        hub = running.emulators.slack.sockets
        hub.wait_for(live=1)
        try:
            running.app_server.stop()
            hub.wait_for(live=0)
        finally:
            running.stop()
    assert [connection.close_code for connection in hub.connections] == [1000]    # a normal close frame
    assert any("abandoned by disconnect()" in r.getMessage() for r in caplog.records)   # close_async ran
    noisy = [r for r in caplog.records if r.levelno >= logging.WARNING or r.exc_info]
    assert noisy == [], [r.getMessage() for r in noisy]
