"""`ledgerbridge worker`: the work queue in lanes, the Salesforce poller and the scheduler (no HTTP)."""
from __future__ import annotations

import argparse

from app.commands.live_start import prepare_live_start
from app.logging_setup import configure_logging
from app.processes.parent_watch import PARENT_PID_HELP, die_with_parent
from app.processes.worker import build_worker_process, run_until_stopped
from app.wiring import WORKER_VENDOR_WAIT, build_runtime


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--parent-pid", type=int, default=None, help=PARENT_PID_HELP)
    parser.add_argument("--no-scheduler", action="store_true",
                        help="drain the queue only; another worker queues the periodic jobs "
                             "(same as LEDGERBRIDGE_SCHEDULER_ENABLED=false)")


def run(args: argparse.Namespace) -> int:
    start = prepare_live_start("worker")
    if start is None:
        return 2
    settings, policy = start.settings, start.policy
    configure_logging(log_format=settings.ledgerbridge_log_format, secrets=settings.secret_values())
    die_with_parent(args.parent_pid)
    runtime = build_runtime(settings, policy=policy, vendor_wait=WORKER_VENDOR_WAIT)
    run_scheduler = settings.ledgerbridge_scheduler_enabled and not args.no_scheduler
    return run_until_stopped(build_worker_process(runtime, run_scheduler=run_scheduler))
