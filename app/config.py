"""Settings: every knob comes from the environment (or a `.env` file). The names are a public contract."""
from __future__ import annotations

from enum import StrEnum
from functools import lru_cache
from pathlib import Path

from pydantic import AnyHttpUrl, Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from app.errors import ConfigError


class QboEnvironment(StrEnum):
    SANDBOX = "sandbox"
    PRODUCTION = "production"


class Settings(BaseSettings):
    """Typed settings. Field names map 1:1 to upper-case environment variables."""

    model_config = SettingsConfigDict(
        env_file=".env", env_file_encoding="utf-8", case_sensitive=False, extra="ignore",
        env_ignore_empty=True,
    )

    database_url: str = "sqlite:///./ledgerbridge.db"

    slack_bot_token: SecretStr | None = None
    slack_signing_secret: SecretStr | None = None
    slack_app_token: SecretStr | None = None
    slack_api_url: AnyHttpUrl = AnyHttpUrl("https://slack.com/api/")

    salesforce_instance_url: AnyHttpUrl | None = None
    salesforce_access_token: SecretStr | None = None
    salesforce_username: str | None = None
    salesforce_password: SecretStr | None = None
    salesforce_security_token: SecretStr | None = None
    salesforce_client_id: str | None = None
    salesforce_private_key_file: Path | None = None
    salesforce_login_url: AnyHttpUrl = AnyHttpUrl("https://login.salesforce.com")
    salesforce_api_version: str = Field(default="59.0", pattern=r"^\d{2,3}\.0$")
    salesforce_notify_secret: SecretStr | None = None

    qbo_client_id: str | None = None
    qbo_client_secret: SecretStr | None = None
    qbo_refresh_token: SecretStr | None = None
    qbo_realm_id: str | None = None
    qbo_environment: QboEnvironment = QboEnvironment.SANDBOX
    qbo_api_url: AnyHttpUrl | None = None
    qbo_discovery_url: AnyHttpUrl | None = None

    ledgerbridge_policy: Path = Path("policy.yaml")
    ledgerbridge_poll_seconds: int = Field(default=30, ge=5, le=3600)
    ledgerbridge_http_timeout: float = Field(default=30.0, gt=0, le=300)
    ledgerbridge_scheduler_enabled: bool = True
    ledgerbridge_public_url: AnyHttpUrl = AnyHttpUrl("http://127.0.0.1:8000")
    ledgerbridge_dashboard_token: SecretStr | None = None

    @field_validator("database_url")
    @classmethod
    def _known_database(cls, value: str) -> str:
        if not value.startswith(("sqlite", "postgresql")):
            raise ValueError("must be a sqlite:/// or postgresql:// URL")
        return value

    @property
    def salesforce_base_url(self) -> str | None:
        """SALESFORCE_INSTANCE_URL as text, for record links (None when unset)."""
        return str(self.salesforce_instance_url) if self.salesforce_instance_url else None

    @property
    def uses_salesforce_jwt(self) -> bool:
        return bool(self.salesforce_client_id and self.salesforce_private_key_file)


def _explain(error: ValidationError) -> str:
    first = error.errors()[0]
    name = str(first["loc"][0]).upper() if first["loc"] else "settings"
    return f"invalid setting {name}: {first['msg']}"


def load_settings(**overrides: object) -> Settings:
    """Build Settings, turning a validation failure into one line that names the setting."""
    try:
        return Settings(**overrides)
    except ValidationError as error:
        raise ConfigError(_explain(error)) from None


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return load_settings()


def missing_for_production(settings: Settings) -> list[str]:
    """Settings that `ledgerbridge serve` cannot run without, by their public names."""
    missing = [
        name.upper()
        for name in ("slack_bot_token", "slack_signing_secret", "salesforce_instance_url",
                     "qbo_client_id", "qbo_client_secret", "qbo_realm_id")
        if getattr(settings, name) in (None, "")
    ]
    has_token = settings.salesforce_access_token is not None
    has_password = bool(settings.salesforce_username and settings.salesforce_password)
    if not (has_token or has_password or settings.uses_salesforce_jwt):
        missing.append(
            "SALESFORCE_ACCESS_TOKEN (or SALESFORCE_USERNAME + SALESFORCE_PASSWORD + "
            "SALESFORCE_SECURITY_TOKEN, or SALESFORCE_CLIENT_ID + SALESFORCE_USERNAME + "
            "SALESFORCE_PRIVATE_KEY_FILE)"
        )
    return missing
