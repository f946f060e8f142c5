"""Run Alembic programmatically: the one path used by `ledgerbridge db upgrade`, the app and the tests."""
from __future__ import annotations

from pathlib import Path

from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine

from alembic import command

REPO_ROOT = Path(__file__).resolve().parent.parent
ALEMBIC_INI = REPO_ROOT / "alembic.ini"
SCRIPT_LOCATION = REPO_ROOT / "alembic"


def alembic_config(url: str, *, configure_logging: bool = False) -> Config:
    """An Alembic Config aimed at `url`, independent of the current directory."""
    if not SCRIPT_LOCATION.is_dir():
        raise FileNotFoundError(f"Alembic scripts not found at {SCRIPT_LOCATION}")
    config = Config(str(ALEMBIC_INI)) if ALEMBIC_INI.is_file() else Config()
    config.set_main_option("script_location", str(SCRIPT_LOCATION))
    config.attributes["url"] = url
    config.attributes["configure_logging"] = configure_logging
    return config


def upgrade(url: str, *, revision: str = "head", configure_logging: bool = False) -> None:
    """Bring the database at `url` to `revision` (the newest schema by default)."""
    command.upgrade(alembic_config(url, configure_logging=configure_logging), revision)


def downgrade(url: str, *, revision: str = "base", configure_logging: bool = False) -> None:
    """Step the database at `url` back to `revision` (an empty schema by default)."""
    command.downgrade(alembic_config(url, configure_logging=configure_logging), revision)


def head_revision() -> str | None:
    return ScriptDirectory.from_config(alembic_config("sqlite://")).get_current_head()


def current_revision(url: str) -> str | None:
    """The revision the database is at (None for an empty database)."""
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            return MigrationContext.configure(connection).get_current_revision()
    finally:
        engine.dispose()
