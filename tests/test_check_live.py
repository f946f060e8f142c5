"""`ledgerbridge check --live` against the three emulators: ready when all is set up, and each planted problem
(missing scope, bot not in a channel, missing or read-only custom field, inactive item, custom numbers off,
a deactivated approver) reported with its fix."""
from __future__ import annotations

import os
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from app.cli import main
from app.db_migrate import upgrade
from app.integrations.call_outcomes import OUTCOMES
from app.sandbox.people import CARL
from app.sandbox.quickbooks.demo import DEMO_REALM_ID
from app.sandbox.slack.scopes import DEFAULT_BOT_SCOPES
from app.sandbox.slack.state import DEFAULT_BOT_TOKEN
from app.sandbox.stack import DEMO_POLICY, Emulators, sandbox_settings, settings_environment, start_emulators

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(autouse=True)
def forget_vendor_outcomes() -> Iterator[None]:
    """The vendor failures these checks provoke are noted per process (for /readyz): leave none to other tests."""
    yield
    OUTCOMES.clear()


@pytest.fixture
def emulators() -> Iterator[Emulators]:
    running = start_emulators()
    yield running
    running.stop()


@pytest.fixture
def live_env(emulators: Emulators, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The settings an operator would export, a migrated database, and an empty working folder."""
    database = f"sqlite:///{tmp_path / 'lb.db'}"
    upgrade(database)
    env = settings_environment(sandbox_settings(emulators, database_url=database))
    for name in [key for key in os.environ if key.startswith(("SLACK_", "SALESFORCE_", "QBO_", "LEDGERBRIDGE_"))]:
        monkeypatch.delenv(name)
    for name, value in env.items():
        if name.startswith(("SLACK_", "SALESFORCE_", "QBO_", "LEDGERBRIDGE_", "DATABASE_URL")):
            monkeypatch.setenv(name, value)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def check_live(capsys: pytest.CaptureFixture[str], policy: Path = DEMO_POLICY) -> tuple[int, list[str]]:
    status = main(["check", "--live", "--policy", str(policy), "--manifest", str(ROOT / "manifest.yaml")])
    return status, capsys.readouterr().out.splitlines()


def problem_with_fix(lines: list[str], summary: str, fix: str) -> None:
    """`summary` is a PROBLEM line and the next line is its fix."""
    index = next((i for i, line in enumerate(lines) if line.startswith("  ") is False and summary in line), None)
    assert index is not None, f"{summary!r} not reported in:\n" + "\n".join(lines)
    assert " PROBLEM " in lines[index]
    assert lines[index + 1].startswith("  fix: ") and fix in lines[index + 1], lines[index + 1]


def test_a_sandbox_set_up_like_production_is_ready(live_env: Path, capsys: pytest.CaptureFixture[str]) -> None:
    status, lines = check_live(capsys)
    assert status == 0, "\n".join(lines)
    assert lines[-1] == "live check: Slack, Salesforce and QuickBooks are ready"
    for expected in ("slack: OK the bot token has every scope manifest.yaml asks for (11)",
                     "slack: OK the bot is in every policy channel (3)",
                     "slack: OK role finance_approver: 2 users and user group S05FINTEAM1 found in Slack",
                     "salesforce: OK 11 custom fields exist with the right types; the API user may edit the 5 that "
                     "Ledgerbridge writes back",
                     f"quickbooks: OK company {DEMO_REALM_ID} answers (Ledgerbridge Demo Company)",
                     f"quickbooks: OK company {DEMO_REALM_ID}: the 4 mapped items and 5 mapped terms exist and are "
                     "active",
                     f"quickbooks: OK company {DEMO_REALM_ID}: custom transaction numbers are on (invoice numbers "
                     "come from the opportunity)"):
        assert expected in lines
    assert not any("PROBLEM" in line for line in lines)


def test_each_planted_problem_is_reported_with_its_fix(live_env: Path, emulators: Emulators,
                                                       capsys: pytest.CaptureFixture[str]) -> None:
    emulators.slack.set_token_scopes(DEFAULT_BOT_TOKEN, DEFAULT_BOT_SCOPES - {"users:read.email"})
    emulators.slack.set_bot_member("C05APPR0VAL", False)
    emulators.slack.add_user(CARL.slack_id, CARL.name, real_name=CARL.real_name, email=CARL.email, deleted=True)
    emulators.salesforce.remove_field("Opportunity", "PO_Number__c")
    emulators.salesforce.make_read_only("Opportunity", "QBO_Balance__c")
    emulators.quickbooks.deactivate(DEMO_REALM_ID, "Item", "Support Plan")
    emulators.quickbooks.set_custom_txn_numbers(DEMO_REALM_ID, False)

    status, lines = check_live(capsys)

    assert status == 1
    problem_with_fix(lines, "slack: PROBLEM the bot token lacks the scope users:read.email that manifest.yaml asks for",
                     "add users:read.email under OAuth & Permissions > Scopes > Bot Token Scopes")
    problem_with_fix(lines, "the bot is not in #finance-approvals (C05APPR0VAL, channels.approvals)",
                     "invite it: type /invite @Ledgerbridge in #finance-approvals")
    problem_with_fix(lines, f"approver_roles.controller: user {CARL.slack_id} (Carl Controller) is deactivated",
                     "remove them from approver_roles.controller.users")
    problem_with_fix(lines, "salesforce: PROBLEM Opportunity.PO_Number__c is missing, or the integration user "
                            "cannot read it",
                     "create it as a Text field (Setup > Object Manager > Opportunity > Fields & Relationships)")
    problem_with_fix(lines, "may read Opportunity.QBO_Balance__c but not edit it",
                     "give it Edit access: Setup > Object Manager > Opportunity > Fields & Relationships > "
                     "QBO_Balance__c > Set Field-Level Security")
    problem_with_fix(lines, f"company {DEMO_REALM_ID}: item 'Support Plan' (mapped from 'Support Plan', 'SUPPORT' "
                            "in mappings.products) is inactive",
                     "make it active again (Sales > Products and services > Make active)")
    problem_with_fix(lines, f"company {DEMO_REALM_ID}: custom transaction numbers are off",
                     "Sales form content > Custom transaction numbers: On")
    assert lines[-1] == "live check: 7 problems to fix before going live"
    assert sum(" PROBLEM " in line for line in lines) == 7


def test_quickbooks_numbering_needs_custom_transaction_numbers_off(live_env: Path, emulators: Emulators,
                                                                   capsys: pytest.CaptureFixture[str]) -> None:
    policy = live_env / "policy.yaml"
    policy.write_text(DEMO_POLICY.read_text().replace("invoice_number: opportunity", "invoice_number: quickbooks"))
    status, lines = check_live(capsys, policy)
    assert status == 1
    problem_with_fix(lines, f"company {DEMO_REALM_ID}: custom transaction numbers are on, so invoices",
                     "Custom transaction numbers: Off (or set invoice_number: opportunity in the policy)")

    emulators.quickbooks.set_custom_txn_numbers(DEMO_REALM_ID, False)
    status, lines = check_live(capsys, policy)
    assert f"quickbooks: OK company {DEMO_REALM_ID}: QuickBooks numbers the invoices itself" in lines


def test_a_private_channel_the_bot_cannot_see_and_a_missing_user_group(
        live_env: Path, emulators: Emulators, capsys: pytest.CaptureFixture[str]) -> None:
    emulators.slack.add_channel("C05EXCEPT10N", "billing-exceptions", is_private=True, bot_member=False)
    del emulators.slack.usergroups["S05FINTEAM1"]
    status, lines = check_live(capsys)
    assert status == 1
    problem_with_fix(lines, "channel C05EXCEPT10N (channels.exceptions) does not exist, or is private and the bot "
                            "is not in it", "invite the bot to that private channel: /invite @Ledgerbridge")
    problem_with_fix(lines, "approver_roles.finance_approver: user group S05FINTEAM1 does not exist",
                     "correct approver_roles.finance_approver.usergroup in the policy")


def test_without_channels_read_the_channels_are_still_checked_one_by_one(
        live_env: Path, emulators: Emulators, capsys: pytest.CaptureFixture[str]) -> None:
    emulators.slack.set_token_scopes(DEFAULT_BOT_TOKEN, DEFAULT_BOT_SCOPES - {"channels:read", "groups:read"})
    status, lines = check_live(capsys)
    assert status == 1
    problem_with_fix(lines, "lacks the scopes channels:read, groups:read", "reinstall the app")
    problem_with_fix(lines, "could not look up channel C05APPR0VAL (channels.approvals): Slack conversations.info "
                            "failed: missing_scope", "give the app the channels:read and groups:read scopes")


def test_vendors_that_refuse_or_a_database_not_migrated_are_problems_not_crashes(
        live_env: Path, emulators: Emulators, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    emulators.slack.revoke_token(DEFAULT_BOT_TOKEN)
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{live_env / 'never-created.db'}")
    status, lines = check_live(capsys)
    assert status == 1
    problem_with_fix(lines, "slack: PROBLEM Slack refused the bot token: Slack auth.test failed: token_revoked",
                     "set SLACK_BOT_TOKEN to the Bot User OAuth Token")
    problem_with_fix(lines, "quickbooks: PROBLEM cannot read the stored QuickBooks tokens: the database does not "
                            "exist yet", "run `ledgerbridge db upgrade`")
    assert not (live_env / "never-created.db").exists()
    assert any(line.startswith("salesforce: OK ") for line in lines)      # the others are still checked


def test_without_live_nothing_is_contacted(live_env: Path, emulators: Emulators,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", "--policy", str(DEMO_POLICY)]) == 0
    assert emulators.slack.calls == [] and emulators.quickbooks.calls == []


def _closed_port() -> int:
    """A local port nothing listens on (bound, then released)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_a_vendor_out_of_reach_is_one_problem_naming_its_address_setting(
        live_env: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    nowhere = f"http://127.0.0.1:{_closed_port()}"
    monkeypatch.setenv("SLACK_API_URL", f"{nowhere}/api/")
    monkeypatch.setenv("SALESFORCE_INSTANCE_URL", nowhere)
    status, lines = check_live(capsys)
    assert status == 1
    problem_with_fix(lines, "slack: PROBLEM Slack is unreachable: connection refused", "check SLACK_API_URL")
    problem_with_fix(lines, f"salesforce: PROBLEM Salesforce is unreachable at {nowhere}: connection refused",
                     "check SALESFORCE_INSTANCE_URL")
    assert sum(line.startswith(("slack: PROBLEM", "salesforce: PROBLEM")) for line in lines) == 2   # once each
    assert not any("SLACK_BOT_TOKEN" in line or "View Setup" in line for line in lines)          # not the cause


def test_a_salesforce_session_refused_is_one_problem_naming_the_credentials(
        live_env: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SALESFORCE_ACCESS_TOKEN", "00Dexpired!token")
    status, lines = check_live(capsys)
    assert status == 1
    problem_with_fix(lines, "salesforce: PROBLEM Salesforce refused to describe Opportunity: INVALID_SESSION_ID",
                     "check SALESFORCE_ACCESS_TOKEN")
    assert sum(line.startswith("salesforce: PROBLEM") for line in lines) == 1
