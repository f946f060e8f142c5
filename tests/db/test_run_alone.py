"""`run_alone`: one holder at a time across processes on PostgreSQL (the Salesforce poll's lock)."""
from __future__ import annotations

from types import SimpleNamespace
from typing import cast

import pytest
from sqlalchemy import create_engine
from sqlalchemy.pool import NullPool

from app.db import make_engine
from app.exactly_once.run_alone import run_alone
from app.jobs.scheduler import POLL_LOCK, poll_salesforce
from app.runtime import Runtime


def test_a_second_holder_is_refused_until_the_first_is_done(fresh_pg_database: str) -> None:
    one = make_engine(fresh_pg_database)
    other = create_engine(fresh_pg_database, poolclass=NullPool)      # another process's connections
    try:
        with run_alone(one, "salesforce_poll") as first:
            assert first is True
            with run_alone(other, "salesforce_poll") as second:
                assert second is False
            with run_alone(other, "another_job") as unrelated:
                assert unrelated is True
        with run_alone(other, "salesforce_poll") as after:
            assert after is True
    finally:
        one.dispose()
        other.dispose()


def test_sqlite_runs_one_worker_so_it_always_runs(sqlite_url: str) -> None:
    engine = make_engine(sqlite_url)
    try:
        with run_alone(engine, "salesforce_poll") as first, run_alone(engine, "salesforce_poll") as second:
            assert first and second
    finally:
        engine.dispose()


def test_a_poll_tick_skips_its_turn_while_another_worker_polls(fresh_pg_database: str) -> None:
    """The tick returns before touching Salesforce: this runtime has no vendors at all, only the database."""
    holder = create_engine(fresh_pg_database, poolclass=NullPool)
    engine = make_engine(fresh_pg_database)
    try:
        with run_alone(holder, POLL_LOCK) as held:
            assert held
            poll_salesforce(cast(Runtime, SimpleNamespace(engine=engine)))
        with pytest.raises(AttributeError):     # the lock free again: this time it goes on to poll
            poll_salesforce(cast(Runtime, SimpleNamespace(engine=engine)))
    finally:
        holder.dispose()
        engine.dispose()
