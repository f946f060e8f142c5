"""`ledgerbridge check`: every policy problem on its own line, exit codes 0/1/2, secrets never printed."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from app.cli import main
from app.db import make_engine
from app.db_migrate import upgrade
from app.integrations.token_store_db import DbTokenStore
from app.integrations.tokens import StoredTokens

EXAMPLE = Path(__file__).resolve().parents[1] / "policy.example.yaml"
BROKEN_PATHS = (
    "approval_rules.discount.levels[1].role: unknown role 'cfoo' (known: cfo, controller, finance_approver)",
    "channels.exceptions: 'exceptions' is not a Slack channel id",
    "billing_gate.required_fields[0]: 'bill_address' is not allowed",
    "sla_hours.default: Input should be greater than 0",
    "digest.colour: unknown key (allowed here: hour, minute, days, channel)",
)
PRODUCTION_ENV = {
    "SLACK_BOT_TOKEN": "xoxb-secret-bot-token-123",
    "SLACK_SIGNING_SECRET": "signing-secret-456",
    "SALESFORCE_INSTANCE_URL": "https://acme.my.salesforce.com",
    "SALESFORCE_ACCESS_TOKEN": "00Dsecret-access-789",
    "QBO_CLIENT_ID": "qbo-client",
    "QBO_CLIENT_SECRET": "qbo-secret-abc",
    "QBO_REALM_ID": "9341452876543210",
    "QBO_REFRESH_TOKEN": "AB11-refresh-secret-def",
    "SLACK_CLIENT_ID": "1234.5678",
    "SLACK_CLIENT_SECRET": "slack-client-secret-ghi",
    "LEDGERBRIDGE_SESSION_SECRET": "session-secret-" + "x" * 32,
}


@pytest.fixture(autouse=True)
def clean_settings(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Run in an empty folder (no stray .env) with none of the settings this file varies."""
    monkeypatch.chdir(tmp_path)
    for name in (*PRODUCTION_ENV, "DATABASE_URL", "LEDGERBRIDGE_POLICY", "LEDGERBRIDGE_POLL_SECONDS",
                 "SALESFORCE_USERNAME", "SALESFORCE_PASSWORD", "SALESFORCE_CLIENT_ID", "SALESFORCE_PRIVATE_KEY_FILE"):
        monkeypatch.delenv(name, raising=False)


def broken_policy(folder: Path) -> Path:
    text = EXAMPLE.read_text(encoding="utf-8")
    for old, new in (("        role: cfo\n", "        role: cfoo\n"),
                     ("exceptions: C05EXCEPT10N", "exceptions: exceptions"),
                     ("    - bill_to_address", "    - bill_address"),
                     ("  default: 24", "  default: 0"),
                     ("  minute: 30", "  minute: 30\n  colour: blue")):
        assert old in text
        text = text.replace(old, new, 1)
    path = folder / "policy.example.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_example_policy_is_ok_with_a_summary(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", "--policy", str(EXAMPLE)]) == 0
    out = capsys.readouterr().out
    assert out.strip() == (f"{EXAMPLE}: OK (3 approver roles, 4 approval rules, 8 required fields, 8 product mappings, "
                           "5 payment terms mappings, 2 QuickBooks realms, 7 root causes)")


def test_broken_policy_prints_each_error_on_its_own_line(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    policy = broken_policy(tmp_path)
    assert main(["check", "--policy", "policy.example.yaml"]) == 1
    lines = capsys.readouterr().out.splitlines()
    for expected in BROKEN_PATHS:
        assert any(line.startswith(f"policy.example.yaml: {expected}") for line in lines), (expected, lines)
    assert lines[-1] == f"policy.example.yaml: {len(BROKEN_PATHS)} problems"
    assert len(lines) == len(BROKEN_PATHS) + 1
    assert policy.exists()


@pytest.mark.parametrize(("value", "problem"), [
    ("Submitted_By__c", None),
    ("Submitted By", "approval_controls.submitter_field: 'Submitted By' is not a Salesforce field API name"),
])
def test_check_validates_the_submitter_field(value: str, problem: str | None, capsys: pytest.CaptureFixture[str],
                                             tmp_path: Path) -> None:
    text = EXAMPLE.read_text(encoding="utf-8").replace("  # submitter_field: Submitted_By__c",
                                                       f"  submitter_field: {value}", 1)
    assert f"  submitter_field: {value}" in text
    (tmp_path / "policy.yaml").write_text(text, encoding="utf-8")
    code = main(["check", "--policy", "policy.yaml"])
    out = capsys.readouterr().out
    if problem is None:
        assert code == 0 and "OK" in out
    else:
        assert code == 1 and f"policy.yaml: {problem}" in out, out


def test_the_installed_command_reports_the_same(tmp_path: Path) -> None:
    broken_policy(tmp_path)
    env = {key: value for key, value in os.environ.items() if key not in PRODUCTION_ENV}
    command = [*ledgerbridge_command(env), "check", "--policy", "policy.example.yaml"]
    result = subprocess.run(command, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60, check=False)
    assert result.returncode == 1, result.stderr
    for expected in BROKEN_PATHS:
        assert f"policy.example.yaml: {expected}" in result.stdout


def ledgerbridge_command(env: dict[str, str]) -> list[str]:
    """The installed console script; without one (package not installed), the same entry point by module."""
    beside_python = Path(sys.executable).with_name("ledgerbridge")
    script = str(beside_python) if beside_python.exists() else shutil.which("ledgerbridge")
    if script:
        return [script]
    env["PYTHONPATH"] = str(EXAMPLE.parent)
    return [sys.executable, "-m", "app.cli"]


def test_policy_path_comes_from_the_setting(monkeypatch: pytest.MonkeyPatch,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("LEDGERBRIDGE_POLICY", str(EXAMPLE))
    assert main(["check"]) == 0
    assert "OK (" in capsys.readouterr().out


def test_yaml_syntax_error_names_line_and_column(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    (tmp_path / "policy.yaml").write_text("timezone: UTC\nchannels: {approvals: C1\n", encoding="utf-8")
    assert main(["check", "--policy", "policy.yaml"]) == 1
    first = capsys.readouterr().out.splitlines()[0]
    assert first.startswith("policy.yaml: line 3, column 1: YAML syntax error")


def test_missing_policy_file_is_a_config_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check"]) == 2
    err = capsys.readouterr().err
    assert "policy.yaml: cannot read the policy file (file not found; pass --policy or set LEDGERBRIDGE_POLICY)" in err


def test_invalid_setting_is_a_config_error_on_one_line(monkeypatch: pytest.MonkeyPatch,
                                                       capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("LEDGERBRIDGE_POLL_SECONDS", "1")
    assert main(["check", "--policy", str(EXAMPLE)]) == 2
    captured = capsys.readouterr()
    assert captured.err.strip().splitlines() == [
        "settings: invalid setting LEDGERBRIDGE_POLL_SECONDS: is out of range; set it to a whole number of seconds "
        "from 5 to 3600, such as 30"]
    assert captured.out == ""


def test_production_lists_missing_settings_and_never_prints_secrets(monkeypatch: pytest.MonkeyPatch,
                                                                    capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("SLACK_BOT_TOKEN", PRODUCTION_ENV["SLACK_BOT_TOKEN"])
    monkeypatch.setenv("QBO_CLIENT_SECRET", PRODUCTION_ENV["QBO_CLIENT_SECRET"])
    assert main(["check", "--policy", str(EXAMPLE), "--production"]) == 1
    output = capsys.readouterr().out
    assert "settings: missing for production: SLACK_SIGNING_SECRET" in output
    assert "settings: missing for production: QBO_REALM_ID" in output
    assert "SLACK_BOT_TOKEN" not in output
    assert PRODUCTION_ENV["SLACK_BOT_TOKEN"] not in output
    assert PRODUCTION_ENV["QBO_CLIENT_SECRET"] not in output


def test_production_ok_when_everything_is_set(monkeypatch: pytest.MonkeyPatch,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    for name, value in PRODUCTION_ENV.items():
        monkeypatch.setenv(name, value)
    assert main(["check", "--policy", str(EXAMPLE), "--production"]) == 0
    output = capsys.readouterr().out
    assert "settings: OK for production" in output
    assert not any(secret in output for secret in PRODUCTION_ENV.values())


def test_production_lists_every_missing_setting_at_once(monkeypatch: pytest.MonkeyPatch,
                                                        capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("SLACK_BOT_TOKEN", PRODUCTION_ENV["SLACK_BOT_TOKEN"])
    assert main(["check", "--policy", str(EXAMPLE), "--production"]) == 1
    missing = [line.removeprefix("settings: missing for production: ").split(" ")[0]
               for line in capsys.readouterr().out.splitlines() if "missing for production" in line]
    assert missing == ["SLACK_SIGNING_SECRET", "SALESFORCE_INSTANCE_URL", "QBO_CLIENT_ID", "QBO_CLIENT_SECRET",
                       "QBO_REALM_ID", "SALESFORCE_ACCESS_TOKEN", "QBO_REFRESH_TOKEN", "SLACK_CLIENT_ID",
                       "SLACK_CLIENT_SECRET", "LEDGERBRIDGE_SESSION_SECRET"]


def production_without_refresh_token(monkeypatch: pytest.MonkeyPatch, database: str) -> None:
    for name, value in PRODUCTION_ENV.items():
        if name != "QBO_REFRESH_TOKEN":
            monkeypatch.setenv(name, value)
    monkeypatch.setenv("DATABASE_URL", database)


def test_production_needs_a_refresh_token_when_none_is_stored(monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
                                                              capsys: pytest.CaptureFixture[str]) -> None:
    database = f"sqlite:///{tmp_path / 'lb.db'}"
    upgrade(database)
    production_without_refresh_token(monkeypatch, database)

    assert main(["check", "--policy", str(EXAMPLE), "--production"]) == 1

    assert capsys.readouterr().out.splitlines()[1:] == [
        "settings: missing for production: QBO_REFRESH_TOKEN (no refresh token is stored in the database for realm "
        "9341452876543210 yet: set it to the first one from Intuit's OAuth playground or the connect flow)"]


def test_a_refresh_token_stored_in_the_database_is_enough(monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
                                                         capsys: pytest.CaptureFixture[str]) -> None:
    database = f"sqlite:///{tmp_path / 'lb.db'}"
    upgrade(database)
    engine = make_engine(database)
    DbTokenStore(engine).save(PRODUCTION_ENV["QBO_REALM_ID"], StoredTokens(refresh_token="rotated-secret-refresh"))
    engine.dispose()
    production_without_refresh_token(monkeypatch, database)

    assert main(["check", "--policy", str(EXAMPLE), "--production"]) == 0

    output = capsys.readouterr().out
    assert "settings: OK for production" in output and "rotated-secret-refresh" not in output


def test_production_check_never_creates_the_database(monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    production_without_refresh_token(monkeypatch, f"sqlite:///{tmp_path / 'not-yet.db'}")
    assert main(["check", "--policy", str(EXAMPLE), "--production"]) == 1
    assert "QBO_REFRESH_TOKEN (the database does not exist yet, so no refresh token is stored" in \
        capsys.readouterr().out
    assert not (tmp_path / "not-yet.db").exists()


def test_serve_names_every_missing_setting_too(monkeypatch: pytest.MonkeyPatch,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("SLACK_BOT_TOKEN", PRODUCTION_ENV["SLACK_BOT_TOKEN"])
    assert main(["serve"]) == 2
    lines = capsys.readouterr().err.splitlines()
    assert [line.split(" ")[4] for line in lines] == [
        "SLACK_SIGNING_SECRET", "SALESFORCE_INSTANCE_URL", "QBO_CLIENT_ID", "QBO_CLIENT_SECRET", "QBO_REALM_ID",
        "SALESFORCE_ACCESS_TOKEN", "QBO_REFRESH_TOKEN"]
    assert all(line.startswith("ledgerbridge serve: missing setting ") for line in lines)


def test_production_check_names_the_missing_sign_in_settings(monkeypatch: pytest.MonkeyPatch, capsys) -> None:
    for name, value in PRODUCTION_ENV.items():
        if name not in ("SLACK_CLIENT_SECRET", "LEDGERBRIDGE_SESSION_SECRET"):
            monkeypatch.setenv(name, value)
    status = main(["check", "--production", "--policy", str(EXAMPLE)])
    output = capsys.readouterr().out
    assert status == 1
    assert "missing for production: SLACK_CLIENT_SECRET (Sign in with Slack" in output
    assert "missing for production: LEDGERBRIDGE_SESSION_SECRET" in output and "1234.5678" not in output
