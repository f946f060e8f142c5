"""Settings: every knob comes from the environment (or a `.env` file). The names are a public contract."""
from __future__ import annotations

import os
from collections.abc import Mapping
from enum import StrEnum
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

from dotenv import dotenv_values
from pydantic import AnyHttpUrl, Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from app.config_problems import (
    APP_TOKEN,
    BOT_TOKEN,
    TokenKind,
    UnknownSetting,
    explain_errors,
    find_unknown,
    token_kind_problem,
)
from app.errors import ConfigError

ENV_FILE = ".env"
# Read by our tooling, not by Settings: known, so never reported as unknown.
OTHER_KNOWN_NAMES = frozenset({"LEDGERBRIDGE_TEST_PG_URL"})


class QboEnvironment(StrEnum):
    SANDBOX = "sandbox"
    PRODUCTION = "production"


QBO_APP_URLS = {QboEnvironment.SANDBOX: "https://app.sandbox.qbo.intuit.com",
                QboEnvironment.PRODUCTION: "https://app.qbo.intuit.com"}


class Settings(BaseSettings):
    """Typed settings. Field names map 1:1 to upper-case environment variables."""

    model_config = SettingsConfigDict(
        env_file=ENV_FILE, env_file_encoding="utf-8", case_sensitive=False, extra="ignore",
        env_ignore_empty=True,
    )

    database_url: str = Field(default="sqlite:///./ledgerbridge.db",
                              description="a sqlite:/// or postgresql:// URL, such as sqlite:///./ledgerbridge.db")

    slack_bot_token: SecretStr | None = None
    slack_signing_secret: SecretStr | None = None
    slack_app_token: SecretStr | None = None
    slack_api_url: AnyHttpUrl = Field(default=AnyHttpUrl("https://slack.com/api/"),
                                      description="the Slack Web API base URL, https://slack.com/api/")

    salesforce_instance_url: AnyHttpUrl | None = Field(
        default=None, description="your org's My Domain URL, such as https://acme.my.salesforce.com")
    salesforce_access_token: SecretStr | None = None
    salesforce_username: str | None = None
    salesforce_password: SecretStr | None = None
    salesforce_security_token: SecretStr | None = None
    salesforce_client_id: str | None = None
    salesforce_private_key_file: Path | None = Field(
        default=None, description="the path of a PEM private key file, such as /run/secrets/salesforce.key")
    salesforce_login_url: AnyHttpUrl = Field(
        default=AnyHttpUrl("https://login.salesforce.com"),
        description="https://login.salesforce.com, or https://test.salesforce.com for a sandbox")
    salesforce_api_version: str = Field(default="59.0", pattern=r"^\d{2,3}\.0$",
                                        description="a Salesforce REST API version written NN.0, such as 59.0")
    salesforce_notify_secret: SecretStr | None = None

    qbo_client_id: str | None = None
    qbo_client_secret: SecretStr | None = None
    qbo_refresh_token: SecretStr | None = None
    qbo_realm_id: str | None = None
    qbo_environment: QboEnvironment = Field(default=QboEnvironment.SANDBOX, description="sandbox or production")
    qbo_api_url: AnyHttpUrl | None = Field(
        default=None, description="the emulator's API base URL ending in /v3, such as http://127.0.0.1:3003/v3")
    qbo_discovery_url: AnyHttpUrl | None = Field(
        default=None, description="an OpenID discovery document URL, such as "
                                  "http://127.0.0.1:3003/.well-known/openid_configuration")
    qbo_redirect_uri: AnyHttpUrl | None = Field(
        default=None, description="the Redirect URI registered on the Intuit app for `ledgerbridge qbo connect`, "
                                  "such as http://localhost:8765/quickbooks/callback")
    qbo_app_url: AnyHttpUrl | None = Field(
        default=None, description="the QuickBooks Online web app's base URL for invoice links, such as "
                                  "https://app.qbo.intuit.com")
    qbo_limit_per_second: int | None = Field(
        default=None, ge=1, le=10, description="a whole number of requests from 1 to 10, such as 9")
    qbo_limit_per_minute: int | None = Field(
        default=None, ge=1, le=500, description="a whole number of requests from 1 to 500, such as 490")
    qbo_batch_limit_per_minute: int | None = Field(
        default=None, ge=1, le=40, description="a whole number of batch requests from 1 to 40, such as 38")

    ledgerbridge_policy: Path = Field(default=Path("policy.yaml"),
                                      description="the path of the policy file, such as policy.yaml")
    ledgerbridge_poll_seconds: int = Field(default=30, ge=5, le=3600,
                                           description="a whole number of seconds from 5 to 3600, such as 30")
    ledgerbridge_http_timeout: float = Field(default=30.0, gt=0, le=300,
                                             description="a number of seconds above 0 and at most 300, such as 30")
    ledgerbridge_scheduler_enabled: bool = Field(default=True, description="true or false")
    ledgerbridge_public_url: AnyHttpUrl = Field(
        default=AnyHttpUrl("http://127.0.0.1:8000"),
        description="this service's public base URL, such as https://ledgerbridge.example.com")
    ledgerbridge_dashboard_token: SecretStr | None = None
    slack_client_id: str | None = Field(default=None, description="the Slack app's Client ID, such as 1234.5678")
    slack_client_secret: SecretStr | None = None
    ledgerbridge_session_secret: SecretStr | None = Field(
        default=None, min_length=32, description="at least 32 random characters (`openssl rand -hex 32`)")
    ledgerbridge_log_format: Literal["text", "json"] = Field(default="text", description="text or json")

    def secret_values(self) -> list[str]:
        """Every secret setting's value, for the log redaction filter (never to be shown)."""
        return [value.get_secret_value() for value in self.__dict__.values()
                if isinstance(value, SecretStr) and value.get_secret_value()]

    @property
    def slack_sign_in(self) -> bool:
        """Sign in with Slack is on: the client id, its secret and the session secret are all set."""
        return bool(self.slack_client_id and self.slack_client_secret and self.ledgerbridge_session_secret)

    @field_validator("database_url")
    @classmethod
    def _known_database(cls, value: str) -> str:
        if not value.startswith(("sqlite", "postgresql")):
            raise ValueError("is not a database URL Ledgerbridge can use; set it to a sqlite:/// or "
                             "postgresql+psycopg:// URL, such as sqlite:///./ledgerbridge.db")
        return value

    @field_validator("slack_bot_token")
    @classmethod
    def _is_bot_token(cls, value: SecretStr | None) -> SecretStr | None:
        return _checked_token_kind(value, BOT_TOKEN)

    @field_validator("slack_app_token")
    @classmethod
    def _is_app_token(cls, value: SecretStr | None) -> SecretStr | None:
        return _checked_token_kind(value, APP_TOKEN)

    @property
    def salesforce_base_url(self) -> str | None:
        """SALESFORCE_INSTANCE_URL as text, for record links (None when unset)."""
        return str(self.salesforce_instance_url) if self.salesforce_instance_url else None

    @property
    def quickbooks_app_url(self) -> str:
        """Where people open an invoice: QBO_APP_URL, else Intuit's web app for QBO_ENVIRONMENT."""
        if self.qbo_app_url is not None:
            return str(self.qbo_app_url)
        return QBO_APP_URLS[self.qbo_environment]

    @property
    def uses_salesforce_jwt(self) -> bool:
        return bool(self.salesforce_client_id and self.salesforce_private_key_file)


def _checked_token_kind(value: SecretStr | None, kind: TokenKind) -> SecretStr | None:
    problem = None if value is None else token_kind_problem(kind, value.get_secret_value())
    if problem:
        raise ValueError(problem)
    return value


def load_settings(**overrides: Any) -> Settings:
    """Build Settings; a validation failure becomes a ConfigError with one line per invalid setting."""
    try:
        return Settings(**overrides)
    except ValidationError as error:
        descriptions = {name: field.description for name, field in Settings.model_fields.items()}
        raise ConfigError("\n".join(explain_errors(error.errors(), descriptions))) from None


def unknown_settings(environ: Mapping[str, str] | None = None, env_file: Path | None = None) -> list[UnknownSetting]:
    """Variables in the environment or the .env file that look meant for us but are not settings (typos)."""
    environ = os.environ if environ is None else environ
    env_file = Path(ENV_FILE) if env_file is None else env_file
    sources: dict[str, list[str]] = {"the environment": list(environ)}
    if env_file.is_file():
        sources[str(env_file)] = list(dotenv_values(env_file))
    known = {name.upper() for name in Settings.model_fields} | OTHER_KNOWN_NAMES
    return find_unknown(sources, known)


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return load_settings()


def missing_for_sign_in(settings: Settings) -> list[str]:
    """What "Sign in with Slack" on the dashboard still needs (without it only the shared token guards it)."""
    return [name for name in ("SLACK_CLIENT_ID", "SLACK_CLIENT_SECRET", "LEDGERBRIDGE_SESSION_SECRET")
            if not getattr(settings, name.lower())]


def missing_for_production(settings: Settings) -> list[str]:
    """Settings that `ledgerbridge serve` cannot run without, by their public names, all of them."""
    missing = [
        name.upper()
        for name in ("slack_bot_token", "slack_signing_secret", "salesforce_instance_url",
                     "qbo_client_id", "qbo_client_secret", "qbo_realm_id")
        if getattr(settings, name) in (None, "")
    ]
    has_token = settings.salesforce_access_token is not None
    has_password = bool(settings.salesforce_username and settings.salesforce_password)
    has_jwt = settings.uses_salesforce_jwt and bool(settings.salesforce_username)
    if not (has_token or has_password or has_jwt):
        missing.append(
            "SALESFORCE_ACCESS_TOKEN (or SALESFORCE_USERNAME + SALESFORCE_PASSWORD + "
            "SALESFORCE_SECURITY_TOKEN, or SALESFORCE_CLIENT_ID + SALESFORCE_USERNAME + "
            "SALESFORCE_PRIVATE_KEY_FILE)"
        )
    key_file = settings.salesforce_private_key_file
    if has_jwt and not has_token and key_file is not None and not key_file.is_file():
        missing.append("SALESFORCE_PRIVATE_KEY_FILE (no file at that path: set it to the PEM private key's path)")
    return missing
