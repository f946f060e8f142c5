"""Settings as an operator meets them: typos named with the closest setting, token kinds checked by prefix,
every message in our words and naming the fix, never a secret's value."""
from __future__ import annotations

import os
from pathlib import Path

import pytest
from pydantic import SecretStr

from app.cli import main
from app.config import Settings, load_settings, unknown_settings
from app.errors import ConfigError

EXAMPLE = Path(__file__).resolve().parents[1] / "policy.example.yaml"
PYDANTIC_WORDS = ("Input should", "String should", "Value error", "validation error", "pydantic", "For further")


@pytest.fixture(autouse=True)
def no_stray_settings(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """An empty folder (no .env) and an environment without any of our variables."""
    monkeypatch.chdir(tmp_path)
    for name in list(os.environ):
        if name.upper().startswith(("LEDGERBRIDGE_", "SLACK_", "SALESFORCE_", "QBO_", "DATABASE_")):
            monkeypatch.delenv(name)


# --- misspelt variables -------------------------------------------------------------------------------

def test_misspelt_environment_variables_are_named_with_the_closest_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SLAKC_BOT_TOKEN", "xoxb-secret-in-a-typo")       # the prefix itself misspelt
    monkeypatch.setenv("LEDGERBRIDGE_POLL_SECOND", "30")
    monkeypatch.setenv("QOB_REALM_ID", "123")
    monkeypatch.setenv("DATABSE_URL", "sqlite:///x.db")
    monkeypatch.setenv("SLACK_WEBHOOK_URL", "https://hooks.slack.com/x")    # ours by prefix, close to nothing
    monkeypatch.setenv("BLACK_CACHE_DIR", "/tmp/black")                     # not ours, close to nothing

    lines = [str(unknown) for unknown in unknown_settings()]

    assert lines == [
        "DATABSE_URL (in the environment) is not a Ledgerbridge setting: did you mean DATABASE_URL?",
        "LEDGERBRIDGE_POLL_SECOND (in the environment) is not a Ledgerbridge setting: "
        "did you mean LEDGERBRIDGE_POLL_SECONDS?",
        "QOB_REALM_ID (in the environment) is not a Ledgerbridge setting: did you mean QBO_REALM_ID?",
        "SLACK_WEBHOOK_URL (in the environment) is not a Ledgerbridge setting: remove it, or see .env.example "
        "for the setting names",
        "SLAKC_BOT_TOKEN (in the environment) is not a Ledgerbridge setting: did you mean SLACK_BOT_TOKEN?",
    ]


def test_known_names_in_any_case_and_our_test_variable_are_not_reported(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("slack_bot_token", "xoxb-lower-case-works")         # settings are case-insensitive
    monkeypatch.setenv("LEDGERBRIDGE_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1/postgres")
    assert unknown_settings() == []


def test_check_reports_typos_in_the_dotenv_file_as_errors(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / ".env").write_text("SLACK_BOT_TOKEN=xoxb-fine\nLEDGERBRIDGE_POLL_SECOND=30\n"
                                   "SLAKC_SIGNING_SECRET=very-secret-value\n", encoding="utf-8")

    assert main(["check", "--policy", str(EXAMPLE)]) == 1

    out = capsys.readouterr().out
    assert "settings: LEDGERBRIDGE_POLL_SECOND (in .env) is not a Ledgerbridge setting: " \
           "did you mean LEDGERBRIDGE_POLL_SECONDS?" in out
    assert "settings: SLAKC_SIGNING_SECRET (in .env) is not a Ledgerbridge setting: " \
           "did you mean SLACK_SIGNING_SECRET?" in out
    assert "very-secret-value" not in out and "xoxb-fine" not in out
    assert f"{EXAMPLE}: OK (" in out          # the policy is still checked and reported


def test_other_commands_warn_about_typos_at_start_up_and_go_on(monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
                                                              capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("SLAKC_BOT_TOKEN", "xoxb-secret-in-a-typo")

    assert main(["db", "upgrade", "--url", f"sqlite:///{tmp_path / 'lb.db'}"]) == 0

    err = capsys.readouterr().err
    assert "ledgerbridge db: warning: SLAKC_BOT_TOKEN (in the environment) is not a Ledgerbridge setting: " \
           "did you mean SLACK_BOT_TOKEN?" in err.splitlines()
    assert "xoxb-secret-in-a-typo" not in err


# --- token kinds --------------------------------------------------------------------------------------

def test_an_app_level_token_as_bot_token_is_told_where_it_belongs(monkeypatch: pytest.MonkeyPatch,
                                                                 capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xapp-1-A0001-very-secret")

    assert main(["check", "--policy", str(EXAMPLE)]) == 2

    err = capsys.readouterr().err
    assert err.splitlines() == [
        "settings: invalid setting SLACK_BOT_TOKEN: holds an app-level token (xapp-...), which belongs in "
        "SLACK_APP_TOKEN; SLACK_BOT_TOKEN takes a bot token (xoxb-..., from OAuth & Permissions > Bot User "
        "OAuth Token)"]
    assert "very-secret" not in err


@pytest.mark.parametrize(("name", "value", "expected"), [
    ("slack_app_token", "xoxb-123-secret",
     "invalid setting SLACK_APP_TOKEN: holds a bot token (xoxb-...), which belongs in SLACK_BOT_TOKEN; "
     "SLACK_APP_TOKEN takes an app-level token (xapp-..., from Basic Information > App-Level Tokens, "
     "scope connections:write)"),
    ("slack_bot_token", "xoxp-123-secret",
     "invalid setting SLACK_BOT_TOKEN: holds a user token (xoxp-...), which Ledgerbridge does not use; "
     "SLACK_BOT_TOKEN takes a bot token (xoxb-..., from OAuth & Permissions > Bot User OAuth Token)"),
    ("slack_bot_token", "123-secret",
     "invalid setting SLACK_BOT_TOKEN: is not a bot token: it must start with xoxb-; SLACK_BOT_TOKEN takes a "
     "bot token (xoxb-..., from OAuth & Permissions > Bot User OAuth Token)"),
    ("slack_bot_token", "xoxb-123-secret\n",
     "invalid setting SLACK_BOT_TOKEN: contains spaces or a line break: paste the token alone; SLACK_BOT_TOKEN "
     "takes a bot token (xoxb-..., from OAuth & Permissions > Bot User OAuth Token)"),
])
def test_token_kinds_are_checked_by_prefix(name: str, value: str, expected: str) -> None:
    with pytest.raises(ConfigError) as raised:
        load_settings(**{name: value})
    assert str(raised.value) == expected
    assert "secret" not in str(raised.value)


def test_tokens_of_the_right_kind_are_accepted() -> None:
    settings = load_settings(slack_bot_token="xoxb-1-2-abc", slack_app_token="xapp-1-A1-abc")
    assert settings.slack_bot_token is not None and settings.slack_app_token is not None


# --- every message in our words -----------------------------------------------------------------------

BAD_VALUES = [
    ("SALESFORCE_INSTANCE_URL", "acme.my.salesforce.com",
     "invalid setting SALESFORCE_INSTANCE_URL: is not a URL; set it to your org's My Domain URL, such as "
     "https://acme.my.salesforce.com"),
    ("SALESFORCE_API_VERSION", "59",
     "invalid setting SALESFORCE_API_VERSION: is not in the expected form; set it to a Salesforce REST API "
     "version written NN.0, such as 59.0"),
    ("LEDGERBRIDGE_POLL_SECONDS", "1",
     "invalid setting LEDGERBRIDGE_POLL_SECONDS: is out of range; set it to a whole number of seconds from 5 to "
     "3600, such as 30"),
    ("LEDGERBRIDGE_POLL_SECONDS", "often",
     "invalid setting LEDGERBRIDGE_POLL_SECONDS: is not a whole number; set it to a whole number of seconds from "
     "5 to 3600, such as 30"),
    ("LEDGERBRIDGE_HTTP_TIMEOUT", "0",
     "invalid setting LEDGERBRIDGE_HTTP_TIMEOUT: is out of range; set it to a number of seconds above 0 and at "
     "most 300, such as 30"),
    ("LEDGERBRIDGE_SCHEDULER_ENABLED", "maybe",
     "invalid setting LEDGERBRIDGE_SCHEDULER_ENABLED: is neither true nor false; set it to true or false"),
    ("QBO_ENVIRONMENT", "prod",
     "invalid setting QBO_ENVIRONMENT: is not one of the allowed values; set it to sandbox or production"),
    ("LEDGERBRIDGE_PUBLIC_URL", "ftp://ledgerbridge.example.com",
     "invalid setting LEDGERBRIDGE_PUBLIC_URL: is not an http:// or https:// URL; set it to this service's "
     "public base URL, such as https://ledgerbridge.example.com"),
    ("SLACK_API_URL", "slack.com/api",
     "invalid setting SLACK_API_URL: is not a URL; set it to the Slack Web API base URL, https://slack.com/api/"),
    ("DATABASE_URL", "mysql://db/ledgerbridge",
     "invalid setting DATABASE_URL: is not a database URL Ledgerbridge can use; set it to a sqlite:/// or "
     "postgresql+psycopg:// URL, such as sqlite:///./ledgerbridge.db"),
]


@pytest.mark.parametrize(("name", "value", "expected"), BAD_VALUES, ids=[f"{n}={v}" for n, v, _ in BAD_VALUES])
def test_each_invalid_value_gets_a_sentence_naming_the_variable_and_the_fix(
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], name: str, value: str,
        expected: str) -> None:
    monkeypatch.setenv(name, value)
    assert main(["check", "--policy", str(EXAMPLE)]) == 2
    captured = capsys.readouterr()
    assert captured.err.splitlines() == [f"settings: {expected}"]
    assert not any(words in captured.err for words in PYDANTIC_WORDS)


def test_every_field_that_can_be_invalid_has_a_description_for_the_fix() -> None:
    """A new setting with a constraint must say what a valid value looks like, or its error would not."""
    free_text = (str, str | None, SecretStr | None)        # no constraint: any value is accepted as it is
    can_fail = {name for name, field in Settings.model_fields.items()
                if field.metadata or field.annotation not in free_text}
    assert can_fail and all(Settings.model_fields[name].description for name in can_fail), \
        sorted(name for name in can_fail if not Settings.model_fields[name].description)


def test_all_invalid_settings_are_reported_at_once(monkeypatch: pytest.MonkeyPatch,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("SALESFORCE_API_VERSION", "59")
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xapp-1-secret")
    monkeypatch.setenv("LEDGERBRIDGE_POLL_SECONDS", "1")
    assert main(["check", "--policy", str(EXAMPLE)]) == 2
    err = capsys.readouterr().err.splitlines()
    assert [line.split(":")[1].strip() for line in err] == [
        "invalid setting SLACK_BOT_TOKEN", "invalid setting SALESFORCE_API_VERSION",
        "invalid setting LEDGERBRIDGE_POLL_SECONDS"]


def test_a_secret_typed_into_a_url_setting_is_not_echoed(monkeypatch: pytest.MonkeyPatch,
                                                        capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("SALESFORCE_INSTANCE_URL", "00Dxx0000001gPL!AQ4AQFakeSessionToken")   # pasted in the wrong box
    assert main(["check", "--policy", str(EXAMPLE)]) == 2
    err = capsys.readouterr().err
    assert "SALESFORCE_INSTANCE_URL" in err and "FakeSessionToken" not in err


def test_a_copy_of_env_example_has_no_unknown_names(tmp_path: Path) -> None:
    example = Path(__file__).resolve().parents[1] / ".env.example"
    (tmp_path / ".env").write_text(example.read_text(encoding="utf-8"), encoding="utf-8")
    assert unknown_settings(environ={}) == []
