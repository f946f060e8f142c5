"""Shared fixtures for the whole test suite: databases, and the Salesforce emulator.

- `sqlite_url`: a file database in the test's tmp_path.
- `postgres_url`: the server's maintenance URL (LEDGERBRIDGE_TEST_PG_URL, default
  postgresql+psycopg://postgres@127.0.0.1:5432/postgres); skips the test when the server is down,
  fails instead when the CI environment variable is set.
- `fresh_pg_database`: a brand-new, uniquely named PostgreSQL database for one test, dropped afterwards.
- `db_url`: parametrized over ["sqlite", "postgres"]: an empty database of each kind.
- `engine`: an Engine at `db_url`, migrated to head with app.db_migrate.upgrade (what `ledgerbridge db
  upgrade` runs), disposed afterwards. Use it with app.db.session_scope(engine).
- `sf_clock`, `sf_state`, `sf_server`: a FixedClock at SF_START, a SalesforceState on that clock, and the
  Salesforce emulator serving it on an ephemeral port (shared by tests/integrations and tests/sandbox).
- `qbo_clock`, `qbo_state`, `qbo_demo`, `qbo_server`: the same for QuickBooks Online, QBO_START, with the demo
  company seeded before the emulator starts serving.
- `slack_emulator`: (app, server) of one Slack emulator per test module; tests swap a fresh SlackState into
  `app.state.slack`.

Tests that use PostgreSQL get the `postgres` marker automatically (`-m "not postgres"` to leave them out).
"""
from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, make_url, text
from sqlalchemy.pool import NullPool
from starlette.applications import Starlette

from app.clock import FixedClock
from app.db import make_engine
from app.db_migrate import upgrade
from app.sandbox.quickbooks import DemoCompany, QuickBooksState, create_quickbooks_emulator, seed_demo_company
from app.sandbox.salesforce import SalesforceState, create_salesforce_emulator
from app.sandbox.server import RunningServer, serve_in_thread
from app.sandbox.slack import create_slack_emulator

DEFAULT_PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
POSTGRES_FIXTURES = {"postgres_url", "fresh_pg_database"}
SF_START = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)
QBO_START = datetime(2024, 5, 1, 17, 0, tzinfo=UTC)


def _admin_engine(url: str) -> Engine:
    """CREATE/DROP DATABASE cannot run inside a transaction: autocommit, no pooling."""
    return create_engine(url, isolation_level="AUTOCOMMIT", poolclass=NullPool, connect_args={"connect_timeout": 3})


@pytest.fixture(scope="session")
def postgres_url() -> str:
    url = os.environ.get("LEDGERBRIDGE_TEST_PG_URL") or DEFAULT_PG_URL
    engine = _admin_engine(url)
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except Exception as error:  # any failure to connect means "no server here"
        message = f"PostgreSQL not reachable at {make_url(url).render_as_string()}: {error}"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    finally:
        engine.dispose()
    return url


@pytest.fixture
def fresh_pg_database(postgres_url: str) -> Iterator[str]:
    """Yields the URL of a new empty database; parallel-safe thanks to the random name."""
    name = f"lb_test_{uuid.uuid4().hex[:16]}"
    admin = _admin_engine(postgres_url)
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(postgres_url).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'ledgerbridge.db'}"


@pytest.fixture(params=["sqlite", "postgres"])
def db_url(request: pytest.FixtureRequest) -> str:
    if request.param == "postgres":
        return request.getfixturevalue("fresh_pg_database")
    return request.getfixturevalue("sqlite_url")


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    upgrade(db_url)
    db_engine = make_engine(db_url)
    try:
        yield db_engine
    finally:
        db_engine.dispose()


@pytest.fixture
def sf_clock() -> FixedClock:
    return FixedClock(SF_START)


@pytest.fixture
def sf_state(sf_clock: FixedClock) -> SalesforceState:
    return SalesforceState(clock=sf_clock)


@pytest.fixture
def sf_server(sf_state: SalesforceState) -> Iterator[RunningServer]:
    with serve_in_thread(create_salesforce_emulator(sf_state)) as running:
        yield running


@pytest.fixture
def qbo_clock() -> FixedClock:
    return FixedClock(QBO_START)


@pytest.fixture
def qbo_state(qbo_clock: FixedClock) -> QuickBooksState:
    return QuickBooksState(clock=qbo_clock)


@pytest.fixture
def qbo_demo(qbo_state: QuickBooksState) -> DemoCompany:
    return seed_demo_company(qbo_state)


@pytest.fixture
def qbo_server(qbo_state: QuickBooksState, qbo_demo: DemoCompany) -> Iterator[RunningServer]:
    with serve_in_thread(create_quickbooks_emulator(qbo_state)) as running:
        yield running


@pytest.fixture(scope="module")
def slack_emulator() -> Iterator[tuple[Starlette, RunningServer]]:
    app = create_slack_emulator()
    with serve_in_thread(app) as server:
        yield app, server


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        callspec = getattr(item, "callspec", None)
        on_postgres = callspec is not None and callspec.params.get("db_url") == "postgres"
        if on_postgres or POSTGRES_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.postgres)
