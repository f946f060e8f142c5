"""The exceptions in Slack.

Digest controls through signed block_actions, one digest per slot, SLA pings, /exceptions."""
from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from decimal import Decimal

from sqlmodel import select

from app.audit.service import events_for
from app.db import make_engine, session_scope
from app.exactly_once.models import JobRun
from app.exception_queue import service
from app.exception_queue.models import SlaPing
from app.exception_queue.sla_pings import PING_EVENT_TYPE
from app.jobs.digest import run_digest
from app.jobs.reminders import run_reminders
from app.sandbox.book import Book, Line
from app.sandbox.people import ANN, CARL, SAM
from app.sandbox.stack import Stack
from app.slack.ids import ActionId, BlockId, SlashCommand
from app.wiring import build_runtime
from tests.e2e.conftest import eventually, poll, settle
from tests.e2e.test_exceptions import DIGEST, digest_message, item_section, items, owner

EXCEPTIONS = "C05EXCEPT10N"
CLOSE_NOTE = BlockId.EXCEPTION_CLOSE_NOTE.value


def missing_po(stack: Stack, book: Book) -> int:
    book.add_account("Umbrella Health", Segment__c="Enterprise")
    book.add_deal("Umbrella - Clinic rollout", account="Umbrella Health", owner_id=owner(stack),
                  lines=[Line("Implementation", Decimal(2))])
    poll(stack)
    settle(stack)                       # the owner's DM and the live exception post are out
    return items(stack, status="open")[0].id


def test_tag_assign_and_resolve_update_the_digest_in_place(cstack: Stack, cbook: Book):
    item_id = missing_po(cstack, cbook)
    message = digest_message(cstack)
    assert "Customer PO not received (suggested)" in item_section(message, item_id)
    assert "/lightning/r/Opportunity/" in item_section(message, item_id)          # links the Salesforce record
    side, slack = cstack.slack_side, cstack.emulators.slack

    reply = side.select_option(ANN.slack_id, DIGEST, message.ts, ActionId.EXCEPTION_TAG_CAUSE, "rep_data_entry")
    assert reply.status_code == 200
    eventually(lambda: "Sales rep data entry" in item_section(slack.find_message(DIGEST, message.ts), item_id),
               what="the tag in place")
    side.select_option(ANN.slack_id, DIGEST, message.ts, ActionId.EXCEPTION_ASSIGN, SAM.slack_id)
    eventually(lambda: f"<@{SAM.slack_id}>" in item_section(slack.find_message(DIGEST, message.ts), item_id),
               what="the owner in place")
    side.click_button(ANN.slack_id, DIGEST, message.ts, ActionId.EXCEPTION_RESOLVE)
    modal = eventually(lambda: slack.views, what="the resolve modal")[0]
    assert items(cstack, id=item_id)[0].status == "open"                        # nothing closes before the modal
    side.submit_view(ANN.slack_id, modal["id"], {CLOSE_NOTE: {ActionId.EXCEPTION_CLOSE_NOTE: "Rep added the PO"}})
    resolved = eventually(lambda: (m := slack.find_message(DIGEST, message.ts))
                          and "Resolved" in item_section(m, item_id) and m, what="the resolution in place")
    assert f"exception_actions:{item_id}" not in json.dumps(resolved.blocks)   # no stale controls
    assert resolved.blocks[0] == message.blocks[0]                              # the rest of the digest is kept
    assert "Rep added the PO" in item_section(resolved, item_id)

    item = items(cstack, id=item_id)[0]
    assert (item.status, item.owner_slack_id, item.root_cause, item.resolved_by, item.resolution) == (
        "resolved", SAM.slack_id, "rep_data_entry", ANN.slack_id, "Rep added the PO")
    with session_scope(cstack.runtime.engine) as session:
        actions = [(e.action, e.actor) for e in events_for(session, "exception", item_id)]
    assert actions == [("exception.opened", "system"), ("exception.tagged", ANN.slack_id),
                       ("exception.assigned", ANN.slack_id), ("exception.resolved", ANN.slack_id)]


def test_one_digest_per_slot_with_two_schedulers_and_a_restart(cstack: Stack, cbook: Book):
    missing_po(cstack, cbook)
    replicas = [build_runtime(cstack.runtime.settings, engine=make_engine(cstack.runtime.settings.database_url),
                              clock=cstack.runtime.clock) for _ in range(2)]
    with ThreadPoolExecutor(max_workers=2) as pool:
        posted = list(pool.map(run_digest, replicas))
    assert sorted(posted) == [False, True]
    assert run_digest(build_runtime(cstack.runtime.settings, clock=cstack.runtime.clock)) is False   # a restart
    assert len(cstack.emulators.slack.messages(DIGEST)) == 1
    with session_scope(cstack.runtime.engine) as session:
        run = session.exec(select(JobRun)).one()
    assert (run.job_name, run.status, run.scheduled_for) == (
        "exception_digest", "succeeded", datetime(2026, 11, 24, 13, 30, tzinfo=UTC))
    for replica in replicas:
        replica.engine.dispose()


def test_sla_pings_come_once_each_at_their_time(cstack: Stack, cbook: Book):
    item_id = missing_po(cstack, cbook)          # opened 08:35 New York: due 17:00 (8 business hours from 09:00)
    with session_scope(cstack.runtime.engine) as session:
        service.assign(session, item_id=item_id, owner_slack_id=SAM.slack_id, actor=ANN.slack_id,
                       clock=cstack.runtime.clock)
    clock, slack = cstack.runtime.clock, cstack.emulators.slack
    sam_dm, carl_dm = slack.open_dm(SAM.slack_id), slack.open_dm(CARL.slack_id)

    def at(hour: int, minute: int, day: int = 24) -> int:
        clock.set(datetime(2026, 11, day, hour, minute, tzinfo=UTC))
        return run_reminders(cstack.runtime)

    def pings_in(channel: str) -> list:     # the owner's DM and the channel also hold the pre-flight / live posts
        return [m for m in slack.messages(channel) if (m.metadata or {}).get("event_type") == PING_EVENT_TYPE]

    def posted(channel: str) -> list:                       # the worker sends what run_reminders recorded
        return eventually(lambda: pings_in(channel), what=f"the ping in {channel}")

    assert at(19, 59) == 0                                   # 14:59 New York: reminder due at 15:00 (2h before)
    assert at(20, 0) == 1 and at(20, 30) == 0
    assert "SLA due" in posted(sam_dm)[0].text
    assert at(21, 59) == 0 and at(22, 0) == 1 and at(22, 1) == 0
    assert "SLA breached" in posted(EXCEPTIONS)[0].text
    assert at(17, 29, day=25) == 0                           # escalation: 4 business hours after 17:00 -> Wed 12:30
    assert at(17, 30, day=25) == 1 and at(18, 0, day=25) == 0
    assert "Escalated to Controller" in posted(carl_dm)[0].text
    def recorded() -> list[tuple[str, str, str]]:     # the worker records 'sent' just after Slack answers
        with session_scope(cstack.runtime.engine) as session:
            return [(p.kind, p.recipient, p.status) for p in session.exec(select(SlaPing).order_by(SlaPing.id))]
    expected = [("reminder", SAM.slack_id, "sent"), ("breach", EXCEPTIONS, "sent"),
                ("escalation", CARL.slack_id, "sent")]
    eventually(lambda: recorded() == expected, what="every ping recorded as sent")
    assert (len(pings_in(sam_dm)), len(pings_in(EXCEPTIONS)), len(pings_in(carl_dm))) == (1, 1, 1)


def test_exceptions_command_lists_filters_and_closes(cstack: Stack, cbook: Book):
    item_id = missing_po(cstack, cbook)
    side, slack = cstack.slack_side, cstack.emulators.slack

    def ask(text: str, user: str = ANN.slack_id) -> dict:
        delivery = side.send_slash_command(user, SlashCommand.EXCEPTIONS.value, text)
        assert delivery.status_code == 200
        return eventually(lambda: slack.responses(delivery.payload["response_url"]), what=f"/exceptions {text}")[-1]

    listed = ask("")
    assert listed["response_type"] == "ephemeral" and "1–1 of 1" in json.dumps(listed["blocks"], ensure_ascii=False)
    assert f"exception_actions:{item_id}" in json.dumps(listed["blocks"])
    assert "No open exceptions match" in json.dumps(ask("mine")["blocks"])
    assert f"exception_item:{item_id}" in json.dumps(ask("Customer PO not received")["blocks"])
    assert "neither" in ask("gremlins")["text"]
    assert "Say why" in ask(f"dismiss {item_id}")["text"]
    closed = ask(f"dismiss #{item_id} the customer cancelled")
    assert "dismissed" in closed["text"]
    item = items(cstack, id=item_id)[0]
    assert (item.status, item.resolved_by, item.resolution) == ("dismissed", ANN.slack_id, "the customer cancelled")
    assert "already dismissed" in ask(f"resolve {item_id} fixed it")["text"]
    assert "No open exceptions match" in json.dumps(ask("all")["blocks"])
