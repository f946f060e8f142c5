"""SocketSide: the Slack side delivering over the app's Socket Mode WebSocket instead of signed HTTP posts.

Same methods and payloads as SlackSide (slash commands, clicks, selects, submissions, events); each payload
is wrapped in a Socket Mode envelope and the call returns once the app acks that envelope_id. The result's
`json` is the ack's `payload` (e.g. a slash command's ack text, a view_submission's response_action).
"""
from __future__ import annotations

import time
from typing import Any

from app.sandbox.slack import socket_mode
from app.sandbox.slack.slack_side import DeliveryResult, SlackSide, SlackSideError
from app.sandbox.slack.socket_hub import AckTimeout, NoLiveSocket
from app.sandbox.slack.state import SlackState

SLACK_ACK_TIMEOUT = 3.0


class SocketAckTimeout(SlackSideError):
    """The app did not ack within the deadline; Slack shows the user an error (and retries events)."""


class SocketSide(SlackSide):
    def __init__(self, state: SlackState, *, ack_timeout: float = SLACK_ACK_TIMEOUT, team_id: str | None = None,
                 api_app_id: str | None = None, emulator_url: str | None = None,
                 verification_token: str = "sandbox-verification-token", enterprise_id: str | None = None) -> None:
        super().__init__(state, request_url="", signing_secret="", team_id=team_id, api_app_id=api_app_id,
                         emulator_url=emulator_url, verification_token=verification_token,
                         enterprise_id=enterprise_id, timeout=ack_timeout)
        self.ack_timeout = ack_timeout

    def send_envelope(self, envelope: dict[str, Any]) -> DeliveryResult:
        """Deliver one envelope as is (it must carry an envelope_id) and wait for its ack."""
        try:
            ack = self.state.sockets.deliver(envelope, timeout=self.ack_timeout)
        except NoLiveSocket as missing:
            raise SlackSideError(str(missing)) from None
        except AckTimeout as late:
            raise SocketAckTimeout(str(late)) from None
        return DeliveryResult(200, {}, ack.raw, ack.payload, ack.elapsed, envelope.get("payload"), envelope,
                              answered_at=time.monotonic())

    def send_url_verification(self, challenge: str | None = None) -> DeliveryResult:
        raise SlackSideError("Slack never sends url_verification to a Socket Mode app")

    def deliver_raw(self, body: str, content_type: str, *, timestamp: int | None = None,
                    signature: str | None = None, headers: dict[str, str] | None = None) -> DeliveryResult:
        raise SlackSideError("Socket Mode has no signed HTTP bodies: use send_envelope")

    def _deliver_command(self, fields: dict[str, str]) -> DeliveryResult:
        return self.send_envelope(socket_mode.envelope(socket_mode.SLASH_COMMANDS, fields))

    def _deliver_event(self, envelope: dict[str, Any], *, retry_num: int | None,
                       retry_reason: str | None) -> DeliveryResult:
        return self.send_envelope(socket_mode.envelope(socket_mode.EVENTS_API, envelope, retry_attempt=retry_num,
                                                       retry_reason=retry_reason))

    def _deliver_interaction(self, payload: dict[str, Any]) -> DeliveryResult:
        return self.send_envelope(socket_mode.envelope(socket_mode.INTERACTIVE, payload))
