"""The lane worker on real SQL: lanes claim only their kinds, a vendor's 429 reschedules without sleeping or
using up attempts, leases are renewed while an item runs, and a dead worker's items resume at once."""
from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine

from app.clock import FixedClock, SystemClock
from app.db import require, session_scope
from app.errors import RateLimited, VendorUnavailable
from app.jobs.lanes import LANES, lane_of
from app.jobs.worker import BatchHandler, Lane, Worker, holder_is_dead, throttle_wait
from app.work_queue.kinds import WorkKind
from app.work_queue.models import WorkItem, WorkStatus
from app.work_queue.service import claim_next, enqueue, purge_finished, renew_leases

START = datetime(2026, 3, 2, 14, 0, tzinfo=UTC)
QBO = Lane("quickbooks", frozenset({"create_invoice"}))
SLACK = Lane("slack", frozenset({"announce_invoice"}))


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(START)


def add(engine: Engine, clock: FixedClock, kind: str, **payload: object) -> int:
    with session_scope(engine) as session:
        item = enqueue(session, kind=kind, payload=dict(payload), clock=clock)
        session.flush()
        return require_id(item)


def require_id(item: WorkItem) -> int:
    assert item.id is not None
    return item.id


def item(engine: Engine, item_id: int) -> WorkItem:
    with session_scope(engine) as session:
        return require(session, WorkItem, item_id)


def test_every_work_kind_belongs_to_exactly_one_lane():
    for kind in WorkKind:
        owners = [lane.name for lane in LANES if lane.kinds is not None and kind.value in lane.kinds]
        assert len(owners) == 1, f"{kind} is in lanes {owners}"
        assert lane_of(kind.value) is not None


def test_a_lane_claims_only_its_own_kinds(engine, clock):
    slack_item = add(engine, clock, "announce_invoice")
    qbo_item = add(engine, clock, "create_invoice")
    ran: list[str] = []
    worker = Worker(engine=engine, clock=clock, handlers={
        "create_invoice": lambda payload: ran.append("qbo"), "announce_invoice": lambda payload: ran.append("slack")})
    assert worker.run_once(QBO) and not worker.run_once(QBO)
    assert ran == ["qbo"] and item(engine, slack_item).status == WorkStatus.QUEUED
    assert item(engine, qbo_item).status == WorkStatus.DONE


def test_a_429_in_one_lane_reschedules_that_item_and_never_delays_another_lane(engine, clock):
    slack_item = add(engine, clock, "announce_invoice")
    qbo_item = add(engine, clock, "create_invoice")

    def rate_limited(payload: dict) -> None:
        raise RateLimited("Slack chat.postMessage failed: ratelimited", vendor="slack", retry_after=30)

    worker = Worker(engine=engine, clock=clock, handlers={"announce_invoice": rate_limited,
                                                          "create_invoice": lambda payload: None})
    assert worker.run_once(SLACK)                          # answered at once: no sleep in the worker
    waiting = item(engine, slack_item)
    assert (waiting.status, waiting.attempts) == (WorkStatus.QUEUED, 0)
    assert waiting.run_after == START + timedelta(seconds=30)
    assert worker.run_once(QBO) and item(engine, qbo_item).status == WorkStatus.DONE
    assert not worker.run_once(SLACK)                      # not before its Retry-After
    clock.advance(timedelta(seconds=30))
    assert worker.run_once(SLACK)


def test_rate_limits_never_use_up_attempts_but_real_failures_do(engine, clock):
    item_id = add(engine, clock, "create_invoice")
    errors = iter([RateLimited("slow", vendor="quickbooks")] * 20 + [VendorUnavailable("down", vendor="quickbooks")])

    def handler(payload: dict) -> None:
        raise next(errors)

    worker = Worker(engine=engine, clock=clock, handlers={"create_invoice": handler})
    for _ in range(20):
        assert worker.run_once(QBO)
        clock.advance(timedelta(seconds=61))               # QuickBooks' documented 60 s wait after a 429
    assert item(engine, item_id).attempts == 0
    worker.run_once(QBO)
    assert (item(engine, item_id).attempts, item(engine, item_id).status) == (1, WorkStatus.QUEUED)


def test_quickbooks_throttle_waits_sixty_seconds_unless_told_otherwise():
    assert throttle_wait(RateLimited("x", vendor="quickbooks")) == timedelta(seconds=60)
    assert throttle_wait(RateLimited("x", vendor="quickbooks", retry_after=7)) == timedelta(seconds=7)
    assert throttle_wait(RateLimited("x", vendor="slack")) == timedelta(seconds=1)


def test_the_heartbeat_keeps_a_running_items_lease_and_only_its_own(engine, clock):
    mine, theirs = add(engine, clock, "create_invoice"), add(engine, clock, "create_invoice")
    with session_scope(engine) as session:
        claim_next(session, worker_id="w1", clock=clock, lease=timedelta(seconds=20))
        claim_next(session, worker_id="w2", clock=clock, lease=timedelta(seconds=20))
    clock.advance(timedelta(seconds=15))
    with session_scope(engine) as session:
        assert renew_leases(session, worker_id="w1", item_ids=[mine, theirs], clock=clock,
                            lease=timedelta(seconds=20)) == 1
    assert item(engine, mine).locked_until == clock.now() + timedelta(seconds=20)
    assert item(engine, theirs).locked_until == START + timedelta(seconds=20)


def test_a_long_item_is_not_taken_by_another_worker_while_its_heartbeat_beats(engine):
    item_id = add(engine, FixedClock(START), "create_invoice")
    release, started = threading.Event(), threading.Event()

    def slow(payload: dict) -> None:
        started.set()
        release.wait(10)

    clock = SystemClock()
    with session_scope(engine) as session:                 # runnable now, whatever START was
        require(session, WorkItem, item_id).run_after = clock.now() - timedelta(seconds=1)
    busy = Worker(engine=engine, clock=clock, handlers={"create_invoice": slow}, lease=timedelta(seconds=1),
                  heartbeat=timedelta(seconds=0.2), lanes=(QBO,))
    other = Worker(engine=engine, clock=clock, handlers={"create_invoice": lambda payload: None},
                   lease=timedelta(seconds=1))
    busy.start()
    try:
        assert started.wait(10)
        deadline = clock.now() + timedelta(seconds=2.5)    # more than twice the lease
        while clock.now() < deadline:
            assert not other.run_once(QBO)
    finally:
        release.set()
        busy.stop()
    assert item(engine, item_id).status == WorkStatus.DONE and item(engine, item_id).attempts == 1


def test_a_holder_is_dead_only_when_its_process_on_this_host_is_gone():
    host = socket.gethostname()
    assert holder_is_dead(f"{host}:12345:abcd", host=host, pid_alive=lambda pid: False)
    assert not holder_is_dead(f"{host}:12345:abcd", host=host, pid_alive=lambda pid: True)
    assert not holder_is_dead("other-host:12345:abcd", host=host, pid_alive=lambda pid: False)
    assert not holder_is_dead("w1", host=host, pid_alive=lambda pid: False)


def test_a_new_worker_resumes_the_items_of_a_killed_worker_at_once(engine, clock):
    item_id = add(engine, clock, "create_invoice")
    gone = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True,
                          check=True)
    dead_holder = f"{socket.gethostname()}:{int(gone.stdout)}:deadbeef"
    with session_scope(engine) as session:
        claim_next(session, worker_id=dead_holder, clock=clock)
    alive_holder = f"{socket.gethostname()}:{os.getpid()}:cafe"
    other_id = add(engine, clock, "create_invoice")
    with session_scope(engine) as session:
        claim_next(session, worker_id=alive_holder, clock=clock)
    worker = Worker(engine=engine, clock=clock, handlers={"create_invoice": lambda payload: None})
    assert worker.release_dead_holders() == 1
    assert worker.run_once(QBO) and item(engine, item_id).status == WorkStatus.DONE
    assert item(engine, other_id).status == WorkStatus.RUNNING         # a live holder keeps its item


def test_finished_work_is_purged_after_a_week_but_failures_stay(engine, clock):
    done, failed = add(engine, clock, "create_invoice"), add(engine, clock, "create_invoice")
    with session_scope(engine) as session:
        require(session, WorkItem, done).status = WorkStatus.DONE
        require(session, WorkItem, failed).status = WorkStatus.FAILED
    with session_scope(engine) as session:
        assert purge_finished(session, older_than=START) == 0
        assert purge_finished(session, older_than=START + timedelta(days=8)) == 1
    assert item(engine, failed).status == WorkStatus.FAILED


def test_a_backlog_of_a_batch_kind_runs_together_with_an_outcome_per_item(engine, clock):
    ids = [add(engine, clock, "create_invoice", n=n) for n in range(5)]
    other = add(engine, clock, "announce_invoice")
    seen: list[list[int]] = []

    def batch(payloads: list[dict]) -> list[BaseException | None]:
        seen.append([payload["n"] for payload in payloads])
        return [VendorUnavailable("down", vendor="quickbooks") if payload["n"] == 3 else None for payload in payloads]

    worker = Worker(engine=engine, clock=clock, handlers={}, batch_handlers={"create_invoice": BatchHandler(4, batch)})
    assert worker.run_once(QBO)
    assert seen == [[0, 1, 2, 3]]                          # at most max_items, oldest first, of that kind only
    statuses = [item(engine, item_id).status for item_id in ids]
    assert statuses == [WorkStatus.DONE] * 3 + [WorkStatus.QUEUED, WorkStatus.QUEUED]
    assert item(engine, ids[3]).last_error and item(engine, other).status == WorkStatus.QUEUED


def test_a_batch_that_fails_as_a_whole_records_the_failure_on_every_item(engine, clock):
    ids = [add(engine, clock, "create_invoice", n=n) for n in range(3)]

    def batch(payloads: list[dict]) -> list[BaseException | None]:
        raise RateLimited("slow down", vendor="quickbooks", retry_after=5)

    worker = Worker(engine=engine, clock=clock, handlers={}, batch_handlers={"create_invoice": BatchHandler(30, batch)})
    assert worker.run_once(QBO)
    rescheduled = [item(engine, item_id) for item_id in ids]
    assert all(row.status == WorkStatus.QUEUED and row.attempts == 0 for row in rescheduled)
    assert all(row.run_after == START + timedelta(seconds=5) for row in rescheduled)
