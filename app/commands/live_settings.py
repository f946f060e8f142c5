"""What live use needs beyond the settings themselves: a QuickBooks refresh token, set or already stored.

`check --production` and `serve` list every missing item at once. Only names and reasons are shown,
never a value (the database URL may hold a password, so it is not shown either).
"""
from __future__ import annotations

from pathlib import Path

from sqlalchemy import Engine, create_engine, make_url
from sqlalchemy.exc import SQLAlchemyError

from app.config import Settings, missing_for_production
from app.integrations.token_store_db import DbTokenStore

REFRESH_TOKEN_HINT = "the first one from Intuit's OAuth playground or the connect flow"


def missing_for_live_use(settings: Settings) -> list[str]:
    """Every setting `serve` needs against the real vendors, by its public name and why."""
    missing = missing_for_production(settings)
    if settings.qbo_refresh_token is None:
        reason = _why_no_stored_refresh_token(settings)
        if reason:
            missing.append(f"QBO_REFRESH_TOKEN ({reason}: set it to {REFRESH_TOKEN_HINT})")
    return missing


def _why_no_stored_refresh_token(settings: Settings) -> str | None:
    """None when the database holds a refresh token for QBO_REALM_ID (rotated tokens live there)."""
    if not settings.qbo_realm_id:
        return "without QBO_REALM_ID no stored token can be looked up"
    if sqlite_file_missing(settings.database_url):
        return "the database does not exist yet, so no refresh token is stored"
    engine = _short_timeout_engine(settings.database_url)
    try:
        stored = DbTokenStore(engine).load(settings.qbo_realm_id)
    except SQLAlchemyError as error:
        return f"the database could not be read to look for a stored one ({type(error).__name__}; " \
               "is DATABASE_URL right and `ledgerbridge db upgrade` done?)"
    finally:
        engine.dispose()
    return None if stored else f"no refresh token is stored in the database for realm {settings.qbo_realm_id} yet"


def sqlite_file_missing(url: str) -> bool:
    """A check must not create the SQLite file it looks into."""
    parsed = make_url(url)
    return parsed.get_backend_name() == "sqlite" and bool(parsed.database) and parsed.database != ":memory:" \
        and not Path(str(parsed.database)).is_file()


def _short_timeout_engine(url: str) -> Engine:
    if make_url(url).get_backend_name() == "postgresql":
        return create_engine(url, connect_args={"connect_timeout": 5})
    return create_engine(url)
