"""Hypothesis strategies for what anyone can send our two inbound endpoints.

Real payload shapes (the fixtures, and the ones our own messages produce) are the starting point; a
generated request then breaks them: a field of the wrong type anywhere in the tree, a key removed,
another encoding (JSON, `payload=` form, plain form), a huge or non-UTF-8 body, and a signature that
is right, wrong, stale or missing.
"""
from __future__ import annotations

import hashlib
import hmac
import json
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from hypothesis import strategies as st

from app.intake.notify import sign_notify
from app.sandbox.people import ANN, SAM
from app.sandbox.stack import SANDBOX_NOTIFY_SECRET, SANDBOX_SIGNING_SECRET
from app.slack.ids import ActionId, CallbackId, SlashCommand

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "slack"
FORM, JSON = "application/x-www-form-urlencoded", "application/json"


@dataclass(frozen=True)
class Delivery:
    body: bytes
    headers: tuple[tuple[bytes, bytes], ...]
    signed: bool

    def __repr__(self) -> str:       # hypothesis prints failing examples: keep them readable
        return f"Delivery(signed={self.signed}, headers={self.headers!r}, body={self.body[:300]!r}…)"


def _fixture(name: str) -> dict[str, Any]:
    return json.loads((FIXTURES / name).read_text())


def _our_action(action_id: str, value: str) -> dict[str, Any]:
    return {"type": "block_actions", "user": {"id": ANN.slack_id, "name": "ann", "team_id": "T0001"},
            "team": {"id": "T0001", "domain": "ledgerbridge"}, "api_app_id": "A0001", "trigger_id": "1.2.3",
            "container": {"type": "message", "message_ts": "1.1", "channel_id": "C05APPR0VAL", "is_ephemeral": False},
            "channel": {"id": "C05APPR0VAL", "name": "approvals"}, "response_url": "",
            "message": {"ts": "1.1", "text": "x", "blocks": [{"type": "section", "block_id": "exception_item:1"}]},
            "actions": [{"action_id": action_id, "block_id": "exception_actions:1", "type": "button",
                         "value": value, "action_ts": "1.2",
                         "selected_option": {"value": "rep_data_entry", "text": {"type": "plain_text", "text": "x"}}}]}


def _our_submission(callback_id: str, metadata: str) -> dict[str, Any]:
    return {"type": "view_submission", "user": {"id": SAM.slack_id, "name": "sam"}, "team": {"id": "T0001"},
            "api_app_id": "A0001", "trigger_id": "1.2.4", "response_urls": [],
            "view": {"id": "V1", "type": "modal", "callback_id": callback_id, "private_metadata": metadata,
                     "state": {"values": {"approval_reject_reason_input": {
                         "approval_reject_reason_text": {"type": "plain_text_input", "value": "wrong PO number"}}}}}}


def _event(event: dict[str, Any]) -> dict[str, Any]:
    return {"token": "t", "team_id": "T0001", "api_app_id": "A0001", "type": "event_callback",
            "event_id": "Ev0PROPERTY", "event_time": 1, "event": event,
            "authorizations": [{"team_id": "T0001", "user_id": "U0BOT", "is_bot": True}]}


TEMPLATES: list[dict[str, Any]] = [
    _fixture("block_actions_button_in_message.json"), _fixture("view_submission_state_values.json"),
    _fixture("event_callback_app_home_opened.json"), _fixture("url_verification.json"),
    _our_action(ActionId.APPROVE.value, "1"), _our_action(ActionId.EXCEPTION_TAG_CAUSE.value, "1"),
    _our_action(ActionId.EXCEPTION_RESOLVE.value, "1"), _our_action(ActionId.EXCEPTIONS_PAGE.value, '{"q":"x"}'),
    _our_action(ActionId.HOME_REFRESH.value, ""), _our_action("unknown_action", "x"),
    _our_submission(CallbackId.REJECT_REASON.value, "1"),
    _our_submission(CallbackId.EXCEPTION_CLOSE.value, '{"i": 1, "c": "C05EXCEPT10N", "t": "1.1"}'),
    {**_our_submission("unknown", ""), "type": "view_closed"},
    {"type": "shortcut", "callback_id": "s", "user": {"id": ANN.slack_id}, "trigger_id": "1.2", "team": {"id": "T"}},
    {"type": "message_action", "callback_id": "s", "user": {"id": ANN.slack_id}, "message": {"ts": "1.1"}},
    {"type": "block_suggestion", "action_id": "a", "value": "x", "user": {"id": ANN.slack_id}},
    {"type": "app_rate_limited", "team_id": "T0001", "minute_rate_limited": 1},
    _event({"type": "app_home_opened", "user": ANN.slack_id, "channel": "D1", "tab": "home"}),
    _event({"type": "app_home_opened", "user": ANN.slack_id, "tab": "messages"}),
    _event({"type": "message", "user": ANN.slack_id, "channel": "C1", "text": "hi", "ts": "1.1"}),
]


COMMANDS = [
    {"command": SlashCommand.INVOICE_STATUS.value, "text": "Globex", "user_id": SAM.slack_id},
    {"command": SlashCommand.EXCEPTIONS.value, "text": "resolve 1 done", "user_id": ANN.slack_id},
    {"command": SlashCommand.EXCEPTIONS.value, "text": "mine", "user_id": ANN.slack_id},
    {"command": SlashCommand.APPROVALS.value, "text": "all", "user_id": ANN.slack_id},
    {"command": "/unknown", "text": "", "user_id": ANN.slack_id},
]

junk_scalars = st.one_of(st.none(), st.booleans(), st.integers(min_value=-2**70, max_value=2**70),
                         st.floats(allow_nan=False), st.text(max_size=20), st.just("x" * 5000),
                         st.just("\u202e\u0000\ud7ff"))
junk = junk_scalars | st.lists(junk_scalars, max_size=3) | st.dictionaries(st.text(max_size=8), junk_scalars,
                                                                         max_size=3)
templates = st.sampled_from(TEMPLATES)
MUTATIONS = st.integers(min_value=0, max_value=2)


def _paths(value: Any, prefix: tuple = ()) -> list[tuple]:
    """Every place in the tree (shallow places first, where bolt looks)."""
    found = [prefix] if prefix else []
    if isinstance(value, dict):
        for key, child in list(value.items())[:40]:
            found += _paths(child, (*prefix, key)) if len(prefix) < 6 else [(*prefix, key)]
    elif isinstance(value, list):
        for index, child in enumerate(value[:3]):
            found += _paths(child, (*prefix, index)) if len(prefix) < 6 else [(*prefix, index)]
    return found


def _replaced(tree: Any, path: tuple, value: Any, *, delete: bool) -> Any:
    if not path:
        return value
    head, rest = path[0], path[1:]
    if isinstance(tree, dict):
        copy = dict(tree)
        if delete and not rest:
            copy.pop(head, None)
        else:
            copy[head] = _replaced(tree[head], rest, value, delete=delete)
        return copy
    copy_list = list(tree)
    if delete and not rest:
        del copy_list[head]
    else:
        copy_list[head] = _replaced(tree[head], rest, value, delete=delete)
    return copy_list


@st.composite
def broken_payloads(draw: st.DrawFn) -> Any:
    payload = draw(templates)
    for _ in range(draw(MUTATIONS)):
        paths = _paths(payload)
        if not paths:
            break
        path = draw(st.sampled_from(paths))
        payload = _replaced(payload, path, draw(junk), delete=draw(st.booleans()))
    return payload


BROKEN_PAYLOADS = broken_payloads()
FROM_A_TEMPLATE = st.sampled_from([True] * 6 + [False])     # most junk starts from a real shape
BODY_KINDS = st.sampled_from(["json"] * 4 + ["payload"] * 6 + ["command"] * 3 + ["form_event", "raw", "huge", "deep"])
JSON_TYPES = st.sampled_from([JSON, "application/json; charset=utf-8", FORM, None])
RAW_TYPES = st.sampled_from([JSON, FORM, None, "text/plain"])
COMMAND_TEMPLATES = st.sampled_from(COMMANDS)
RESPONSE_URLS = st.sampled_from(["", "not a url", "http://127.0.0.1:9/closed"])
COMMAND_EXTRAS = st.dictionaries(
    st.sampled_from(["text", "user_id", "command", "type", "event", "actions", "team_id", "channel_id",
                     "authorizations", "view", "payload"]), st.text(max_size=30) | st.just("x" * 300), max_size=2)
FORM_EVENTS = st.sampled_from(["type", "{}", "[]"])
DEPTHS = st.integers(min_value=40, max_value=5_000)
SIGNINGS = st.sampled_from(["good"] * 16 + ["forged", "stale", "missing", "odd"])
ODD_SIGNATURES = st.sampled_from([b"v0=\xff", b"", b"v1=abc", b"\x00" * 70])


@st.composite
def slack_bodies(draw: st.DrawFn) -> tuple[bytes, str | None]:
    kind = draw(BODY_KINDS)
    if kind in ("json", "payload"):
        text = json.dumps(draw(BROKEN_PAYLOADS) if draw(FROM_A_TEMPLATE) else draw(junk))
        if kind == "json":
            return text.encode(), draw(JSON_TYPES)
        return urlencode({"payload": text}).encode(), FORM
    if kind == "command":
        fields = {**draw(COMMAND_TEMPLATES), "response_url": draw(RESPONSE_URLS), **draw(COMMAND_EXTRAS)}
        if draw(st.booleans()):
            del fields[draw(st.sampled_from(sorted(fields)))]
        return urlencode(fields).encode(), draw(st.sampled_from([FORM, None]))
    if kind == "form_event":
        return urlencode({"type": "event_callback", "event": draw(FORM_EVENTS), "event_id": "Ev1"}).encode(), FORM
    if kind == "huge":
        return b"payload=" + b"x" * 1_000_001, FORM
    if kind == "deep":
        depth = draw(DEPTHS)
        return b'{"type":"event_callback","event":' + b"[" * depth + b"]" * depth + b"}", JSON
    return draw(st.binary(max_size=200)), draw(RAW_TYPES)


@st.composite
def slack_deliveries(draw: st.DrawFn) -> Delivery:
    body, content_type = draw(slack_bodies())
    now = int(time.time())
    signing = draw(SIGNINGS)
    stamp = now - 900 if signing == "stale" else now
    signature = slack_v0_signature(SANDBOX_SIGNING_SECRET, stamp, body).encode()
    headers: list[tuple[bytes, bytes]] = [] if content_type is None else [(b"content-type", content_type.encode())]
    if signing == "forged":
        signature = b"v0=" + b"0" * 64
    elif signing == "odd":
        signature = draw(ODD_SIGNATURES)
    if signing != "missing":
        headers += [(b"x-slack-request-timestamp", str(stamp).encode()), (b"x-slack-signature", signature)]
    return Delivery(body=body, headers=tuple(headers), signed=signing == "good")


NOTIFY_IDS = st.sampled_from(["006Lb000000000jIAA", "006Lb000000000j", "006Lb000000000jIAA\n", "bad id", ""]) | junk
NOTIFY_KINDS = st.sampled_from(["valid"] + ["object"] * 7 + ["junk", "junk", "raw", "raw", "huge"])
VALID_IDS = st.lists(st.sampled_from(["006Lb000000000jIAA", "006Lb000000000j", "006Lb000000001AIAA"]), min_size=1,
                     max_size=3)
NOTIFY_KEYS = st.sampled_from(["opportunity_ids", "opportunity_ids", "ids", "OPPORTUNITY_IDS"])
NOTIFY_SIGNINGS = st.sampled_from(["good"] * 12 + ["forged", "stale", "missing", "odd"])
ODD_NOTIFY_SIGNATURES = st.sampled_from([b"v1=\xff", b"", b"\x00" * 70])


@st.composite
def notify_deliveries(draw: st.DrawFn) -> Delivery:
    kind = draw(NOTIFY_KINDS)
    if kind == "valid":
        body = json.dumps({"opportunity_ids": draw(VALID_IDS)}).encode()
    elif kind == "object":
        body = json.dumps({draw(NOTIFY_KEYS): draw(st.lists(NOTIFY_IDS, max_size=4) | junk)}).encode()
    elif kind == "junk":
        body = json.dumps(draw(junk)).encode()
    elif kind == "huge":
        body = b'{"opportunity_ids": ["' + b"0" * 300_000 + b'"]}'
    else:
        body = draw(st.binary(max_size=200))
    now = int(time.time())
    signing = draw(NOTIFY_SIGNINGS)
    stamp = now - 900 if signing == "stale" else now
    signature = sign_notify(SANDBOX_NOTIFY_SECRET, stamp, body).encode()
    if signing == "forged":
        signature = b"v1=" + b"0" * 64
    elif signing == "odd":
        signature = draw(ODD_NOTIFY_SIGNATURES)
    headers = [(b"content-type", b"application/json")]
    if signing != "missing":
        headers += [(b"x-ledgerbridge-timestamp", str(stamp).encode()), (b"x-ledgerbridge-signature", signature)]
    return Delivery(body=body, headers=tuple(headers), signed=signing == "good")


def slack_v0_signature(secret: str, timestamp: int, body: bytes) -> str:
    """Slack's v0 signature over the exact bytes sent, even bytes that are not UTF-8 (what an attacker can send)."""
    base = b"v0:" + str(timestamp).encode() + b":" + body
    return "v0=" + hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()
