"""POST /slack/events as Slack sends it: signatures, fresh timestamps, event retries, polite failures."""
from __future__ import annotations

import json
import logging
import time
from decimal import Decimal
from pathlib import Path
from urllib.parse import urlencode

import httpx
import pytest
from sqlmodel import select

from app.approvals.models import ApprovalDecision
from app.db import session_scope
from app.intake.notify import sign_notify
from app.sandbox.book import Book, Line
from app.sandbox.people import ANN, SAM
from app.sandbox.stack import SANDBOX_NOTIFY_SECRET, SANDBOX_SIGNING_SECRET, Stack
from app.slack.ids import ActionId
from tests.e2e.conftest import approval_messages, eventually, poll
from tests.test_signing import slack_signs

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "slack"


def _discounted(stack: Stack, book: Book) -> str:
    book.add_account("Globex Inc")
    return book.add_deal("Globex - Expansion", account="Globex Inc", owner_id=stack.emulators.sf_user_ids["sam"],
                         lines=[Line("Annual Subscription", Decimal(2), discount=Decimal(25))])


def test_a_forged_signature_gets_401_and_changes_nothing(stack: Stack, book: Book):
    _discounted(stack, book)
    poll(stack)
    request = eventually(lambda: approval_messages(stack), what="the approval request")[0]
    message = stack.emulators.slack.find_message("C05APPR0VAL", request.ts).to_api()
    payload = {"type": "block_actions", "user": {"id": ANN.slack_id, "name": "ann"}, "team": {"id": "T0001"},
               "container": {"type": "message", "channel_id": "C05APPR0VAL", "message_ts": request.ts},
               "channel": {"id": "C05APPR0VAL"}, "message": message, "trigger_id": "1.2.3",
               "actions": [{"action_id": ActionId.APPROVE.value, "block_id": "b", "type": "button",
                            "value": message["blocks"][-1]["elements"][0]["value"], "action_ts": "1.1"}]}
    body = urlencode({"payload": json.dumps(payload)})

    forged = stack.slack_side.deliver_raw(body, "application/x-www-form-urlencoded", signature="v0=" + "0" * 64)
    stale = stack.slack_side.deliver_raw(body, "application/x-www-form-urlencoded", timestamp=int(time.time()) - 600)

    assert (forged.status_code, stale.status_code) == (401, 401)
    time.sleep(0.3)
    with session_scope(stack.runtime.engine) as session:
        assert session.exec(select(ApprovalDecision)).all() == []


def test_slack_retries_of_one_event_are_handled_once(stack: Stack):
    first = stack.slack_side.send_event({"type": "app_home_opened", "user": ANN.slack_id, "tab": "home"},
                                        event_id="Ev0RETRY01")
    retry = stack.slack_side.send_event({"type": "app_home_opened", "user": ANN.slack_id, "tab": "home"},
                                        event_id="Ev0RETRY01", retry_num=1, retry_reason="http_timeout")
    assert (first.status_code, retry.status_code) == (200, 200)
    assert retry.headers.get("x-slack-no-retry") == "1"
    eventually(lambda: stack.emulators.slack.calls_to("views.publish"), what="the Home tab")
    time.sleep(0.3)
    assert len(stack.emulators.slack.calls_to("views.publish")) == 1


def test_the_home_tab_shows_pending_approvals_to_an_approver(stack: Stack, book: Book):
    _discounted(stack, book)
    poll(stack)
    eventually(lambda: approval_messages(stack), what="the approval request")
    stack.slack_side.open_home(ANN.slack_id)
    home = eventually(lambda: stack.emulators.slack.home_views.get(ANN.slack_id), what="Ann's Home tab")
    assert "Globex - Expansion" in json.dumps(home)


def test_url_verification_and_the_real_fixture_body_are_accepted(stack: Stack):
    challenge = stack.slack_side.send_url_verification()
    assert challenge.status_code == 200 and challenge.json.get("challenge")
    body = (FIXTURES / "event_callback_app_home_opened.json").read_text()
    accepted = stack.slack_side.deliver_raw(body, "application/json")
    assert accepted.status_code == 200


def test_a_failing_answer_is_logged_once_and_answered_politely(stack: Stack, caplog: pytest.LogCaptureFixture):
    caplog.set_level(logging.ERROR, logger="app.jobs.interactive")      # the worker answers, so it reports
    with stack.runtime.engine.begin() as connection:           # a broken database under a running app
        connection.exec_driver_sql("DROP TABLE invoice_job")
    reply = stack.slack_side.send_slash_command(SAM.slack_id, "/invoice-status", "Globex")
    assert reply.status_code == 200
    posts = eventually(lambda: [p for r in stack.emulators.slack.all_responses() for p in r.posts
                                if "went wrong" in (p.get("text") or "")], what="the polite note")
    assert "Traceback" not in posts[0]["text"]
    failures = [record for record in caplog.records if "Slack answer failed" in record.getMessage()]
    assert len(failures) == 1 and "/invoice-status" in failures[0].getMessage()


def test_salesforce_notify_reads_the_named_opportunities_now(stack: Stack, book: Book):
    book.add_account("Globex Inc")
    deal_id = book.add_deal("Globex - Support", account="Globex Inc", owner_id=stack.emulators.sf_user_ids["sam"],
                            lines=[Line("Support Plan", Decimal(1))])
    body = json.dumps({"opportunity_ids": [deal_id]}).encode()
    now = int(time.time())
    headers = {"X-Ledgerbridge-Timestamp": str(now), "X-Ledgerbridge-Signature": sign_notify(
        SANDBOX_NOTIFY_SECRET, now, body), "Content-Type": "application/json"}

    unsigned = httpx.post(stack.app_url + "/salesforce/notify", content=body)
    accepted = httpx.post(stack.app_url + "/salesforce/notify", content=body, headers=headers)
    garbage_body = b'{"opportunity_ids": "all"}'
    garbage = httpx.post(stack.app_url + "/salesforce/notify", content=garbage_body, headers={
        "X-Ledgerbridge-Timestamp": str(now), "X-Ledgerbridge-Signature": sign_notify(
            SANDBOX_NOTIFY_SECRET, now, garbage_body)})

    assert (unsigned.status_code, accepted.status_code, garbage.status_code) == (401, 202, 400)
    assert "opportunity_ids" in garbage.json()["error"]
    invoice = eventually(lambda: stack.emulators.quickbooks.objects("9341452000000001", "Invoice"),
                         what="the invoice from the pushed id")
    assert invoice[0]["DocNumber"] == deal_id


def test_signed_junk_gets_a_4xx_never_a_500(stack: Stack):
    side = stack.slack_side
    bad_timestamp = side.deliver_raw("command=%2Finvoice-status", "application/x-www-form-urlencoded",
                                     headers={"X-Slack-Request-Timestamp": "soon"})
    broken_json = side.deliver_raw('{"type": "event_callback", ', "application/json")
    listed_payload = side.deliver_raw(urlencode({"payload": "[1, 2]"}), "application/x-www-form-urlencoded")
    broken_payload = side.deliver_raw(urlencode({"payload": "{nope"}), "application/x-www-form-urlencoded")
    assert bad_timestamp.status_code == 401
    assert (broken_json.status_code, listed_payload.status_code, broken_payload.status_code) == (400, 400, 400)
    assert httpx.get(stack.app_url + "/healthz").status_code == 200


def test_a_button_with_a_foreign_value_is_answered_politely(stack: Stack):
    payload = {"type": "block_actions", "user": {"id": ANN.slack_id, "name": "ann"}, "team": {"id": "T0001"},
               "channel": {"id": "C05APPR0VAL"}, "trigger_id": "1.2.3", "response_url": "",
               "container": {"type": "message", "channel_id": "C05APPR0VAL", "message_ts": "1.1"},
               "actions": [{"action_id": ActionId.APPROVE.value, "block_id": "b", "type": "button",
                            "value": "not-a-request", "action_ts": "1.1"}]}
    reply = stack.slack_side.deliver_raw(urlencode({"payload": json.dumps(payload)}),
                                         "application/x-www-form-urlencoded")
    assert reply.status_code == 200
    note = eventually(lambda: stack.emulators.slack.ephemerals(ANN.slack_id), what="the note")
    assert "does not belong to an approval request" in note[0].text


def test_hostile_headers_and_bodies_get_a_4xx_never_a_500(stack: Stack):
    url, now = stack.app_url + "/slack/events", int(time.time())

    def post(body: bytes, timestamp: str | bytes, signature: str | bytes) -> int:
        headers = [(b"Content-Type", b"application/x-www-form-urlencoded"),
                   (b"X-Slack-Request-Timestamp", timestamp if isinstance(timestamp, bytes) else timestamp.encode()),
                   (b"X-Slack-Signature", signature if isinstance(signature, bytes) else signature.encode())]
        return httpx.post(url, content=body, headers=headers).status_code

    signed = slack_signs(SANDBOX_SIGNING_SECRET, now, b"\xff\xfe")
    deep = b'{"a":' * 100_000 + b"1" + b"}" * 100_000
    assert post(b"x=1", "\u00b2".encode(), "v0=00") == 401                       # a digit to str.isdigit()
    assert post(b"x=1", "9" * 400, "v0=00") == 401
    assert post(b"\xff", str(now), "v0=00") == 401
    assert post(b"x=1", str(now), b"v0=\xff\xfe") == 401
    assert post(b"\xff\xfe", str(now), signed) == 401                # Slack signs UTF-8 text; slack_sdk checks no other
    assert httpx.post(url, content=deep, headers={"Content-Type": "application/json",
                                                  "X-Slack-Request-Timestamp": str(now),
                                                  "X-Slack-Signature": slack_signs(
                                                      SANDBOX_SIGNING_SECRET, now, deep)}).status_code == 400
    notify = stack.app_url + "/salesforce/notify"
    deep_notify = httpx.post(notify, content=deep, headers={
        "X-Ledgerbridge-Timestamp": str(now), "X-Ledgerbridge-Signature": sign_notify(SANDBOX_NOTIFY_SECRET, now,
                                                                                      deep)})
    deep_small = b'{"a":' * 10_000 + b"1" + b"}" * 10_000                  # under the notify body cap
    deep_small_notify = httpx.post(notify, content=deep_small, headers={
        "X-Ledgerbridge-Timestamp": str(now), "X-Ledgerbridge-Signature": sign_notify(SANDBOX_NOTIFY_SECRET, now,
                                                                                      deep_small)})
    odd_signature = httpx.post(notify, content=b"{}", headers=[
        (b"X-Ledgerbridge-Timestamp", str(now).encode()), (b"X-Ledgerbridge-Signature", b"v1=\xff")])
    assert (deep_notify.status_code, deep_small_notify.status_code, odd_signature.status_code) == (413, 400, 401)
