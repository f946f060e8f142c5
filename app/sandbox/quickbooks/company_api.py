"""Reads about the company's currencies: exchange rates, and the rows a query over ExchangeRate sees
(Preferences, with the tax and currency model, is RealmBook.preferences)."""
from __future__ import annotations

from datetime import date, datetime
from typing import Any

from app.sandbox.quickbooks.books import RealmBook
from app.sandbox.quickbooks.currency import exchange_rate_row
from app.sandbox.quickbooks.faults import required
from app.sandbox.quickbooks.values import as_date


def exchange_rate(book: RealmBook, params: dict[str, str], now: datetime) -> dict[str, Any]:
    code = params.get("sourcecurrencycode")
    if not code:
        raise required("sourcecurrencycode")
    as_of = as_date(params["asofdate"], "asofdate") if params.get("asofdate") else book.local_time(now).date()
    return exchange_rate_row(book, code.upper(), as_of)


def query_rows(book: RealmBook, entity: str) -> list[dict[str, Any]]:
    """What a query over `entity` reads: stored objects, or the company's exchange rates."""
    if entity != "ExchangeRate":
        return book.rows(entity)
    if not book.company.multicurrency:
        return []
    return [exchange_rate_row(book, code, day) for code, days in sorted(book.exchange_rates.items())
            for day in sorted(days, key=date.toordinal)]
