"""Duplicate or ambiguous QuickBooks customers: the look-alike rule (pure) and the check before creating one."""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Protocol

from app.errors import IntegrationError

_SUFFIXES = frozenset({"inc", "incorporated", "llc", "ltd", "limited", "corp", "corporation", "co", "company",
                       "gmbh", "plc", "sa", "ag", "the"})
_WORD = re.compile(r"[a-z0-9]+")


class CustomerSearch(Protocol):
    def query(self, sql: str) -> list[dict]: ...


class AmbiguousCustomer(IntegrationError):
    """QuickBooks already has customers that look like this account: creating one more would duplicate it."""

    def __init__(self, message: str, *, candidates: tuple[str, ...]) -> None:
        super().__init__(message, vendor="quickbooks", code="duplicate_customer", retryable=False)
        self.candidates = candidates


@dataclass(frozen=True, slots=True)
class LookAlikes:
    account_name: str
    candidates: tuple[str, ...]


def company_key(name: str) -> str:
    """'Globex, Inc.' and 'GLOBEX INC' share the key 'globex': case, punctuation and legal suffixes ignored."""
    words = _WORD.findall(name.casefold())
    kept = [word for word in words if word not in _SUFFIXES]
    return " ".join(kept or words)


def look_alikes(account_name: str, display_names: list[str]) -> LookAlikes:
    """Customers whose names differ from the account's but share its company key."""
    key = company_key(account_name)
    exact = account_name.strip().casefold()
    found = tuple(sorted({name for name in display_names
                          if company_key(name) == key and name.strip().casefold() != exact}))
    return LookAlikes(account_name, found)


def check_new_customer(account_name: str, *, quickbooks: CustomerSearch) -> None:
    """Raise AmbiguousCustomer when creating `account_name` would add a look-alike of an existing customer."""
    first_word = (_WORD.findall(account_name.casefold()) or [""])[0]
    if not first_word:
        return
    pattern = first_word.replace("'", "") + "%"
    rows = quickbooks.query(f"SELECT * FROM Customer WHERE DisplayName LIKE '{pattern}' MAXRESULTS 100")
    names = [str(row.get("DisplayName", "")) for row in rows]
    if any(name.strip().casefold() == account_name.strip().casefold() for name in names):
        return
    found = look_alikes(account_name, names)
    if found.candidates:
        listed = ", ".join(f"'{name}'" for name in found.candidates)
        raise AmbiguousCustomer(f"QuickBooks already has {listed}, which looks like account '{account_name}': "
                                "a new customer would duplicate it", candidates=found.candidates)
