"""Slack's Web API unreachable at start-up or later: commands and clicks are still acked, the outage is
logged once, authorization comes back by itself, and the failure reporter never raises."""
from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from urllib.parse import urlencode

import pytest
from sqlmodel import col, select

from app.clock import FixedClock
from app.db import session_scope
from app.sandbox.people import ANN, SAM
from app.sandbox.server import bind_socket, serve_in_thread
from app.sandbox.slack import create_slack_emulator
from app.sandbox.slack.state import DEFAULT_BOT_TOKEN
from app.sandbox.stack import SANDBOX_SIGNING_SECRET, Stack, sandbox_settings, start_app, start_emulators
from app.slack.authorization import RETRY_INTERVAL
from app.slack.ids import ActionId, SlashCommand
from app.work_queue.models import WorkItem, WorkStatus
from tests.e2e.conftest import FIXED_START, eventually

FORM = "application/x-www-form-urlencoded"
UNREACHABLE = "Slack's Web API is unreachable"


@dataclass
class SlackDown:
    """The app's SLACK_API_URL names a closed port; the emulator (and its response_urls) runs elsewhere."""

    stack: Stack
    api_port: int

    def bring_the_web_api_back(self) -> None:
        server = serve_in_thread(create_slack_emulator(self.stack.emulators.slack), port=self.api_port)
        self.stack.emulators.servers["slack_api"] = server


@pytest.fixture
def slack_down(sqlite_url: str) -> Iterator[SlackDown]:
    emulators = start_emulators()
    emulators.slack.set_rate_limit(rate=1000.0, burst=1000)
    closed = bind_socket("127.0.0.1", 0)
    port = closed.getsockname()[1]
    closed.close()
    settings = sandbox_settings(emulators, database_url=sqlite_url, slack_api_url=f"http://127.0.0.1:{port}/api/")
    stack = start_app(emulators, settings, clock=FixedClock(FIXED_START))
    yield SlackDown(stack, port)
    stack.stop()


def _click(stack: Stack) -> int:
    payload = {"type": "block_actions", "user": {"id": ANN.slack_id, "name": "ann"}, "team": {"id": "T0001"},
               "channel": {"id": "C05APPR0VAL"}, "trigger_id": "1.2.3",
               "container": {"type": "message", "channel_id": "C05APPR0VAL", "message_ts": "1.1"},
               "response_url": stack.emulators.slack.issue_response_url(user_id=ANN.slack_id,
                                                                        channel_id="C05APPR0VAL"),
               "actions": [{"action_id": ActionId.APPROVE.value, "block_id": "b", "type": "button", "value": "7",
                            "action_ts": "1.1"}]}
    return stack.slack_side.deliver_raw(urlencode({"payload": json.dumps(payload)}), FORM).status_code


def _warnings(caplog: pytest.LogCaptureFixture, text: str) -> list[logging.LogRecord]:
    return [record for record in caplog.records if text in record.getMessage()]


def test_a_command_and_a_click_are_acked_while_slack_is_down(slack_down: SlackDown,
                                                             caplog: pytest.LogCaptureFixture):
    caplog.set_level(logging.INFO)
    stack = slack_down.stack
    command = stack.slack_side.send_slash_command(SAM.slack_id, SlashCommand.INVOICE_STATUS.value, "Globex")
    assert command.status_code == 200 and command.body.startswith("Looking up")
    assert _click(stack) == 200
    again = stack.slack_side.send_slash_command(SAM.slack_id, SlashCommand.APPROVALS.value, "")
    assert again.status_code == 200

    answer = eventually(lambda: stack.emulators.slack.responses(command.payload["response_url"]),
                        what="the lookup's answer through response_url")
    assert "Globex" in answer[0]["text"]
    eventually(lambda: _warnings(caplog, UNREACHABLE), what="the outage logged")
    assert len(_warnings(caplog, UNREACHABLE)) == 1
    assert not [r for r in caplog.records if r.name.startswith("slack_bolt") and r.levelno >= logging.ERROR]
    assert not [r for r in caplog.records if r.exc_info and "Slack listener failed" in r.getMessage()]
    assert DEFAULT_BOT_TOKEN not in caplog.text and SANDBOX_SIGNING_SECRET not in caplog.text


def test_authorization_is_retried_and_restored_once_slack_answers(slack_down: SlackDown,
                                                                  caplog: pytest.LogCaptureFixture):
    caplog.set_level(logging.INFO)
    stack = slack_down.stack
    assert _click(stack) == 200
    eventually(lambda: _warnings(caplog, UNREACHABLE), what="the background auth.test to fail")
    slack_down.bring_the_web_api_back()
    assert _click(stack) == 200                                      # within the retry interval: no auth.test
    assert stack.emulators.slack.calls_to("auth.test") == []
    stack.runtime.clock.advance(RETRY_INTERVAL + timedelta(seconds=1))
    assert _click(stack) == 200
    eventually(lambda: len(stack.emulators.slack.calls_to("auth.test")) == 1, what="the retried auth.test")
    eventually(lambda: _warnings(caplog, "answers again"), what="authorization restored")
    stack.runtime.clock.advance(RETRY_INTERVAL * 3)
    assert _click(stack) == 200
    assert len(stack.emulators.slack.calls_to("auth.test")) == 1     # kept once it succeeded
    assert len(_warnings(caplog, UNREACHABLE)) == 1
    assert len(_warnings(caplog, "answers again")) == 1
    eventually(lambda: stack.emulators.slack.ephemerals(ANN.slack_id), what="the note about the stale click")


def test_slack_going_away_later_still_gets_acks(stack: Stack, caplog: pytest.LogCaptureFixture):
    """Web API and response_url both gone after start-up: the reporter logs and never raises."""
    first = stack.slack_side.send_slash_command(SAM.slack_id, SlashCommand.INVOICE_STATUS.value, "Globex")
    eventually(lambda: stack.emulators.slack.responses(first.payload["response_url"]), what="the first answer")
    caplog.set_level(logging.INFO)
    stack.emulators.servers["slack"].stop()
    command = stack.slack_side.send_slash_command(SAM.slack_id, SlashCommand.EXCEPTIONS.value, "all")
    assert command.status_code == 200
    assert _click(stack) == 200
    # the answers are the worker's: with Slack gone they wait in the queue and are retried (nothing is lost)
    waiting = eventually(lambda: _warnings(caplog, "Connection refused"), what="the worker's answer to wait")
    assert all(record.exc_info is None for record in waiting)              # an outage: one line, no traceback
    assert not [r for r in caplog.records if r.name.startswith("slack_bolt") and r.levelno >= logging.ERROR]

    def kept_for_a_retry() -> list[WorkItem]:
        with session_scope(stack.runtime.engine) as session:
            return list(session.exec(select(WorkItem).where(
                col(WorkItem.status).in_([WorkStatus.QUEUED, WorkStatus.RUNNING]),
                col(WorkItem.last_error).contains("Connection refused"))).all())
    eventually(kept_for_a_retry, what="the answers kept in the queue for a retry")
