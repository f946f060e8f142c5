"""Salesforce accounts against QuickBooks customers (pure): exact matches, look-alikes and shared customers.

Exact: the customer's DisplayName is the account's name (how intake links them, case aside). Look-alike: another
customer with the same company name once case, punctuation and legal suffixes are dropped (the rule the
exception queue applies before creating a customer, `company_key`), the same email domain as the account's
website, or the same billing street and postal code.
"""
from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import urlsplit

from app.exception_queue.customers import company_key
from app.integrations.quickbooks_models import QboAddress, QboCustomer
from app.integrations.salesforce_models import SfAccount

FREE_MAIL = frozenset({"gmail.com", "googlemail.com", "yahoo.com", "hotmail.com", "outlook.com", "live.com",
                       "icloud.com", "me.com", "aol.com", "proton.me", "protonmail.com", "gmx.com", "mail.com"})
_STREET_WORDS = {"street": "st", "avenue": "ave", "road": "rd", "boulevard": "blvd", "drive": "dr", "suite": "ste",
                 "lane": "ln", "court": "ct", "place": "pl", "north": "n", "south": "s", "east": "e", "west": "w"}
_WORD = re.compile(r"[a-z0-9]+")


@dataclass(frozen=True)
class LookAlike:
    account: str
    customer: str
    reasons: tuple[str, ...]        # "name", "email domain", "billing address"


@dataclass(frozen=True)
class CustomerMatches:
    accounts: int
    exact: frozenset[str]                       # ids of accounts with a customer of the same name
    without_customer: tuple[str, ...]           # names of accounts QuickBooks has no customer for
    look_alikes: tuple[LookAlike, ...]
    shared: tuple[tuple[str, tuple[str, ...]], ...]     # customer -> the accounts that would map to it

    def duplicates_for(self, account_name: str) -> bool:
        """Creating this account's customer would be refused as a duplicate (an exception, not a customer): the
        product checks names only (`check_new_customer`), so a look-alike by email domain or address is listed
        for people to check but raises no exception."""
        return account_name in self.without_customer and any(m.account == account_name and "name" in m.reasons
                                                             for m in self.look_alikes)


def match_customers(accounts: Sequence[SfAccount], customers: Sequence[QboCustomer]) -> CustomerMatches:
    unique = list({account.id: account for account in accounts if account.name}.values())
    exact: set[str] = set()
    without: list[str] = []
    look_alikes: list[LookAlike] = []
    claims: dict[str, set[str]] = {}
    for account in unique:
        name = str(account.name)
        same_name = [c for c in customers if _exact(c.display_name) == _exact(name)]
        similar = [(c, _reasons(account, c)) for c in customers if c not in same_name]
        similar = [(c, reasons) for c, reasons in similar if reasons]
        if same_name:
            exact.add(account.id)
        else:
            without.append(name)
        look_alikes += [LookAlike(name, c.display_name, reasons) for c, reasons in similar]
        for customer in [*same_name, *(c for c, _ in similar)]:
            claims.setdefault(customer.display_name, set()).add(name)
    shared = tuple((customer, tuple(sorted(names))) for customer, names in sorted(claims.items()) if len(names) > 1)
    ordered = tuple(sorted(look_alikes, key=lambda match: (match.account, match.customer)))
    return CustomerMatches(len(unique), frozenset(exact), tuple(sorted(without)), ordered, shared)


def _reasons(account: SfAccount, customer: QboCustomer) -> tuple[str, ...]:
    reasons = []
    if company_key(str(account.name)) == company_key(customer.display_name):
        reasons.append("name")
    domain = website_domain(account.website)
    if domain and domain == email_domain(customer.email):
        reasons.append("email domain")
    address = address_key(account.billing_street, account.billing_postal_code)
    if address and address == _customer_address(customer.billing_address):
        reasons.append("billing address")
    return tuple(reasons)


def _exact(name: str) -> str:
    return " ".join(name.split()).casefold()


def website_domain(website: str | None) -> str | None:
    """'https://www.Acme.com/about' -> 'acme.com'."""
    if not website or not website.strip():
        return None
    text = website.strip().lower()
    host = urlsplit(text if "//" in text else f"//{text}").hostname or ""
    host = host.removeprefix("www.")
    return host if "." in host and host not in FREE_MAIL else None


def email_domain(email: str | None) -> str | None:
    if not email or "@" not in email:
        return None
    domain = email.rsplit("@", 1)[1].strip().lower()
    return domain if domain and domain not in FREE_MAIL else None


def address_key(street: str | None, postal_code: str | None) -> tuple[str, str] | None:
    """Street words with the usual abbreviations, and the postal code without spaces; None when either is empty."""
    words = [_STREET_WORDS.get(word, word) for word in _WORD.findall((street or "").lower())]
    postal = "".join(_WORD.findall((postal_code or "").lower()))
    return (" ".join(words), postal) if words and postal else None


def _customer_address(address: QboAddress | None) -> tuple[str, str] | None:
    return address_key(address.line1, address.postal_code) if address else None
