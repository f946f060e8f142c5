"""The `ledgerbridge` command. Each subcommand lives in app/commands/<name>.py."""
from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from app.commands.vendor_failures import vendor_failure_line
from app.config import unknown_settings
from app.errors import ConfigError, IntegrationError

COMMANDS: dict[str, tuple[str, str]] = {
    "check": ("app.commands.check", "validate the settings and the policy file (--live: and the vendors)"),
    "readiness": ("app.commands.readiness", "report how ready the Salesforce and QuickBooks data are (reads only)"),
    "shadow-report": ("app.commands.shadow_report", "compare shadow mode's would-be invoices with finance's own"),
    "backfill-invoices": ("app.commands.backfill", "invoice the deals held back at the switch to live"),
    "sandbox": ("app.commands.sandbox", "run one API emulator (slack | salesforce | quickbooks)"),
    "serve": ("app.commands.serve", "run the web app and a worker, each in its own process"),
    "web": ("app.commands.web", "run the web app only (Slack endpoint, Salesforce notify, dashboard)"),
    "worker": ("app.commands.worker", "run a worker: the queue in lanes, the poller and the scheduler"),
    "demo": ("app.commands.demo", "run everything offline on SQLite with the three emulators"),
    "sync": ("app.commands.sync", "read opportunities from Salesforce now (--backfill for history)"),
    "db": ("app.commands.db", "database migrations (upgrade to the newest schema)"),
    "audit": ("app.commands.audit", "verify the audit log's hash chain; export decisions for auditors"),
}
# Commands that read the settings warn about misspelt variables at start-up (`check` reports them as errors).
WARN_ABOUT_UNKNOWN_SETTINGS = ("serve", "demo", "sync", "db", "readiness", "audit")


def build_parser(chosen: str | None = None) -> argparse.ArgumentParser:
    """Every subcommand is listed; only the chosen one's module is imported (keeps start-up fast)."""
    parser = argparse.ArgumentParser(prog="ledgerbridge", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name, (module_path, help_text) in COMMANDS.items():
        command_parser = sub.add_parser(name, help=help_text, description=help_text)
        if name == chosen:
            module = importlib.import_module(module_path)
            module.add_arguments(command_parser)
            command_parser.set_defaults(run=module.run)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    chosen = next((word for word in argv if not word.startswith("-")), None)
    args = build_parser(chosen).parse_args(argv)
    command = f"ledgerbridge {args.command}"
    if args.command in WARN_ABOUT_UNKNOWN_SETTINGS:
        for unknown in unknown_settings():
            print(f"{command}: warning: {unknown}", file=sys.stderr)
    try:
        return int(args.run(args) or 0)
    except ConfigError as error:
        for line in str(error).splitlines():
            print(f"{command}: {line}", file=sys.stderr)
        return 2
    except IntegrationError as error:       # a vendor down or refusing us: the operator's move, not a bug
        print(f"{command}: {vendor_failure_line(error)}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
