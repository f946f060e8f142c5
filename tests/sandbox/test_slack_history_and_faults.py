"""The Slack emulator's message metadata, conversations.history and injected faults, through the real WebClient."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from starlette.applications import Starlette

from app.clock import FixedClock
from app.sandbox.server import RunningServer
from app.sandbox.slack import SlackState
from app.sandbox.slack.faults import Fault

TOKEN = "xoxb-test-history"
TAG = {"event_type": "ledgerbridge_sla_ping", "event_payload": {"ping_key": "sla-ping:7:breach:C0BILLING"}}


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(datetime(2026, 11, 24, 15, 0, tzinfo=UTC))


@pytest.fixture
def state(slack_emulator: tuple[Starlette, RunningServer], clock: FixedClock) -> SlackState:
    app, server = slack_emulator
    fresh = SlackState(clock=clock, tokens=[TOKEN], post_message_rate=1000, post_message_burst=1000,
                       base_url=server.url)
    fresh.add_user("U1ANN", "ann")
    fresh.add_channel("C0BILLING", "billing")
    app.state.slack = fresh
    return fresh


@pytest.fixture
def client(state: SlackState, slack_emulator: tuple[Starlette, RunningServer]) -> WebClient:
    return WebClient(token=TOKEN, base_url=f"{slack_emulator[1].url}/api/")


def test_metadata_is_kept_and_shown_only_when_asked(client: WebClient, state: SlackState):
    posted = client.chat_postMessage(channel="C0BILLING", text="SLA breached", metadata=TAG)
    assert posted["message"]["metadata"] == TAG
    plain = client.conversations_history(channel="C0BILLING")
    tagged = client.conversations_history(channel="C0BILLING", include_all_metadata=True)
    assert "metadata" not in plain["messages"][0] and tagged["messages"][0]["metadata"] == TAG
    assert state.messages("C0BILLING")[0].metadata == TAG


@pytest.mark.parametrize(("metadata", "error"), [
    ({"event_type": "x"}, "invalid_metadata_format"),
    ({"event_type": 5, "event_payload": {}}, "invalid_metadata_format"),
    ({"event_type": "Has Spaces", "event_payload": {}}, "invalid_metadata_schema"),
    ({"event_type": "big", "event_payload": {"x": "y" * 9000}}, "metadata_too_large"),
])
def test_bad_metadata_is_refused_and_nothing_is_posted(client: WebClient, state: SlackState, metadata, error):
    with pytest.raises(SlackApiError) as refused:
        client.chat_postMessage(channel="C0BILLING", text="x", metadata=metadata)
    assert refused.value.response["error"] == error and state.messages("C0BILLING") == []


def test_history_is_newest_first_bounded_and_paged(client: WebClient, state: SlackState, clock: FixedClock):
    stamps = []
    for n in range(5):
        stamps.append(client.chat_postMessage(channel="C0BILLING", text=f"m{n}")["ts"])
        clock.advance(timedelta(seconds=10))
    client.chat_postMessage(channel="C0BILLING", text="reply", thread_ts=stamps[0])
    since = client.conversations_history(channel="C0BILLING", oldest=stamps[1])
    assert [m["text"] for m in since["messages"]] == ["m4", "m3", "m2"]        # oldest is exclusive; no replies
    first = client.conversations_history(channel="C0BILLING", limit=2)
    cursor = first["response_metadata"]["next_cursor"]
    second = client.conversations_history(channel="C0BILLING", limit=2, cursor=cursor)
    assert [m["text"] for m in first["messages"] + second["messages"]] == ["m4", "m3", "m2", "m1"]
    assert first["has_more"] and second["has_more"]


def test_a_dm_has_a_history_under_its_own_id(client: WebClient, state: SlackState):
    posted = client.chat_postMessage(channel="U1ANN", text="your SLA is due", metadata=TAG)
    dm = client.conversations_open(users="U1ANN")["channel"]["id"]
    assert posted["channel"] == dm
    assert client.conversations_history(channel=dm, include_all_metadata=True)["messages"][0]["metadata"] == TAG
    with pytest.raises(SlackApiError, match="channel_not_found"):
        client.conversations_history(channel="U1ANN")


def test_an_outage_answers_503_and_changes_nothing(client: WebClient, state: SlackState):
    state.plan_fault(Fault.OUTAGE, method="chat.postMessage", times=2)
    for _ in range(2):
        with pytest.raises(SlackApiError) as down:
            client.chat_postMessage(channel="C0BILLING", text="x")
        assert down.value.response.status_code == 503
    assert state.messages("C0BILLING") == []
    client.chat_postMessage(channel="C0BILLING", text="after")
    assert [m.text for m in state.messages("C0BILLING")] == ["after"]


def test_a_lost_response_stores_the_message_but_answers_503(client: WebClient, state: SlackState):
    state.plan_fault(Fault.LOST_RESPONSE, method="chat.postMessage")
    with pytest.raises(SlackApiError) as lost:
        client.chat_postMessage(channel="C0BILLING", text="stored anyway", metadata=TAG)
    assert lost.value.response.status_code == 503
    assert [m.text for m in state.messages("C0BILLING")] == ["stored anyway"]
    assert state.calls_to("chat.postMessage")[0].response["ok"] is True      # what really happened


def test_faults_until_cleared_and_over_the_admin_api(client: WebClient, state: SlackState,
                                                     slack_emulator: tuple[Starlette, RunningServer]):
    admin = slack_emulator[1].url + "/_admin/faults"
    assert httpx.post(admin, json={"fault": "outage", "times": None}).json() == {"ok": True}
    for _ in range(3):
        with pytest.raises(SlackApiError):
            client.auth_test()
    assert httpx.post(admin, json={"fault": "sideways"}).status_code == 400
    assert httpx.post(admin, json={"clear": True}).json() == {"ok": True}
    assert client.auth_test()["ok"]
