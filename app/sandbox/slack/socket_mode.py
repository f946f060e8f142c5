"""Socket Mode on the emulator: apps.connections.open, the WebSocket endpoint, and envelopes.

Slack's flow: the app calls apps.connections.open with its app-level token (xapp-...), gets a one-time
WebSocket URL, connects, receives `hello`, then gets envelopes `{envelope_id, type, payload,
accepts_response_payload, ...}` and answers each with `{"envelope_id": ..., "payload": ...}` within 3 s.
"""
from __future__ import annotations

import asyncio
import uuid
from typing import Any

from starlette.websockets import WebSocket

from app.sandbox.slack.socket_hub import SocketHub
from app.sandbox.slack.state import SlackState
from app.sandbox.slack.web_common import ApiReply, ok

SOCKET_PATH = "/socket-mode/{ticket}"
APP_TOKEN_METHODS = frozenset({"apps.connections.open"})
EVENTS_API, SLASH_COMMANDS, INTERACTIVE = "events_api", "slash_commands", "interactive"
# Slack lets the app answer in the ack only where a response means something.
RESPONDING_INTERACTIONS = frozenset({"view_submission", "block_suggestion"})
INVALID_TICKET_CLOSE_CODE = 4401


def connections_open(state: SlackState, params: dict[str, Any]) -> ApiReply:
    """apps.connections.open: a single-use WebSocket URL on this emulator."""
    ticket = state.sockets.issue_ticket()
    scheme, _, rest = state.base_url.partition("://")
    ws_scheme = "wss" if scheme == "https" else "ws"
    return ok(url=f"{ws_scheme}://{rest}{SOCKET_PATH.format(ticket=ticket)}")


def hello(state: SlackState, *, num_connections: int) -> dict[str, Any]:
    return {"type": "hello", "num_connections": num_connections,
            "debug_info": {"host": "applink-sandbox", "build_number": 1, "approximate_connection_time": 18060},
            "connection_info": {"app_id": state.app_id}}


def envelope(kind: str, payload: dict[str, Any], *, retry_attempt: int | None = None,
             retry_reason: str | None = None) -> dict[str, Any]:
    """Wrap a payload the way Slack does for each Socket Mode `type`."""
    wrapped: dict[str, Any] = {"envelope_id": str(uuid.uuid4()), "payload": payload, "type": kind}
    if kind == EVENTS_API:
        return wrapped | {"accepts_response_payload": False, "retry_attempt": retry_attempt or 0,
                          "retry_reason": retry_reason or ""}
    responds = kind == SLASH_COMMANDS or payload.get("type") in RESPONDING_INTERACTIONS
    return wrapped | {"accepts_response_payload": responds}


async def socket_endpoint(websocket: WebSocket) -> None:
    """One app connection: redeem the ticket, say hello, hand every text frame to the hub until close."""
    state: SlackState = websocket.app.state.slack
    hub: SocketHub = state.sockets
    if not hub.redeem(websocket.path_params["ticket"]):
        await websocket.close(code=INVALID_TICKET_CLOSE_CODE)
        return
    await websocket.accept()
    connection = hub.open(websocket, asyncio.get_running_loop())
    await websocket.send_json(hello(state, num_connections=len(hub.live())))
    close_code: int | None = None
    try:
        while True:
            message = await websocket.receive()
            if message["type"] == "websocket.disconnect":
                close_code = message.get("code")
                break
            text = message.get("text")
            if text is None and message.get("bytes") is not None:
                text = message["bytes"].decode("utf-8", errors="replace")
            if text is not None:
                hub.received(connection, text)
    finally:
        hub.close(connection, close_code)
