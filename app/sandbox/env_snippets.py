"""What `ledgerbridge sandbox <api>` prints: the emulator's credentials and a ready `.env` snippet that points
`ledgerbridge serve` (or `check --live`, `readiness`) at it (pure)."""
from __future__ import annotations

from pathlib import Path

from app.sandbox.quickbooks.demo import DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, DEMO_REALM_ID, DEMO_REFRESH_TOKEN
from app.sandbox.salesforce.state import (
    DEFAULT_ACCESS_TOKEN,
    DEFAULT_PASSWORD,
    DEFAULT_SECURITY_TOKEN,
    DEFAULT_USERNAME,
)
from app.sandbox.slack.openid import DEMO_CLIENT_ID as OPENID_CLIENT_ID
from app.sandbox.slack.openid import DEMO_CLIENT_SECRET as OPENID_CLIENT_SECRET
from app.sandbox.slack.state import DEFAULT_APP_TOKEN, DEFAULT_BOT_TOKEN

SANDBOX_SIGNING_SECRET = "ledgerbridge-sandbox-signing-secret"
DEMO_POLICY = Path(__file__).with_name("demo_policy.yaml")


def credentials(which: str) -> list[str]:
    return {
        "slack": [f"bot token {DEFAULT_BOT_TOKEN}, app-level token {DEFAULT_APP_TOKEN} (Socket Mode)"],
        "salesforce": [f"access token {DEFAULT_ACCESS_TOKEN}",
                       f"or sign in as {DEFAULT_USERNAME} with password {DEFAULT_PASSWORD} and security token "
                       f"{DEFAULT_SECURITY_TOKEN}"],
        "quickbooks": [f"client id {DEMO_CLIENT_ID}, client secret {DEMO_CLIENT_SECRET}",
                       f"company (realm) {DEMO_REALM_ID}, refresh token {DEMO_REFRESH_TOKEN}"],
    }[which]


def env_snippet(which: str, base_url: str) -> list[str]:
    """`.env` lines for this emulator at `base_url` (the sandbox's values are not secrets)."""
    return {
        "slack": [f"SLACK_API_URL={base_url}/api/", f"SLACK_BOT_TOKEN={DEFAULT_BOT_TOKEN}",
                  f"SLACK_SIGNING_SECRET={SANDBOX_SIGNING_SECRET}",
                  "# Sign in with Slack on the dashboard (the emulator's demo app):",
                  f"SLACK_CLIENT_ID={OPENID_CLIENT_ID}", f"SLACK_CLIENT_SECRET={OPENID_CLIENT_SECRET}",
                  "# For Socket Mode through this emulator instead of HTTP:", f"# SLACK_APP_TOKEN={DEFAULT_APP_TOKEN}"],
        "salesforce": [f"SALESFORCE_INSTANCE_URL={base_url}", f"SALESFORCE_ACCESS_TOKEN={DEFAULT_ACCESS_TOKEN}"],
        "quickbooks": [f"QBO_API_URL={base_url}/v3",
                       f"QBO_DISCOVERY_URL={base_url}/.well-known/openid_configuration",
                       f"QBO_CLIENT_ID={DEMO_CLIENT_ID}", f"QBO_CLIENT_SECRET={DEMO_CLIENT_SECRET}",
                       f"QBO_REALM_ID={DEMO_REALM_ID}", f"QBO_REFRESH_TOKEN={DEMO_REFRESH_TOKEN}",
                       "# The demo policy maps products and terms to this company's items and terms:",
                       f"# LEDGERBRIDGE_POLICY={DEMO_POLICY}",
                       "# The emulator forgets everything when it stops, rotated refresh tokens included: give each "
                       "run a fresh DATABASE_URL."],
    }[which]
