"""The month-end burst with real `ledgerbridge worker` processes: kill -9 in the middle, and two at once.

The three emulators run in this test process; each worker is its own OS process, configured through the
environment exactly as an operator would, after `ledgerbridge db upgrade`.
"""
from __future__ import annotations

import functools
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import Engine, func
from sqlmodel import select

from app.db import Transactions, make_engine, session_scope
from app.intake.service import poll_changes
from app.invoicing.models import InvoiceJob, InvoiceJobStatus
from app.sandbox.book import Book, Line
from app.sandbox.quickbooks.demo import DEMO_REALM_ID
from app.sandbox.quickbooks.throttle import ThrottleLimits
from app.sandbox.stack import Emulators, sandbox_settings, settings_environment, start_emulators
from app.wiring import build_runtime
from app.work_queue.models import WorkItem

CLI = [sys.executable, "-m", "app.cli"]
ACCOUNTS = ("Globex Inc", "Initech LLC", "Acme Corporation")
PRODUCTS = ("Support Plan", "Consulting Services", "Implementation", "Annual Subscription")
RESUME_BOUND_SECONDS = 30.0
DEALS_FOR_TWO = 240         # 8 full batches for 4 QuickBooks threads in two processes
POLL_SECONDS = 0.1          # the test's own look at progress stays light: it shares the emulators' process


@pytest.fixture
def emulators() -> Iterator[Emulators]:
    running = start_emulators()
    running.slack.retry_after_override = 0
    running.slack.set_rate_limit(rate=1000.0, burst=1000)
    yield running
    running.stop()


def prepare(emulators: Emulators, database_url: str, tmp_path: Path, deals: int,
            **overrides: object) -> tuple[dict[str, str], list[str]]:
    """`ledgerbridge db upgrade`, then `deals` billable deals seeded in Salesforce and polled in by this process
    (their CREATE_INVOICE work queued). Returns the workers' environment and the opportunity ids."""
    settings = sandbox_settings(emulators, database_url=database_url, **overrides)
    env = settings_environment(settings, base=dict(os.environ))
    upgraded = subprocess.run(CLI + ["db", "upgrade"], env=env, cwd=tmp_path, capture_output=True, text=True,
                              timeout=120)
    assert upgraded.returncode == 0, upgraded.stderr
    book = Book(emulators.salesforce)
    for name in ACCOUNTS:
        book.add_account(name, Segment__c="SMB")
    ids = [book.add_deal(f"Month-end {index:04d}", account=ACCOUNTS[index % len(ACCOUNTS)],
                         owner_id=emulators.sf_user_ids["sam"],
                         lines=[Line(PRODUCTS[(index + n) % 4], Decimal(1)) for n in range(1 + index % 4)],
                         PO_Number__c=f"PO-{index}")
           for index in range(deals)]
    runtime = build_runtime(settings, engine=make_engine(database_url))
    try:
        report = poll_changes(transactions=Transactions(runtime.engine), source=runtime.salesforce,
                     customers=runtime.quickbooks,
                              policy=runtime.policy, clock=runtime.clock)
    finally:
        runtime.engine.dispose()
    assert report.queued >= deals
    return env, ids


def start_worker(env: dict[str, str], cwd: Path, name: str) -> subprocess.Popen[bytes]:
    log = (cwd / f"{name}.log").open("wb")
    return subprocess.Popen(CLI + ["worker", "--no-scheduler"], env=env, cwd=cwd, stdout=log, stderr=log)


def stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def invoice_count(emulators: Emulators) -> int:
    with emulators.quickbooks.lock:
        return len(emulators.quickbooks.book(DEMO_REALM_ID).objects["Invoice"])


@functools.cache
def engine_for(database_url: str) -> Engine:
    return make_engine(database_url)


def created_jobs(database_url: str) -> int:
    with session_scope(engine_for(database_url)) as session:
        statement = select(func.count()).select_from(InvoiceJob).where(InvoiceJob.status == InvoiceJobStatus.CREATED)
        return int(session.exec(statement).one())


def wait_for(check: Callable[[], bool], *, timeout: float, what: str,
             processes: tuple[subprocess.Popen[bytes], ...] = (), database_url: str | None = None) -> float:
    """Seconds until check() holds; fails early when a worker process died."""
    started = time.monotonic()
    while not check():
        dead = [process.args for process in processes if process.poll() is not None]
        assert not dead, f"a worker exited while waiting for {what}"
        if time.monotonic() - started > timeout:
            queue = queue_summary(database_url) if database_url else ""
            raise AssertionError(f"timed out after {timeout} s waiting for {what}; queue: {queue}")
        time.sleep(POLL_SECONDS)
    return time.monotonic() - started


def queue_summary(database_url: str) -> dict[tuple[str, str], int]:
    with session_scope(engine_for(database_url)) as session:
        rows = session.exec(select(WorkItem.kind, WorkItem.status, func.count()).group_by(
            WorkItem.kind, WorkItem.status)).all()
    return {(kind, status): count for kind, status, count in rows}


def assert_each_deal_invoiced_once(emulators: Emulators, database_url: str, deal_ids: list[str]) -> None:
    numbers = Counter(row["DocNumber"] for row in emulators.quickbooks.objects(DEMO_REALM_ID, "Invoice"))
    assert [number for number, seen in numbers.items() if seen > 1] == []          # no duplicates
    assert sorted(numbers) == sorted(deal_ids)                                     # no losses
    assert created_jobs(database_url) == len(deal_ids)
    engine_for(database_url).dispose()


def test_kill_9_in_the_middle_of_500_invoices_then_a_restart_resumes_at_once(emulators: Emulators,
                                                                             tmp_path: Path):
    database_url = f"sqlite:///{tmp_path / 'burst.db'}"
    env, deal_ids = prepare(emulators, database_url, tmp_path, 500)
    emulators.quickbooks.settings.latency = timedelta(milliseconds=250)   # a batch is in flight most of the time

    first = start_worker(env, tmp_path, "first")
    try:
        wait_for(lambda: invoice_count(emulators) >= 90, timeout=40, what="the first batches", processes=(first,))
    finally:
        first.send_signal(signal.SIGKILL)
        first.wait()
    at_kill = invoice_count(emulators)
    assert at_kill < 500

    restarted_at = time.monotonic()
    second = start_worker(env, tmp_path, "second")
    try:
        resumed_after = wait_for(lambda: invoice_count(emulators) > at_kill or created_jobs(database_url) > at_kill,
                                 timeout=RESUME_BOUND_SECONDS, what="the work to resume", processes=(second,))
        wait_for(lambda: created_jobs(database_url) >= 500, timeout=45, what="all 500 invoices",
                 processes=(second,), database_url=database_url)
        finished_after = time.monotonic() - restarted_at
    finally:
        stop(second)

    assert_each_deal_invoiced_once(emulators, database_url, deal_ids)
    resumed_log = (tmp_path / "second.log").read_text(errors="replace")
    print(f"\nkilled at {at_kill} invoices; resumed {resumed_after:.2f} s after the restart, all 500 after "
          f"{finished_after:.1f} s; took over the dead worker's items: {'resumed' in resumed_log}")


def test_two_workers_on_postgresql_share_the_quickbooks_limits(emulators: Emulators, fresh_pg_database: str,
                                                               tmp_path: Path):
    """Our per-second pace lowered to 2 and the emulator's limit to 3: each worker alone would stay under, but
    both together would be refused without the shared (PostgreSQL) throttle."""
    env, deal_ids = prepare(emulators, fresh_pg_database, tmp_path, DEALS_FOR_TWO, qbo_limit_per_second=2)
    quickbooks = emulators.quickbooks
    quickbooks.set_limits(ThrottleLimits(per_app_per_second=3))
    quickbooks.settings.latency = timedelta(milliseconds=100)

    workers = (start_worker(env, tmp_path, "one"), start_worker(env, tmp_path, "two"))
    try:
        wait_for(lambda: created_jobs(fresh_pg_database) >= DEALS_FOR_TWO, timeout=120, what="every invoice",
                 processes=workers, database_url=fresh_pg_database)
    finally:
        for worker in workers:
            stop(worker)

    assert_each_deal_invoiced_once(emulators, fresh_pg_database, deal_ids)
    with quickbooks.lock:
        counters = quickbooks.throttle.stats(quickbooks.now())[DEMO_REALM_ID]
    assert counters["throttled_429"] == 0
    assert counters["peak_per_second"] <= 3 and counters["peak_per_minute"] <= 500
    assert counters["peak_batch_per_minute"] <= 40
    assert counters["batches"] <= DEALS_FOR_TWO / 30 + 2   # full batches (a claim race may split one or two)
    assert counters["peak_per_second"] >= 2             # the pace was reached: the limit was what held them back
    print(f"\ntwo workers: {counters}")
