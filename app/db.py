"""Engine factory, the unit of work, and the column types every table shares."""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any, Protocol, TypeVar

from sqlalchemy import URL, DateTime, Engine, MetaData, Numeric, String, event
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator, TypeEngine
from sqlmodel import Session, SQLModel, create_engine

from app.errors import NotFound

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}
SQLModel.metadata.naming_convention = NAMING_CONVENTION
metadata: MetaData = SQLModel.metadata
ModelT = TypeVar("ModelT", bound=SQLModel)


class UTCDateTime(TypeDecorator[datetime]):
    """Stores aware datetimes as UTC and always hands back aware UTC (SQLite forgets the zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime refused: store timezone-aware UTC")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Money(TypeDecorator[Decimal]):
    """Exact money: NUMERIC(18, 2) on PostgreSQL, a decimal string on SQLite (no float round trip)."""

    impl = Numeric(18, 2)
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine:
        if dialect.name == "sqlite":
            return dialect.type_descriptor(String(32))
        return dialect.type_descriptor(Numeric(18, 2))

    def process_bind_param(self, value: Decimal | int | str | None, dialect: Dialect):
        if value is None:
            return None
        if isinstance(value, float):
            raise TypeError("money must be Decimal, not float")
        amount = Decimal(value).quantize(Decimal("0.01"))
        return str(amount) if dialect.name == "sqlite" else amount

    def process_result_value(self, value, dialect: Dialect) -> Decimal | None:
        if value is None:
            return None
        return Decimal(str(value)).quantize(Decimal("0.01"))


def make_engine(url: str, *, echo: bool = False) -> Engine:
    """One engine per process. SQLite gets foreign keys, a busy timeout, thread sharing and (for a file) WAL,
    so the web process reads while a worker writes instead of waiting for its lock."""
    if url.startswith("sqlite"):
        engine = create_engine(url, echo=echo, connect_args={"check_same_thread": False, "timeout": 30})
        pragmas = _sqlite_file_pragmas if _is_sqlite_file(engine.url) else _sqlite_pragmas
        event.listen(engine, "connect", pragmas)
        return engine
    return create_engine(url, echo=echo, pool_pre_ping=True)


def _is_sqlite_file(url: URL) -> bool:
    database = url.database or ""
    return database not in ("", ":memory:") and not database.startswith("file::memory:") and \
        url.query.get("mode") != "memory"


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def _sqlite_file_pragmas(dbapi_connection, record) -> None:
    _sqlite_pragmas(dbapi_connection, record)
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")  # persistent in the file; WAL needs no fsync per reader
    cursor.close()


@contextmanager
def session_scope(engine: Engine) -> Iterator[Session]:
    """The unit of work: commit at the boundary if the block succeeds, roll back otherwise."""
    session = Session(engine, expire_on_commit=False)
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


@dataclass(frozen=True)
class Transactions:
    """The transactions a flow may open on one engine, handed to it by its caller (a job, a command).

    Services add and flush; the caller commits. A flow that must commit in steps (intake commits once per
    page; the payments read-back keeps its QuickBooks call between two transactions) receives this instead
    of an engine, so where its transactions come from stays with the caller, and each one is a `session_scope`.
    """

    engine: Engine

    def begin(self) -> AbstractContextManager[Session]:
        """One unit of work: committed when the block succeeds, rolled back otherwise."""
        return session_scope(self.engine)

    @contextmanager
    def read(self) -> Iterator[Session]:
        """A look without a unit of work: the session is closed (rolled back), never committed."""
        with Session(self.engine, expire_on_commit=False) as session:
            yield session


def require(session: Session, model: type[ModelT], key: Any, *, for_update: bool = False) -> ModelT:
    """`session.get` for a row that must exist: raises our NotFound instead of returning None."""
    row = session.get(model, key, with_for_update=for_update)
    if row is None:
        raise NotFound(f"{model.__name__} {key} does not exist")
    return row


class _Keyed(Protocol):
    @property
    def id(self) -> int | None: ...


def persisted_id(row: _Keyed) -> int:
    """The primary key of a flushed row: SQLModel types `id` as `int | None` because it is None until then."""
    if row.id is None:
        raise ValueError(f"{type(row).__name__} has no id yet: add and flush it first")
    return row.id
