"""Signed but malformed deliveries through the running app: a 400 naming the field, never a 500, nothing written."""
from __future__ import annotations

import json
import time
from urllib.parse import urlencode

import httpx
import pytest
from sqlalchemy import text

from app.intake.notify import MAX_NOTIFY_BYTES, sign_notify
from app.sandbox.people import ANN
from app.sandbox.slack.signing import signature
from app.sandbox.stack import SANDBOX_NOTIFY_SECRET, SANDBOX_SIGNING_SECRET, Stack
from app.slack.ids import ActionId
from app.work_queue.kinds import INTERACTIVE_KINDS
from tests.e2e.conftest import eventually

FORM, JSON = "application/x-www-form-urlencoded", "application/json"


def _action(**changes: object) -> dict:
    return {"type": "block_actions", "user": {"id": ANN.slack_id, "name": "ann"}, "team": {"id": "T0001"},
            "channel": {"id": "C05APPR0VAL"}, "trigger_id": "1.2.3", "response_url": "",
            "container": {"type": "message", "channel_id": "C05APPR0VAL", "message_ts": "1.1"},
            "actions": [{"action_id": ActionId.APPROVE.value, "block_id": "b", "type": "button", "value": "1",
                         "action_ts": "1.1"}], **changes}


def _event(event: object) -> str:
    return json.dumps({"type": "event_callback", "team_id": "T0001", "event_id": "Ev0ENVELOPE", "event": event})


def _work_items(stack: Stack) -> int:
    """Work queued beside the click's own intent (which the worker answers with the note)."""
    with stack.runtime.engine.connect() as connection:
        kinds = connection.execute(text("SELECT kind FROM work_item")).scalars().all()
    return sum(kind not in INTERACTIVE_KINDS for kind in kinds)


@pytest.mark.parametrize(("body", "content_type", "field"), [
    (_event([1]), JSON, "event"),
    (_event(None), JSON, "event"),
    (_event("app_home_opened"), JSON, "event"),
    (urlencode({"payload": json.dumps(_action(user="U05ANNFIN01"))}), FORM, "user"),
    (urlencode({"payload": json.dumps(_action(actions=["approve"]))}), FORM, "actions[0]"),
    (urlencode({"payload": json.dumps({"type": "view_submission", "user": {"id": ANN.slack_id},
                                       "view": {"callback_id": "approval_reject_reason", "private_metadata": "1",
                                                "state": {"values": [1]}}})}), FORM, "view.state.values"),
    ("type=event_callback&event=type&event_id=Ev1", FORM, "event"),
])
def test_the_reported_shapes_get_a_400_naming_the_field(stack: Stack, body: str, content_type: str, field: str):
    reply = stack.slack_side.deliver_raw(body, content_type)
    assert reply.status_code == 400
    assert reply.json["error"] == "malformed request" and field in reply.json["detail"]


def test_two_content_types_are_refused(stack: Stack):
    reply = stack.slack_side.deliver_raw(_event({"type": "app_home_opened", "user": ANN.slack_id}), JSON,
                                         headers={"Content-Type": JSON})
    assert reply.status_code == 200                 # one header (the override replaces it): fine
    url, now = stack.app_url + "/slack/events", int(time.time())
    body = _event({"type": "app_home_opened", "user": ANN.slack_id}).encode()
    doubled = httpx.post(url, content=body, headers=[
        (b"content-type", b"text/plain"), (b"content-type", JSON.encode()),
        (b"x-slack-request-timestamp", str(now).encode()),
        (b"x-slack-signature", signature(SANDBOX_SIGNING_SECRET, body.decode(), now).encode())])
    assert doubled.status_code == 400 and "Content-Type" in doubled.json()["detail"]


def test_bodies_over_the_caps_get_413_before_any_signature_work(stack: Stack):
    huge = b"payload=" + b"x" * 1_000_001
    assert httpx.post(stack.app_url + "/slack/events", content=huge).status_code == 413
    chunked = httpx.post(stack.app_url + "/slack/events", content=iter([b"x" * 600_000, b"x" * 600_000]))
    assert chunked.status_code == 413                               # no Content-Length: counted as it arrives
    now = int(time.time())
    big = b'{"opportunity_ids": ["' + b"0" * MAX_NOTIFY_BYTES + b'"]}'
    notify = httpx.post(stack.app_url + "/salesforce/notify", content=big, headers={
        "X-Ledgerbridge-Timestamp": str(now), "X-Ledgerbridge-Signature": sign_notify(SANDBOX_NOTIFY_SECRET, now, big)})
    assert notify.status_code == 413 and "larger than" in notify.json()["error"]


def test_a_click_naming_no_request_is_answered_and_queues_no_work(stack: Stack):
    before = _work_items(stack)
    reply = stack.slack_side.deliver_raw(urlencode({"payload": json.dumps(_action())}), FORM)
    assert reply.status_code == 200
    note = eventually(lambda: stack.emulators.slack.ephemerals(ANN.slack_id), what="the note")
    assert "does not exist" in note[0].text and "Nothing was changed" in note[0].text
    time.sleep(0.3)
    assert _work_items(stack) == before
