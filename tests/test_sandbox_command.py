"""`ledgerbridge sandbox <api>` prints its credentials and a `.env` snippet; the snippet, as printed, is enough
for the real clients to reach the emulator."""
from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from app.config import load_settings
from app.integrations.quickbooks import build_quickbooks_gateway
from app.integrations.salesforce import SalesforceGateway
from app.integrations.tokens import MemoryTokenStore
from app.sandbox.quickbooks import DEMO_CLIENT_SECRET

CLI = [sys.executable, "-m", "app.cli"]


@contextmanager
def sandbox(which: str, folder: Path) -> Iterator[tuple[list[str], dict[str, str]]]:
    """The lines printed before the snippet, and the snippet's settings (comments left out)."""
    process = subprocess.Popen([*CLI, "sandbox", which, "--port", "0"], cwd=folder, stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, text=True)
    try:
        assert process.stdout is not None
        header = [process.stdout.readline().rstrip("\n") for _ in range(2)]
        while not (line := process.stdout.readline().rstrip("\n")).startswith("Point `ledgerbridge serve`"):
            header.append(line)
        snippet = []
        while line := process.stdout.readline().rstrip("\n"):
            snippet.append(line)
        settings = dict(line.split("=", 1) for line in snippet if not line.startswith("#"))
        yield header, settings
    finally:
        process.terminate()
        process.wait(timeout=10)


def as_settings(values: dict[str, str]) -> dict[str, object]:
    return {name.lower(): value for name, value in values.items()}


def test_quickbooks_prints_the_client_secret_and_a_snippet_that_connects(tmp_path: Path) -> None:
    with sandbox("quickbooks", tmp_path) as (header, env):
        assert any(DEMO_CLIENT_SECRET in line for line in header if line.startswith("  credentials:"))
        assert set(env) == {"QBO_API_URL", "QBO_DISCOVERY_URL", "QBO_CLIENT_ID", "QBO_CLIENT_SECRET", "QBO_REALM_ID",
                            "QBO_REFRESH_TOKEN"}
        settings = load_settings(**as_settings(env), ledgerbridge_http_timeout=10.0)
        gateway = build_quickbooks_gateway(settings, token_store=MemoryTokenStore())
        assert gateway.check_connection() == "Ledgerbridge Demo Company"


def test_salesforce_snippet_reaches_the_emulator(tmp_path: Path) -> None:
    with sandbox("salesforce", tmp_path) as (header, env):
        assert set(env) == {"SALESFORCE_INSTANCE_URL", "SALESFORCE_ACCESS_TOKEN"}
        assert any("security token" in line for line in header)
        settings = load_settings(**as_settings(env), ledgerbridge_http_timeout=10.0)
        assert SalesforceGateway.from_settings(settings).count_opportunities() == 0


def test_slack_snippet_reaches_the_emulator(tmp_path: Path) -> None:
    with sandbox("slack", tmp_path) as (_, env):
        assert set(env) == {"SLACK_API_URL", "SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET", "SLACK_CLIENT_ID",
                            "SLACK_CLIENT_SECRET"}
        settings = load_settings(**as_settings(env))
        client = WebClient(token=env["SLACK_BOT_TOKEN"], base_url=str(settings.slack_api_url))
        assert client.auth_test()["ok"] is True
        with pytest.raises(SlackApiError) as refused:       # the app's credentials pass; only the code is unknown
            WebClient(base_url=str(settings.slack_api_url)).openid_connect_token(
                client_id=env["SLACK_CLIENT_ID"], client_secret=env["SLACK_CLIENT_SECRET"], code="never-issued")
        assert refused.value.response["error"] == "invalid_code"
