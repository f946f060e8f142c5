"""`ledgerbridge demo`: the whole product offline (SQLite + the three emulators), seeded and narrated."""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from pydantic import AnyHttpUrl

from app.logging_setup import configure_logging
from app.sandbox.book import seed_demo_book
from app.sandbox.console import create_console
from app.sandbox.stack import Stack, sandbox_settings, start_app, start_emulators
from app.sandbox.walkthrough import run_walkthrough, say


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--port", type=int, default=8000, help="port of the app and its demo console (default 8000)")
    parser.add_argument("--db", default="ledgerbridge-demo.db", help="SQLite file, recreated on every start")
    parser.add_argument("--exit-after-walkthrough", action="store_true",
                        help="stop after the scripted walkthrough instead of serving until Ctrl-C")


def run(args: argparse.Namespace) -> int:
    configure_logging()
    Path(args.db).unlink(missing_ok=True)     # the emulators start empty, so the database does too
    emulators = start_emulators()
    try:
        settings = sandbox_settings(emulators, database_url=f"sqlite:///{args.db}", ledgerbridge_poll_seconds=5)
        book = seed_demo_book(emulators.salesforce, emulators.sf_user_ids)
        stack = start_app(emulators, settings, port=args.port, run_scheduler=True)
        # links in Slack messages (the digest's dashboard link) must name the port actually bound
        stack.runtime.settings = settings.model_copy(update={"ledgerbridge_public_url": AnyHttpUrl(stack.app_url)})
    except BaseException:
        emulators.stop()
        raise
    stack.app.mount("/demo", create_console(stack))
    try:
        _introduce(stack, len(book.deal_ids))
        held = run_walkthrough(stack, sys.stdout)
        if args.exit_after_walkthrough:
            say(sys.stdout, "Walkthrough complete." if held else "The walkthrough did not complete.")
            return 0 if held else 1
        _what_to_try(stack)
        while True:
            time.sleep(3600)
    finally:
        stack.stop()


def _introduce(stack: Stack, deal_count: int) -> None:
    out = sys.stdout
    say(out, "Ledgerbridge offline demo: SQLite plus local emulators of Slack, Salesforce and QuickBooks Online.")
    say(out, f"  app (Slack request URL):  {stack.app_url}/slack/events")
    for name in ("slack", "salesforce", "quickbooks"):
        say(out, f"  {name} emulator:{' ' * (11 - len(name))}{stack.emulators.url(name)}")
    say(out, f"  Salesforce holds {deal_count} opportunities over 6 accounts; the poller reads them every 5 s.\n")


def _what_to_try(stack: Stack) -> None:
    out = sys.stdout
    say(out, "\nWhat to try next:")
    say(out, f"  - Open {stack.app_url}/demo/ : act as any person, press Approve / Reject on the other requests")
    say(out, "    (Net 90 terms, a brand-new customer, the CFO-level discount), and run /invoice-status.")
    say(out, "  - Try approving as Erin (no approver role) or as Bob on his own deal: nothing changes.")
    say(out, f"  - The ROI dashboard and the open exceptions: {stack.app_url}/dashboard")
    say(out, f"  - Invoices land in the QuickBooks emulator: {stack.emulators.url('quickbooks')}"
             "/_admin/realms/9341452000000001/objects/Invoice")
    say(out, "  - 'Umbrella - Clinic rollout' is blocked (Enterprise account, no PO number) and 'Acme - Hardware")
    say(out, "    refresh' has a product with no QuickBooks item: ask /invoice-status about them.")
    say(out, "Press Ctrl-C to stop.")
