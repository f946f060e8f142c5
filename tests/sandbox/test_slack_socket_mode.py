"""Socket Mode on the Slack emulator, driven by the real slack_sdk aiohttp SocketModeClient (no Bolt)."""
from __future__ import annotations

import asyncio
import json
import threading
import time
from collections.abc import Callable, Coroutine, Iterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.socket_mode.aiohttp import SocketModeClient
from slack_sdk.socket_mode.request import SocketModeRequest
from slack_sdk.socket_mode.response import SocketModeResponse
from slack_sdk.web.async_client import AsyncWebClient

from app.sandbox.server import RunningServer, serve_in_thread
from app.sandbox.slack import (
    DEFAULT_APP_TOKEN,
    DEFAULT_BOT_TOKEN,
    SlackSideError,
    SlackState,
    SocketAckTimeout,
    SocketSide,
    create_slack_emulator,
)

FIXTURES = Path(__file__).parents[1] / "fixtures" / "slack"
SILENT_COMMAND = "/never-acked"


class AppThread:
    """A raw SocketModeClient on its own event loop in a thread, acking what it receives like an app would."""

    def __init__(self, api_url: str) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        self.requests: list[SocketModeRequest] = []
        self.messages: list[dict[str, Any]] = []
        self.client: SocketModeClient = self.run(self._build(api_url))

    def run(self, coroutine: Coroutine[Any, Any, Any]) -> Any:
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result(timeout=10)

    async def _build(self, api_url: str) -> SocketModeClient:
        client = SocketModeClient(app_token=DEFAULT_APP_TOKEN, web_client=AsyncWebClient(base_url=api_url))
        client.message_listeners.append(self._on_message)
        client.socket_mode_request_listeners.append(self._on_request)
        return client

    async def _on_message(self, _: Any, message: dict[str, Any], raw: str | None) -> None:
        self.messages.append(message)

    async def _on_request(self, client: Any, request: SocketModeRequest) -> None:
        self.requests.append(request)
        if request.payload.get("command") == SILENT_COMMAND:
            return
        answer = {"text": f"got {request.payload['command']}"} if request.type == "slash_commands" else None
        await client.send_socket_mode_response(SocketModeResponse(request.envelope_id, answer))

    def stop(self) -> None:
        if not self.thread.is_alive():
            return
        self.run(self.client.close())
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(timeout=5)


@pytest.fixture
def emulator() -> Iterator[tuple[SlackState, RunningServer]]:
    state = SlackState()
    server = serve_in_thread(create_slack_emulator(state))
    state.base_url = server.url
    yield state, server
    server.stop()


@pytest.fixture
def app(emulator: tuple[SlackState, RunningServer]) -> Iterator[AppThread]:
    state, server = emulator
    running = AppThread(server.url + "/api/")
    running.run(running.client.connect())
    state.sockets.wait_for(live=1)
    yield running
    running.stop()


def test_connections_open_takes_only_an_app_level_token(emulator: tuple[SlackState, RunningServer]) -> None:
    state, server = emulator
    web = WebClient(base_url=server.url + "/api/")
    opened = web.apps_connections_open(app_token=DEFAULT_APP_TOKEN)
    assert opened["url"].startswith(f"ws://127.0.0.1:{server.port}/socket-mode/")
    for token, error in ((DEFAULT_BOT_TOKEN, "not_allowed_token_type"), ("xapp-1-nope", "invalid_auth")):
        with pytest.raises(SlackApiError) as refused:
            web.apps_connections_open(app_token=token)
        assert refused.value.response["error"] == error
    with pytest.raises(SlackApiError) as wrong_type:                 # and an app token posts nothing
        WebClient(token=DEFAULT_APP_TOKEN, base_url=server.url + "/api/").chat_postMessage(channel="C0001", text="x")
    assert wrong_type.value.response["error"] == "not_allowed_token_type"
    assert [c.response["ok"] for c in state.calls_to("apps.connections.open")] == [True, False, False]


def test_a_ticket_opens_one_socket_once(emulator: tuple[SlackState, RunningServer]) -> None:
    state, server = emulator
    url = WebClient(base_url=server.url + "/api/").apps_connections_open(app_token=DEFAULT_APP_TOKEN)["url"]

    async def connect_twice() -> tuple[dict[str, Any], int]:
        async with aiohttp.ClientSession() as session:
            async with session.ws_connect(url) as first:
                hello = await first.receive_json(timeout=5)
                with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
                    await session.ws_connect(url)
                return hello, refused.value.status
    hello, status = asyncio.run(connect_twice())
    assert hello == {"type": "hello", "num_connections": 1, "connection_info": {"app_id": state.app_id},
                     "debug_info": hello["debug_info"]}
    assert status == 403
    assert len(state.sockets.connections) == 1


def test_slash_command_envelope_is_acked_with_its_payload(emulator: tuple[SlackState, RunningServer],
                                                          app: AppThread) -> None:
    state, _ = emulator
    wait_until(lambda: bool(app.messages))                            # the client handles frames in a task
    assert [m["type"] for m in app.messages] == ["hello"]
    wait_until(lambda: app.client.last_ping_pong_time is not None)   # the sdk's ping got its pong
    result = SocketSide(state).send_slash_command("U0ANN", "/invoice-status", "INV-1")

    assert result.json == {"text": "got /invoice-status"}
    assert result.status_code == 200
    assert json.loads(result.body) == {"envelope_id": result.envelope["envelope_id"], "payload": result.json}
    request = app.requests[0]
    assert (request.type, request.envelope_id, request.accepts_response_payload) == (
        "slash_commands", result.envelope["envelope_id"], True)
    fixture_keys = set(json.loads((FIXTURES / "slash_command_fields.json").read_text()))
    assert fixture_keys <= set(request.payload) and request.payload["text"] == "INV-1"
    assert state.sockets.stray_messages == []


def test_events_carry_retry_fields_and_interactions_are_interactive(emulator: tuple[SlackState, RunningServer],
                                                                    app: AppThread) -> None:
    state, _ = emulator
    side = SocketSide(state)
    first = side.send_event({"type": "app_home_opened", "user": "U0ANN", "tab": "home"})
    retried = side.send_event({"type": "app_home_opened", "user": "U0ANN"}, retry_num=2, retry_reason="timeout")
    assert first.json is None and retried.json is None                 # acked without a payload
    (plain, again) = app.requests
    assert (plain.type, plain.retry_attempt, plain.retry_reason, plain.accepts_response_payload) == (
        "events_api", 0, "", False)
    assert (again.retry_attempt, again.retry_reason) == (2, "timeout")
    assert plain.payload["type"] == "event_callback" and plain.payload["event"]["type"] == "app_home_opened"

    state.add_message("C0001", text="pick", blocks=[{"type": "actions", "block_id": "b", "elements": [
        {"type": "button", "action_id": "go", "text": {"type": "plain_text", "text": "Go"}, "value": "1"}]}])
    side.click_button("U0ANN", "C0001", state.messages("C0001")[0].ts, "go")
    click = app.requests[-1]
    assert (click.type, click.accepts_response_payload, click.payload["type"]) == ("interactive", False,
                                                                                    "block_actions")
    fixture = json.loads((FIXTURES / "block_actions_button_in_message.json").read_text())
    assert set(fixture) - {"enterprise"} <= set(click.payload)


def test_no_ack_in_time_and_no_socket_are_clear_errors(emulator: tuple[SlackState, RunningServer],
                                                       app: AppThread) -> None:
    state, _ = emulator
    with pytest.raises(SocketAckTimeout, match="no ack"):
        SocketSide(state, ack_timeout=0.3).send_slash_command("U0ANN", SILENT_COMMAND)
    with pytest.raises(SlackSideError, match="url_verification"):
        SocketSide(state).send_url_verification()
    app.stop()
    state.sockets.wait_for(live=0)
    with pytest.raises(SlackSideError, match="no live Socket Mode connection"):
        SocketSide(state).send_slash_command("U0ANN", "/invoice-status")


def test_disconnect_makes_the_client_reconnect_and_close_is_clean(emulator: tuple[SlackState, RunningServer],
                                                                  app: AppThread) -> None:
    state, _ = emulator
    first = state.sockets.live()[0]
    assert state.sockets.disconnect("refresh_requested") == 1

    def replaced() -> bool:
        live = state.sockets.live()
        return bool(live) and live[0] is not first and first.closed
    wait_until(replaced)
    assert len(state.calls_to("apps.connections.open")) == 2
    assert SocketSide(state).send_slash_command("U0ANN", "/again").json == {"text": "got /again"}

    app.stop()
    state.sockets.wait_for(live=0)
    assert [c.close_code for c in state.sockets.connections] == [1000, 1000]


def wait_until(check: Callable[[], bool], timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)
