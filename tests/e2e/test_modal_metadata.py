"""A modal submitted with private_metadata we cannot read gets a polite note, never a 500, and changes nothing."""
from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlencode

from sqlmodel import select

from app.approvals.models import ApprovalDecision
from app.db import session_scope
from app.sandbox.people import ANN
from app.sandbox.slack.slack_side import FORM, DeliveryResult
from app.sandbox.stack import Stack
from app.slack.ids import ActionId, BlockId, CallbackId
from tests.e2e.conftest import eventually

REASON = {BlockId.REJECT_REASON_INPUT.value: {ActionId.REJECT_REASON_TEXT.value: {
    "type": "plain_text_input", "value": "PO number missing"}}}
RESOLVED = {BlockId.EXCEPTION_CLOSE_OUTCOME.value: {ActionId.EXCEPTION_CLOSE_OUTCOME.value: {
    "type": "radio_buttons", "selected_option": {"value": "resolved"}}}}


def submit(stack: Stack, callback_id: CallbackId, metadata: str, values: dict[str, Any]) -> DeliveryResult:
    slack = stack.emulators.slack
    payload = {"type": "view_submission", "team": {"id": slack.team_id}, "api_app_id": slack.app_id,
               "user": {"id": ANN.slack_id, "username": "ann", "name": "ann", "team_id": slack.team_id},
               "token": stack.slack_side.verification_token, "trigger_id": slack.issue_trigger(ANN.slack_id),
               "response_urls": [],
               "view": {"id": "V0UNREADABLE", "type": "modal", "callback_id": callback_id.value,
                        "private_metadata": metadata, "state": {"values": values}}}
    return stack.slack_side.deliver_raw(urlencode({"payload": json.dumps(payload)}), FORM)


def test_unreadable_reject_metadata_gets_a_note(stack: Stack):
    for metadata in ("junk", '{"v":1,"request_id":"42"}', '{"v":9,"request_id":1}'):
        reply = submit(stack, CallbackId.REJECT_REASON, metadata, REASON)
        assert reply.status_code == 200
    notes = eventually(lambda: len(stack.emulators.slack.ephemerals(ANN.slack_id)) == 3
                       and stack.emulators.slack.ephemerals(ANN.slack_id), what="three notes")
    assert all("please open it again. Nothing was changed." in note.text for note in notes)
    with session_scope(stack.runtime.engine) as session:
        assert session.exec(select(ApprovalDecision)).all() == []


def test_unreadable_close_metadata_gets_a_direct_message(stack: Stack):
    reply = submit(stack, CallbackId.EXCEPTION_CLOSE, '{"i":"7"}', RESOLVED)
    assert reply.status_code == 200
    dm = stack.emulators.slack.open_dm(ANN.slack_id)
    note = eventually(lambda: stack.emulators.slack.messages(dm), what="the note")[0]
    assert note.text.startswith(":no_entry: This form's details are unreadable")
