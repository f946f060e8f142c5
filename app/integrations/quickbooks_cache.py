"""Items, terms and customers the gateway found by name, remembered for a while (names rarely change, and each
look-up is a QuickBooks call counted against the company's 500 a minute)."""
from __future__ import annotations

from datetime import timedelta

from app.clock import Clock
from app.errors import IntegrationError
from app.integrations.quickbooks_models import QboCustomer, QboItem, QboTerm
from app.integrations.timed_cache import TimedCache

REFERENCE_TTL = timedelta(minutes=10)
# What QuickBooks answers when a transaction names an object that no longer exists (2500 Invalid Reference Id)
# or was made inactive (610 Object Not Found): the ids we remembered may be the cause.
INVALID_REFERENCE_CODES = frozenset({"2500", "610"})


def is_invalid_reference(error: IntegrationError) -> bool:
    return error.vendor == "quickbooks" and error.code in INVALID_REFERENCE_CODES


class ReferenceCache:
    """Keys are names folded to lower case: QuickBooks compares names without case."""

    def __init__(self, *, clock: Clock | None = None, ttl: timedelta = REFERENCE_TTL) -> None:
        self.ttl = ttl
        self.items: TimedCache[str, QboItem] = TimedCache(clock=clock)
        self.terms: TimedCache[str, QboTerm] = TimedCache(clock=clock)
        self.customers: TimedCache[str, QboCustomer] = TimedCache(clock=clock)

    def item(self, name: str) -> QboItem | None:
        return self.items.get(name.casefold(), max_age=self.ttl)

    def term(self, name: str) -> QboTerm | None:
        return self.terms.get(name.casefold(), max_age=self.ttl)

    def customer(self, display_name: str) -> QboCustomer | None:
        return self.customers.get(display_name.casefold(), max_age=self.ttl)

    def remember_item(self, name: str, item: QboItem) -> QboItem:
        self.items.put(name.casefold(), item)
        return item

    def remember_term(self, name: str, term: QboTerm) -> QboTerm:
        self.terms.put(name.casefold(), term)
        return term

    def remember_customer(self, display_name: str, customer: QboCustomer) -> QboCustomer:
        self.customers.put(display_name.casefold(), customer)
        return customer

    def clear(self) -> None:
        for cache in (self.items, self.terms, self.customers):
            cache.clear()
