"""`ledgerbridge qbo connect` end to end: a separate process, intuit-oauth against the QuickBooks emulator's
authorize page and token endpoint, the tokens stored where every Ledgerbridge process reads them."""
from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from quickbooks.objects.company_info import CompanyInfo
from sqlalchemy import Engine

from app.db import make_engine
from app.db_migrate import upgrade
from app.integrations.quickbooks_connection import QboCredentials, QuickBooksConnection
from app.integrations.token_store_db import DbTokenStore
from app.sandbox.quickbooks import DemoCompany, QuickBooksState
from app.sandbox.server import RunningServer

CLI = [sys.executable, "-m", "app.cli"]
URL_LINE = re.compile(r"^https?://\S+/connect/oauth2\?\S+$", re.M)


@pytest.fixture
def migrated(tmp_path: Path) -> Iterator[tuple[str, Engine]]:
    url = f"sqlite:///{tmp_path / 'lb.db'}"
    upgrade(url)
    engine = make_engine(url)
    yield url, engine
    engine.dispose()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _env(qbo_server: RunningServer, demo: DemoCompany, database_url: str, redirect_uri: str) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith(("SLACK_", "SALESFORCE_", "QBO_"))}
    env.update(DATABASE_URL=database_url, QBO_CLIENT_ID=demo.client_id, QBO_CLIENT_SECRET=demo.client_secret,
               QBO_REDIRECT_URI=redirect_uri, QBO_API_URL=f"{qbo_server.url}/v3",
               QBO_DISCOVERY_URL=f"{qbo_server.url}/.well-known/openid_configuration")
    return env


def _authorization_url(process: subprocess.Popen[str]) -> str:
    assert process.stdout is not None
    for line in process.stdout:
        if URL_LINE.match(line.strip()):
            return line.strip()
    raise AssertionError("the command printed no authorization URL")


def _works_with_stored_tokens(engine: Engine, qbo_server: RunningServer, demo: DemoCompany) -> str:
    """A QuickBooks call through the app's own connection, with no QBO_REFRESH_TOKEN: only the stored tokens."""
    credentials = QboCredentials(client_id=demo.client_id, client_secret=demo.client_secret, realm_id=demo.realm_id,
                                 initial_refresh_token=None,
                                 environment=f"{qbo_server.url}/.well-known/openid_configuration",
                                 api_url=f"{qbo_server.url}/v3")
    connection = QuickBooksConnection(credentials, token_store=DbTokenStore(engine))
    info = connection.call(lambda qb: CompanyInfo.get(1, qb=qb))
    return str(info.CompanyName)


def test_connect_with_the_local_listener_stores_tokens_the_app_uses(
        qbo_server: RunningServer, qbo_demo: DemoCompany, qbo_state: QuickBooksState,
        migrated: tuple[str, Engine], tmp_path: Path) -> None:
    url, engine = migrated
    redirect_uri = f"http://localhost:{_free_port()}/quickbooks/callback"
    process = subprocess.Popen(CLI + ["qbo", "connect", "--listen", "--timeout", "60"],
                               env=_env(qbo_server, qbo_demo, url, redirect_uri), cwd=tmp_path,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        authorize = _authorization_url(process)
        query = parse_qs(urlsplit(authorize).query)
        assert query["client_id"] == [qbo_demo.client_id] and query["redirect_uri"] == [redirect_uri]
        assert query["scope"] == ["com.intuit.quickbooks.accounting"] and query["response_type"] == ["code"]
        assert len(query["state"][0]) >= 24
        landing = _browse_until_the_listener_answers(authorize)
        assert "Go back to the terminal" in landing.text
        output, _ = process.communicate(timeout=60)
    finally:
        process.kill() if process.poll() is None else None
    assert process.returncode == 0, output
    assert f"QuickBooks company {qbo_demo.realm_id} connected" in output
    stored = DbTokenStore(engine).load(qbo_demo.realm_id)
    assert stored is not None and stored.refresh_token in qbo_state.refresh_tokens
    assert stored.refresh_token != qbo_demo.refresh_token      # a new grant, not the seeded one
    assert _works_with_stored_tokens(engine, qbo_server, qbo_demo)


def _browse_until_the_listener_answers(authorize: str) -> httpx.Response:
    """What the browser does: the authorize page redirects to the redirect URI, where the listener answers.
    The listener may not be bound the instant the URL is printed, so a refused connection is tried again."""
    for _ in range(100):
        try:
            return httpx.get(authorize, follow_redirects=True, timeout=10)
        except httpx.ConnectError:
            time.sleep(0.1)
    raise AssertionError("the listener never answered")


def test_connect_with_the_pasted_redirect_url(qbo_server: RunningServer, qbo_demo: DemoCompany,
                                              migrated: tuple[str, Engine], tmp_path: Path) -> None:
    url, engine = migrated
    redirect_uri = "https://ledgerbridge.example.com/quickbooks/callback"   # never visited: the person pastes it
    process = subprocess.Popen(CLI + ["qbo", "connect"], env=_env(qbo_server, qbo_demo, url, redirect_uri),
                               cwd=tmp_path, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, text=True)
    try:
        redirected = httpx.get(_authorization_url(process), follow_redirects=False, timeout=10)
        assert redirected.status_code == 302
        location = redirected.headers["location"]
        assert location.startswith(redirect_uri + "?")
        output, _ = process.communicate(location + "\n", timeout=60)
    finally:
        process.kill() if process.poll() is None else None
    assert process.returncode == 0, output
    assert DbTokenStore(engine).load(qbo_demo.realm_id) is not None
    assert _works_with_stored_tokens(engine, qbo_server, qbo_demo)


def test_code_and_realm_pasted_and_a_code_used_twice(qbo_server: RunningServer, qbo_demo: DemoCompany,
                                                    qbo_state: QuickBooksState, migrated: tuple[str, Engine],
                                                    tmp_path: Path) -> None:
    url, engine = migrated
    redirect_uri = "https://ledgerbridge.example.com/quickbooks/callback"
    env = _env(qbo_server, qbo_demo, url, redirect_uri)
    code = qbo_state.issue_auth_code(qbo_demo.client_id, qbo_demo.realm_id, redirect_uri)
    first = subprocess.run(CLI + ["qbo", "connect", "--answer", f"{code} {qbo_demo.realm_id}"], env=env,
                           cwd=tmp_path, capture_output=True, text=True, timeout=60)
    assert first.returncode == 0, first.stderr
    assert DbTokenStore(engine).load(qbo_demo.realm_id) is not None
    again = subprocess.run(CLI + ["qbo", "connect", "--answer", f"{code} {qbo_demo.realm_id}"], env=env,
                           cwd=tmp_path, capture_output=True, text=True, timeout=60)
    assert again.returncode == 2
    assert "refused the authorization code (invalid_grant)" in again.stderr
    assert "Traceback" not in again.stderr


@pytest.mark.parametrize(("answer", "says"), [
    ("https://x.example/cb?code=AB-1&state=not-ours&realmId=1", "state is not the one"),
    ("https://x.example/cb?error=access_denied&state=s", "refused the connection: access_denied"),
    ("just-one-word", "paste the redirected URL"),
])
def test_a_wrong_answer_is_one_clear_line(answer: str, says: str, qbo_server: RunningServer,
                                          qbo_demo: DemoCompany, migrated: tuple[str, Engine],
                                          tmp_path: Path) -> None:
    url, engine = migrated
    env = _env(qbo_server, qbo_demo, url, "https://x.example/cb")
    result = subprocess.run(CLI + ["qbo", "connect", "--answer", answer], env=env, cwd=tmp_path,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 2 and says in result.stderr and "Traceback" not in result.stderr
    assert DbTokenStore(engine).load(qbo_demo.realm_id) is None


def test_missing_redirect_uri_and_an_old_schema_are_named(qbo_server: RunningServer, qbo_demo: DemoCompany,
                                                          tmp_path: Path) -> None:
    env = _env(qbo_server, qbo_demo, f"sqlite:///{tmp_path / 'empty.db'}", "https://x.example/cb")
    result = subprocess.run(CLI + ["qbo", "connect"], env=env, cwd=tmp_path, capture_output=True, text=True,
                            timeout=60)
    assert result.returncode == 2 and "ledgerbridge db upgrade" in result.stderr
    del env["QBO_REDIRECT_URI"]
    result = subprocess.run(CLI + ["qbo", "connect"], env=env, cwd=tmp_path, capture_output=True, text=True,
                            timeout=60)
    assert result.returncode == 2 and "QBO_REDIRECT_URI" in result.stderr
