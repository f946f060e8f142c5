"""Scheduled jobs queue ticks: one per slot whatever number of replicas fire, run by whichever worker claims."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlmodel import select

from app.clock import FixedClock
from app.config import load_settings
from app.db import session_scope
from app.jobs.scheduler import JOBS, JOBS_BY_KIND, build_scheduler, queue_tick, tick_key
from app.policy import load_policy
from app.runtime import Runtime
from app.sandbox.stack import DEMO_POLICY
from app.work_queue.models import WorkItem

START = datetime(2026, 3, 2, 14, 0, 7, tzinfo=UTC)
POLL = next(job for job in JOBS if job.id == "salesforce_poll")


def runtime(engine, clock) -> Runtime:
    settings = load_settings(database_url="sqlite://", ledgerbridge_poll_seconds=30, ledgerbridge_policy=DEMO_POLICY)
    # only the engine, clock and settings are used by queue_tick; the vendor gateways are never touched
    return Runtime(settings=settings, policy=load_policy(settings.ledgerbridge_policy), engine=engine, clock=clock,
                   salesforce=None, quickbooks=None, slack=None)  # type: ignore[arg-type]


def ticks(engine) -> list[str]:
    with session_scope(engine) as session:
        return [item.dedupe_key or "" for item in session.exec(select(WorkItem).order_by(WorkItem.id))]


def test_replicas_firing_in_the_same_period_queue_one_tick(engine):
    clock = FixedClock(START)
    rt = runtime(engine, clock)
    queue_tick(rt, POLL)
    clock.advance(timedelta(seconds=20))                   # another replica's scheduler, started later
    queue_tick(rt, POLL)
    clock.advance(timedelta(seconds=10))                   # the next 30 s period
    queue_tick(rt, POLL)
    assert len(ticks(engine)) == 2


def test_tick_keys_align_to_the_epoch_period():
    clock = FixedClock(START)
    rt = runtime(None, clock)
    assert tick_key(POLL, rt, now=START) == tick_key(POLL, rt, now=START + timedelta(seconds=22))
    assert tick_key(POLL, rt, now=START) != tick_key(POLL, rt, now=START + timedelta(seconds=23))


def test_every_job_has_its_own_tick_kind_and_the_scheduler_lists_them_all():
    assert len(JOBS_BY_KIND) == len(JOBS)
    rt = runtime(None, FixedClock(START))
    scheduler = build_scheduler(rt)
    assert {job.id for job in scheduler.get_jobs()} == {job.id for job in JOBS} | {"exception_digest_catch_up",
                                                                          "weekly_review_catch_up"}
