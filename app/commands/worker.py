"""`ledgerbridge worker`: the work queue in lanes, the Salesforce poller and the scheduler (no HTTP)."""
from __future__ import annotations

import argparse
import sys

from app.commands.live_settings import missing_for_live_use
from app.config import load_settings
from app.db_migrate import current_revision, head_revision
from app.logging_setup import configure_logging
from app.policy import load_policy
from app.processes.worker import build_worker_process, run_until_stopped
from app.wiring import WORKER_VENDOR_WAIT, build_runtime


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--no-scheduler", action="store_true",
                        help="drain the queue only; another worker queues the periodic jobs "
                             "(same as LEDGERBRIDGE_SCHEDULER_ENABLED=false)")


def run(args: argparse.Namespace) -> int:
    settings = load_settings()
    missing = missing_for_live_use(settings)
    for name in missing:
        print(f"ledgerbridge worker: missing setting {name}", file=sys.stderr)
    if missing:
        return 2
    policy = load_policy(settings.ledgerbridge_policy)
    if current_revision(settings.database_url) != head_revision():
        print("ledgerbridge worker: the database schema is not current: run `ledgerbridge db upgrade` first",
              file=sys.stderr)
        return 2
    configure_logging()
    runtime = build_runtime(settings, policy=policy, vendor_wait=WORKER_VENDOR_WAIT)
    run_scheduler = settings.ledgerbridge_scheduler_enabled and not args.no_scheduler
    return run_until_stopped(build_worker_process(runtime, run_scheduler=run_scheduler))
