"""`/invoice-status` lookups on SQLite and PostgreSQL: ids exact and case-sensitive, names safe at any length."""
from __future__ import annotations

import time
from datetime import UTC, datetime

import pytest
from sqlalchemy import Engine
from sqlmodel import Session

from app.db import session_scope
from app.deals.models import Deal
from app.status.service import MAX_QUERY_CHARS, find_deals

NOW = datetime(2026, 11, 24, 13, 0, tzinfo=UTC)
GLOBEX = "006Lb000000000jIAA"
INITECH = "006lb000000000jAAA"        # the same 15 characters but for case: another record


@pytest.fixture
def deals(engine: Engine) -> Engine:
    with session_scope(engine) as session:
        for sf_id, name in [(GLOBEX, "Globex - Support renewal"), (INITECH, "Initech - Expansion"),
                            ("006Lb000000000kIAA", "100% Widgets_Co \\ Ltd")]:
            session.add(Deal(sf_id=sf_id, name=name, stage="Closed Won", sf_modstamp=NOW, first_seen_at=NOW,
                             updated_at=NOW))
    return engine


def _names(engine: Engine, query: str) -> list[str]:
    with Session(engine) as session:
        return sorted(deal.name for deal in find_deals(session, query))


@pytest.mark.parametrize(("query", "names"), [
    (GLOBEX, ["Globex - Support renewal"]),
    (GLOBEX[:15], ["Globex - Support renewal"]),
    (INITECH, ["Initech - Expansion"]),
    (INITECH[:15], ["Initech - Expansion"]),
    (GLOBEX.upper(), ["Globex - Support renewal"]),      # the 18-character form carries its case
    ("006Lb000000000", []),                               # never a prefix match
    ("006Lb000000000jIA", []),
    ("006LB000000000J", []),                              # a 15-character id is exact, case included
])
def test_opportunity_ids_match_exactly(deals: Engine, query: str, names: list[str]):
    assert _names(deals, query) == names


@pytest.mark.parametrize(("query", "names"), [
    ("globex", ["Globex - Support renewal"]),
    ("100%", ["100% Widgets_Co \\ Ltd"]),
    ("_", ["100% Widgets_Co \\ Ltd"]),
    ("\\", ["100% Widgets_Co \\ Ltd"]),
    ("%", ["100% Widgets_Co \\ Ltd"]),
    ("x" * MAX_QUERY_CHARS, []),
])
def test_names_match_literally(deals: Engine, query: str, names: list[str]):
    assert _names(deals, query) == names


@pytest.mark.parametrize("query", ["%" * 100_000, "_" * 100_000, "Globex" * 20_000, "\\" * 100_000])
def test_any_length_neither_crashes_nor_takes_long(deals: Engine, query: str):
    started = time.monotonic()
    assert _names(deals, query) == []
    assert time.monotonic() - started < 1
