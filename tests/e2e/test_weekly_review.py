"""The weekly metric review: once per slot across replicas (two schedulers on one PostgreSQL database, and two
runs racing for the same slot), with last week's numbers (credit memos from Slack and QuickBooks CDC)."""
from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from sqlmodel import select

from app.clock import FixedClock
from app.db import session_scope
from app.exactly_once.models import JobRun, JobRunStatus
from app.invoicing.models import InvoiceJob, InvoiceJobStatus
from app.jobs.scheduler import build_scheduler
from app.jobs.weekly_review import JOB_NAME, run_weekly_review
from app.sandbox.book import Book, Line
from app.sandbox.stack import Stack, sandbox_settings, start_app, start_emulators
from tests.e2e.conftest import eventually

SLOT = datetime(2026, 11, 30, 14, 0, tzinfo=UTC)           # Monday 09:00 in New York: the default schedule
CHANNEL = "C05D1GESTFIN"                                   # policy channels.digest: where the review goes


def reviews(stack: Stack) -> list:
    return [m for m in stack.emulators.slack.messages(CHANNEL) if m.text.startswith("Weekly billing review")]


def invoiced(stack: Stack) -> bool:
    with session_scope(stack.runtime.engine) as session:
        return session.exec(select(InvoiceJob).where(InvoiceJob.status == InvoiceJobStatus.CREATED)).first() is not None


def weekly_runs(stack: Stack) -> list[tuple[str, datetime]]:
    with session_scope(stack.runtime.engine) as session:
        return [(run.status, run.scheduled_for) for run in session.exec(select(JobRun)).all()
                if run.job_name == JOB_NAME]


@pytest.fixture
def replicas(fresh_pg_database: str) -> Iterator[tuple[Stack, Stack]]:
    emulators = start_emulators()
    emulators.slack.retry_after_override = 0
    emulators.slack.set_rate_limit(rate=1000.0, burst=1000)
    settings = sandbox_settings(emulators, database_url=fresh_pg_database)
    started: list[Stack] = []
    try:
        for _ in range(2):
            started.append(start_app(emulators, settings, clock=FixedClock(SLOT - timedelta(days=2))))
        yield started[0], started[1]
    finally:
        for stack in started:
            stack.stop()
        emulators.stop()


def test_one_review_per_slot_with_two_schedulers_on_postgresql(replicas: tuple[Stack, Stack]):
    first, second = replicas
    book = Book(first.emulators.salesforce)
    book.add_account("Acme Corporation", Segment__c="SMB")
    book.add_deal("Acme - Support", account="Acme Corporation", owner_id=first.emulators.sf_user_ids["sam"],
                  CloseDate=(SLOT - timedelta(days=4)).date(), lines=[Line("Support Plan", Decimal(1))])
    first.poll()
    eventually(lambda: invoiced(first), what="last week's invoice, recorded")   # before the clocks move on
    for stack in replicas:
        stack.runtime.clock.set(SLOT + timedelta(minutes=5))       # both replicas (re)start five minutes late
    schedulers = [build_scheduler(stack.runtime) for stack in replicas]
    for scheduler in schedulers:
        scheduler.start()
    try:
        eventually(lambda: weekly_runs(first) == [(JobRunStatus.SUCCEEDED, SLOT)], timeout=30,
                   what="the review's slot, run by one replica")
    finally:
        for scheduler in schedulers:
            scheduler.shutdown(wait=True)
    posted = eventually(lambda: reviews(first), what="the review")
    assert len(posted) == 1
    text = "\n".join([posted[0].text, *[(b.get("text") or {}).get("text", "") for b in posted[0].blocks],
                      *[f["text"] for b in posted[0].blocks for f in b.get("fields", [])]])
    assert "*Days to invoice (median)*\n" in text and "*First-pass acceptance*\n100.0% (1 of 1" in text
    assert "*Credit memos issued*\n0\n" in text + "\n"        # none from Slack, none in QuickBooks (CDC)
    assert "*Invoiced deals*\n1 (week before: 0)" in text

    for stack in replicas:                                       # a week later, two runs race for the slot
        stack.runtime.clock.set(SLOT + timedelta(days=7, minutes=1))
    outcomes: list[bool] = []
    racers = [threading.Thread(target=lambda s=stack: outcomes.append(run_weekly_review(s.runtime)))
              for stack in replicas]
    for racer in racers:
        racer.start()
    for racer in racers:
        racer.join()
    assert sorted(outcomes) == [False, True]
    assert len(reviews(first)) == 2
    assert [status for status, _ in weekly_runs(first)] == [JobRunStatus.SUCCEEDED] * 2
