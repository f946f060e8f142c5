"""bolt's start-up notices: the one about SLACK_BOT_TOKEN beside our own client is dropped, nothing else."""
from __future__ import annotations

import logging
from pathlib import Path

import pytest
from slack_bolt.async_app import AsyncApp
from slack_bolt.logger import get_bolt_logger

from app.config import load_settings
from app.integrations.slack_api import build_async_web_client
from app.sandbox.stack import DEMO_POLICY
from app.slack.bolt_app import build_bolt_app
from app.wiring import build_runtime


def test_only_the_unused_token_notice_is_dropped(monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
                                                 caplog: pytest.LogCaptureFixture) -> None:
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-from-the-environment")    # what bolt reads on its own
    settings = load_settings(database_url=f"sqlite:///{tmp_path / 'lb.db'}", ledgerbridge_policy=DEMO_POLICY,
                             slack_signing_secret="secret", salesforce_instance_url="http://127.0.0.1:9",
                             salesforce_access_token="token", qbo_client_id="id", qbo_client_secret="secret",
                             qbo_realm_id="realm")
    runtime = build_runtime(settings)
    caplog.set_level(logging.WARNING, logger="slack_bolt")

    build_bolt_app(runtime, client=build_async_web_client(settings), signing_secret="secret")
    get_bolt_logger(AsyncApp).warning("any other bolt warning")

    messages = [record.getMessage() for record in caplog.records if record.name.startswith("slack_bolt")]
    assert messages == ["any other bolt warning"]
    runtime.engine.dispose()
