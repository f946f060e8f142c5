"""The migrations build exactly the schema the models describe, on SQLite and PostgreSQL."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect
from sqlmodel import SQLModel

import app.models_registry  # noqa: F401  (all tables on the metadata)
from app.db import make_engine
from app.db_migrate import downgrade, upgrade

REPO_ROOT = Path(__file__).resolve().parents[2]
EXPECTED_TABLES = {
    "account", "deal", "deal_line", "approval_request", "approval_decision", "invoice_job",
    "exception_item", "audit_event", "sync_watermark", "inbound_event", "job_run", "work_item", "oauth_token",
    "sla_ping", "invoice_correction", "slack_post", "exception_announcement", "slack_usergroup_snapshot",
    "approval_level", "customer_activation", "qbo_credit_memo", "audit_identity",
    "shadow_invoice", "rollout_mode_change", "backfill_grant", "milestone_invoice",
}


def _schema_diff(url: str) -> list:
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            context = MigrationContext.configure(
                connection, opts={"compare_type": True, "compare_server_default": True}
            )
            return compare_metadata(context, SQLModel.metadata)
    finally:
        engine.dispose()


def _tables(url: str) -> set[str]:
    engine = make_engine(url)
    try:
        return set(inspect(engine).get_table_names())
    finally:
        engine.dispose()


def test_metadata_holds_every_table() -> None:
    assert set(SQLModel.metadata.tables) == EXPECTED_TABLES


def test_upgrade_head_gives_exactly_the_models_schema(db_url: str) -> None:
    upgrade(db_url)
    assert _tables(db_url) == EXPECTED_TABLES | {"alembic_version"}
    assert _schema_diff(db_url) == []


def test_downgrade_to_base_then_upgrade_again(db_url: str) -> None:
    upgrade(db_url)
    downgrade(db_url, revision="base")
    assert _tables(db_url) == {"alembic_version"}
    upgrade(db_url)
    assert _schema_diff(db_url) == []


def test_upgrade_twice_is_a_no_op(db_url: str) -> None:
    upgrade(db_url)
    upgrade(db_url)
    assert _schema_diff(db_url) == []


def _run(args: list[str], **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        args, cwd=REPO_ROOT, capture_output=True, text=True, timeout=60, env={**os.environ, **env}
    )


def test_alembic_command_from_repo_root_reads_database_url(sqlite_url: str) -> None:
    result = _run([sys.executable, "-m", "alembic", "upgrade", "head"], DATABASE_URL=sqlite_url)
    assert result.returncode == 0, result.stderr
    assert _schema_diff(sqlite_url) == []


def test_ledgerbridge_db_upgrade_command(sqlite_url: str, tmp_path: Path) -> None:
    result = _run([sys.executable, "-m", "app.cli", "db", "upgrade", "--url", sqlite_url])
    assert result.returncode == 0, result.stderr
    assert "newest schema" in result.stdout
    assert _schema_diff(sqlite_url) == []


def test_ledgerbridge_db_upgrade_explains_bad_urls(tmp_path: Path) -> None:
    wrong_scheme = _run([sys.executable, "-m", "app.cli", "db", "upgrade", "--url", "mysql://db/x"])
    assert wrong_scheme.returncode == 2
    assert "DATABASE_URL" in wrong_scheme.stderr and "Traceback" not in wrong_scheme.stderr
    missing_dir = f"sqlite:///{tmp_path / 'no' / 'such' / 'dir.db'}"
    unreachable = _run([sys.executable, "-m", "app.cli", "db", "upgrade", "--url", missing_dir])
    assert unreachable.returncode == 1
    assert "cannot migrate" in unreachable.stderr and "Traceback" not in unreachable.stderr
