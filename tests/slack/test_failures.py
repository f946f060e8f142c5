"""report_failure never raises: any body shape, a response_url that cannot be reached, no response_url at all.
The note goes through our SlackApi wrapper to the Slack emulator's response_url, as in production."""
from __future__ import annotations

import asyncio
import logging
import socket

import pytest
from slack_sdk import WebClient

from app.errors import VendorUnavailable
from app.integrations.slack_api import SlackApi
from app.sandbox.slack.state import DEFAULT_BOT_TOKEN, SlackState
from app.slack.listeners.failures import SORRY, report_failure


def closed_url() -> str:
    with socket.socket() as probe:                  # a port nobody listens on once the probe closes
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"http://127.0.0.1:{port}"


@pytest.fixture
def slack(slack_emulator) -> tuple[SlackApi, SlackState]:
    app, server = slack_emulator
    state: SlackState = app.state.slack
    state.base_url = server.url                     # response_urls it issues point back at it
    return SlackApi(WebClient(token=DEFAULT_BOT_TOKEN, base_url=server.url + "/api/", timeout=2)), state


UNREACHABLE = closed_url() + "/x"


@pytest.mark.parametrize("body", [
    {"type": "block_actions", "user": "U1", "actions": [1], "response_url": UNREACHABLE},
    {"type": "block_actions", "user": None, "actions": "x", "response_urls": [{"response_url": "x"}]},
    {"command": "/x", "user_id": 5, "response_url": UNREACHABLE},
    {"command": "/x", "user_id": "U1", "response_url": "not a url"},
    ["not", "a", "dict"],
    None,
])
@pytest.mark.parametrize("with_wrapper", [True, False])
def test_it_never_raises(body, with_wrapper, slack, caplog: pytest.LogCaptureFixture):
    caplog.set_level(logging.WARNING)
    asyncio.run(report_failure(ValueError("boom"), body=body, tell=slack[0] if with_wrapper else None))
    assert [r for r in caplog.records if "Slack listener failed" in r.getMessage()]


def test_an_outage_is_one_line_without_a_traceback(slack, caplog: pytest.LogCaptureFixture):
    api, state = slack
    caplog.set_level(logging.WARNING)
    reachable = state.issue_response_url(user_id="U1", channel_id="C1")
    body = {"type": "block_actions", "user": {"id": "U1"}, "response_url": reachable}
    asyncio.run(report_failure(VendorUnavailable("Slack chat.update: URLError", vendor="slack"), body=body,
                               tell=api))
    asyncio.run(report_failure(ValueError("a bug"), body={**body, "response_url": UNREACHABLE}, tell=api))
    failures = [r for r in caplog.records if "Slack listener failed" in r.getMessage()]
    unreachable = [r for r in caplog.records if "could not tell the user" in r.getMessage()]
    assert [r.exc_info is None for r in failures] == [True, False]      # an outage: one line; a bug: traceback
    assert len(unreachable) == 1 and unreachable[0].exc_info is None
    assert [(post["text"], post.get("response_type")) for post in state.responses(reachable)] == [
        (SORRY, "ephemeral")]
