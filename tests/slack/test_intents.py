"""Slack bodies become small typed intents (pure): only what the worker needs, never a token, and input a
control cannot use becomes a note to the person instead."""
from __future__ import annotations

import json
from typing import Any

import pytest

from app.slack import intents
from app.slack.ids import ActionId
from app.slack.intents import (
    WORK_KIND,
    AnswerExceptions,
    CloseException,
    DecideApproval,
    ExceptionControl,
    Intent,
    TellUser,
)
from app.slack.metadata import CloseExceptionMetadata, RejectReasonMetadata

APPROVALS = "C05APPR0VAL"


def click(action: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {"type": "block_actions", "token": "verification-token", "trigger_id": "1.2.secret",
            "user": {"id": "U1ANN", "username": "ann", "name": "ann"}, "team": {"id": "T1"},
            "container": {"type": "message", "channel_id": "C1", "message_ts": "1.1", "is_ephemeral": False},
            "channel": {"id": "C1"}, "message": {"ts": "1.1", "text": "digest", "blocks": [{"type": "divider"}]},
            "response_url": "https://hooks.slack.com/actions/T1/1/xyz", "actions": [action], **extra}


def test_an_approve_click_names_the_request_the_clicker_and_the_message():
    intent = intents.approval_click(click({"action_id": ActionId.APPROVE.value, "value": "42"}),
                                    approvals_channel=APPROVALS)
    assert intent == DecideApproval(user_id="U1ANN", user_name="ann", request_id=42, decision="approved",
                                    channel="C1", message_ts="1.1")


def test_a_button_that_names_no_request_becomes_a_note():
    intent = intents.approval_click(click({"action_id": ActionId.APPROVE.value, "value": "not-a-request"},
                                          channel=None), approvals_channel=APPROVALS)
    assert isinstance(intent, TellUser) and intent.channel == APPROVALS
    assert intent.text == ":no_entry: This button does not belong to an approval request any more. Nothing was changed."


def test_a_reject_reason_reads_its_request_from_the_metadata_and_unreadable_metadata_is_a_note():
    body = {"type": "view_submission", "user": {"id": "U1ANN", "name": "ann"}}
    view = {"private_metadata": RejectReasonMetadata(request_id=7).encode()}
    decided = intents.reject_submission(body, view, "wrong PO", approvals_channel=APPROVALS)
    assert isinstance(decided, DecideApproval)
    assert (decided.request_id, decided.decision, decided.comment) == (7, "rejected", "wrong PO")
    unreadable = intents.reject_submission(body, {"private_metadata": "junk"}, "wrong PO", approvals_channel=APPROVALS)
    assert isinstance(unreadable, TellUser) and "please open it again. Nothing was changed." in unreadable.text


@pytest.mark.parametrize(("control", "action", "expected"), [
    ("tag", {"block_id": "exception_actions:5", "selected_option": {"value": "rep_data_entry"}},
     {"item_id": 5, "cause": "rep_data_entry"}),
    ("assign", {"block_id": "exception_actions:5", "selected_user": "U2SAM"}, {"item_id": 5, "owner": "U2SAM"}),
    ("retry", {"block_id": "b", "value": "#9"}, {"item_id": 9}),
    ("page", {"value": '{"q":"mine","o":10}'}, {"item_id": None, "query": "mine", "offset": 10}),
])
def test_exception_controls_keep_what_the_worker_needs(control, action, expected):
    intent = intents.exception_control(click({"action_id": "x", **action}), control)
    assert isinstance(intent, ExceptionControl)
    assert {key: getattr(intent, key) for key in expected} == expected
    assert (intent.user_id, intent.response_url) == ("U1ANN", "https://hooks.slack.com/actions/T1/1/xyz")
    assert (intent.message.channel, intent.message.ts, intent.message.blocks) == ("C1", "1.1", [{"type": "divider"}])


@pytest.mark.parametrize(("control", "action", "reason"), [
    ("tag", {"block_id": "exception_actions:5"}, "Pick a root cause from the list"),
    ("tag", {"block_id": "exception_actions:5", "selected_option": ["x"]}, "Pick a root cause from the list"),
    ("assign", {"block_id": "exception_actions:5", "selected_user": {"id": "U1"}}, "Pick the person to assign it to"),
    ("retry", {"block_id": f"exception_actions:{'9' * 23}", "value": "9" * 23},
     "This control does not name an exception"),
])
def test_a_control_without_what_it_needs_is_answered_through_the_response_url(control, action, reason):
    note = intents.exception_control(click({"action_id": "x", **action}), control)
    assert note == TellUser(user_id="U1ANN", text=f":no_entry: {reason}. Nothing was changed.",
                            response_url="https://hooks.slack.com/actions/T1/1/xyz")


def test_the_resolve_form_carries_its_outcome_note_and_where_it_was_clicked():
    where = CloseExceptionMetadata(item_id=3, channel="C1", message_ts="1.1")
    view = {"private_metadata": where.encode(), "state": {"values": {
        "exception_close_outcome_input": {"exception_close_outcome": {"selected_option": {"value": "dismissed"}}},
        "exception_close_note_input": {"exception_close_note": {"value": " customer left "}}}}}
    intent = intents.close_submission({"user": {"id": "U1ANN"}}, view)
    assert intent == CloseException(user_id="U1ANN", status="dismissed", note="customer left", where=where)


def test_every_intent_round_trips_through_a_json_payload_without_a_token():
    samples: list[Intent] = [
        intents.approval_click(click({"action_id": ActionId.APPROVE.value, "value": "42"}), approvals_channel="C"),
        intents.exception_control(click({"action_id": "x", "block_id": "exception_actions:5"}), "retry"),
        intents.exceptions_command({"user_id": "U1", "text": "mine", "response_url": "https://hooks/x",
                                    "token": "verification-token", "trigger_id": "1.2.secret"}),
        intents.close_submission({"user": {"id": "U1"}}, {"private_metadata": CloseExceptionMetadata(
            item_id=3, skeleton=[{"block_id": "exception_item:3"}]).encode()}),
    ]
    for intent in samples:
        payload = json.loads(json.dumps(intent.payload()))
        assert type(intent).from_payload(payload) == intent
        assert "verification-token" not in json.dumps(payload) and "secret" not in json.dumps(payload)
        assert type(intent) in WORK_KIND
    assert isinstance(samples[2], AnswerExceptions) and samples[2].text == "mine"
