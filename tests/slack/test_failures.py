"""report_failure never raises, whatever the body holds, and logs an outage in one line (a bug with its
traceback). The web process makes no Slack call for a failure: the worker answers for the work it does."""
from __future__ import annotations

import logging

import pytest

from app.errors import VendorUnavailable
from app.slack.listeners.failures import report_failure


@pytest.mark.parametrize("body", [
    {"type": "block_actions", "user": "U1", "actions": [1], "response_url": "http://127.0.0.1:9/x"},
    {"type": "block_actions", "user": None, "actions": "x", "response_urls": [{"response_url": "x"}]},
    {"command": "/x", "user_id": 5},
    ["not", "a", "dict"],
    None,
])
def test_it_never_raises(body, caplog: pytest.LogCaptureFixture):
    caplog.set_level(logging.WARNING)
    report_failure(ValueError("boom"), body=body)
    assert [r for r in caplog.records if "Slack listener failed" in r.getMessage()]


def test_an_outage_is_one_line_without_a_traceback(caplog: pytest.LogCaptureFixture):
    caplog.set_level(logging.WARNING)
    body = {"type": "block_actions", "user": {"id": "U1"}, "actions": [{"action_id": "approval_approve"}]}
    report_failure(VendorUnavailable("Slack chat.update: URLError", vendor="slack"), body=body)
    report_failure(ValueError("a bug"), body=body)
    outage, bug = caplog.records
    assert outage.exc_info is None and bug.exc_info is not None
    assert "action=approval_approve user=U1" in outage.getMessage()
