"""Tagged messages: posted with metadata at most once per call, found again by their key."""
from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from starlette.applications import Starlette

from app.config import load_settings
from app.errors import VendorUnavailable
from app.integrations.slack_api import SlackApi, build_web_client
from app.sandbox.server import RunningServer
from app.sandbox.slack import SlackState

TOKEN = "xoxb-tagged-test"
EVENT = "ledgerbridge_sla_ping"


def _api(url: str) -> SlackApi:
    return SlackApi(build_web_client(load_settings(slack_bot_token=TOKEN, slack_api_url=url)))


@pytest.fixture
def api(slack_emulator: tuple[Starlette, RunningServer]) -> SlackApi:
    fresh = SlackState(tokens=[TOKEN], post_message_rate=1000, post_message_burst=1000)
    fresh.add_user("U1ANN", "ann")
    fresh.add_channel("C0BILLING", "billing")
    slack_emulator[0].state.slack = fresh
    return _api(f"{slack_emulator[1].url}/api/")


def test_a_tagged_message_is_found_by_its_key_and_no_other(api: SlackApi):
    before = datetime.now(UTC) - timedelta(minutes=1)
    api.post_message("C0BILLING", text="untagged")
    posted = api.post_tagged("C0BILLING", text="SLA breached", blocks=None, event_type=EVENT, key="sla-ping:1")
    api.post_tagged("C0BILLING", text="another", blocks=None, event_type=EVENT, key="sla-ping:2")
    assert api.find_tagged("C0BILLING", event_type=EVENT, key="sla-ping:1", since=before) == posted
    assert api.find_tagged("C0BILLING", event_type=EVENT, key="sla-ping:3", since=before) is None
    assert api.find_tagged("C0BILLING", event_type="other_event", key="sla-ping:1", since=before) is None
    assert api.find_tagged("C0BILLING", event_type=EVENT, key="sla-ping:1",
                           since=datetime.now(UTC) + timedelta(minutes=1)) is None


def test_the_search_pages_through_a_busy_channel(api: SlackApi):
    before = datetime.now(UTC) - timedelta(minutes=1)
    posted = api.post_tagged("C0BILLING", text="ping", blocks=None, event_type=EVENT, key="sla-ping:9")
    for n in range(450):
        api.post_message("C0BILLING", text=f"chatter {n}")
    assert api.find_tagged("C0BILLING", event_type=EVENT, key="sla-ping:9", since=before) == posted


@pytest.fixture
def hangs_up() -> Iterator[tuple[str, list[bytes]]]:
    """A server that reads each request and drops the connection without answering (a lost answer)."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()
    seen: list[bytes] = []

    def serve() -> None:
        while True:
            try:
                connection, _ = server.accept()
            except OSError:
                return
            with connection:
                seen.append(connection.recv(65536))
    threading.Thread(target=serve, daemon=True).start()
    yield f"http://127.0.0.1:{server.getsockname()[1]}/api/", seen
    server.close()


def test_a_dropped_connection_is_not_posted_again_by_the_client(hangs_up: tuple[str, list[bytes]]):
    url, seen = hangs_up
    api = _api(url)
    with pytest.raises(VendorUnavailable):
        api.post_tagged("C0BILLING", text="SLA breached", blocks=None, event_type=EVENT, key="sla-ping:1")
    assert len(seen) == 1                                  # slack_sdk's connection retry would have sent two
    with pytest.raises(VendorUnavailable):
        api.post_message("C0BILLING", text="an ordinary post")
    assert len(seen) == 3                                  # ...as it does for ordinary posts

