"""SLACK_APP_TOKEN set: the app connects to the Slack emulator over Socket Mode and works over the WebSocket.

uvicorn builds the app with a factory here (`uvicorn --factory` style), so create_app runs on the server's
event loop; see test_start_stack_with_an_app_token for the plain start_stack path.
"""
from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable, Iterator

import pytest
import uvicorn
from fastapi import FastAPI
from sqlmodel import select

from app.approvals.models import ApprovalDecision
from app.clock import SystemClock
from app.db import make_engine, session_scope
from app.db_migrate import upgrade
from app.main import create_app
from app.sandbox.book import Book
from app.sandbox.people import ANN, SAM
from app.sandbox.server import RunningServer, bind_socket
from app.sandbox.slack import DEFAULT_APP_TOKEN, SocketSide
from app.sandbox.stack import Emulators, Stack, sandbox_settings, start_emulators
from app.slack.ids import ActionId
from app.wiring import build_runtime
from tests.e2e.conftest import approval_messages, eventually, poll, start_stack
from tests.e2e.test_golden_path import APPROVALS, buttons, discounted_deal, qbo_invoices


def serve_factory_in_thread(factory: Callable[[], FastAPI]) -> RunningServer:
    """Like serve_in_thread, but uvicorn calls `factory` on its own event loop (an ephemeral port)."""
    sock = bind_socket("127.0.0.1", 0)
    config = uvicorn.Config(factory, factory=True, log_level="warning", lifespan="on", access_log=False)
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        assert thread.is_alive(), "the app server died during start-up"
        assert time.monotonic() < deadline, "the app server did not start within 10 s"
        time.sleep(0.01)
    port = sock.getsockname()[1]
    return RunningServer(url=f"http://127.0.0.1:{port}", port=port, server=server, thread=thread)


def start_socket_stack(database_url: str) -> Stack:
    emulators = start_emulators()
    emulators.slack.retry_after_override = 0
    emulators.slack.set_rate_limit(rate=1000.0, burst=1000)
    try:
        return _start_app(emulators, database_url)
    except BaseException:
        emulators.stop()
        raise


def _start_app(emulators: Emulators, database_url: str) -> Stack:
    settings = sandbox_settings(emulators, database_url=database_url, slack_app_token=DEFAULT_APP_TOKEN)
    upgrade(settings.database_url)
    runtime = build_runtime(settings, engine=make_engine(settings.database_url), clock=SystemClock())
    built: list[FastAPI] = []

    def factory() -> FastAPI:
        built.append(create_app(runtime, run_scheduler=False))
        return built[-1]
    server = serve_factory_in_thread(factory)
    side = SocketSide(emulators.slack, emulator_url=emulators.url("slack"))
    return Stack(emulators=emulators, runtime=runtime, app_server=server, slack_side=side, app=built[-1])


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

    assert usage.status_code == 200 and usage.elapsed < 3
    assert "invoice-status" in json.dumps(usage.json)               # the usage text, in the ack's payload
    assert usage.envelope["type"] == "slash_commands"
    assert slack.sockets.stray_messages == []                        # every frame the app sent was an ack


def test_approve_over_the_socket_creates_the_invoice(stack: Stack):
    deal_id = discounted_deal(stack, Book(stack.emulators.salesforce))
    poll(stack)
    request = eventually(lambda: approval_messages(stack), what="the approval request")[0]
    assert qbo_invoices(stack) == []

    reply = stack.slack_side.click_button(ANN.slack_id, APPROVALS, request.ts, ActionId.APPROVE)
    assert reply.status_code == 200 and reply.elapsed < 3 and reply.envelope["type"] == "interactive"

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


@pytest.mark.xfail(strict=True, raises=RuntimeError,
                   reason="create_app builds AsyncSocketModeHandler outside a running event loop (aiohttp needs one)")
def test_start_stack_with_an_app_token(sqlite_url: str):
    running = start_stack(sqlite_url, slack_app_token=DEFAULT_APP_TOKEN)
    try:
        assert running.emulators.slack.sockets.wait_for(live=1)
    finally:
        running.stop()
