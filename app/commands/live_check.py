"""`ledgerbridge check --live`: connect to Slack, Salesforce and each QuickBooks company and check what going
live needs. Each problem is printed with its fix; nothing is written to any vendor.

QuickBooks is read with the refresh token the database holds (Intuit rotates it on every refresh), so the
database must exist at the newest schema (`ledgerbridge db upgrade`), as for `serve`.
"""
from __future__ import annotations

from collections.abc import Callable
from functools import partial
from pathlib import Path

import yaml
from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError

from app.commands.live_settings import sqlite_file_missing
from app.commands.vendor_failures import vendor_failure_fix, vendor_failure_line
from app.config import Settings
from app.db import make_engine
from app.db_migrate import current_revision, head_revision
from app.errors import ConfigError, IntegrationError
from app.golive.findings import Finding, problem
from app.golive.quickbooks_check import check_quickbooks, configured_realms, unconnected_policy_realms
from app.golive.salesforce_check import check_salesforce
from app.golive.slack_check import check_slack
from app.integrations.quickbooks import build_quickbooks_gateway
from app.integrations.salesforce import SalesforceGateway
from app.integrations.slack_api import build_slack_api
from app.integrations.token_store_db import DbTokenStore
from app.policy import Policy

DEFAULT_MANIFEST = Path("manifest.yaml")
_SHIPPED_MANIFEST = Path(__file__).resolve().parents[2] / "manifest.yaml"


def live_findings(settings: Settings, policy: Policy, *, manifest: Path | None) -> list[Finding]:
    return [*_slack(settings, policy, manifest), *_salesforce(settings), *_quickbooks(settings, policy)]


def print_findings(findings: list[Finding], write: Callable[[str], None] = print) -> int:
    """Prints every finding (a problem with its fix under it); returns how many problems there were."""
    for finding in findings:
        write(f"{finding.vendor}: {'OK' if finding.ok else 'PROBLEM'} {finding.summary}")
        if finding.fix:
            write(f"  fix: {finding.fix}")
    problems = sum(1 for finding in findings if not finding.ok)
    write(f"live check: {problems} problem{'s' if problems != 1 else ''} to fix before going live" if problems
          else "live check: Slack, Salesforce and QuickBooks are ready")
    return problems


def manifest_scopes(path: Path) -> frozenset[str]:
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    return frozenset(str(scope) for scope in data["oauth_config"]["scopes"]["bot"])


def _slack(settings: Settings, policy: Policy, manifest: Path | None) -> list[Finding]:
    path = manifest or (DEFAULT_MANIFEST if DEFAULT_MANIFEST.is_file() else _SHIPPED_MANIFEST)
    try:
        scopes = manifest_scopes(path)
    except (OSError, yaml.YAMLError, KeyError, TypeError) as error:
        return [problem("slack", f"cannot read the scopes of {path} ({type(error).__name__})",
                        "pass --manifest with the manifest.yaml the Slack app was created from")]
    return _guarded("slack", "SLACK_BOT_TOKEN", lambda: check_slack(build_slack_api(settings), policy,
                                                                      manifest_scopes=scopes))


def _salesforce(settings: Settings) -> list[Finding]:
    return _guarded("salesforce", "SALESFORCE_INSTANCE_URL and the Salesforce credentials",
                    lambda: check_salesforce(SalesforceGateway.from_settings(settings)))


def _quickbooks(settings: Settings, policy: Policy) -> list[Finding]:
    realms = configured_realms(settings)
    findings = unconnected_policy_realms(policy, realms)
    reason = database_problem(settings)
    if reason is not None:
        return [*findings, problem("quickbooks", f"cannot read the stored QuickBooks tokens: {reason}",
                                   "run `ledgerbridge db upgrade` (and check DATABASE_URL), then check again")]
    engine = make_engine(settings.database_url)
    try:
        for realm_id in realms:
            findings += _guarded("quickbooks", "QBO_CLIENT_ID, QBO_CLIENT_SECRET and QBO_REALM_ID",
                                 partial(_check_company, settings, engine, realm_id, policy))
    finally:
        engine.dispose()
    return findings or [problem("quickbooks", "no QuickBooks company is configured", "set QBO_REALM_ID")]


def _check_company(settings: Settings, engine: Engine, realm_id: str, policy: Policy) -> list[Finding]:
    # One company per gateway; with several companies configured, build each company's gateway here.
    gateway = build_quickbooks_gateway(settings, token_store=DbTokenStore(engine))
    return check_quickbooks(gateway, realm_id, policy)


def database_problem(settings: Settings) -> str | None:
    """Why the database cannot hold tokens yet, or None (a check never creates a SQLite file)."""
    if sqlite_file_missing(settings.database_url):
        return "the database does not exist yet"
    try:
        current = current_revision(settings.database_url)
    except SQLAlchemyError as error:
        return f"the database cannot be read ({type(error).__name__})"
    return None if current == head_revision() else "the database schema is not current"


def _guarded(vendor: str, settings_hint: str, check: Callable[[], list[Finding]]) -> list[Finding]:
    """A vendor that cannot be set up or reached is one problem, not a crash (the other vendors are still checked)."""
    try:
        return check()
    except ConfigError as error:
        return [problem(vendor, str(error), f"set {settings_hint} (see .env.example)")]
    except IntegrationError as error:
        return [problem(vendor, vendor_failure_line(error), vendor_failure_fix(error) or f"check {settings_hint}")]
