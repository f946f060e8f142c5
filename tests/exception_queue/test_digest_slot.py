"""One digest per slot on SQLite and PostgreSQL: a crashed (stale RUNNING) or FAILED claim is taken over by
exactly one of several concurrent claimers; a fresh claim is not; a taken-over run cannot finish the slot."""
from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

from sqlmodel import select

from app.db import session_scope
from app.exactly_once.models import JobRun, JobRunStatus
from app.jobs.digest import CLAIM_LEASE, claim_slot, finish_slot

SLOT = datetime(2026, 11, 24, 13, 30, tzinfo=UTC)
CLAIMERS = 8


def seed(engine, *, status: JobRunStatus, started_at: datetime) -> None:
    with session_scope(engine) as session:
        session.add(JobRun(job_name="exception_digest", scheduled_for=SLOT, started_at=started_at, status=status))


def claim_together(engine, now: datetime) -> list[datetime | None]:
    barrier = threading.Barrier(CLAIMERS)

    def claim(_: int) -> datetime | None:
        barrier.wait()
        return claim_slot(engine, job_name="exception_digest", slot=SLOT, now=now)
    with ThreadPoolExecutor(max_workers=CLAIMERS) as pool:
        return list(pool.map(claim, range(CLAIMERS)))


def the_run(engine) -> JobRun:
    with session_scope(engine) as session:
        return session.exec(select(JobRun)).one()


def test_concurrent_first_claims_have_one_winner(engine):
    won = [token for token in claim_together(engine, SLOT + timedelta(minutes=1)) if token]
    assert len(won) == 1 and the_run(engine).status == JobRunStatus.RUNNING


def test_a_crashed_claim_is_taken_over_by_exactly_one_claimer(engine):
    seed(engine, status=JobRunStatus.RUNNING, started_at=SLOT)
    now = SLOT + CLAIM_LEASE + timedelta(seconds=1)
    won = [token for token in claim_together(engine, now) if token]
    assert won == [now]
    assert (the_run(engine).status, the_run(engine).started_at) == (JobRunStatus.RUNNING, now)


def test_a_claim_within_its_lease_is_left_alone(engine):
    seed(engine, status=JobRunStatus.RUNNING, started_at=SLOT)
    assert [token for token in claim_together(engine, SLOT + CLAIM_LEASE - timedelta(seconds=1)) if token] == []


def test_a_failed_run_is_retaken_once(engine):
    seed(engine, status=JobRunStatus.FAILED, started_at=SLOT)
    assert len([token for token in claim_together(engine, SLOT + timedelta(minutes=5)) if token]) == 1


def test_the_run_that_was_taken_over_cannot_finish_the_slot(engine):
    seed(engine, status=JobRunStatus.RUNNING, started_at=SLOT)
    now = SLOT + CLAIM_LEASE * 2
    assert claim_slot(engine, job_name="exception_digest", slot=SLOT, now=now) == now
    assert not finish_slot(engine, job_name="exception_digest", slot=SLOT, claimed_at=SLOT,
                           status=JobRunStatus.FAILED, now=now)                 # the crashed run woke up late
    assert the_run(engine).status == JobRunStatus.RUNNING
    assert finish_slot(engine, job_name="exception_digest", slot=SLOT, claimed_at=now,
                       status=JobRunStatus.SUCCEEDED, now=now)
    assert claim_slot(engine, job_name="exception_digest", slot=SLOT, now=now + CLAIM_LEASE * 9) is None

