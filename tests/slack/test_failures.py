"""report_failure never raises: any body shape, a respond() that fails, no response_url at all."""
from __future__ import annotations

import asyncio
import logging

import aiohttp
import pytest

from app.errors import VendorUnavailable
from app.slack.listeners.failures import SORRY, report_failure


async def _unreachable(**_: object) -> None:
    raise aiohttp.ClientConnectionError("Cannot connect to host hooks.slack.com:443")


async def _broken(**_: object) -> None:
    raise RuntimeError("respond itself is broken")


@pytest.mark.parametrize("body", [
    {"type": "block_actions", "user": "U1", "actions": [1], "response_url": "https://hooks.slack.com/x"},
    {"type": "block_actions", "user": None, "actions": "x", "response_urls": [{"response_url": "x"}]},
    {"command": "/x", "user_id": 5, "response_url": "https://hooks.slack.com/x"},
    ["not", "a", "dict"],
    None,
])
@pytest.mark.parametrize("respond", [_unreachable, _broken, None])
def test_it_never_raises(body, respond, caplog: pytest.LogCaptureFixture):
    caplog.set_level(logging.WARNING)
    asyncio.run(report_failure(ValueError("boom"), body=body, respond=respond))
    assert [r for r in caplog.records if "Slack listener failed" in r.getMessage()]


def test_an_outage_is_one_line_without_a_traceback(caplog: pytest.LogCaptureFixture):
    caplog.set_level(logging.WARNING)
    told: list[dict] = []

    async def respond(**fields: object) -> None:
        told.append(fields)
    body = {"type": "block_actions", "user": {"id": "U1"}, "response_url": "https://hooks.slack.com/x"}
    asyncio.run(report_failure(VendorUnavailable("Slack chat.update: URLError", vendor="slack"), body=body,
                               respond=respond))
    asyncio.run(report_failure(ValueError("a bug"), body=body, respond=_unreachable))
    outage, bug, unreachable = caplog.records
    assert outage.exc_info is None and bug.exc_info is not None
    assert "could not tell the user" in unreachable.getMessage() and unreachable.exc_info is None
    assert told == [{"text": SORRY, "response_type": "ephemeral", "replace_original": False}]
