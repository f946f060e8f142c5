"""/healthz says the process is alive; /readyz whether it can work: database, migrations, each vendor."""
from __future__ import annotations

import httpx
import pytest

from app.db_migrate import downgrade, upgrade
from app.integrations.call_outcomes import OUTCOMES
from app.sandbox.people import SAM
from app.sandbox.slack.state import DEFAULT_BOT_TOKEN
from app.sandbox.stack import Stack
from app.slack.ids import SlashCommand
from tests.e2e.conftest import eventually


@pytest.fixture(autouse=True)
def fresh_outcomes():
    OUTCOMES.clear()          # the record is per process; other tests' vendors must not count here
    yield
    OUTCOMES.clear()


def _readyz(stack: Stack) -> httpx.Response:
    return httpx.get(stack.app_url + "/readyz")


def test_a_working_stack_is_ready_and_names_every_part(stack: Stack):
    stack.poll()                                                    # Salesforce and QuickBooks are called
    reply = _readyz(stack)
    assert reply.status_code == 200 and reply.json()["status"] == "ready"
    assert set(reply.json()["parts"]) == {"database", "migrations", "salesforce", "quickbooks", "slack"}
    assert reply.json()["parts"]["salesforce"]["detail"] == "last call succeeded"
    assert httpx.get(stack.app_url + "/healthz").json() == {"status": "ok"}


def test_a_revoked_slack_token_makes_it_not_ready_since_then(stack: Stack):
    stack.emulators.slack.revoke_token(DEFAULT_BOT_TOKEN)
    assert stack.slack_side.send_slash_command(SAM.slack_id, SlashCommand.APPROVALS.value).status_code == 200
    reply = eventually(lambda: (r := _readyz(stack)).status_code == 503 and r, what="the 503")
    body = reply.json()
    assert body["not_ready"] == ["slack"] and "token_revoked" in body["parts"]["slack"]["detail"]
    assert body["parts"]["slack"]["since"] and DEFAULT_BOT_TOKEN not in reply.text
    assert httpx.get(stack.app_url + "/healthz").status_code == 200            # alive all the same


def test_a_schema_behind_the_code_is_not_ready_until_upgraded(stack: Stack):
    url = stack.runtime.settings.database_url
    downgrade(url, revision="-1")
    try:
        reply = _readyz(stack)
        assert reply.status_code == 503 and reply.json()["not_ready"] == ["migrations"]
        assert "ledgerbridge db upgrade" in reply.json()["parts"]["migrations"]["detail"]
    finally:
        upgrade(url)
    assert _readyz(stack).status_code == 200


def test_the_refused_token_is_logged_once_without_the_token(stack: Stack, caplog: pytest.LogCaptureFixture):
    stack.emulators.slack.revoke_token(DEFAULT_BOT_TOKEN)
    for _ in range(3):
        stack.slack_side.send_slash_command(SAM.slack_id, SlashCommand.APPROVALS.value)
    refused = [r for r in caplog.records if "refuses SLACK_BOT_TOKEN" in r.getMessage()]
    assert len(refused) == 1 and "token_revoked" in refused[0].getMessage()
    assert DEFAULT_BOT_TOKEN not in caplog.text
