"""'Exactly one digest per slot' against the emulators with a FixedClock: the catch-up at scheduler start, a
failed slot retaken by the next reminder tick, a crashed claim taken over after its lease; never twice."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import select

from app.db import session_scope
from app.errors import IntegrationError
from app.exactly_once.models import JobRun, JobRunStatus
from app.jobs.digest import CLAIM_LEASE, MAX_LATENESS, run_digest
from app.jobs.scheduler import build_scheduler, sla_reminders
from app.sandbox.book import Book
from app.sandbox.slack.state import DEFAULT_BOT_TOKEN
from app.sandbox.stack import Stack
from tests.e2e.conftest import eventually
from tests.e2e.test_exceptions import DIGEST
from tests.e2e.test_exceptions_slack import missing_po

SLOT = datetime(2026, 11, 24, 13, 30, tzinfo=UTC)          # Tuesday 08:30 New York


def runs(stack: Stack) -> list[tuple[str, datetime]]:
    with session_scope(stack.runtime.engine) as session:
        return [(run.status, run.scheduled_for) for run in session.exec(select(JobRun)).all()]


@pytest.mark.parametrize(("late", "sent"), [(timedelta(minutes=20), 1), (MAX_LATENESS + timedelta(minutes=1), 0)])
def test_the_catch_up_at_scheduler_start_sends_a_slot_a_restart_skipped(cstack: Stack, cbook: Book, late, sent):
    missing_po(cstack, cbook)
    cstack.runtime.clock.set(SLOT + late)                 # the process was down at 08:30
    scheduler = build_scheduler(cstack.runtime)
    assert scheduler.get_job("exception_digest").misfire_grace_time == MAX_LATENESS.total_seconds()
    scheduler.start()
    try:
        if sent:
            eventually(lambda: cstack.emulators.slack.messages(DIGEST), what="the caught-up digest")
        eventually(lambda: scheduler.get_job("exception_digest_catch_up") is None, what="the catch-up to run")
    finally:
        scheduler.shutdown(wait=True)
    expected = [(JobRunStatus.SUCCEEDED, SLOT)] if sent else []
    eventually(lambda: runs(cstack) == expected, what="the slot recorded")     # the worker ran the queued tick
    assert len(cstack.emulators.slack.messages(DIGEST)) == sent


def test_a_failed_slot_is_retaken_by_the_next_reminder_tick_once(cstack: Stack, cbook: Book):
    missing_po(cstack, cbook)
    slack = cstack.emulators.slack
    slack.revoke_token(DEFAULT_BOT_TOKEN)
    with pytest.raises(IntegrationError):
        run_digest(cstack.runtime)
    assert runs(cstack) == [(JobRunStatus.FAILED, SLOT)]
    slack.set_tokens([DEFAULT_BOT_TOKEN])
    cstack.runtime.clock.advance(timedelta(minutes=5))
    sla_reminders(cstack.runtime)
    sla_reminders(cstack.runtime)                    # the next tick sends nothing more
    assert len(slack.messages(DIGEST)) == 1 and runs(cstack) == [(JobRunStatus.SUCCEEDED, SLOT)]


def test_a_crashed_claim_is_taken_over_after_its_lease(cstack: Stack, cbook: Book):
    missing_po(cstack, cbook)
    with session_scope(cstack.runtime.engine) as session:      # a replica claimed the slot, then died
        session.add(JobRun(job_name="exception_digest", scheduled_for=SLOT, started_at=SLOT))
    clock = cstack.runtime.clock
    clock.set(SLOT + CLAIM_LEASE - timedelta(seconds=1))
    assert run_digest(cstack.runtime) is False
    clock.set(SLOT + CLAIM_LEASE + timedelta(seconds=1))
    assert run_digest(cstack.runtime) is True and run_digest(cstack.runtime) is False
    assert len(cstack.emulators.slack.messages(DIGEST)) == 1 and runs(cstack) == [(JobRunStatus.SUCCEEDED, SLOT)]
