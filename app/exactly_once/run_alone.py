"""One holder at a time across every process on one PostgreSQL database (a session advisory lock).

The Salesforce poll runs alone: two polls reading from the same watermark at once would read, store and evaluate
the same records twice. A tick that finds the lock held skips its turn; the holder is already reading."""
from __future__ import annotations

import zlib
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Engine, text


def lock_key(name: str) -> int:
    """A stable 32-bit key per name (pg advisory locks take a bigint)."""
    return zlib.crc32(f"ledgerbridge:{name}".encode())


@contextmanager
def run_alone(engine: Engine, name: str) -> Iterator[bool]:
    """Yields True when this process holds `name` until the block ends, False when another holds it now.

    SQLite has no such lock and runs one worker (README): there it always yields True."""
    if engine.dialect.name != "postgresql":
        yield True
        return
    key = lock_key(name)
    with engine.connect() as connection:
        held = bool(connection.execute(text("SELECT pg_try_advisory_lock(:key)"), {"key": key}).scalar())
        connection.commit()
        try:
            yield held
        finally:
            if held:
                connection.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": key})
                connection.commit()
