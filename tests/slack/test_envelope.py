"""The envelope check: every payload Slack sends passes, each wrong shape is refused with the field named."""
from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import urlencode

import pytest

from app.slack.envelope import MAX_BODY_BYTES, MalformedEnvelope, check_request

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "slack"
FORM, JSON = "application/x-www-form-urlencoded", "application/json"


def _interaction(payload: object) -> bytes:
    return urlencode({"payload": json.dumps(payload)}).encode()


def _fixture(name: str) -> dict:
    return json.loads((FIXTURES / name).read_text())


@pytest.mark.parametrize("name", ["block_actions_button_in_message.json", "block_actions_static_select_in_modal.json",
                                  "view_submission_state_values.json"])
def test_real_interactions_pass(name: str):
    assert check_request(_interaction(_fixture(name)), FORM)["type"] == _fixture(name)["type"]


@pytest.mark.parametrize("name", ["event_callback_app_home_opened.json", "url_verification.json"])
def test_real_events_pass(name: str):
    body = (FIXTURES / name).read_bytes()
    assert check_request(body, "application/json; charset=utf-8") == json.loads(body)


def test_a_real_slash_command_passes():
    body = (FIXTURES / "slash_command_body.txt").read_bytes().strip()
    assert check_request(body, FORM)["command"] == "/hello-world"


def _block_actions(**changes: object) -> dict:
    return {**_fixture("block_actions_button_in_message.json"), **changes}


def _submission(view_changes: dict) -> dict:
    payload = _fixture("view_submission_state_values.json")
    return {**payload, "view": {**payload["view"], **view_changes}}


def _callback(event: object) -> bytes:
    return json.dumps({"type": "event_callback", "event_id": "Ev1", "event": event}).encode()


@pytest.mark.parametrize(("body", "content_type", "says"), [
    (_callback([1]), JSON, "event must be an object"),
    (_callback(None), JSON, "event must be an object"),
    (_callback({"user": "U1"}), JSON, "event.type is required"),
    (_callback({"type": "app_home_opened", "user": 5}), JSON, "event.user must be an id or an object"),
    (_callback({"type": "app_home_opened", "user": {"id": "U1"}}), JSON, "event.user must be text"),
    (_interaction(_block_actions(user="U1")), FORM, "user must be an object"),
    (_interaction(_block_actions(user={"id": 7})), FORM, "user.id must be text"),
    (_interaction(_block_actions(actions=[1])), FORM, "actions[0] must be an object"),
    (_interaction(_block_actions(actions=[])), FORM, "actions must not be empty"),
    (_interaction(_block_actions(actions=[{"value": "1"}])), FORM, "actions[0].action_id is required"),
    (_interaction(_block_actions(actions=[{"action_id": "a" * 256}])), FORM,
     "actions[0].action_id is too long (at most 255 characters)"),
    (_interaction(_block_actions(container=[])), FORM, "container must be an object"),
    (_interaction(_block_actions(channel=5)), FORM, "channel must be an id or an object with a text id"),
    (_interaction(_block_actions(message="hi")), FORM, "message must be an object"),
    (_interaction(_block_actions(team={"id": ["T1"]})), FORM, "team must be an id or an object with a text id"),
    (_interaction(_block_actions(authorizations=["a"])), FORM, "authorizations[0] must be an object"),
    (_interaction(_block_actions(response_urls="x")), FORM, "response_urls must be a list"),
    (_interaction(_submission({"state": [1]})), FORM, "view.state must be an object"),
    (_interaction(_submission({"state": {"values": {"b": "x"}}})), FORM, "view.state.values.b must be an object"),
    (_interaction(_submission({"state": {"values": {"b": {"a": {"selected_option": "x"}}}}})), FORM,
     "view.state.values.b.a.selected_option must be an object"),
    (_interaction(_submission({"private_metadata": {"i": 1}})), FORM, "view.private_metadata must be text"),
    (_interaction(_submission({"callback_id": None})), FORM, "view.callback_id must be text"),
    (_interaction([1, 2]), FORM, "the payload must be a JSON object"),
    (_interaction({"type": "block_actionz"}), FORM, "type is missing or not a payload type Slack sends"),
    (_interaction({"type": "block_actions", "command": "/x"}), FORM, "command is only sent form-encoded"),
    (urlencode({"payload": "{nope"}).encode(), FORM, "the payload field is not valid JSON"),
    (b"type=event_callback&event=type", FORM, "a form-encoded body cannot carry event"),
    (b"command=%2Fx&user_id=U1&actions=1", FORM, "a form-encoded body cannot carry actions"),
    (b"command=invoice&user_id=U1", FORM, "command is not in the expected form"),
    (b"text=hi", FORM, "command is required"),
    (b"\xff\xfe", FORM, "the body is not UTF-8 text"),
    (b"", FORM, "the body is empty"),
    (b'{"type":"event_callback","event":' + b"[" * 100 + b"]" * 100 + b"}", JSON, "nested more than 48"),
    (b"x" * (MAX_BODY_BYTES + 1), FORM, "larger than"),
])
def test_wrong_shapes_are_refused_naming_the_field(body: bytes, content_type: str, says: str):
    with pytest.raises(MalformedEnvelope) as refused:
        check_request(body, content_type)
    assert says in str(refused.value)


@pytest.mark.parametrize("junk", [{"value": ["1"]}, {"selected_option": ["x"]}, {"selected_user": {"id": "U1"}},
                                  {"value": "9" * 5000}])
def test_junk_values_of_a_well_formed_click_are_left_to_the_listener(junk: dict):
    """The listener answers those with a polite note; a 400 would show the clicker a Slack error."""
    payload = _block_actions(actions=[{"action_id": "exception_tag_cause", "block_id": "b", **junk}])
    assert check_request(_interaction(payload), FORM)["actions"][0]["action_id"] == "exception_tag_cause"


def test_a_json_bomb_is_refused():
    """Checked in a thread of its own: the RecursionError json raises is caught in the checking thread, and
    CPython 3.11 can leave that thread's recursion count off (which later breaks pytest's own ast use)."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        refused = pool.submit(_refusal, b"[" * 50_000 + b"]" * 50_000, JSON).result()
    assert "nested too deeply" in refused


def _refusal(body: bytes, content_type: str) -> str:
    try:
        check_request(body, content_type)
    except MalformedEnvelope as refused:
        return str(refused)
    return "accepted"


def test_refusals_never_repeat_the_value_sent():
    secret = "xoxb-not-for-your-eyes"
    with pytest.raises(MalformedEnvelope) as refused:
        check_request(_interaction(_block_actions(actions=[{"action_id": secret * 20}])), FORM)
    assert secret not in str(refused.value)
