"""`ledgerbridge backfill-invoices --since DATE [--dry-run]`: invoice the deals held back at the switch to live."""
from __future__ import annotations

import argparse
import sys
from datetime import date

from app.config import load_settings
from app.pipeline.backfill import backfill
from app.wiring import build_runtime


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--since", required=True, metavar="DATE", help="deals won on or after this date (YYYY-MM-DD)")
    parser.add_argument("--dry-run", action="store_true", help="list the deals, invoice nothing")


def run(args: argparse.Namespace) -> int:
    try:
        since = date.fromisoformat(args.since)
    except ValueError:
        print(f"ledgerbridge backfill-invoices: --since must be a date like 2026-11-01, got {args.since!r}",
              file=sys.stderr)
        return 2
    deals = backfill(build_runtime(load_settings()), since=since, dry_run=args.dry_run)
    for deal in deals:
        print(f"{deal.opportunity_id}  {deal.close_date}  {deal.amount}  {deal.name}")
    verb = "would be invoiced" if args.dry_run else "queued for invoicing (the worker creates each once)"
    print(f"{len(deals)} deal(s) won since {since.isoformat()} {verb}")
    return 0
