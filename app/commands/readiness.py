"""`ledgerbridge readiness`: the data readiness report over Salesforce and QuickBooks, before going live.

Reads (never writes) the open pipeline and the deals won in the last N months from Salesforce, and every
QuickBooks customer, item and term, through the same wrappers the product uses; then judges them with the
product's own rules (billing gate, approval rules, look-alike customers, mappings). The report is printed as
tables; `--csv`, `--html` and `--slack` also write it to a file or post it to a channel.
"""
from __future__ import annotations

import argparse
import os
import sys
from datetime import date
from pathlib import Path

from app.clock import SystemClock
from app.commands.live_check import database_problem
from app.commands.progress import ProgressBar
from app.config import Settings, load_settings
from app.db import make_engine
from app.errors import IntegrationError
from app.golive.readiness import ReadinessReport, Window, build_report, window
from app.golive.readiness_render import as_csv, as_html, as_text
from app.golive.readiness_sections import Section, report_sections
from app.integrations.quickbooks import build_quickbooks_gateway
from app.integrations.salesforce import SalesforceGateway
from app.integrations.salesforce_models import SfOpportunity
from app.integrations.slack_api import build_slack_api
from app.integrations.token_store_db import DbTokenStore
from app.policy import Policy, load_policy
from app.slack.blocks.readiness import readiness_blocks

CONFIG_ERROR = 2
# Slack's answers for a channel the bot cannot post in (a private one it is not in looks like no channel at all).
UNPOSTABLE = frozenset({"not_in_channel", "channel_not_found", "is_archived"})


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--months", type=int, default=3,
                        help="how many months of won deals to measure, 1 to 24 (default 3)")
    parser.add_argument("--policy", type=Path, default=None,
                        help="policy file to judge the data by (default: the LEDGERBRIDGE_POLICY setting)")
    parser.add_argument("--csv", type=Path, default=None, metavar="FILE", help="also write the report as CSV")
    parser.add_argument("--html", type=Path, default=None, metavar="FILE", help="also write the report as HTML")
    parser.add_argument("--slack", default=None, metavar="CHANNEL",
                        help="also post the report to this Slack channel id (the bot must be in it)")


def run(args: argparse.Namespace) -> int:
    if not 1 <= args.months <= 24:
        print(f"ledgerbridge readiness: --months must be 1..24, got {args.months}", file=sys.stderr)
        return CONFIG_ERROR
    unwritable = next((problem for path in (args.csv, args.html) if (problem := _unwritable(path))), None)
    if unwritable is not None:     # before the reads: a long run must not end in a file that cannot be written
        print(f"ledgerbridge readiness: {unwritable}", file=sys.stderr)
        return CONFIG_ERROR
    settings = load_settings()
    policy = load_policy(args.policy or settings.ledgerbridge_policy)
    reason = database_problem(settings)
    if reason is not None:
        print(f"ledgerbridge readiness: QuickBooks is read with the refresh token stored in the database, but "
              f"{reason}: run `ledgerbridge db upgrade` first", file=sys.stderr)
        return CONFIG_ERROR
    today = SystemClock().now().astimezone(policy.zone).date()
    report = read_and_judge(settings, policy, window(today, args.months))
    title = f"Ledgerbridge data readiness, {today.isoformat()}"
    sections = report_sections(report)
    print(as_text(sections, title=title), end="")
    if not (_write(args.csv, as_csv(sections)) and _write(args.html, as_html(sections, title=title))):
        return CONFIG_ERROR
    return _post(settings, args.slack, title, sections) if args.slack else 0


def read_and_judge(settings: Settings, policy: Policy, when: Window) -> ReadinessReport:
    opportunities = _read_salesforce(SalesforceGateway.from_settings(settings), when.read_since)
    engine = make_engine(settings.database_url)
    try:
        quickbooks = build_quickbooks_gateway(settings, token_store=DbTokenStore(engine))
        print("Reading QuickBooks customers, items and terms", file=sys.stderr)
        return build_report(opportunities=opportunities, customers=quickbooks.all_customers(),
                            items=quickbooks.all_items(), terms=quickbooks.all_terms(), policy=policy, when=when)
    finally:
        engine.dispose()


def _read_salesforce(salesforce: SalesforceGateway, since: date) -> list[SfOpportunity]:
    bar = ProgressBar("Reading Salesforce", salesforce.count_pipeline_and_won_since(since))
    read: list[SfOpportunity] = []
    for opportunity in salesforce.pipeline_and_won_since(since):
        read.append(opportunity)
        bar.update(len(read))
    bar.close()
    return read


def _post(settings: Settings, channel: str, title: str, sections: list[Section]) -> int:
    try:
        posted = build_slack_api(settings).post_message(channel, text=title, blocks=readiness_blocks(title, sections))
    except IntegrationError as error:
        if error.code not in UNPOSTABLE:
            raise
        print(f"ledgerbridge readiness: cannot post to Slack channel {channel} ({error.code}): check the id (channel "
              "details > About, at the bottom) and invite the bot there (/invite @Ledgerbridge)", file=sys.stderr)
        return 1
    print(f"posted to Slack channel {posted.channel}", file=sys.stderr)
    return 0


def _unwritable(path: Path | None) -> str | None:
    """Why the report could not be written to `path` (None: it can, or no file was asked for)."""
    if path is None:
        return None
    folder = path.parent if str(path.parent) else Path(".")
    if path.is_dir():
        return f"cannot write the report to {path}: it is a folder; name a file"
    if not folder.is_dir():
        return f"cannot write the report to {path}: the folder {folder} does not exist"
    if not os.access(path if path.exists() else folder, os.W_OK):
        return f"cannot write the report to {path}: permission denied"
    return None


def _write(path: Path | None, text: str) -> bool:
    if path is None:
        return True
    try:
        path.write_text(text, encoding="utf-8")
    except OSError as error:
        print(f"ledgerbridge readiness: cannot write the report to {path}: {error.strerror or error}", file=sys.stderr)
        return False
    print(f"wrote {path}", file=sys.stderr)
    return True
