"""Two OS processes on one PostgreSQL bucket together never exceed the limit; threads on SQLite's in-process one
neither. Counted on the timestamps each admission got (stored in PostgreSQL) and on the callers' own clocks."""
from __future__ import annotations

import multiprocessing
import threading
import time
from collections.abc import Sequence

from pyrate_limiter import Rate
from sqlalchemy import create_engine, text

from app.integrations.throttle import CONTENDED_WAIT, Limit, Throttle, ThrottleKey
from app.integrations.throttle_buckets import MemoryBuckets, bucket_table, throttle_for_database

LIMIT, WINDOW = 4, 1.0
LIMITS = {"shared": Limit("shared", "quickbooks", (Rate(LIMIT, int(WINDOW * 1000)),))}
KEY = ThrottleKey("shared", "realm-1")
RUN_SECONDS = 2.5
CLOCK_SLACK = 0.1  # a caller notes its wall-clock time a moment after the bucket stamped the admission


def hammer(throttle: Throttle, start: float, until: float) -> list[float]:
    """Ask for a slot as often as the throttle allows from `start` to `until` (wall clock); the admission times."""
    time.sleep(max(0.0, start - time.time()))
    admitted = []
    while time.time() < until:
        wait = throttle.try_acquire(KEY)
        if wait == 0:
            admitted.append(time.time())
        else:
            time.sleep(min(wait, 0.05))
    return admitted


def hammer_in_a_process(database_url: str, ready: multiprocessing.Queue, go: multiprocessing.Queue,
                        results: multiprocessing.Queue) -> None:
    """Report ready once imported and connected, wait for the shared start time, then hammer."""
    throttle = throttle_for_database(database_url, limits=LIMITS)
    try:
        ready.put(True)
        start = go.get(timeout=120)
        results.put(hammer(throttle, start, start + RUN_SECONDS))
    finally:
        throttle.close()


def busiest_window(stamps: Sequence[float], window: float) -> int:
    """The most stamps inside any half-open interval [t, t + window)."""
    ordered = sorted(stamps)
    return max((sum(1 for other in ordered[i:] if other < start + window) for i, start in enumerate(ordered)),
               default=0)


def test_two_processes_on_one_postgres_bucket_stay_under_the_limit(fresh_pg_database: str) -> None:
    context = multiprocessing.get_context("spawn")
    ready, go, results = context.Queue(), context.Queue(), context.Queue()
    processes = [context.Process(target=hammer_in_a_process, args=(fresh_pg_database, ready, go, results))
                 for _ in range(2)]
    for process in processes:
        process.start()
    for _ in processes:  # both are up (imports, connections) before either starts asking, however loaded the machine
        ready.get(timeout=120)
    start_at = time.time() + 0.2
    for _ in processes:
        go.put(start_at)
    per_process = [results.get(timeout=60) for _ in processes]
    for process in processes:
        process.join(timeout=10)
        assert process.exitcode == 0
    admitted = [stamp for stamps in per_process for stamp in stamps]
    stored = _stored_timestamps(fresh_pg_database)

    assert all(per_process), "both processes got slots"
    assert len(stored) == sum(len(stamps) for stamps in per_process)  # one stored timestamp per admission
    assert busiest_window(stored, WINDOW) <= LIMIT
    assert busiest_window(admitted, WINDOW - CLOCK_SLACK) <= LIMIT
    assert len(admitted) >= LIMIT * int(RUN_SECONDS / WINDOW)  # the limit was reached, not starved


def test_threads_on_sqlites_in_process_bucket_stay_under_the_limit(sqlite_url: str) -> None:
    throttle = throttle_for_database(sqlite_url, limits=LIMITS)
    admitted = _hammer_with_threads([throttle] * 3)
    assert busiest_window(admitted, WINDOW - CLOCK_SLACK) <= LIMIT
    assert len(admitted) >= LIMIT * int(RUN_SECONDS / WINDOW)


def test_the_window_count_catches_callers_that_do_not_share_a_bucket() -> None:
    """The check above can fail: two throttles that each count alone admit twice the limit."""
    apart = [Throttle(MemoryBuckets(), limits=LIMITS) for _ in range(2)]
    assert busiest_window(_hammer_with_threads(apart, seconds=0.5), WINDOW) == 2 * LIMIT


def _hammer_with_threads(throttles: list[Throttle], seconds: float = RUN_SECONDS) -> list[float]:
    start, found = time.time(), []
    threads = [threading.Thread(target=lambda t=throttle: found.extend(hammer(t, start, start + seconds)))
               for throttle in throttles]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return found


def _stored_timestamps(database_url: str) -> list[float]:
    engine = create_engine(database_url)
    try:
        with engine.connect() as connection:
            rows = connection.execute(text(
                f'SELECT extract(epoch FROM item_timestamp::timestamptz) FROM "{bucket_table(KEY.name)}"'))
            return [float(value) for (value,) in rows]
    finally:
        engine.dispose()


def test_a_bucket_locked_by_another_process_is_retried_not_reported_full(fresh_pg_database: str) -> None:
    throttle = throttle_for_database(fresh_pg_database, limits=LIMITS)
    try:
        assert throttle.try_acquire(KEY) == 0.0  # creates the bucket's table
        other = create_engine(fresh_pg_database)
        with other.connect() as connection:
            connection.execute(text(f'LOCK TABLE "{bucket_table(KEY.name)}" IN EXCLUSIVE MODE'))
            assert throttle.try_acquire(KEY) == CONTENDED_WAIT  # says "very soon", took nothing
            threading.Timer(0.05, connection.rollback).start()  # the other transaction ends in 50 ms
            assert throttle.acquire(KEY, max_wait=0) < 1.0  # retried through the contention, no ThrottleFull
        other.dispose()
        assert len(_stored_timestamps(fresh_pg_database)) == 2
    finally:
        throttle.close()
