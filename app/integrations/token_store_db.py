"""QuickBooks OAuth tokens in our database, so a rotated refresh token survives restarts and replicas."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import Engine, Text
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Field, Session, SQLModel

from app.clock import Clock, SystemClock
from app.db import UTCDateTime, session_scope
from app.integrations.tokens import StoredTokens


class OAuthToken(SQLModel, table=True):
    """The newest tokens of one QuickBooks company (realm)."""

    __tablename__ = "oauth_token"

    realm_id: str = Field(primary_key=True, max_length=40)
    access_token: str | None = Field(default=None, sa_type=Text)
    refresh_token: str = Field(sa_type=Text)
    access_expires_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    refresh_expires_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    updated_at: datetime = Field(sa_type=UTCDateTime)


class DbTokenStore:
    """A TokenStore backed by the `oauth_token` table.

    Each call runs in its own short transaction: refreshes happen outside business transactions,
    and a rotated refresh token must be durable even if the caller's unit of work later rolls back.
    """

    def __init__(self, engine: Engine, *, clock: Clock | None = None) -> None:
        self._engine = engine
        self._clock = clock or SystemClock()

    def load(self, realm_id: str) -> StoredTokens | None:
        with Session(self._engine) as session:
            row = session.get(OAuthToken, realm_id)
            return None if row is None else _stored(row)

    def save(self, realm_id: str, tokens: StoredTokens) -> None:
        if not realm_id:
            raise ValueError("realm_id is required to save QuickBooks tokens")
        if not tokens.refresh_token:
            raise ValueError("refusing to save QuickBooks tokens without a refresh token")
        values = _row_values(realm_id, tokens, self._clock.now())
        with session_scope(self._engine) as session:
            session.execute(_upsert(self._engine.dialect.name, values))


def _stored(row: OAuthToken) -> StoredTokens:
    return StoredTokens(
        refresh_token=row.refresh_token,
        access_token=row.access_token,
        access_expires_at=row.access_expires_at,
        refresh_expires_at=row.refresh_expires_at,
    )


def _row_values(realm_id: str, tokens: StoredTokens, now: datetime) -> dict[str, object]:
    return {
        "realm_id": realm_id,
        "access_token": tokens.access_token,
        "refresh_token": tokens.refresh_token,
        "access_expires_at": tokens.access_expires_at,
        "refresh_expires_at": tokens.refresh_expires_at,
        "updated_at": now,
    }


def _upsert(dialect_name: str, values: dict[str, object]):
    """INSERT ... ON CONFLICT (realm_id) DO UPDATE: two replicas saving at once never collide."""
    dialect = postgresql if dialect_name == "postgresql" else sqlite
    statement = dialect.insert(OAuthToken).values(**values)
    changed = {name: statement.excluded[name] for name in values if name != "realm_id"}
    return statement.on_conflict_do_update(index_elements=["realm_id"], set_=changed)
