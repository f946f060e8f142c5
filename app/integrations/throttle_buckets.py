"""Where the throttle's buckets live: in this process (SQLite: one worker), or in PostgreSQL for every process.

On PostgreSQL we use pyrate-limiter's PostgresBucket unchanged: one table per key (`ratelimit___<name>`, created
on first use under an advisory lock, outside Alembic), a check-and-insert under `LOCK TABLE ... NOWAIT`, and the
server's clock for every timestamp, so processes on different hosts agree on the windows. It asks for a
psycopg_pool ConnectionPool but only uses `connection()`; `EnginePool` gives it that over our SQLAlchemy
engine's own pool (psycopg 3 connections), so there is no second pool and no extra dependency.
"""
from __future__ import annotations

import re
import zlib
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from pyrate_limiter import AbstractBucket, InMemoryBucket, PostgresBucket, Rate
from sqlalchemy import Engine, create_engine, make_url

from app.errors import ConfigError
from app.integrations.throttle import DEFAULT_LIMITS, Limit, Throttle

MAX_TABLE_STEM = 38  # "ratelimit___" + stem + "_" + 8 hex digits, and its index name, stay within 63 characters


class _ClockedMemoryBucket(InMemoryBucket):
    def __init__(self, rates: list[Rate], clock_ms: Callable[[], int]) -> None:
        super().__init__(rates)
        self._clock_ms = clock_ms

    def now(self) -> int:
        return self._clock_ms()


class MemoryBuckets:
    """Buckets in this process only; `clock_ms` (monotonic milliseconds by default) can be a test's clock."""

    def __init__(self, clock_ms: Callable[[], int] | None = None) -> None:
        self._clock_ms = clock_ms

    def bucket(self, name: str, rates: Sequence[Rate]) -> AbstractBucket:
        if self._clock_ms is None:
            return InMemoryBucket(list(rates))
        return _ClockedMemoryBucket(list(rates), self._clock_ms)

    def close(self) -> None:
        return None


class EnginePool:
    """The one part of psycopg_pool.ConnectionPool that PostgresBucket and PostgresClock use: `connection()`
    yields a psycopg connection and commits when the block ends (rolls back on an error)."""

    closed = False

    def __init__(self, engine: Engine) -> None:
        if engine.dialect.name != "postgresql" or engine.dialect.driver != "psycopg":
            raise ConfigError("the shared throttle needs PostgreSQL through psycopg 3 (postgresql+psycopg://)")
        self.engine = engine

    @contextmanager
    def connection(self) -> Iterator[Any]:
        pooled = self.engine.raw_connection()
        try:
            connection = pooled.driver_connection
            if connection is None:
                raise RuntimeError("the engine's pool handed out a closed connection")
            try:
                yield connection
                connection.commit()  # also ends a transaction a NOWAIT lock failure aborted
            except BaseException:
                connection.rollback()
                raise
        finally:
            pooled.close()  # back to the engine's pool

    def close(self) -> None:
        return None  # the engine belongs to whoever made it


class PostgresBuckets:
    """One PostgresBucket per key, shared by every process that uses the same database."""

    def __init__(self, engine: Engine, *, owns_engine: bool = False) -> None:
        self._pool, self._owns_engine = EnginePool(engine), owns_engine

    def bucket(self, name: str, rates: Sequence[Rate]) -> AbstractBucket:
        return PostgresBucket(self._pool, table_stem(name), list(rates))  # our EnginePool quacks like psycopg's

    def close(self) -> None:
        if self._owns_engine:
            self._pool.engine.dispose()


def table_stem(name: str) -> str:
    """A key name as a table name: lower-case letters, digits, underscores, plus a checksum of the original,
    since Slack ids are upper-case and keys may contain any character."""
    stem = re.sub(r"[^a-z0-9_]", "_", name.lower())[:MAX_TABLE_STEM]
    return f"{stem}_{zlib.crc32(name.encode()):08x}"


def bucket_table(name: str) -> str:
    """The PostgreSQL table holding a key's admitted timestamps (for inspection and tests)."""
    return f"ratelimit___{table_stem(name)}"


def throttle_for_database(database: Engine | str, *, limits: dict[str, Limit] | None = None) -> Throttle:
    """PostgreSQL: buckets shared by every process on that database. SQLite: buckets in this process, which is
    right because SQLite deployments run one worker."""
    chosen = dict(limits or DEFAULT_LIMITS)
    if isinstance(database, Engine):
        if database.dialect.name == "postgresql":
            return Throttle(PostgresBuckets(database), limits=chosen)
        return Throttle(MemoryBuckets(), limits=chosen)
    url = make_url(database)
    if url.get_backend_name() != "postgresql":
        return Throttle(MemoryBuckets(), limits=chosen)
    engine = create_engine(url.set(drivername="postgresql+psycopg"), pool_size=2, max_overflow=8,
                           pool_pre_ping=True)
    return Throttle(PostgresBuckets(engine, owns_engine=True), limits=chosen)
