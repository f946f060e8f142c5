"""Alembic environment for Ledgerbridge.

The database comes from, in order: `config.attributes["connection"]` (an open Connection),
`-x url=...`, `config.attributes["url"]` (set by app.db_migrate), then DATABASE_URL via app.config.
"""
from __future__ import annotations

from logging.config import fileConfig
from typing import Any

from sqlalchemy import Connection
from sqlmodel import SQLModel
from sqlmodel.sql.sqltypes import AutoString

import app.models_registry  # noqa: F401  (registers every table on SQLModel.metadata)
from alembic import context
from app.config import load_settings
from app.db import Money, UTCDateTime, make_engine

config = context.config
target_metadata = SQLModel.metadata


def _database_url() -> str:
    url = context.get_x_argument(as_dictionary=True).get("url") or config.attributes.get("url")
    return url or load_settings().database_url


def _render_item(type_: str, obj: Any, autogen_context: Any) -> str | bool:
    """Render our column types by their short names instead of module paths."""
    if type_ != "type":
        return False
    if isinstance(obj, (Money, UTCDateTime)):
        autogen_context.imports.add("from app.db import Money, UTCDateTime")
        return f"{type(obj).__name__}()"
    if isinstance(obj, AutoString):
        return f"sa.String(length={obj.length})" if obj.length else "sa.String()"
    return False


THROTTLE_TABLE_PREFIX = "ratelimit___"
"""pyrate-limiter's PostgresBucket makes one table per throttle key at run time (app/integrations/throttle_buckets)."""


def _include_object(obj: Any, name: str | None, type_: str, reflected: bool, compare_to: Any) -> bool:
    """Autogenerate leaves the throttle buckets' own tables alone: they are the library's, not our schema."""
    return not (type_ == "table" and reflected and (name or "").startswith(THROTTLE_TABLE_PREFIX))


def _configure(connection: Connection | None = None, url: str | None = None) -> None:
    dialect = connection.dialect.name if connection is not None else (url or "").split(":")[0]
    context.configure(
        connection=connection,
        url=url,
        target_metadata=target_metadata,
        compare_type=True,
        render_as_batch=dialect.startswith("sqlite"),
        render_item=_render_item,
        include_object=_include_object,
        literal_binds=connection is None,
    )


def run_migrations_offline() -> None:
    _configure(url=_database_url())
    with context.begin_transaction():
        context.run_migrations()


def _run_on(connection: Connection) -> None:
    _configure(connection=connection)
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    given = config.attributes.get("connection")
    if given is not None:
        _run_on(given)
        return
    engine = make_engine(_database_url())
    try:
        with engine.connect() as connection:
            _run_on(connection)
    finally:
        engine.dispose()


if config.config_file_name is not None and config.attributes.get("configure_logging", True):
    fileConfig(config.config_file_name, disable_existing_loggers=False)

if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
