"""Duplicate or ambiguous QuickBooks customers: the look-alike rule (pure) and the check before creating one."""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Protocol

from app.deals.facts import AccountFacts
from app.errors import IntegrationError
from app.integrations.quickbooks_models import QboAddress, QboCustomer

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


# ---- before a customer is activated: the customer itself, or look-alikes to choose between (pure) ---------------

@dataclass(frozen=True, slots=True)
class LookAlike:
    customer_id: str
    name: str
    email: str
    address: str
    why: str


@dataclass(frozen=True, slots=True)
class Matches:
    """A QuickBooks customer with exactly the account's name IS the customer; one whose name looks the same (case,
    punctuation and legal suffixes aside), or with the same email, or the same billing street and postal code, is
    a look-alike an approver must choose ("use this one") or set aside ("create new")."""

    exact: LookAlike | None
    look_alikes: tuple[LookAlike, ...]


def match_customers(account: AccountFacts, customers: list[QboCustomer]) -> Matches:
    """The customer with exactly the account's name, else the look-alikes an approver must choose between."""
    wanted = account.name.strip().casefold()
    active = [customer for customer in customers if customer.active]
    exact = next((customer for customer in active if customer.display_name.strip().casefold() == wanted), None)
    if exact is not None:
        return Matches(_look_alike(exact, "the same name"), ())
    found = []
    for customer in active:
        why = _why_alike(account, customer)
        if why:
            found.append(_look_alike(customer, why))
    return Matches(None, tuple(sorted(found, key=lambda alike: alike.name.casefold())))


def _look_alike(customer: QboCustomer, why: str) -> LookAlike:
    return LookAlike(customer_id=customer.id, name=customer.display_name, email=customer.email or "",
                     address=_address(customer.billing_address), why=why)


def _why_alike(account: AccountFacts, customer: QboCustomer) -> str:
    reasons = []
    if company_key(customer.display_name) == company_key(account.name):
        reasons.append("a similar name")
    if account.billing_email and (customer.email or "").strip().casefold() == account.billing_email.strip().casefold():
        reasons.append("the same email")
    address = customer.billing_address
    if (address is not None and account.billing_street and account.billing_postal_code
            and _same(address.line1, account.billing_street) and _same(address.postal_code,
                                                                     account.billing_postal_code)):
        reasons.append("the same billing address")
    return " and ".join(reasons)


def _same(left: str | None, right: str | None) -> bool:
    return " ".join((left or "").casefold().split()) == " ".join((right or "").casefold().split())


def _address(address: QboAddress | None) -> str:
    if address is None:
        return ""
    return _joined(address.line1, address.city, address.region, address.postal_code, address.country)


def _joined(*parts: str | None) -> str:
    return ", ".join(" ".join(part.split()) for part in parts if part and part.strip())


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
