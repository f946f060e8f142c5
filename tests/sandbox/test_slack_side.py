"""The Slack side: signed deliveries to a receiver that verifies them with slack_sdk's SignatureVerifier."""
from __future__ import annotations

import json
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

import httpx
import pytest
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response
from slack_sdk import WebClient
from slack_sdk.signature import SignatureVerifier
from starlette.applications import Starlette

from app.clock import FixedClock
from app.sandbox.server import RunningServer, serve_in_thread
from app.sandbox.slack import SlackSide, SlackSideError, SlackState, create_slack_emulator

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "slack"
SECRET = "test-signing-secret"
TOKEN = "xoxb-test-side"
CONTRACT_COMMAND_FIELDS = {"token", "team_id", "team_domain", "channel_id", "channel_name", "user_id", "user_name",
                           "command", "text", "response_url", "trigger_id", "api_app_id", "is_enterprise_install"}


def fixture(name: str) -> Any:
    return json.loads((FIXTURES / name).read_text())


@dataclass
class Arrival:
    body: str
    headers: dict[str, str]
    valid: bool

    def form(self) -> dict[str, str]:
        return dict(parse_qsl(self.body, keep_blank_values=True))

    def payload(self) -> dict[str, Any]:
        return json.loads(self.form()["payload"]) if "payload=" in self.body else json.loads(self.body)


@dataclass
class Receiver:
    """Stands in for the app: verifies, records, answers with `reply` (status, JSON body or None)."""

    arrivals: list[Arrival] = field(default_factory=list)
    reply: tuple[int, Any] = (200, None)

    def app(self) -> FastAPI:
        api = FastAPI()

        @api.post("/slack/events")
        async def events(request: Request) -> Response:
            raw = (await request.body()).decode()
            valid = SignatureVerifier(SECRET).is_valid_request(raw, dict(request.headers))
            self.arrivals.append(Arrival(raw, dict(request.headers), valid))
            if not valid:
                return JSONResponse({"error": "invalid request"}, status_code=401)
            if '"type": "url_verification"' in raw:
                return JSONResponse({"challenge": json.loads(raw)["challenge"]})
            status, body = self.reply
            return JSONResponse(body, status_code=status) if body is not None else Response(status_code=status)

        return api


@pytest.fixture(scope="module")
def servers() -> Iterator[tuple[Starlette, RunningServer, Receiver, RunningServer]]:
    emulator, receiver = create_slack_emulator(), Receiver()
    with serve_in_thread(emulator) as emulator_server, serve_in_thread(receiver.app()) as app_server:
        yield emulator, emulator_server, receiver, app_server


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(datetime.now(UTC))


@pytest.fixture
def state(servers: tuple, clock: FixedClock) -> SlackState:
    emulator, _, receiver, _ = servers
    fresh = SlackState(clock=clock, tokens=[TOKEN])
    fresh.add_user("U1ANN", "ann", real_name="Ann Lee", email="ann@example.com")
    fresh.add_channel("C0BILLING", "billing")
    emulator.state.slack = fresh
    receiver.arrivals.clear()
    receiver.reply = (200, None)
    return fresh


@pytest.fixture
def receiver(servers: tuple) -> Receiver:
    return servers[2]


@pytest.fixture
def side(servers: tuple, state: SlackState) -> SlackSide:
    _, emulator_server, _, app_server = servers
    return SlackSide(state, request_url=f"{app_server.url}/slack/events", signing_secret=SECRET,
                     emulator_url=emulator_server.url)


@pytest.fixture
def client(servers: tuple, state: SlackState) -> WebClient:
    return WebClient(token=TOKEN, base_url=f"{servers[1].url}/api/")


def approval_blocks() -> list[dict[str, Any]]:
    return [{"type": "section", "block_id": "req-42", "text": {"type": "mrkdwn", "text": "Invoice 1037?"},
             "accessory": {"type": "static_select", "action_id": "reason", "options": [
                 {"text": {"type": "plain_text", "text": "Wrong PO"}, "value": "wrong_po"}]}},
            {"type": "actions", "block_id": "decide", "elements": [
                {"type": "button", "action_id": "approve", "value": "req-42", "style": "primary",
                 "text": {"type": "plain_text", "text": "Approve"}},
                {"type": "users_select", "action_id": "delegate"}]}]


def test_slash_command_is_form_encoded_signed_and_complete(side: SlackSide, receiver: Receiver,
                                                           client: WebClient) -> None:
    result = side.send_slash_command("U1ANN", "/invoice", "status 006A", channel_id="C0BILLING")
    arrival = receiver.arrivals[-1]
    assert result.status_code == 200 and arrival.valid
    assert arrival.headers["content-type"] == "application/x-www-form-urlencoded"
    form = arrival.form()
    assert CONTRACT_COMMAND_FIELDS <= set(form) and set(fixture("slash_command_fields.json")) <= set(form)
    assert (form["command"], form["text"], form["user_name"], form["channel_name"]) == (
        "/invoice", "status 006A", "ann", "billing")
    assert form["response_url"].startswith(f"{side.state.base_url}/_responses/")
    opened = client.views_open(trigger_id=form["trigger_id"], view={
        "type": "modal", "title": {"type": "plain_text", "text": "Status"}, "blocks": []})
    assert opened["ok"]


def test_enterprise_fields_are_sent_when_configured(side: SlackSide, receiver: Receiver) -> None:
    grid = SlackSide(side.state, request_url=side.request_url, signing_secret=SECRET, enterprise_id="E111")
    grid.send_slash_command("U1ANN", "/invoice")
    assert {"enterprise_id": "E111"}.items() <= receiver.arrivals[-1].form().items()
    assert "enterprise_name" in receiver.arrivals[-1].form()


def test_response_url_posts_are_captured_and_limited_to_5(side: SlackSide, receiver: Receiver,
                                                          state: SlackState) -> None:
    side.send_slash_command("U1ANN", "/invoice", channel_id="C0BILLING")
    url = receiver.arrivals[-1].form()["response_url"]
    answers = [httpx.post(url, json={"text": f"step {i}"}) for i in range(5)]
    assert [a.status_code for a in answers] == [200] * 5
    sixth = httpx.post(url, json={"text": "too many"})
    assert (sixth.status_code, sixth.text) == (404, "used_url")
    assert [p["text"] for p in state.responses(url)] == [f"step {i}" for i in range(5)]
    assert [e.text for e in state.ephemerals("U1ANN")] == [f"step {i}" for i in range(5)]


def test_response_url_expires_after_30_minutes_and_checks_payloads(side: SlackSide, receiver: Receiver,
                                                                   state: SlackState, clock: FixedClock) -> None:
    side.send_slash_command("U1ANN", "/invoice", channel_id="C0BILLING")
    url = receiver.arrivals[-1].form()["response_url"]
    assert httpx.post(url, content=b"{not json").status_code == 400
    assert httpx.post(url, json={"response_type": "in_channel"}).text == "no_text"
    assert httpx.post(url, json={"text": "for all", "response_type": "in_channel"}).status_code == 200
    assert [m.text for m in state.messages("C0BILLING")] == ["for all"]
    clock.advance(timedelta(minutes=31))
    late = httpx.post(url, json={"text": "late"})
    assert (late.status_code, late.text) == (404, "expired_url")


def test_click_button_sends_a_full_block_actions_payload(side: SlackSide, receiver: Receiver,
                                                         client: WebClient, state: SlackState) -> None:
    ts = client.chat_postMessage(channel="C0BILLING", text="Invoice 1037?", blocks=approval_blocks())["ts"]
    result = side.click_button("U1ANN", "C0BILLING", ts, "approve")
    arrival = receiver.arrivals[-1]
    payload = arrival.payload()
    reference = fixture("block_actions_button_in_message.json")
    assert arrival.valid and result.status_code == 200 and list(arrival.form()) == ["payload"]
    assert set(reference) <= set(payload) and set(reference["actions"][0]) <= set(payload["actions"][0])
    assert payload["container"] == {"type": "message", "message_ts": ts, "channel_id": "C0BILLING",
                                    "is_ephemeral": False}
    assert payload["message"]["blocks"] == approval_blocks()
    assert (payload["actions"][0]["value"], payload["actions"][0]["block_id"]) == ("req-42", "decide")
    replaced = httpx.post(payload["response_url"], json={"text": "Approved by ann", "replace_original": True,
                                                         "blocks": []})
    assert replaced.status_code == 200
    assert state.find_message("C0BILLING", ts).text == "Approved by ann"
    assert state.find_message("C0BILLING", ts).blocks == []


def test_clicking_what_was_never_posted_is_an_error(side: SlackSide, client: WebClient) -> None:
    ts = client.chat_postMessage(channel="C0BILLING", text="plain")["ts"]
    with pytest.raises(SlackSideError, match="approve"):
        side.click_button("U1ANN", "C0BILLING", ts, "approve")
    with pytest.raises(SlackSideError, match="never posted"):
        side.click_button("U1ANN", "C0BILLING", "1.000000", "approve")


def test_select_option_and_user_in_a_message(side: SlackSide, receiver: Receiver, client: WebClient) -> None:
    ts = client.chat_postMessage(channel="C0BILLING", text="Invoice 1037?", blocks=approval_blocks())["ts"]
    side.select_option("U1ANN", "C0BILLING", ts, "reason", "wrong_po")
    action = receiver.arrivals[-1].payload()["actions"][0]
    assert action["type"] == "static_select" and action["selected_option"]["value"] == "wrong_po"
    side.select_option("U1ANN", "C0BILLING", ts, "delegate", "U2BOB")
    payload = receiver.arrivals[-1].payload()
    assert payload["actions"][0]["selected_user"] == "U2BOB"
    assert payload["state"]["values"]["decide"]["delegate"]["selected_user"] == "U2BOB"
    with pytest.raises(SlackSideError, match="no option"):
        side.select_option("U1ANN", "C0BILLING", ts, "reason", "not_offered")


def _open_reject_modal(client: WebClient, state: SlackState) -> str:
    view = {"type": "modal", "callback_id": "reject_reason", "private_metadata": "req-42",
            "title": {"type": "plain_text", "text": "Reject"}, "submit": {"type": "plain_text", "text": "Send"},
            "blocks": [{"type": "input", "block_id": "reason_b", "label": {"type": "plain_text", "text": "Why"},
                        "element": {"type": "plain_text_input", "action_id": "reason_a"}},
                       {"type": "input", "block_id": "code_b", "label": {"type": "plain_text", "text": "Code"},
                        "element": {"type": "static_select", "action_id": "code_a", "options": [
                            {"text": {"type": "plain_text", "text": "PO"}, "value": "po"}]}}]}
    return client.views_open(trigger_id=state.issue_trigger("U1ANN"), view=view)["view"]["id"]


def test_actions_inside_a_modal_use_a_view_container(side: SlackSide, receiver: Receiver, client: WebClient,
                                                     state: SlackState) -> None:
    view_id = _open_reject_modal(client, state)
    side.select_view_option("U1ANN", view_id, "code_a", "po")
    payload = receiver.arrivals[-1].payload()
    reference = fixture("block_actions_static_select_in_modal.json")
    assert payload["container"] == {"type": "view", "view_id": view_id}
    assert set(reference) <= set(payload) and "message" not in payload
    assert set(reference["actions"][0]) <= set(payload["actions"][0])
    assert payload["view"]["state"]["values"]["code_b"]["code_a"]["selected_option"]["value"] == "po"


def test_submit_view_sends_state_values_and_applies_the_ack(side: SlackSide, receiver: Receiver,
                                                            client: WebClient, state: SlackState) -> None:
    view_id = _open_reject_modal(client, state)
    receiver.reply = (200, {"response_action": "errors", "errors": {"reason_b": "Say why"}})
    result = side.submit_view("U1ANN", view_id, {"reason_b": {"reason_a": ""}})
    assert result.json == {"response_action": "errors", "errors": {"reason_b": "Say why"}}
    assert state.view(view_id) is not None
    receiver.reply = (200, None)
    side.submit_view("U1ANN", view_id, {"reason_b": {"reason_a": "wrong PO"}, "code_b": {"code_a": "po"}})
    payload = receiver.arrivals[-1].payload()
    reference = fixture("view_submission_state_values.json")
    assert set(reference) <= set(payload) and set(reference["view"]) <= set(payload["view"])
    assert (payload["view"]["callback_id"], payload["view"]["private_metadata"]) == ("reject_reason", "req-42")
    assert payload["view"]["state"]["values"] == {
        "reason_b": {"reason_a": {"type": "plain_text_input", "value": "wrong PO"}},
        "code_b": {"code_a": {"type": "static_select",
                              "selected_option": {"text": {"type": "plain_text", "text": "PO"}, "value": "po"}}}}
    assert state.view(view_id) is None  # an empty 200 closes the modal
    with pytest.raises(SlackSideError, match="no input"):
        side.submit_view("U1ANN", _open_reject_modal(client, state), {"nope": {"x": "y"}})


def test_event_envelope_and_retry_headers(side: SlackSide, receiver: Receiver) -> None:
    first = side.send_event({"type": "app_home_opened", "user": "U1ANN", "tab": "home"}, event_id="Ev42")
    retry = side.send_event({"type": "app_home_opened", "user": "U1ANN", "tab": "home"}, event_id="Ev42",
                            retry_num=1, retry_reason="http_timeout")
    original, again = receiver.arrivals
    envelope = original.payload()
    assert first.status_code == retry.status_code == 200 and original.valid and again.valid
    assert original.headers["content-type"] == "application/json"
    assert set(fixture("event_callback_app_home_opened.json")) <= set(envelope)
    assert envelope["type"] == "event_callback" and envelope["authorizations"][0]["user_id"] == "U0BOT"
    assert envelope["event_id"] == again.payload()["event_id"] == "Ev42"
    assert "x-slack-retry-num" not in original.headers
    assert (again.headers["x-slack-retry-num"], again.headers["x-slack-retry-reason"]) == ("1", "http_timeout")


def test_open_home_sends_app_home_opened_with_the_published_view(side: SlackSide, receiver: Receiver,
                                                                 client: WebClient) -> None:
    view_id = client.views_publish(user_id="U1ANN", view={"type": "home", "blocks": []})["view"]["id"]
    side.open_home("U1ANN")
    event = receiver.arrivals[-1].payload()["event"]
    assert (event["type"], event["tab"], event["view"]["id"]) == ("app_home_opened", "home", view_id)


def test_url_verification_is_echoed(side: SlackSide) -> None:
    result = side.send_url_verification("abc123")
    assert result.json == {"challenge": "abc123"}


def test_bad_signatures_and_stale_timestamps_arrive_as_bad(side: SlackSide, receiver: Receiver) -> None:
    body = json.dumps(fixture("url_verification.json"))
    forged = side.deliver_raw(body, "application/json", signature="v0=" + "0" * 64)
    stale = side.deliver_raw(body, "application/json", timestamp=int(time.time()) - 600)
    good = side.deliver_raw(body, "application/json")
    assert (forged.status_code, stale.status_code, good.status_code) == (401, 401, 200)
    assert [a.valid for a in receiver.arrivals] == [False, False, True]


def test_unreachable_app_is_a_clear_error(state: SlackState) -> None:
    nowhere = SlackSide(state, request_url="http://127.0.0.1:9/slack/events", signing_secret=SECRET, timeout=1)
    with pytest.raises(SlackSideError, match="could not deliver"):
        nowhere.send_url_verification()


def test_a_real_bolt_app_accepts_what_the_slack_side_sends(servers: tuple, state: SlackState) -> None:
    from slack_bolt import App
    from slack_bolt.adapter.fastapi import SlackRequestHandler

    bolt = App(client=WebClient(token=TOKEN, base_url=f"{servers[1].url}/api/"), signing_secret=SECRET,
               token_verification_enabled=False)

    @bolt.command("/invoice")
    def on_command(ack: Any, respond: Any, command: dict) -> None:
        ack()
        respond(text=f"status of {command['text']}", response_type="in_channel")

    @bolt.action("approve")
    def on_approve(ack: Any, respond: Any, body: dict) -> None:
        ack()
        respond(text=f"Approved by {body['user']['id']}", replace_original=True)

    api = FastAPI()
    handler = SlackRequestHandler(bolt)

    @api.post("/slack/events")
    async def events(request: Request) -> Response:
        return await handler.handle(request)

    with serve_in_thread(api) as app_server:
        side = SlackSide(state, request_url=f"{app_server.url}/slack/events", signing_secret=SECRET,
                         emulator_url=servers[1].url)
        assert side.send_slash_command("U1ANN", "/invoice", "006A", channel_id="C0BILLING").status_code == 200
        ts = bolt.client.chat_postMessage(channel="C0BILLING", text="?", blocks=approval_blocks())["ts"]
        assert side.click_button("U1ANN", "C0BILLING", ts, "approve").status_code == 200
        assert side.deliver_raw("{}", "application/json", signature="v0=bad").status_code == 401
        expected = ["Approved by U1ANN", "status of 006A"]  # respond() runs after ack, in bolt's threads
        deadline = time.monotonic() + 3
        while sorted(m.text for m in state.messages("C0BILLING")) != expected and time.monotonic() < deadline:
            time.sleep(0.02)
    assert sorted(m.text for m in state.messages("C0BILLING")) == expected
    assert state.find_message("C0BILLING", ts).text == "Approved by U1ANN"
