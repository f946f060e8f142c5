"""`ledgerbridge sync [--backfill]`: read opportunities from Salesforce now, as the poller would."""
from __future__ import annotations

import argparse
import sys

from app.commands.progress import ProgressBar
from app.config import load_settings
from app.db import Transactions, session_scope
from app.exactly_once.models import SyncWatermark
from app.intake.service import OPPORTUNITY_WATERMARK, poll_changes
from app.jobs.handlers import build_handlers
from app.jobs.worker import Worker
from app.logging_setup import configure_logging
from app.wiring import build_runtime


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--backfill", action="store_true",
                        help="read every opportunity from the beginning (history), with a progress bar")
    parser.add_argument("--no-work", action="store_true",
                        help="only store and evaluate deals; leave Slack posts and invoices to `serve`")


def run(args: argparse.Namespace) -> int:
    configure_logging()
    runtime = build_runtime(load_settings())
    if args.backfill:
        with session_scope(runtime.engine) as session:     # start over; the poll rebuilds the mark as it goes
            stored = session.get(SyncWatermark, OPPORTUNITY_WATERMARK)
            if stored is not None:
                session.delete(stored)
    total = runtime.salesforce.count_opportunities() if args.backfill else None
    bar = ProgressBar("Backfill" if args.backfill else "Sync", total)
    report = poll_changes(transactions=Transactions(runtime.engine), source=runtime.salesforce,
                          customers=runtime.quickbooks, policy=runtime.policy, clock=runtime.clock, progress=bar.update)
    bar.close()
    print(f"{report.read} read, {report.processed} stored and evaluated, {report.queued} follow-ups queued",
          file=sys.stderr)
    if not args.no_work:
        done = Worker(engine=runtime.engine, handlers=build_handlers(runtime), clock=runtime.clock).drain()
        print(f"{done} queued tasks run (approval requests, invoices, write-backs)", file=sys.stderr)
    return 0
