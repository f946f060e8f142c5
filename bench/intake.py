"""Salesforce intake at scale: the first full sync of n opportunities with their line items (time and peak memory of
the syncing process, for each n), then an incremental poll after `--changes` of them were edited.

    .venv/bin/python -m bench.intake [--sizes 1000,10000,100000] [--changes 1000] [--no-pg] [--quick]

poll_changes reads over real HTTP (simple-salesforce `query_all_iter`, 200 records a page) and commits a page at
a time. The emulators run in this process; each poll runs in a fresh child process, so its peak RSS delta
(ru_maxrss after the poll minus VmRSS just before it) belongs to that poll alone: flat in n when pages are
streamed, growing when they are accumulated. No queue worker runs: the work the poll queues is counted.
"""
from __future__ import annotations

import argparse
import multiprocessing
import os
import resource
import tempfile
import time
import uuid
from collections.abc import Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass

from sqlalchemy import create_engine, make_url, text
from sqlalchemy.pool import NullPool

from app.clock import SystemClock
from app.config import Settings
from app.db import Transactions, make_engine
from app.db_migrate import upgrade
from app.intake.service import poll_changes
from app.sandbox.quickbooks.demo import DEMO_CLIENT_ID, DEMO_REALM_ID
from app.sandbox.stack import Emulators, sandbox_settings, start_emulators
from app.wiring import build_runtime
from bench.intake_seed import Mix, seed_opportunities
from bench.table import fmt, machine_line, markdown_table

DEFAULT_PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
PAGE_SIZE = 200
COLUMNS = ["database", "n", "first sync s", "records/s", "peak RSS delta MiB", "work queued (not run)",
           "changes", "incremental poll s"]


@dataclass(frozen=True)
class Measured:
    database: str
    records: int
    seconds: float
    rss_delta_kib: int
    queued: int

    @property
    def per_second(self) -> float:
        return self.records / self.seconds if self.seconds else 0.0


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.intake", description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,10000,100000", help="comma-separated opportunity counts")
    parser.add_argument("--changes", type=int, default=1000, help="opportunities edited before the incremental poll")
    parser.add_argument("--quick", action="store_true", help="smoke run: 20 and 40 opportunities, 10 changes")
    parser.add_argument("--pg-url", default=DEFAULT_PG_URL, help="PostgreSQL maintenance URL (trust auth)")
    parser.add_argument("--unknown-customers", action="store_true",
                        help="leave most accounts out of QuickBooks: intake then looks a customer up per deal")
    parser.add_argument("--no-pg", action="store_true", help="SQLite only")
    args = parser.parse_args(argv)
    if args.quick:
        args.sizes, args.changes = "20,40", 10
    args.sizes = [int(size) for size in str(args.sizes).split(",") if size.strip()]
    return args


def measure_poll(settings: Settings, database: str) -> Measured:
    """Runs in a child process: build the runtime, then time one full poll (no worker)."""
    runtime = build_runtime(settings, engine=make_engine(settings.database_url), clock=SystemClock())
    rss_before = current_rss_kib()
    started = time.perf_counter()
    report = poll_changes(transactions=Transactions(runtime.engine), source=runtime.salesforce,
                          customers=runtime.quickbooks, policy=runtime.policy, clock=runtime.clock)
    seconds = time.perf_counter() - started
    rss_after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    runtime.engine.dispose()
    return Measured(database=database, records=report.processed, seconds=seconds,
                    rss_delta_kib=rss_after - rss_before, queued=report.queued)


def current_rss_kib() -> int:
    """Resident set size now (Linux /proc); elsewhere the peak so far, which can only under-report the delta."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            return next(int(line.split()[1]) for line in status if line.startswith("VmRSS:"))
    except (OSError, StopIteration, ValueError):
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


@contextmanager
def throwaway_pg_database(admin_url: str) -> Iterator[str]:
    """CREATE DATABASE lb_bench_<random>; yields its URL; DROP ... WITH (FORCE) afterwards."""
    name = f"lb_bench_{uuid.uuid4().hex[:12]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT", poolclass=NullPool,
                          connect_args={"connect_timeout": 3})
    try:
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
        yield make_url(admin_url).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def pg_unreachable(admin_url: str) -> str | None:
    engine = create_engine(admin_url, poolclass=NullPool, connect_args={"connect_timeout": 3})
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except Exception as error:  # any failure to connect means "no server here"
        return f"{type(error).__name__}: {str(error).splitlines()[0] if str(error) else ''}"
    finally:
        engine.dispose()
    return None


@dataclass(frozen=True)
class SizeRun:
    first: Measured
    changes: int
    incremental: Measured


def run_one(pool: ProcessPoolExecutor, emulators: Emulators, url: str, database: str, changes: int,
            edition: int) -> SizeRun:
    upgrade(url)
    token = emulators.quickbooks.issue_refresh_token(DEMO_CLIENT_ID, DEMO_REALM_ID)   # each DB starts its own chain
    settings = sandbox_settings(emulators, database_url=url, qbo_refresh_token=token).model_copy(
        update={"ledgerbridge_http_timeout": 600.0})       # the emulator shapes a 100k first page slowly
    first = pool.submit(measure_poll, settings, database).result()
    edited = edit_opportunities(emulators, changes, edition)
    return SizeRun(first, edited, pool.submit(measure_poll, settings, database).result())


def edit_opportunities(emulators: Emulators, count: int, edition: int) -> int:
    """A Salesforce user edits `count` opportunities (a new PO number: SystemModstamp moves)."""
    ids = [row["Id"] for row in emulators.salesforce.records("Opportunity")][:count]
    for record_id in ids:
        emulators.salesforce.user_edit("Opportunity", record_id, {"PO_Number__c": f"PO-{record_id[-6:]}-{edition}"})
    return len(ids)


def measure_size(args: argparse.Namespace, size: int, tmp: str, no_pg: str | None) -> tuple[list[SizeRun], Mix]:
    emulators = start_emulators()
    try:
        emulators.salesforce.set_page_size(PAGE_SIZE)
        mix = seed_opportunities(emulators.salesforce, count=size, owner_id=emulators.sf_user_ids["sam"],
                                 quickbooks=None if args.unknown_customers else emulators.quickbooks)
        results = []
        with ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("spawn"),
                                 max_tasks_per_child=1) as pool:
            results.append(run_one(pool, emulators, f"sqlite:///{tmp}/intake-{size}.db", "SQLite", args.changes, 1))
            if no_pg is None:
                with throwaway_pg_database(args.pg_url) as pg_url:
                    results.append(run_one(pool, emulators, pg_url, "PostgreSQL", args.changes, 2))
        return results, mix
    finally:
        emulators.stop()


def report(runs: list[tuple[int, SizeRun]], mix: Mix | None, args: argparse.Namespace, no_pg: str | None,
           load_average: str) -> str:
    rows = [[r.first.database, fmt(size), fmt(r.first.seconds, 2), fmt(r.first.per_second),
             fmt(r.first.rss_delta_kib / 1024), fmt(r.first.queued), fmt(r.changes), fmt(r.incremental.seconds, 2)]
            for size, r in sorted(runs, key=lambda item: (item[1].first.database != "SQLite", item[0]))]
    shape = (f"the largest n: {mix.billable} billable, {mix.discounted} discounted (need approval), "
             f"{mix.unmapped} with an unmapped product, {mix.not_delivered} not delivered, {mix.pipeline} pipeline"
             if mix else "")
    lines = [f"## Salesforce intake, poll_changes ({machine_line()}; load average {load_average})",
             f"Opportunities with 1-3 lines ({shape}), read with simple-salesforce over HTTP at {PAGE_SIZE} "
             "records a page, one transaction per page. The queue worker is NOT running: the vendor work the "
             "poll queues is counted, not performed. Each poll runs in a fresh process; the incremental poll "
             "follows the first sync on the same database.",
             _customers_note(args), "",
             markdown_table(COLUMNS, rows), ""]
    if no_pg is not None:
        lines.append(f"PostgreSQL not measured: {no_pg} (SQLite only).")
    return "\n".join(lines)


def _customers_note(args: argparse.Namespace) -> str:
    if args.unknown_customers:
        return ("--unknown-customers: 17 of 20 accounts are not QuickBooks customers; each costs one paced "
                "customer query per poll, remembered for the rest of that poll.")
    return ("All 20 accounts exist as QuickBooks customers: one paced customer query per account, then "
            "linked; the time is mostly ours and the database's.")


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    no_pg = "skipped (--no-pg)" if args.no_pg else pg_unreachable(args.pg_url)
    runs: list[tuple[int, SizeRun]] = []
    mix = None
    with tempfile.TemporaryDirectory(prefix="lb-bench-") as tmp:
        for size in args.sizes:
            results, mix = measure_size(args, size, tmp, no_pg)
            runs += [(size, result) for result in results]
    load_average = ", ".join(f"{value:.2f}" for value in os.getloadavg())
    print(report(runs, mix, args, no_pg, load_average))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
