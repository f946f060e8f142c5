"""The durable work queue on real SQL (SQLite and PostgreSQL): dedupe, claim order, leases, retries, backoff."""
from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine, event
from sqlmodel import Session, select

from app.clock import FixedClock
from app.db import session_scope
from app.errors import RateLimited
from app.jobs.worker import retry_delay
from app.work_queue.models import WorkItem, WorkStatus
from app.work_queue.service import LEASE, backoff, claim_more, claim_next, complete, enqueue, fail, pending_count

START = datetime(2026, 3, 2, 14, 0, tzinfo=UTC)


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(START)


def add(engine: Engine, clock: FixedClock, kind: str = "create_invoice", *, key: str | None = None,
        payload: dict | None = None, delay: timedelta = timedelta(0)) -> int:
    with session_scope(engine) as session:
        item = enqueue(session, kind=kind, payload=payload or {}, clock=clock, dedupe_key=key, delay=delay)
        session.flush()
        return item.id


def claim(engine: Engine, clock: FixedClock, worker: str = "w1") -> WorkItem | None:
    with session_scope(engine) as session:
        return claim_next(session, worker_id=worker, clock=clock)


def get(engine: Engine, item_id: int) -> WorkItem:
    with session_scope(engine) as session:
        return session.get(WorkItem, item_id)


def all_items(engine: Engine) -> list[WorkItem]:
    with session_scope(engine) as session:
        return list(session.exec(select(WorkItem).order_by(WorkItem.id)))


def fail_now(engine: Engine, clock: FixedClock, item_id: int, error: str, retry_in: timedelta | None,
             worker: str = "w1") -> bool:
    with session_scope(engine) as session:
        return fail(session, item_id=item_id, worker_id=worker, error=error, clock=clock, retry_in=retry_in)


# --- enqueue ------------------------------------------------------------------------------------------

def test_the_same_dedupe_key_queues_the_work_once(engine, clock):
    first = add(engine, clock, key="create_invoice:7", payload={"deal_id": 7})
    clock.advance(timedelta(seconds=30))
    again = add(engine, clock, key="create_invoice:7", payload={"deal_id": 999})
    assert again == first
    (item,) = all_items(engine)
    assert (item.payload, item.status, item.run_after) == ({"deal_id": 7}, "queued", START)


def test_without_a_dedupe_key_every_enqueue_is_new_work(engine, clock):
    assert add(engine, clock) != add(engine, clock)
    assert len(all_items(engine)) == 2


def test_a_failed_item_is_requeued_by_a_new_enqueue(engine, clock):
    item_id = add(engine, clock, key="post_approval:3")
    claim(engine, clock)
    fail_now(engine, clock, item_id, "Slack said channel_not_found", retry_in=None)
    assert get(engine, item_id).status == "failed"
    clock.advance(timedelta(hours=1))
    assert add(engine, clock, key="post_approval:3") == item_id
    item = get(engine, item_id)
    assert (item.status, item.attempts, item.run_after) == ("queued", 0, clock.now())
    assert claim(engine, clock).id == item_id


@pytest.mark.parametrize("state", ["done", "running", "queued"])
def test_an_item_that_did_not_fail_is_left_alone_by_a_new_enqueue(engine, clock, state):
    item_id = add(engine, clock, key="create_invoice:1")
    if state != "queued":
        claim(engine, clock)
    if state == "done":
        with session_scope(engine) as session:
            complete(session, item_id=item_id, worker_id="w1", clock=clock)
    before = get(engine, item_id)
    clock.advance(timedelta(minutes=1))
    assert add(engine, clock, key="create_invoice:1") == item_id
    after = get(engine, item_id)
    assert (after.status, after.attempts, after.run_after) == (state, before.attempts, before.run_after)


def test_a_racing_enqueue_of_the_same_key_returns_the_winners_item(engine, clock):
    """The winner's row is not yet committed when the loser looks; the unique key decides, not the look-up."""
    winner = Session(engine, expire_on_commit=False)
    winning = enqueue(winner, kind="create_invoice", payload={"by": "winner"}, clock=clock, dedupe_key="k")
    winner.flush()
    committer = threading.Timer(0.3, winner.commit)
    committer.start()
    try:
        with session_scope(engine) as session:
            loser_sees = enqueue(session, kind="create_invoice", payload={"by": "loser"}, clock=clock, dedupe_key="k")
            assert (loser_sees.id, loser_sees.payload) == (winning.id, {"by": "winner"})
    finally:
        committer.join()
        winner.close()
    assert [(item.id, item.payload) for item in all_items(engine)] == [(winning.id, {"by": "winner"})]


# --- claim_next ---------------------------------------------------------------------------------------

def test_claims_take_the_earliest_run_after_then_the_oldest(engine, clock):
    later = add(engine, clock, "a", delay=timedelta(seconds=10))
    first = add(engine, clock, "b")
    second = add(engine, clock, "c")
    clock.advance(timedelta(seconds=10))
    assert [claim(engine, clock).id for _ in range(3)] == [first, second, later]
    assert claim(engine, clock) is None


def test_a_claim_leases_the_item_to_the_worker(engine, clock):
    item_id = add(engine, clock)
    item = claim(engine, clock, "worker-7")
    assert (item.id, item.status, item.locked_by, item.attempts) == (item_id, "running", "worker-7", 1)
    assert item.locked_until == START + LEASE
    with session_scope(engine) as session:
        assert pending_count(session) == 1


def test_delayed_work_is_not_claimed_before_its_run_after(engine, clock):
    item_id = add(engine, clock, delay=timedelta(minutes=2))
    clock.advance(timedelta(minutes=2) - timedelta(microseconds=1))
    assert claim(engine, clock) is None
    clock.advance(timedelta(microseconds=1))
    assert claim(engine, clock).id == item_id


def test_a_running_item_is_claimable_again_only_after_its_lease_expires(engine, clock):
    item_id = add(engine, clock)
    claim(engine, clock, "crashed")
    assert claim(engine, clock, "other") is None
    clock.advance(LEASE)                        # locked_until == now: still leased
    assert claim(engine, clock, "other") is None
    clock.advance(timedelta(microseconds=1))
    recovered = claim(engine, clock, "other")
    assert (recovered.id, recovered.locked_by, recovered.attempts) == (item_id, "other", 2)
    assert recovered.locked_until == clock.now() + LEASE


def test_finished_items_are_never_claimed(engine, clock):
    done, failed = add(engine, clock), add(engine, clock)
    claim(engine, clock), claim(engine, clock)
    with session_scope(engine) as session:
        complete(session, item_id=done, worker_id="w1", clock=clock)
    fail_now(engine, clock, failed, "for good", retry_in=None)
    clock.advance(LEASE * 10)
    assert claim(engine, clock) is None
    assert (get(engine, done).status, get(engine, done).locked_by, get(engine, done).last_error) == ("done", None, None)
    with session_scope(engine) as session:
        assert pending_count(session) == 0


def test_pending_count_is_one_count_query_over_queued_and_running_items(engine, clock):
    done, failed, _running, _queued = (add(engine, clock) for _ in range(4))
    for _ in range(3):
        claim(engine, clock)
    with session_scope(engine) as session:
        complete(session, item_id=done, worker_id="w1", clock=clock)
    fail_now(engine, clock, failed, "for good", retry_in=None)
    statements: list[str] = []

    def record(_connection, _cursor, statement, *_args) -> None:
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", record)
    try:
        with session_scope(engine) as session:
            assert pending_count(session) == 2
    finally:
        event.remove(engine, "before_cursor_execute", record)
    assert len(statements) == 1 and "count(" in statements[0].lower()


def test_two_claimers_never_get_the_same_item(engine, clock):
    ids = {add(engine, clock) for _ in range(6)}
    workers, start = 4, threading.Barrier(4)
    claimed: dict[str, list[int]] = {f"w{n}": [] for n in range(workers)}

    def drain(worker: str) -> None:
        start.wait()
        while (item := claim(engine, clock, worker)) is not None:
            claimed[worker].append(item.id)

    threads = [threading.Thread(target=drain, args=(worker,)) for worker in claimed]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    taken = [item_id for worker_ids in claimed.values() for item_id in worker_ids]
    assert sorted(taken) == sorted(ids)                 # every item once, none twice
    assert {item.locked_by for item in all_items(engine)} <= set(claimed)
    assert all(item.attempts == 1 for item in all_items(engine))


def test_a_claimed_item_is_not_handed_to_a_second_session(engine, clock):
    only = add(engine, clock)
    with session_scope(engine) as first:
        assert claim_next(first, worker_id="w1", clock=clock).id == only
    with session_scope(engine) as second:
        assert claim_next(second, worker_id="w2", clock=clock) is None
    assert get(engine, only).locked_by == "w1"


def test_a_late_failure_from_an_expired_lease_does_not_hand_the_item_to_a_third_worker(engine, clock):
    item_id = add(engine, clock)
    claim(engine, clock, "slow")
    clock.advance(LEASE + timedelta(seconds=1))
    assert claim(engine, clock, "rescuer").id == item_id
    assert not fail_now(engine, clock, item_id, "slow worker finally timed out", retry_in=timedelta(0), worker="slow")
    assert claim(engine, clock, "third") is None          # "rescuer" still holds a live lease
    assert get(engine, item_id).locked_by == "rescuer"


# --- fail and backoff ---------------------------------------------------------------------------------

def test_a_retryable_failure_requeues_after_the_delay_and_keeps_the_error(engine, clock):
    item_id = add(engine, clock)
    claim(engine, clock)
    fail_now(engine, clock, item_id, "QuickBooks 503", retry_in=timedelta(seconds=8))
    item = get(engine, item_id)
    assert (item.status, item.last_error, item.locked_by, item.locked_until) == ("queued", "QuickBooks 503", None, None)
    assert item.run_after == START + timedelta(seconds=8)
    clock.advance(timedelta(seconds=7))
    assert claim(engine, clock) is None
    clock.advance(timedelta(seconds=1))
    assert claim(engine, clock).attempts == 2


def test_a_final_failure_is_failed_for_good_with_a_bounded_error(engine, clock):
    item_id = add(engine, clock)
    claim(engine, clock)
    fail_now(engine, clock, item_id, "x" * 5000, retry_in=None)
    item = get(engine, item_id)
    assert (item.status, len(item.last_error), item.locked_by) == ("failed", 4000, None)
    clock.advance(timedelta(days=1))
    assert claim(engine, clock) is None


def test_completing_clears_the_lease(engine, clock):
    item_id = add(engine, clock)
    claim(engine, clock)
    with session_scope(engine) as session:
        complete(session, item_id=item_id, worker_id="w1", clock=clock)
    item = get(engine, item_id)
    assert (item.status, item.locked_by, item.locked_until, item.last_error) == ("done", None, None, None)


@pytest.mark.parametrize(("attempts", "seconds"), [(0, 2), (1, 2), (2, 4), (3, 8), (8, 256), (9, 300), (50, 300)])
def test_backoff_doubles_from_two_seconds_up_to_five_minutes(attempts, seconds):
    assert backoff(attempts) == timedelta(seconds=seconds)


def test_a_late_completion_from_an_expired_lease_changes_nothing(engine, clock):
    item_id = add(engine, clock)
    claim(engine, clock, "slow")
    clock.advance(LEASE + timedelta(seconds=1))
    claim(engine, clock, "rescuer")
    with session_scope(engine) as session:
        assert complete(session, item_id=item_id, worker_id="slow", clock=clock) is False
    assert (get(engine, item_id).status, get(engine, item_id).locked_by) == ("running", "rescuer")


def test_a_vendor_retry_after_is_honoured_over_a_shorter_backoff():
    assert retry_delay(RateLimited("slow down", vendor="quickbooks", retry_after=60), 1) == timedelta(seconds=60)
    assert retry_delay(RateLimited("slow down", vendor="slack", retry_after=None), 3) == timedelta(seconds=8)
    assert retry_delay(RuntimeError("boom"), 2) == timedelta(seconds=4)


def test_a_batch_claim_takes_a_block_of_one_kind_and_never_what_another_holds(engine, clock):
    ids = [add(engine, clock, "create_invoice") for _ in range(5)]
    other = add(engine, clock, "announce_invoice")
    with session_scope(engine) as session:
        first = claim_next(session, worker_id="w1", clock=clock, kinds={"create_invoice"})
    with session_scope(engine) as session:
        mine = claim_more(session, worker_id="w1", clock=clock, kind="create_invoice", count=3, running={first.id})
    with session_scope(engine) as session:
        theirs = claim_more(session, worker_id="w2", clock=clock, kind="create_invoice", count=30)
    assert [item.id for item in mine] == ids[1:4]
    assert [item.id for item in theirs] == ids[4:]                     # what w1 holds is never handed out again
    assert {item.locked_by for item in mine} == {"w1"} and all(item.attempts == 1 for item in mine)
    with session_scope(engine) as session:
        assert claim_more(session, worker_id="w3", clock=clock, kind="create_invoice", count=30) == []
        assert session.get(WorkItem, other).status == WorkStatus.QUEUED
