"""Month-end burst: N billable deals to QuickBooks invoices with `ledgerbridge worker` processes, against the
QuickBooks emulator enforcing Intuit's documented limits with ~200 ms added to every call.

    .venv/bin/python -m bench.burst [--deals 600] [--configs sqlite,pg,pg2] [--latency-ms 200]
                                    [--announce-wait 30] [--pg-url postgresql+psycopg://postgres@127.0.0.1:5432/postgres]

Each configuration gets fresh emulators and a fresh database. The QuickBooks emulator runs in its own process
(`ledgerbridge sandbox quickbooks --latency-ms`); Salesforce and Slack run in this one; each worker is its own
`ledgerbridge worker` process, configured through the environment. The deals are seeded in Salesforce and read
by our own intake before the clock starts (their CREATE_INVOICE work is then queued); the clock starts when the
workers are launched.
"""
from __future__ import annotations

import argparse
import os
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

from app.db import Transactions, make_engine
from app.db_migrate import upgrade
from app.intake.service import poll_changes
from app.sandbox.stack import Emulators, sandbox_settings, settings_environment, start_emulators
from app.wiring import build_runtime
from bench.burst_measure import Measured, collect, wait_for_announcements, wait_for_invoices
from bench.burst_processes import Child, start_quickbooks_emulator, start_worker
from bench.burst_report import report
from bench.burst_seed import BurstMix, seed_burst, write_burst_policy
from bench.intake import DEFAULT_PG_URL, pg_unreachable, throwaway_pg_database

INTAKE_TIMEOUT = 300.0  # seconds: the Salesforce emulator evaluates a page of 200 deals with their lines slowly
CONFIGS = {"sqlite": ("SQLite", 1), "pg": ("PostgreSQL", 1), "pg2": ("PostgreSQL", 2)}


@dataclass(frozen=True)
class Config:
    key: str
    database: str
    workers: int

    @property
    def label(self) -> str:
        return f"{self.database}, {self.workers} worker{'s' if self.workers > 1 else ''}"


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.burst", description=__doc__.splitlines()[0])
    parser.add_argument("--deals", type=int, default=600, help="billable deals to invoice (10000 for the full run)")
    parser.add_argument("--configs", default="sqlite,pg,pg2",
                        help="comma-separated: sqlite (1 worker), pg (PostgreSQL, 1 worker), pg2 (2 workers)")
    parser.add_argument("--latency-ms", type=float, default=200.0, help="added to every QuickBooks call")
    parser.add_argument("--announce-wait", type=float, default=30.0,
                        help="seconds to wait after the last invoice for the Slack confirmations")
    parser.add_argument("--timeout", type=float, default=None,
                        help="seconds to wait for every invoice (default 120 + deals/5); past it the run is "
                             "reported as it stands, 'losses' then counting the deals not invoiced yet")
    parser.add_argument("--pg-url", default=DEFAULT_PG_URL, help="PostgreSQL maintenance URL (trust auth)")
    args = parser.parse_args(argv)
    unknown = [key for key in args.configs.split(",") if key not in CONFIGS]
    if unknown:
        parser.error(f"unknown configuration(s) {', '.join(unknown)}; choose from {', '.join(CONFIGS)}")
    args.configs = [Config(key, *CONFIGS[key]) for key in args.configs.split(",")]
    return args


@contextmanager
def database_for(config: Config, args: argparse.Namespace, tmp: Path) -> Iterator[str]:
    if config.database == "SQLite":
        yield f"sqlite:///{tmp / 'burst.db'}"
        return
    with throwaway_pg_database(args.pg_url) as url:
        yield url


def intake(settings_database: str, emulators: Emulators, quickbooks_url: str, policy: Path) -> dict[str, str]:
    """Our own intake reads every seeded deal (billable: CREATE_INVOICE queued); returns the workers' env."""
    upgrade(settings_database)
    settings = sandbox_settings(emulators, database_url=settings_database, ledgerbridge_policy=policy,
                                qbo_api_url=quickbooks_url + "/v3",
                                qbo_discovery_url=quickbooks_url + "/.well-known/openid_configuration")
    patient = settings.model_copy(update={"ledgerbridge_http_timeout": INTAKE_TIMEOUT})
    runtime = build_runtime(patient, engine=make_engine(settings_database))
    try:
        poll_changes(transactions=Transactions(runtime.engine), source=runtime.salesforce,
                     customers=runtime.quickbooks,
                     policy=runtime.policy, clock=runtime.clock)
    finally:
        runtime.engine.dispose()
    return settings_environment(settings, base=dict(os.environ))


def measure(config: Config, args: argparse.Namespace, tmp: Path) -> tuple[Measured, BurstMix]:
    emulators = start_emulators()               # Salesforce and Slack here; QuickBooks in its own process below
    children: list[Child] = []
    try:
        quickbooks, quickbooks_url = start_quickbooks_emulator(latency_ms=args.latency_ms, cwd=tmp)
        children.append(quickbooks)
        mix, deal_ids = seed_burst(emulators.salesforce, quickbooks_url=quickbooks_url, deals=args.deals,
                                   owner_id=emulators.sf_user_ids["sam"])
        with database_for(config, args, tmp) as database_url:
            env = intake(database_url, emulators, quickbooks_url, write_burst_policy(tmp))
            with httpx.Client(base_url=quickbooks_url, timeout=30) as admin:   # count the burst alone
                admin.delete("/_admin/throttle").raise_for_status()
                admin.delete("/_admin/calls").raise_for_status()
            engine = make_engine(database_url)
            try:
                launched = time.time()
                children += [start_worker(env, tmp, f"{config.key}-worker-{n}") for n in range(config.workers)]
                timeout = args.timeout or 120 + len(deal_ids) / 5
                complete = wait_for_invoices(engine, len(deal_ids), timeout=timeout, workers=children[1:])
                wait_for_announcements(engine, len(deal_ids), timeout=args.announce_wait if complete else 0)
                for child in children[1:]:
                    child.stop()
                label = config.label if complete else f"{config.label}, stopped at {timeout:,.0f} s"
                measured = collect(label, engine, quickbooks_url, deal_ids, launched=launched)
            finally:
                engine.dispose()
        return measured, mix
    finally:
        for child in reversed(children):
            child.stop()
        emulators.stop()


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    no_pg = pg_unreachable(args.pg_url) if any(c.database == "PostgreSQL" for c in args.configs) else None
    configs = [c for c in args.configs if no_pg is None or c.database == "SQLite"]
    runs: list[Measured] = []
    mix: BurstMix | None = None
    for config in configs:
        with tempfile.TemporaryDirectory(prefix="lb-burst-") as tmp:
            measured, mix = measure(config, args, Path(tmp))
        runs.append(measured)
    print(report(runs, mix, args, no_pg))
    return 0

if __name__ == "__main__":
    raise SystemExit(main())
