"""DbTokenStore keeps the newest QuickBooks tokens, durably, on SQLite and PostgreSQL."""
from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine
from sqlmodel import Session

from app.clock import FixedClock
from app.db import make_engine, session_scope
from app.integrations.token_store_db import DbTokenStore, OAuthToken
from app.integrations.tokens import StoredTokens, TokenStore

NOW = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)


def _tokens(refresh: str, access: str | None = "access-1") -> StoredTokens:
    return StoredTokens(refresh_token=refresh, access_token=access,
                        access_expires_at=NOW + timedelta(hours=1), refresh_expires_at=NOW + timedelta(days=100))


def test_nothing_stored_yet(engine: Engine) -> None:
    store: TokenStore = DbTokenStore(engine)
    assert store.load("9130") is None


def test_saved_tokens_load_back_with_aware_expiries(engine: Engine) -> None:
    DbTokenStore(engine).save("9130", _tokens("refresh-1"))
    loaded = DbTokenStore(engine).load("9130")
    assert loaded == _tokens("refresh-1")
    assert loaded.access_expires_at.tzinfo is not None


def test_rotated_refresh_token_replaces_the_old_one(engine: Engine, db_url: str) -> None:
    clock = FixedClock(NOW)
    store = DbTokenStore(engine, clock=clock)
    store.save("9130", _tokens("refresh-1"))
    clock.advance(timedelta(minutes=55))
    store.save("9130", _tokens("refresh-2", access=None))
    other_process = make_engine(db_url)
    try:
        assert DbTokenStore(other_process).load("9130") == _tokens("refresh-2", access=None)
    finally:
        other_process.dispose()
    with Session(engine) as session:
        assert session.get(OAuthToken, "9130").updated_at == NOW + timedelta(minutes=55)


def test_companies_are_kept_apart(engine: Engine) -> None:
    store = DbTokenStore(engine)
    store.save("9130", _tokens("refresh-a"))
    store.save("4620", _tokens("refresh-b"))
    assert store.load("9130").refresh_token == "refresh-a"
    assert store.load("4620").refresh_token == "refresh-b"


def test_save_survives_a_failed_business_transaction(engine: Engine) -> None:
    store = DbTokenStore(engine)
    with pytest.raises(RuntimeError), session_scope(engine):
        store.save("9130", _tokens("refresh-rotated"))  # Intuit already rotated it: must not be lost
        raise RuntimeError("invoice creation failed afterwards")
    assert store.load("9130").refresh_token == "refresh-rotated"


def test_concurrent_saves_never_collide(engine: Engine) -> None:
    store = DbTokenStore(engine)
    with ThreadPoolExecutor(max_workers=4) as pool:
        list(pool.map(lambda n: store.save("9130", _tokens(f"refresh-{n}")), range(12)))
    assert store.load("9130").refresh_token in {f"refresh-{n}" for n in range(12)}


def test_incomplete_tokens_are_refused(engine: Engine) -> None:
    store = DbTokenStore(engine)
    with pytest.raises(ValueError, match="refresh token"):
        store.save("9130", StoredTokens(refresh_token=""))
    with pytest.raises(ValueError, match="realm_id"):
        store.save("", _tokens("refresh-1"))
    assert store.load("9130") is None
