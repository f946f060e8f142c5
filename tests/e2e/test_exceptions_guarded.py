"""The verifier's findings on the exception queue, end to end through signed Slack requests: permissions,
bad input answered within 3 s, a failed retry keeps the reason, the Resolve modal, digests updated in place."""
from __future__ import annotations

import json
import logging
from datetime import timedelta
from decimal import Decimal
from typing import Any
from urllib.parse import urlencode

import pytest

from app.audit.service import events_for
from app.db import session_scope
from app.exception_queue import service
from app.jobs.reminders import run_reminders
from app.sandbox.book import Book, Line
from app.sandbox.people import ANN, ERIN, SAM
from app.sandbox.slack.slack_side import FORM, DeliveryResult
from app.sandbox.stack import Stack
from app.slack.ids import ActionId, BlockId, SlashCommand
from tests.e2e.conftest import eventually, poll
from tests.e2e.test_exceptions import DIGEST, digest_message, item_section, items, owner
from tests.e2e.test_exceptions_slack import EXCEPTIONS

HUGE = "99999999999999999999999"
OUTCOME, NOTE = BlockId.EXCEPTION_CLOSE_OUTCOME.value, BlockId.EXCEPTION_CLOSE_NOTE.value


def two_problems(stack: Stack, book: Book) -> tuple[int, int]:
    """A missing PO (fixable in Salesforce) and an unmapped product (a Retry cannot clear it)."""
    book.add_account("Umbrella Health", Segment__c="Enterprise")
    book.add_account("Acme Corporation", Segment__c="Enterprise")
    stack.umbrella = book.add_deal("Umbrella - Clinic rollout", account="Umbrella Health", owner_id=owner(stack),
                                   lines=[Line("Implementation", Decimal(2))])
    book.add_deal("Acme - Hardware refresh", account="Acme Corporation", owner_id=owner(stack),
                  lines=[Line("Hardware Bundle", Decimal(10))], PO_Number__c="PO-4190")
    poll(stack)
    by_kind = {item.kind: item.id for item in items(stack, status="open")}
    return by_kind["missing_field"], by_kind["unmapped_product"]


def raw_action(stack: Stack, user: str, message: Any, action: dict[str, Any]) -> tuple[DeliveryResult, str]:
    """A hand-built block_actions payload on `message` (signed like Slack's): what a stale or odd client sends."""
    state, side = stack.emulators.slack, stack.slack_side
    response_url = state.issue_response_url(user_id=user, channel_id=DIGEST, message_ts=message.ts)
    payload = {"type": "block_actions", "user": {"id": user, "username": "x", "name": "x", "team_id": state.team_id},
               "api_app_id": state.app_id, "token": side.verification_token, "trigger_id": state.issue_trigger(user),
               "team": {"id": state.team_id, "domain": state.team_domain},
               "container": {"type": "message", "message_ts": message.ts, "channel_id": DIGEST, "is_ephemeral": False},
               "channel": {"id": DIGEST, "name": "finance"}, "message": message.to_api(),
               "response_url": response_url, "actions": [{"action_ts": "1.0", **action}]}
    return side.deliver_raw(urlencode({"payload": json.dumps(payload)}), FORM), response_url


def reply_to(stack: Stack, delivery: DeliveryResult, response_url: str | None = None) -> str:
    assert delivery.status_code == 200
    url = response_url or delivery.payload["response_url"]
    return eventually(lambda: stack.emulators.slack.responses(url), what="the ephemeral reply")[-1]["text"]


def audit_actions(stack: Stack, item_id: int) -> list[str]:
    with session_scope(stack.runtime.engine) as session:
        return [event.action for event in events_for(session, "exception", item_id)]


def ask(stack: Stack, user: str, text: str) -> str:
    return reply_to(stack, stack.slack_side.send_slash_command(user, SlashCommand.EXCEPTIONS.value, text))


def test_someone_without_an_approver_role_changes_nothing(cstack: Stack, cbook: Book):
    po, _ = two_problems(cstack, cbook)
    message, side = digest_message(cstack), cstack.slack_side
    for delivery in (side.select_option(ERIN.slack_id, DIGEST, message.ts, ActionId.EXCEPTION_TAG_CAUSE, "other"),
                     side.select_option(ERIN.slack_id, DIGEST, message.ts, ActionId.EXCEPTION_ASSIGN, ERIN.slack_id),
                     side.click_button(ERIN.slack_id, DIGEST, message.ts, ActionId.EXCEPTION_RETRY)):
        text = reply_to(cstack, delivery)
        assert text.startswith(":no_entry: Only the finance team") and text.endswith("Nothing was changed.")
    # Resolve: the form is not even shown (the web process knows the finance group from the worker's snapshot)
    refusal = reply_to(cstack, side.click_button(ERIN.slack_id, DIGEST, message.ts, ActionId.EXCEPTION_RESOLVE))
    assert refusal.startswith(":no_entry: Only the finance team") and refusal.endswith("Nothing was changed.")
    for verb in ("resolve", "dismiss"):
        assert "Only the finance team" in ask(cstack, ERIN.slack_id, f"{verb} {po} done")
    assert "Open exceptions" in ask(cstack, ERIN.slack_id, "all")                   # anyone may list
    item = items(cstack, id=po)[0]
    assert (item.status, item.root_cause, item.owner_slack_id, item.retry_count) == ("open", None, None, 0)
    assert audit_actions(cstack, po) == ["exception.opened"] and cstack.emulators.slack.views == []
    assert cstack.emulators.slack.find_message(DIGEST, message.ts).blocks == message.blocks


def test_the_owner_may_tag_and_resolve_their_item_but_not_assign_or_dismiss_it(cstack: Stack, cbook: Book):
    po, _ = two_problems(cstack, cbook)
    with session_scope(cstack.runtime.engine) as session:
        service.assign(session, item_id=po, owner_slack_id=SAM.slack_id, actor=ANN.slack_id,
                       clock=cstack.runtime.clock)
    message, side, slack = digest_message(cstack), cstack.slack_side, cstack.emulators.slack
    side.select_option(SAM.slack_id, DIGEST, message.ts, ActionId.EXCEPTION_TAG_CAUSE, "rep_data_entry")
    eventually(lambda: items(cstack, id=po)[0].root_cause == "rep_data_entry", what="the owner's tag")
    assign = side.select_option(SAM.slack_id, DIGEST, message.ts, ActionId.EXCEPTION_ASSIGN, ERIN.slack_id)
    assert "Only the finance team" in reply_to(cstack, assign)
    assert "Only the finance team" in ask(cstack, SAM.slack_id, f"dismiss {po} not needed")

    side.click_button(SAM.slack_id, DIGEST, message.ts, ActionId.EXCEPTION_RESOLVE)
    modal = eventually(lambda: slack.views, what="the resolve modal")[0]
    outcomes = next(b for b in modal["blocks"] if b.get("block_id") == OUTCOME)["element"]["options"]
    assert [option["value"] for option in outcomes] == ["resolved"]           # no Dismiss for the owner
    side.submit_view(SAM.slack_id, modal["id"])                                # no note: a clear default
    closed = eventually(lambda: (i := items(cstack, id=po)[0]).status == "resolved" and i, what="the resolution")
    assert (closed.owner_slack_id, closed.resolved_by) == (SAM.slack_id, SAM.slack_id)
    assert closed.resolution == "Resolved in Slack, no note given (cause: Sales rep data entry)"


def test_bad_input_gets_a_clear_reply_within_three_seconds(cstack: Stack, cbook: Book, caplog):
    po, _ = two_problems(cstack, cbook)
    message = digest_message(cstack)
    caplog.set_level(logging.INFO)
    cases = {
        "retry, huge id": {"action_id": ActionId.EXCEPTION_RETRY.value, "block_id": f"exception_actions:{HUGE}",
                           "type": "button", "value": HUGE},
        "resolve, huge id": {"action_id": ActionId.EXCEPTION_RESOLVE.value, "type": "button", "value": HUGE,
                             "block_id": f"exception_actions:{HUGE}"},
        "assign, no user": {"action_id": ActionId.EXCEPTION_ASSIGN.value, "block_id": f"exception_actions:{po}",
                            "type": "users_select"},
        "tag, no option": {"action_id": ActionId.EXCEPTION_TAG_CAUSE.value, "block_id": f"exception_actions:{po}",
                           "type": "static_select"},
        "tag, option as a list": {"action_id": ActionId.EXCEPTION_TAG_CAUSE.value, "type": "static_select",
                                  "block_id": f"exception_actions:{po}", "selected_option": ["missing_po"]},
        "assign, user as an object": {"action_id": ActionId.EXCEPTION_ASSIGN.value, "type": "users_select",
                                      "block_id": f"exception_actions:{po}", "selected_user": {"id": "U1"}},
    }
    replies = {name: reply_to(cstack, *raw_action(cstack, ANN.slack_id, message, action))
               for name, action in cases.items()}
    assert replies == {
        "retry, huge id": ":no_entry: This control does not name an exception. Nothing was changed.",
        "resolve, huge id": ":no_entry: This control does not name an exception. Nothing was changed.",
        "assign, no user": ":no_entry: Pick the person to assign it to. Nothing was changed.",
        "tag, no option": ":no_entry: Pick a root cause from the list. Nothing was changed.",
        "tag, option as a list": ":no_entry: Pick a root cause from the list. Nothing was changed.",
        "assign, user as an object": ":no_entry: Pick the person to assign it to. Nothing was changed."}
    assert ask(cstack, ANN.slack_id, f"dismiss {HUGE} x").startswith("Usage: `/exceptions dismiss <id> <why>`")
    assert ask(cstack, ANN.slack_id, "resolve 123456789012345678 x") == (
        ":no_entry: Exception 123456789012345678 does not exist. Nothing was changed.")
    assert not [r for r in caplog.records if "Slack listener failed" in r.getMessage()
                or "Slack answer failed" in r.getMessage() or r.exc_info]
    assert audit_actions(cstack, po) == ["exception.opened"]


def test_a_failed_retry_keeps_the_reason_and_shows_the_outcome_on_its_own_line(cstack: Stack, cbook: Book):
    _, hardware = two_problems(cstack, cbook)
    reason = items(cstack, id=hardware)[0].reason
    message = digest_message(cstack)
    cstack.runtime.clock.advance(timedelta(minutes=29))                          # 09:04 New York
    retry = {"action_id": ActionId.EXCEPTION_RETRY.value, "block_id": f"exception_actions:{hardware}",
             "type": "button", "value": str(hardware)}                       # the second item's Retry
    assert raw_action(cstack, ANN.slack_id, message, retry)[0].status_code == 200
    shown = eventually(lambda: "Last retry" in (s := item_section(
        cstack.emulators.slack.find_message(DIGEST, message.ts), hardware)) and s, what="the retry in place")
    at = "<!date^1795529040^{date_short_pretty} {time}|2026-11-24 14:04 UTC>"      # 09:04 in each reader's zone
    assert f"Last retry {at} by <@{ANN.slack_id}>: still failing — " in shown
    assert "Hardware Bundle" in shown.splitlines()[1] and items(cstack, id=hardware)[0].reason == reason
    with session_scope(cstack.runtime.engine) as session:
        retried = [e for e in events_for(session, "exception", hardware) if e.action == "exception.retried"]
    assert retried[0].actor == ANN.slack_id and retried[0].details["succeeded"] is False


def test_dismissing_asks_why_and_a_closed_item_refuses_tag_and_assign(cstack: Stack, cbook: Book):
    po, _ = two_problems(cstack, cbook)
    message, side, slack = digest_message(cstack), cstack.slack_side, cstack.emulators.slack
    side.click_button(ANN.slack_id, DIGEST, message.ts, ActionId.EXCEPTION_RESOLVE)      # the first item: po
    modal = eventually(lambda: slack.views, what="the resolve modal")[0]
    refused = side.submit_view(ANN.slack_id, modal["id"], {OUTCOME: {ActionId.EXCEPTION_CLOSE_OUTCOME: "dismissed"}})
    assert refused.json == {"response_action": "errors", "errors": {NOTE: "Say why you dismiss it."}}
    assert items(cstack, id=po)[0].status == "open"
    side.submit_view(ANN.slack_id, modal["id"], {OUTCOME: {ActionId.EXCEPTION_CLOSE_OUTCOME: "dismissed"},
                                                 NOTE: {ActionId.EXCEPTION_CLOSE_NOTE: "Customer cancelled"}})
    closed = eventually(lambda: (i := items(cstack, id=po)[0]).status == "dismissed" and i, what="the dismissal")
    assert (closed.resolved_by, closed.resolution) == (ANN.slack_id, "Customer cancelled")

    for action in ({"action_id": ActionId.EXCEPTION_TAG_CAUSE.value, "type": "static_select",
                    "block_id": f"exception_actions:{po}", "selected_option": {"value": "other"}},
                   {"action_id": ActionId.EXCEPTION_ASSIGN.value, "type": "users_select",
                    "block_id": f"exception_actions:{po}", "selected_user": SAM.slack_id}):
        text = reply_to(cstack, *raw_action(cstack, ANN.slack_id, message, action))   # the stale digest's controls
        assert text == f":no_entry: Exception {po} is already dismissed by {ANN.slack_id}. Nothing was changed."
    assert audit_actions(cstack, po) == ["exception.opened", "exception.dismissed"]


@pytest.mark.parametrize("path", ["salesforce fix", "slash command"])
def test_a_close_by_any_path_updates_the_digest_in_place(cstack: Stack, cbook: Book, path: str):
    po, hardware = two_problems(cstack, cbook)
    message = digest_message(cstack)
    assert f"exception_actions:{po}" in json.dumps(message.blocks)
    if path == "salesforce fix":
        cstack.emulators.salesforce.advance_clock(timedelta(seconds=1))
        cstack.emulators.salesforce.user_edit("Opportunity", cstack.umbrella, {"PO_Number__c": "UMB-77"})
        poll(cstack)
        expected = "Resolved automatically*: Fixed at the source"
    else:
        assert "resolved" in ask(cstack, ANN.slack_id, f"resolve {po} rep added the PO")
        expected = f"*Resolved* by <@{ANN.slack_id}>: rep added the PO"
    updated = eventually(lambda: (m := cstack.emulators.slack.find_message(DIGEST, message.ts))
                         and f"exception_actions:{po}" not in json.dumps(m.blocks) and m, what="the digest refresh")
    assert expected in item_section(updated, po) and ":white_check_mark:" in item_section(updated, po)
    assert f"exception_actions:{hardware}" in json.dumps(updated.blocks)              # the other item stays live
    assert updated.blocks[0] == message.blocks[0] and "updated" in json.dumps(updated.blocks[-1])


def test_resolving_from_an_sla_post_or_an_ephemeral_list_updates_that_message(cstack: Stack, cbook: Book):
    po, hardware = two_problems(cstack, cbook)
    slack, side = cstack.emulators.slack, cstack.slack_side
    cstack.runtime.clock.set(items(cstack, id=po)[0].sla_due_at)                # breached: posted in the channel
    assert run_reminders(cstack.runtime) >= 1
    post = eventually(lambda: next((m for m in slack.messages(EXCEPTIONS) if f"exception_item:{po}"
                                    in json.dumps(m.blocks)), None), what="the SLA post")
    side.click_button(ANN.slack_id, EXCEPTIONS, post.ts, ActionId.EXCEPTION_RESOLVE)
    side.submit_view(ANN.slack_id, eventually(lambda: slack.views, what="the modal")[0]["id"],
                     {NOTE: {ActionId.EXCEPTION_CLOSE_NOTE: "PO received by email"}})
    updated = eventually(lambda: (m := slack.find_message(EXCEPTIONS, post.ts))
                         and "PO received by email" in json.dumps(m.blocks) and m, what="the SLA post updated")
    assert updated.blocks[0] == post.blocks[0] and f"exception_actions:{po}" not in json.dumps(updated.blocks)

    listed = side.send_slash_command(ANN.slack_id, SlashCommand.EXCEPTIONS.value, "all")
    page = eventually(lambda: slack.responses(listed.payload["response_url"]), what="the list")[-1]
    response_url = slack.issue_response_url(user_id=ANN.slack_id, channel_id=DIGEST)
    payload = {"type": "block_actions", "user": {"id": ANN.slack_id, "name": "ann", "team_id": slack.team_id},
               "api_app_id": slack.app_id, "token": side.verification_token,
               "trigger_id": slack.issue_trigger(ANN.slack_id), "team": {"id": slack.team_id},
               "container": {"type": "message", "message_ts": "1.1", "channel_id": DIGEST, "is_ephemeral": True},
               "channel": {"id": DIGEST}, "message": {"ts": "1.1", "blocks": page["blocks"], "text": page["text"]},
               "response_url": response_url, "actions": [{"action_id": ActionId.EXCEPTION_RESOLVE.value,
                                                          "block_id": f"exception_actions:{hardware}",
                                                          "type": "button", "value": str(hardware)}]}
    assert side.deliver_raw(urlencode({"payload": json.dumps(payload)}), FORM).status_code == 200
    side.submit_view(ANN.slack_id, eventually(lambda: slack.views, what="the modal")[0]["id"])
    replaced = eventually(lambda: slack.responses(response_url), what="the list updated")[-1]
    assert replaced["replace_original"] is True and f"exception_actions:{hardware}" not in json.dumps(replaced)
    assert "Resolved in Slack, no note given" in json.dumps(replaced["blocks"])
