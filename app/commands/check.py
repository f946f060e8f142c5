"""`ledgerbridge check`: validate the settings and the policy file, one line per problem.

`--live` then connects to Slack, Salesforce and QuickBooks and checks what going live needs (live_check.py).
Exit status: 0 valid; 1 the policy has problems, a variable looks like a misspelt setting, (with
--production) settings live use needs are missing, or (with --live) a vendor check found a problem; 2 the
settings cannot be loaded or the policy file cannot be read. Every problem is listed, not only the first.
Secret values are never printed.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from app.commands.live_check import live_findings, print_findings
from app.commands.live_settings import missing_for_live_use
from app.config import Settings, load_settings, missing_for_sign_in, unknown_settings
from app.errors import ConfigError
from app.policy import Policy, parse_policy

VALID, INVALID, CONFIG_ERROR = 0, 1, 2


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--policy", type=Path, default=None,
                        help="policy file to check (default: the LEDGERBRIDGE_POLICY setting)")
    parser.add_argument("--production", action="store_true",
                        help="also require every setting `ledgerbridge serve` needs against the real vendors")
    parser.add_argument("--live", action="store_true",
                        help="also connect to Slack, Salesforce and QuickBooks and check what going live needs "
                             "(reads only); each problem is printed with its fix")
    parser.add_argument("--manifest", type=Path, default=None,
                        help="with --live: the Slack app manifest to compare the token's scopes with "
                             "(default: ./manifest.yaml)")


def run(args: argparse.Namespace) -> int:
    names_ok = _report_unknown_names()
    try:
        settings = load_settings()
    except ConfigError as error:
        for line in str(error).splitlines():
            print(f"settings: {line}", file=sys.stderr)
        return CONFIG_ERROR
    path: Path = args.policy or settings.ledgerbridge_policy
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        print(f"{path}: cannot read the policy file ({_reason(error)})", file=sys.stderr)
        return CONFIG_ERROR
    policy = _report_policy(str(path), text)
    settings_ok = _report_production(settings) if args.production else True
    live_ok = True
    if args.live and policy is not None:
        live_ok = print_findings(live_findings(settings, policy, manifest=args.manifest)) == 0
    return VALID if policy is not None and settings_ok and names_ok and live_ok else INVALID


def _report_unknown_names() -> bool:
    """A misspelt variable is silently ignored at run time: here it is an error."""
    unknown = unknown_settings()
    for name in unknown:
        print(f"settings: {name}")
    return not unknown


def _report_policy(source: str, text: str) -> Policy | None:
    policy, problems = parse_policy(text)
    for problem in problems:
        print(f"{source}: {problem}")
    if policy is None:
        print(f"{source}: {len(problems)} problem{'s' if len(problems) != 1 else ''}")
        return None
    print(f"{source}: OK ({summary(policy)})")
    return policy


def _report_production(settings: Settings) -> bool:
    missing = missing_for_live_use(settings) + [
        f"{name} (Sign in with Slack for the dashboard)" for name in missing_for_sign_in(settings)]
    for name in missing:
        print(f"settings: missing for production: {name}")
    if not missing:
        print("settings: OK for production")
    return not missing


def summary(policy: Policy) -> str:
    """Counts, never values: the output may be pasted into a ticket."""
    mappings = policy.mappings
    parts = [
        (len(policy.approver_roles), "approver role"),
        (len(policy.approval_rules.configured()), "approval rule"),
        (len(policy.billing_gate.required_fields), "required field"),
        (len(mappings.products), "product mapping"),
        (len(mappings.payment_terms), "payment terms mapping"),
        (1 + len(mappings.entities.by_segment), "QuickBooks realm"),
        (len(policy.root_causes), "root cause"),
    ]
    return ", ".join(f"{count} {noun}{'' if count == 1 else 's'}" for count, noun in parts)


def _reason(error: Exception) -> str:
    if isinstance(error, FileNotFoundError):
        return "file not found; pass --policy or set LEDGERBRIDGE_POLICY"
    return str(error)
