"""The `ledgerbridge` commands as an operator runs them: separate processes, settings from the environment."""
from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import httpx
import pytest
from slack_sdk import WebClient

from app.sandbox.book import Book, Line
from app.sandbox.slack.slack_side import SlackSide
from app.sandbox.slack.state import DEFAULT_BOT_TOKEN
from app.sandbox.stack import SANDBOX_SIGNING_SECRET, Emulators, sandbox_settings, start_emulators

CLI = [sys.executable, "-m", "app.cli"]


@pytest.fixture
def emulators() -> Iterator[Emulators]:
    running = start_emulators()
    yield running
    running.stop()


def environment(emulators: Emulators, database_url: str) -> dict[str, str]:
    """The settings an operator would export, taken from the same source the demo uses."""
    settings = sandbox_settings(emulators, database_url=database_url)
    env = {key: value for key, value in os.environ.items() if not key.startswith(("SLACK_", "SALESFORCE_", "QBO_"))}
    for name, value in settings.model_dump().items():
        if value is not None:
            env[name.upper()] = value.get_secret_value() if hasattr(value, "get_secret_value") else str(value)
    return env


def run(args: list[str], env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(CLI + args, env=env, cwd=cwd, capture_output=True, text=True, timeout=120)


def test_sync_backfill_shows_progress_and_stores_every_deal(emulators: Emulators, tmp_path: Path):
    book = Book(emulators.salesforce)
    book.add_account("Globex Inc")
    for index in range(12):
        book.add_deal(f"Globex - Order {index}", account="Globex Inc", owner_id=emulators.sf_user_ids["sam"],
                      lines=[Line("Support Plan", Decimal(1))], StageName="Negotiation")
    env = environment(emulators, f"sqlite:///{tmp_path / 'lb.db'}")
    assert run(["db", "upgrade"], env, tmp_path).returncode == 0

    done = run(["sync", "--backfill"], env, tmp_path)

    assert done.returncode == 0, done.stderr
    assert "Backfill [" in done.stderr and "12/12 100%" in done.stderr
    assert "12 read, 12 stored and evaluated" in done.stderr


def test_serve_answers_signed_slack_requests_and_refuses_an_old_schema(emulators: Emulators, tmp_path: Path):
    env = environment(emulators, f"sqlite:///{tmp_path / 'lb.db'}")
    refused = run(["serve", "--port", "0"], env, tmp_path)
    assert refused.returncode == 2 and "ledgerbridge db upgrade" in refused.stderr
    assert run(["db", "upgrade"], env, tmp_path).returncode == 0

    port = _free_port()
    server = subprocess.Popen(CLI + ["serve", "--port", str(port)], env=env, cwd=tmp_path,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        _wait_healthy(f"http://127.0.0.1:{port}/healthz")
        side = SlackSide(emulators.slack, request_url=f"http://127.0.0.1:{port}/slack/events",
                         signing_secret=SANDBOX_SIGNING_SECRET, emulator_url=emulators.url("slack"))
        reply = side.send_slash_command("U05SAMSALES", "/invoice-status", "")
        assert reply.status_code == 200 and "/invoice-status" in reply.body
        assert side.deliver_raw("command=%2Finvoice-status", "application/x-www-form-urlencoded",
                                signature="v0=bad").status_code == 401
    finally:
        server.terminate()
        output = server.communicate(timeout=30)[0]
    assert SANDBOX_SIGNING_SECRET not in output and "xoxb-" not in output
    assert "will be unused" not in output     # bolt's notice about SLACK_BOT_TOKEN beside our own client


def test_sync_against_an_unreachable_salesforce_is_one_line(emulators: Emulators, tmp_path: Path):
    env = environment(emulators, f"sqlite:///{tmp_path / 'lb.db'}")
    nobody = f"http://127.0.0.1:{_free_port()}"            # nothing listens there
    env["SALESFORCE_INSTANCE_URL"] = nobody
    assert run(["db", "upgrade"], env, tmp_path).returncode == 0

    done = run(["sync"], env, tmp_path)

    assert done.returncode == 1
    assert done.stderr.strip().splitlines() == [
        f"ledgerbridge sync: Salesforce is unreachable at {nobody}: connection refused. "
        "Check SALESFORCE_INSTANCE_URL and try again."]
    assert env["SALESFORCE_ACCESS_TOKEN"] not in done.stdout + done.stderr


def test_serve_says_in_one_line_when_the_salesforce_login_is_unreachable(emulators: Emulators, tmp_path: Path):
    env = environment(emulators, f"sqlite:///{tmp_path / 'lb.db'}")
    nobody = f"http://127.0.0.1:{_free_port()}"
    del env["SALESFORCE_ACCESS_TOKEN"]
    env.update(SALESFORCE_USERNAME="integration@acme.example", SALESFORCE_PASSWORD="pa55-very-secret",
               SALESFORCE_SECURITY_TOKEN="sec-token-secret", SALESFORCE_LOGIN_URL=nobody)
    assert run(["db", "upgrade"], env, tmp_path).returncode == 0

    done = run(["serve", "--port", "0"], env, tmp_path)

    assert done.returncode == 1
    assert done.stderr.strip().splitlines() == [
        f"ledgerbridge serve: Salesforce is unreachable at {nobody}: connection refused. "
        "Check SALESFORCE_LOGIN_URL and try again."]
    assert "secret" not in done.stdout + done.stderr


def test_sandbox_runs_one_emulator_for_the_real_client(tmp_path: Path):
    port = _free_port()
    process = subprocess.Popen(CLI + ["sandbox", "slack", "--port", str(port)], cwd=tmp_path,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        first_line = process.stdout.readline()
        assert re.search(rf"listening on http://127.0.0.1:{port}", first_line)
        client = WebClient(token=DEFAULT_BOT_TOKEN, base_url=f"http://127.0.0.1:{port}/api/")
        assert client.auth_test()["ok"] is True
    finally:
        process.terminate()
        process.wait(timeout=10)
    bad = run(["sandbox", "slack", "--port", "70000"], dict(os.environ), tmp_path)
    assert bad.returncode == 2 and "--port must be" in bad.stderr


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_healthy(url: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if httpx.get(url, timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            time.sleep(0.2)
    raise AssertionError(f"{url} never became healthy")
