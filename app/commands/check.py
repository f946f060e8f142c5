"""`ledgerbridge check`: validate the settings and the policy file, one line per problem.

Exit status: 0 valid; 1 the policy has problems, a variable looks like a misspelt setting, or (with
--production) settings live use needs are missing; 2 the settings cannot be loaded or the policy file
cannot be read. Every problem is listed, not only the first. Secret values are never printed.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from app.commands.live_settings import missing_for_live_use
from app.config import Settings, load_settings, unknown_settings
from app.errors import ConfigError
from app.policy import Policy, parse_policy

VALID, INVALID, CONFIG_ERROR = 0, 1, 2


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--policy", type=Path, default=None,
                        help="policy file to check (default: the LEDGERBRIDGE_POLICY setting)")
    parser.add_argument("--production", action="store_true",
                        help="also require every setting `ledgerbridge serve` needs against the real vendors")


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
    policy_ok = _report_policy(str(path), text)
    settings_ok = _report_production(settings) if args.production else True
    return VALID if policy_ok and settings_ok and names_ok else INVALID


def _report_unknown_names() -> bool:
    """A misspelt variable is silently ignored at run time: here it is an error."""
    unknown = unknown_settings()
    for name in unknown:
        print(f"settings: {name}")
    return not unknown


def _report_policy(source: str, text: str) -> bool:
    policy, problems = parse_policy(text)
    for problem in problems:
        print(f"{source}: {problem}")
    if policy is None:
        print(f"{source}: {len(problems)} problem{'s' if len(problems) != 1 else ''}")
        return False
    print(f"{source}: OK ({summary(policy)})")
    return True


def _report_production(settings: Settings) -> bool:
    missing = missing_for_live_use(settings)
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
