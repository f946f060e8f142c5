"""The Slack side: the emulator acting as Slack toward the app.

Signed slash commands, clicks, submissions and events."""
from __future__ import annotations

import json
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import httpx

from app.sandbox.slack import payloads
from app.sandbox.slack.signing import signed_headers
from app.sandbox.slack.state import DEFAULT_CHANNEL_ID, SlackState

FORM = "application/x-www-form-urlencoded"
JSON = "application/json"
ActionBuilder = Callable[[str, dict[str, Any], str], dict[str, Any]]


class SlackSideError(LookupError):
    """The simulated user cannot do that: no such message, view or element, or the app is unreachable."""


@dataclass
class DeliveryResult:
    """The app's answer to one delivery, and how long it took (Slack gives up after 3 s)."""

    status_code: int
    headers: dict[str, str]
    body: str
    json: Any
    elapsed: float
    payload: Any = None
    envelope: Any = None  # Socket Mode: the envelope that carried `payload`
    answered_at: float = 0.0
    """`time.monotonic()` when the app's answer (the ack) was back, to compare with the emulator's call log."""


class SlackSide:
    def __init__(self, state: SlackState, *, request_url: str, signing_secret: str, team_id: str | None = None,
                 api_app_id: str | None = None, emulator_url: str | None = None,
                 verification_token: str = "sandbox-verification-token",
                 enterprise_id: str | None = None, timeout: float = 10.0) -> None:
        self.state, self.request_url, self.signing_secret = state, request_url, signing_secret
        self.team_id, self.api_app_id = team_id or state.team_id, api_app_id or state.app_id
        self.verification_token, self.enterprise_id, self.timeout = verification_token, enterprise_id, timeout
        if emulator_url:
            state.base_url = emulator_url.rstrip("/")

    # ---- slash commands and events -------------------------------------------------------------
    def send_slash_command(self, user_id: str, command: str, text: str = "", *,
                           channel_id: str = DEFAULT_CHANNEL_ID) -> DeliveryResult:
        fields = {"token": self.verification_token, "team_id": self.team_id, "team_domain": self.state.team_domain,
                  **self._enterprise_fields(), "channel_id": channel_id,
                  "channel_name": self.state.channel_name(channel_id), "user_id": user_id,
                  "user_name": self._user_name(user_id), "command": command, "text": text,
                  "api_app_id": self.api_app_id, "is_enterprise_install": "false",
                  "response_url": self.state.issue_response_url(user_id=user_id, channel_id=channel_id),
                  "trigger_id": self.state.issue_trigger(user_id)}
        result = self._deliver_command(fields)
        self._show_command_ack(fields, result)
        return result

    def _show_command_ack(self, fields: dict[str, str], result: DeliveryResult) -> None:
        """Slack shows the command's immediate answer (the HTTP body) only to its user, as the message the
        command's response_url replaces later (`replace_original`)."""
        if result.status_code != 200 or not result.body.strip():
            return
        ack: dict[str, Any] = result.json if isinstance(result.json, dict) else {"text": result.body}
        text = str(ack.get("text") or "")
        blocks: list[dict[str, Any]] | None = ack["blocks"] if isinstance(ack.get("blocks"), list) else None
        if not text and not blocks:
            return
        if ack.get("response_type") == "in_channel":
            self.state.add_message(fields["channel_id"], text=text, blocks=blocks)
            return
        shown = self.state.add_ephemeral(fields["channel_id"], fields["user_id"], text=text, blocks=blocks)
        self.state.link_response_url(fields["response_url"], shown.ts)

    def send_event(self, event: dict[str, Any], *, retry_num: int | None = None, retry_reason: str | None = None,
                   event_id: str | None = None) -> DeliveryResult:
        now = time.time()
        envelope = {"token": self.verification_token, "team_id": self.team_id, "api_app_id": self.api_app_id,
                    "event": {"event_ts": f"{now:.6f}", **event}, "type": "event_callback",
                    "event_id": event_id or f"Ev{secrets.token_hex(5).upper()}", "event_time": int(now),
                    "authorizations": [{"enterprise_id": self.enterprise_id, "team_id": self.team_id,
                                        "user_id": self.state.bot_user_id, "is_bot": True,
                                        "is_enterprise_install": False}],
                    "is_ext_shared_channel": False, "event_context": f"4-{secrets.token_hex(8)}"}
        return self._deliver_event(envelope, retry_num=retry_num, retry_reason=retry_reason)

    def open_home(self, user_id: str) -> DeliveryResult:
        """The app_home_opened event Slack sends when a user opens the app's Home tab."""
        event: dict[str, Any] = {"type": "app_home_opened", "user": user_id, "channel": self.state.open_dm(user_id),
                                 "tab": "home"}
        home_id = self.state.home_view_id(user_id)
        if home_id:
            event["view"] = self.state.view(home_id)
        return self.send_event(event)

    def send_url_verification(self, challenge: str | None = None) -> DeliveryResult:
        body = {"token": self.verification_token, "challenge": challenge or secrets.token_urlsafe(32),
                "type": "url_verification"}
        return self._deliver(json.dumps(body), JSON, payload=body)

    # ---- interactivity in messages -------------------------------------------------------------
    def click_button(self, user_id: str, channel: str, message_ts: str, action_id: str,
                     value: str | None = None, *, block_id: str | None = None) -> DeliveryResult:
        """A click on a button of a message (or of an ephemeral message shown to `user_id`); `block_id` picks one
        of several buttons sharing an action_id."""
        def build(found_block: str, element: dict[str, Any], action_ts: str) -> dict[str, Any]:
            return payloads.button_action(found_block, element, action_ts, value)
        return self._message_action(user_id, channel, message_ts, action_id, build, frozenset({"button"}), block_id)

    def select_option(self, user_id: str, channel: str, message_ts: str, action_id: str,
                      option_value: Any, *, block_id: str | None = None) -> DeliveryResult:
        def build(found_block: str, element: dict[str, Any], action_ts: str) -> dict[str, Any]:
            return payloads.select_action(found_block, element, action_ts, option_value)
        return self._message_action(user_id, channel, message_ts, action_id, build, None, block_id)

    def _message_action(self, user_id: str, channel: str, message_ts: str, action_id: str,
                        build: ActionBuilder, kinds: frozenset[str] | None, block_id: str | None) -> DeliveryResult:
        channel_id = self.state.resolve_channel(channel) or channel
        message = self.state.find_message(channel_id, message_ts)
        ephemeral = self.state.find_ephemeral(user_id, channel_id, message_ts) if message is None else None
        if message is None and ephemeral is None:
            raise SlackSideError(f"no message {message_ts} in {channel_id}: the app never posted it")
        blocks = message.blocks if message is not None else ephemeral.blocks if ephemeral is not None else []
        found_block, action = self._action(blocks, action_id, build, kinds, block_id)
        payload = {**self._interaction_base("block_actions", user_id),
                   "container": {"type": "message", "message_ts": message_ts, "channel_id": channel_id,
                                 "is_ephemeral": ephemeral is not None},
                   "channel": {"id": channel_id, "name": self.state.channel_name(channel_id)},
                   "state": {"values": _state_of(found_block, action)},
                   "response_url": self.state.issue_response_url(user_id=user_id, channel_id=channel_id,
                                                                 message_ts=message_ts),
                   "actions": [action]}
        if message is not None:     # Slack leaves the message out of clicks on ephemeral messages
            payload["message"] = message.to_api()
        return self._deliver_interaction(payload)

    def click_ephemeral_button(self, user_id: str, channel: str, blocks: list[dict[str, Any]], action_id: str,
                               value: str | None = None) -> DeliveryResult:
        """A button in an ephemeral message (a command's answer): Slack sends no `message`, only the container."""
        def build(block_id: str, element: dict[str, Any], action_ts: str) -> dict[str, Any]:
            return payloads.button_action(block_id, element, action_ts, value)
        channel_id = self.state.resolve_channel(channel) or channel
        block_id, action = self._action(blocks, action_id, build, frozenset({"button"}))
        payload = {**self._interaction_base("block_actions", user_id),
                   "container": {"type": "message", "message_ts": f"{time.time():.6f}", "channel_id": channel_id,
                                 "is_ephemeral": True},
                   "channel": {"id": channel_id, "name": self.state.channel_name(channel_id)},
                   "state": {"values": _state_of(block_id, action)},
                   "response_url": self.state.issue_response_url(user_id=user_id, channel_id=channel_id),
                   "actions": [action]}
        return self._deliver_interaction(payload)

    # ---- interactivity in modals and the Home tab ----------------------------------------------
    def click_view_button(self, user_id: str, view_id: str, action_id: str, value: str | None = None, *,
                          block_id: str | None = None) -> DeliveryResult:
        def build(found_block: str, element: dict[str, Any], action_ts: str) -> dict[str, Any]:
            return payloads.button_action(found_block, element, action_ts, value)
        return self._view_action(user_id, view_id, action_id, build, frozenset({"button"}), block_id)

    def select_view_option(self, user_id: str, view_id: str, action_id: str, option_value: Any, *,
                           block_id: str | None = None) -> DeliveryResult:
        def build(found_block: str, element: dict[str, Any], action_ts: str) -> dict[str, Any]:
            return payloads.select_action(found_block, element, action_ts, option_value)
        return self._view_action(user_id, view_id, action_id, build, None, block_id)

    def _view_action(self, user_id: str, view_id: str, action_id: str, build: ActionBuilder,
                     kinds: frozenset[str] | None, wanted_block: str | None) -> DeliveryResult:
        view = self._stored_view(view_id)
        block_id, action = self._action(view.get("blocks", []), action_id, build, kinds, wanted_block)
        view["state"]["values"] = _merge(view["state"]["values"], _state_of(block_id, action))
        if action["type"] != "button":
            self.state.save_view(view, user_id=self.state.view_user(view_id) or user_id)
        payload = {**self._interaction_base("block_actions", user_id),
                   "container": {"type": "view", "view_id": view_id}, "view": view,
                   "state": view["state"], "actions": [action]}
        return self._deliver_interaction(payload)

    def submit_view(self, user_id: str, view_id: str, values: dict[str, dict[str, Any]] | None = None
                    ) -> DeliveryResult:
        """view_submission with the stored view; the app's ack (errors/update/clear) is applied to the state."""
        view = self._stored_view(view_id)
        try:
            submitted = payloads.submission_values(view, values or {})
        except payloads.ElementNotFound as missing:
            raise SlackSideError(str(missing)) from None
        view["state"]["values"] = _merge(view["state"]["values"], submitted)
        payload = {**self._interaction_base("view_submission", user_id), "view": view, "response_urls": []}
        result = self._deliver_interaction(payload)
        self._apply_submission_ack(view, user_id, result)
        return result

    def _apply_submission_ack(self, view: dict[str, Any], user_id: str, result: DeliveryResult) -> None:
        if result.status_code != 200:
            return
        ack: dict[str, Any] = result.json if isinstance(result.json, dict) else {}
        action = ack.get("response_action")
        if action in ("update", "push") and isinstance(ack.get("view"), dict):
            from_ack = {**view, **ack["view"], "state": {"values": {}}}
            if action == "push":
                from_ack |= {"id": self.state.new_view_id(), "previous_view_id": view["id"]}
            self.state.save_view(from_ack, user_id=user_id)
            self.state.set_view_errors(view["id"], {})
        elif action == "errors":
            errors = ack.get("errors")
            self.state.set_view_errors(view["id"], errors if isinstance(errors, dict) else {})
        else:
            self.state.close_view(view["id"])

    # ---- plumbing ------------------------------------------------------------------------------
    def deliver_raw(self, body: str, content_type: str, *, timestamp: int | None = None,
                    signature: str | None = None, headers: dict[str, str] | None = None) -> DeliveryResult:
        """Deliver exactly this body; override the timestamp or signature to test the app's verification."""
        return self._deliver(body, content_type, timestamp=timestamp, signature=signature, headers=headers)

    def _deliver(self, body: str, content_type: str, *, payload: Any = None, timestamp: int | None = None,
                 signature: str | None = None, headers: dict[str, str] | None = None) -> DeliveryResult:
        sent_at = int(time.time()) if timestamp is None else timestamp
        all_headers = {"Content-Type": content_type, **signed_headers(self.signing_secret, body, sent_at),
                       **(headers or {})}
        if signature is not None:
            all_headers["X-Slack-Signature"] = signature
        started = time.monotonic()
        try:
            response = httpx.post(self.request_url, content=body.encode(), headers=all_headers, timeout=self.timeout)
        except httpx.HTTPError as error:
            raise SlackSideError(f"could not deliver to {self.request_url}: {error!r}") from error
        answered = time.monotonic()
        return DeliveryResult(response.status_code, dict(response.headers), response.text,
                              _json_or_none(response), answered - started, payload, answered_at=answered)

    # The three ways Slack delivers; a transport other than HTTP (Socket Mode) overrides these.
    def _deliver_command(self, fields: dict[str, str]) -> DeliveryResult:
        return self._deliver(urlencode(fields), FORM, payload=fields)

    def _deliver_event(self, envelope: dict[str, Any], *, retry_num: int | None,
                       retry_reason: str | None) -> DeliveryResult:
        headers = {}
        if retry_num is not None:
            headers = {"X-Slack-Retry-Num": str(retry_num), "X-Slack-Retry-Reason": retry_reason or "http_timeout"}
        return self._deliver(json.dumps(envelope), JSON, payload=envelope, headers=headers)

    def _deliver_interaction(self, payload: dict[str, Any]) -> DeliveryResult:
        return self._deliver(urlencode({"payload": json.dumps(payload)}), FORM, payload=payload)

    def _interaction_base(self, kind: str, user_id: str) -> dict[str, Any]:
        return {"type": kind, "user": payloads.user_ref(user_id, self._user_name(user_id), self.team_id),
                "api_app_id": self.api_app_id, "token": self.verification_token,
                "trigger_id": self.state.issue_trigger(user_id),
                "team": {"id": self.team_id, "domain": self.state.team_domain},
                "enterprise": {"id": self.enterprise_id} if self.enterprise_id else None,
                "is_enterprise_install": False}

    def _action(self, blocks: list[dict[str, Any]], action_id: str, build: ActionBuilder,
                kinds: frozenset[str] | None, block_id: str | None = None) -> tuple[str, dict[str, Any]]:
        try:
            found_block, element = payloads.find_element(blocks, action_id, kinds=kinds, block_id=block_id)
            return found_block, build(found_block, element, f"{time.time():.6f}")
        except payloads.ElementNotFound as missing:
            raise SlackSideError(str(missing)) from None

    def _stored_view(self, view_id: str) -> dict[str, Any]:
        view = self.state.view(view_id)
        if view is None:
            raise SlackSideError(f"no open view {view_id}")
        return view

    def _user_name(self, user_id: str) -> str:
        user = self.state.user(user_id)
        return user.name if user else user_id.lower()

    def _enterprise_fields(self) -> dict[str, str]:
        return {"enterprise_id": self.enterprise_id, "enterprise_name": "Sandbox Org"} if self.enterprise_id else {}


def _state_of(block_id: str, action: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Stateful elements (selects, inputs) appear in state.values; buttons do not."""
    if action["type"] == "button":
        return {}
    fields = {k: v for k, v in action.items() if k.startswith("selected_") or k == "value"}
    return {block_id: {action["action_id"]: {"type": action["type"], **fields}}}


def _merge(base: dict[str, dict[str, Any]], extra: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    merged = {block_id: dict(actions) for block_id, actions in base.items()}
    for block_id, actions in extra.items():
        merged.setdefault(block_id, {}).update(actions)
    return merged


def _json_or_none(response: httpx.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return None
