"""SLA pings at least once and never twice: through a Slack outage, a lost answer, and a tick that cannot
reach Slack to find the recipient."""
from __future__ import annotations

import logging
from datetime import timedelta

from sqlmodel import col, select

from app.db import session_scope
from app.exception_queue.models import SlaPing
from app.exception_queue.sla_pings import PING_EVENT_TYPE
from app.jobs.reminders import run_reminders
from app.sandbox.book import Book
from app.sandbox.slack.faults import Fault
from app.sandbox.slack.state import DEFAULT_BOT_TOKEN
from app.sandbox.stack import Stack
from app.work_queue.models import WorkItem
from tests.e2e.conftest import eventually
from tests.e2e.test_exceptions import items
from tests.e2e.test_exceptions_slack import EXCEPTIONS, missing_po


def _pings(stack: Stack) -> list[SlaPing]:
    with session_scope(stack.runtime.engine) as session:
        return list(session.exec(select(SlaPing).order_by(SlaPing.id)).all())


def _breach(stack: Stack, item_id: int) -> None:
    stack.runtime.clock.set(items(stack, id=item_id)[0].sla_due_at)


def _posts(stack: Stack, *, status: int) -> list:
    return [call for call in stack.emulators.slack.calls_to("chat.postMessage") if call.status == status
            and call.params.get("channel") == EXCEPTIONS]


def _failed_tries(stack: Stack) -> list[WorkItem]:
    with session_scope(stack.runtime.engine) as session:
        return list(session.exec(select(WorkItem).where(col(WorkItem.last_error).is_not(None))).all())


def _later(stack: Stack, seconds: int) -> None:
    """Move past the queue's backoff (the clock is fixed) and let the worker look."""
    stack.runtime.clock.advance(timedelta(seconds=seconds))
    stack.runtime.wake_worker()


def ping_posts(slack) -> list:
    return [call for call in slack.calls_to("chat.postMessage")
            if (call.params.get("metadata") or {}).get("event_type") == PING_EVENT_TYPE]


def ping_messages(slack, channel: str) -> list:
    """The SLA pings in a channel (which also holds the exceptions posted as they happen, and DMs)."""
    return [m for m in slack.messages(channel) if (m.metadata or {}).get("event_type") == PING_EVENT_TYPE]


def test_a_slack_outage_delays_the_ping_and_it_is_sent_once_after(cstack: Stack, cbook: Book):
    item_id = missing_po(cstack, cbook)
    slack = cstack.emulators.slack
    slack.plan_fault(Fault.OUTAGE, method="chat.postMessage", times=None)
    _breach(cstack, item_id)
    assert run_reminders(cstack.runtime) == 1
    eventually(lambda: _posts(cstack, status=503), what="the first try, refused")
    _later(cstack, 3)
    eventually(lambda: len(_posts(cstack, status=503)) >= 2, what="the retry, refused too")
    assert [p.status for p in _pings(cstack)] == ["due"] and ping_messages(slack, EXCEPTIONS) == []

    slack.clear_faults()                                              # the outage ends
    _later(cstack, 10)
    sent = eventually(lambda: [p for p in _pings(cstack) if p.status == "sent"], what="the ping sent")
    (message,) = ping_messages(slack, EXCEPTIONS)
    assert "SLA breached" in message.text and sent[0].slack_ts == message.ts
    assert message.metadata["event_payload"]["key"] == sent[0].dedupe_key
    _later(cstack, 600)
    assert run_reminders(cstack.runtime) == 0                          # decided once, never again
    assert len(ping_messages(slack, EXCEPTIONS)) == 1


def test_a_lost_answer_is_found_again_and_never_posted_twice(cstack: Stack, cbook: Book, caplog):
    caplog.set_level(logging.INFO)
    item_id = missing_po(cstack, cbook)
    slack = cstack.emulators.slack
    slack.plan_fault(Fault.LOST_RESPONSE, method="chat.postMessage")
    _breach(cstack, item_id)
    assert run_reminders(cstack.runtime) == 1
    eventually(lambda: _failed_tries(cstack), what="the post whose answer is lost")
    assert len(ping_messages(slack, EXCEPTIONS)) == 1                          # Slack has it; we do not know
    assert [p.status for p in _pings(cstack)] == ["due"]

    _later(cstack, 3)
    sent = eventually(lambda: [p for p in _pings(cstack) if p.status == "sent"], what="the ping recorded sent")
    posted = ping_messages(slack, EXCEPTIONS)
    assert len(posted) == 1 and sent[0].slack_ts == posted[0].ts
    assert len(ping_posts(slack)) == 1                 # looked up, not posted again
    assert slack.calls_to("conversations.history")
    assert any("posted by an earlier try" in r.getMessage() for r in caplog.records)
    assert DEFAULT_BOT_TOKEN not in caplog.text                       # nor in the failed try's warning


def test_a_tick_that_cannot_reach_slack_decides_nothing_and_the_next_one_does(cstack: Stack, cbook: Book):
    """The owner's reminder needs Slack to find the rep by email: while Slack is down nothing is claimed.
    (Slack is down from the start: else the owner's pre-flight DM has found the rep already, and a rep found
    recently is remembered through an outage.)"""
    slack = cstack.emulators.slack
    slack.plan_fault(Fault.OUTAGE, times=None)
    item_id = missing_po(cstack, cbook)
    reminder_time = items(cstack, id=item_id)[0].sla_due_at - timedelta(hours=2)
    cstack.runtime.clock.set(reminder_time)
    assert run_reminders(cstack.runtime) == 0
    assert items(cstack, id=item_id)[0].reminded_before_at is None and _pings(cstack) == []
    slack.clear_faults()
    assert run_reminders(cstack.runtime) == 1
    ping = eventually(lambda: [p for p in _pings(cstack) if p.status == "sent"], what="the reminder sent")[0]
    assert ping.kind == "reminder" and ping.channel.startswith("D")
    assert len(ping_messages(slack, ping.channel)) == 1
