"""make_engine's SQLite settings: WAL for files (readers never wait for a writer), a busy timeout, foreign keys."""
from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import text

from app.db import make_engine


def _pragma(url: str, name: str) -> object:
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            return connection.execute(text(f"PRAGMA {name}")).scalar()
    finally:
        engine.dispose()


def test_a_file_database_runs_in_wal_mode_with_a_busy_timeout(sqlite_url: str) -> None:
    assert _pragma(sqlite_url, "journal_mode") == "wal"
    assert _pragma(sqlite_url, "busy_timeout") == 30000
    assert _pragma(sqlite_url, "foreign_keys") == 1


@pytest.mark.parametrize("url", ["sqlite://", "sqlite:///:memory:"])
def test_an_in_memory_database_keeps_its_memory_journal(url: str) -> None:
    assert _pragma(url, "journal_mode") == "memory"
    assert _pragma(url, "busy_timeout") == 30000


def test_a_writer_commits_while_a_reader_holds_a_snapshot(tmp_path: Path) -> None:
    """With a rollback journal the commit would wait for the reader's SHARED lock; WAL lets both proceed."""
    engine = make_engine(f"sqlite:///{tmp_path / 'wal.db'}")
    try:
        with engine.begin() as setup:
            setup.execute(text("CREATE TABLE t (n INTEGER)"))
            setup.execute(text("INSERT INTO t VALUES (1)"))
        with engine.connect() as reader, engine.connect() as writer:
            reader.exec_driver_sql("BEGIN")
            assert reader.execute(text("SELECT n FROM t")).scalars().all() == [1]
            writer.execute(text("PRAGMA busy_timeout=500"))  # fail fast instead of waiting 30 s
            writer.execute(text("INSERT INTO t VALUES (2)"))
            writer.commit()
            assert reader.execute(text("SELECT n FROM t")).scalars().all() == [1]  # its snapshot
            reader.rollback()
            assert reader.execute(text("SELECT n FROM t ORDER BY n")).scalars().all() == [1, 2]
    finally:
        engine.dispose()
