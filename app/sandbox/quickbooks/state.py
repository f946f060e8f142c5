"""Everything the QuickBooks emulator knows, with the admin operations as Python methods (thread-safe)."""
from __future__ import annotations

import secrets
import threading
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any, Literal

from app.clock import Clock, FixedClock, SystemClock
from app.sandbox.quickbooks import entities
from app.sandbox.quickbooks.books import Company, RealmBook
from app.sandbox.quickbooks.entities import BookRules
from app.sandbox.quickbooks.faults import QboFault
from app.sandbox.quickbooks.tax import add_tax_code, seed_global_codes
from app.sandbox.quickbooks.tax_rates import HOME_CURRENCY
from app.sandbox.quickbooks.throttle import Throttle, ThrottleLimits

FaultKind = Literal["error", "timeout", "throttle", "lost_response"]
FAULT_KINDS = ("error", "timeout", "throttle", "lost_response")
RefreshRotation = Literal["intuit", "strict"]
REFRESH_ROTATIONS = ("intuit", "strict")


@dataclass
class RefreshGrant:
    token: str
    client_id: str
    realm_id: str
    issued_at: datetime
    superseded_at: datetime | None = None
    superseded_by: str | None = None
    revoked: bool = False


@dataclass(frozen=True)
class AccessGrant:
    token: str
    client_id: str
    realm_id: str
    expires_at: datetime


@dataclass
class FaultPlan:
    """The next `remaining` API calls (whose path contains `path_contains`) misbehave as `kind`."""

    kind: FaultKind
    remaining: int = 1
    delay: float = 2.0
    path_contains: str | None = None


@dataclass(frozen=True)
class CallRecord:
    at: datetime
    method: str
    path: str
    query: dict[str, str]
    status: int
    realm_id: str | None = None


@dataclass
class EmulatorSettings:
    access_token_lifetime: timedelta = timedelta(hours=1)
    refresh_token_lifetime: timedelta = timedelta(days=100)
    refresh_rotation: RefreshRotation = "intuit"
    """"intuit": a refresh returns the same refresh token until it is `refresh_token_reissue_after` old, then a
    new one; the old one keeps working for `refresh_grace` (a day). "strict": every refresh rotates, and the old
    token dies `strict_refresh_grace` (30 s) later, to catch a client that forgets to store the newest one."""
    refresh_token_reissue_after: timedelta = timedelta(hours=24)
    refresh_grace: timedelta = timedelta(hours=24)
    strict_refresh_grace: timedelta = timedelta(seconds=30)
    xml_throttle: bool = False  # answer 429 with the old XML Fault instead of JSON
    max_batch_items: int = 30
    cdc_max_lookback: timedelta = timedelta(days=30)
    latency: timedelta = timedelta(0)  # added to every company API call (benchmarks: Intuit's ~200 ms); off by default
    rules: BookRules = field(default_factory=BookRules)


class QuickBooksState:
    def __init__(self, *, clock: Clock | None = None, settings: EmulatorSettings | None = None,
                 limits: ThrottleLimits | None = None) -> None:
        self.lock = threading.RLock()
        self.clock: Clock = clock or SystemClock()
        self.settings = settings or EmulatorSettings()
        self.throttle = Throttle(limits or ThrottleLimits())
        self.realms: dict[str, RealmBook] = {}
        self.clients: dict[str, str] = {}
        self.refresh_tokens: dict[str, RefreshGrant] = {}
        self.access_tokens: dict[str, AccessGrant] = {}
        self.auth_codes: dict[str, tuple[str, str]] = {}  # code -> (client_id, realm_id)
        self.auth_code_redirects: dict[str, str] = {}  # code -> the redirect_uri it was issued for
        self.faults: list[FaultPlan] = []
        self.calls: list[CallRecord] = []

    # -- time
    def now(self) -> datetime:
        return self.clock.now()

    def set_time(self, when: datetime) -> None:
        with self.lock:
            self.clock = FixedClock(when)

    def advance(self, delta: timedelta) -> None:
        with self.lock:
            self.clock = FixedClock(self.clock.now() + delta)

    def set_limits(self, limits: ThrottleLimits) -> None:
        with self.lock:
            self.throttle = Throttle(limits)

    # -- companies, apps, tokens
    def add_realm(self, realm_id: str, *, company_name: str = "Sandbox Company_US_1",
                  timezone: str = "America/Los_Angeles", country: str = "US", automated_sales_tax: bool = True,
                  multicurrency: bool = False, home_currency: str | None = None,
                  address: dict[str, str] | None = None) -> RealmBook:
        """A company; outside the US it starts with its country's VAT/GST codes (tax_rates.GLOBAL_CODES)."""
        with self.lock:
            if realm_id in self.realms:
                return self.realms[realm_id]
            company = Company(country=country, home_currency=home_currency or HOME_CURRENCY.get(country, "USD"),
                              multicurrency=multicurrency, automated_sales_tax=automated_sales_tax)
            if address is not None:
                company.address = dict(address)
            book = self.realms[realm_id] = RealmBook(realm_id, company_name, timezone, company=company)
            seed_global_codes(book, self.now())
            return book

    def set_exchange_rate(self, realm_id: str, currency: str, rate: Decimal | str, as_of: date) -> None:
        """Home-currency units per one `currency` unit from `as_of` on (QuickBooks' ExchangeRate.Rate)."""
        with self.lock:
            self.book(realm_id).exchange_rates.setdefault(currency, {})[as_of] = Decimal(str(rate))

    def add_tax_code(self, realm_id: str, name: str, rates: tuple[tuple[str, Decimal], ...], *,
                     taxable: bool = True) -> dict[str, Any]:
        """A sales tax code made of (rate name, percent) rates, as the company's tax setup would make it."""
        with self.lock:
            return add_tax_code(self.book(realm_id), name, rates, self.now(), taxable=taxable)

    def add_client(self, client_id: str, client_secret: str) -> None:
        with self.lock:
            self.clients[client_id] = client_secret

    def issue_refresh_token(self, client_id: str, realm_id: str, token: str | None = None) -> str:
        with self.lock:
            self._require_client_and_realm(client_id, realm_id)
            value = token or "RT1-" + secrets.token_urlsafe(24)
            self.refresh_tokens[value] = RefreshGrant(value, client_id, realm_id, self.now())
            return value

    def issue_access_token(self, client_id: str, realm_id: str) -> AccessGrant:
        with self.lock:
            grant = AccessGrant("eyJ-" + secrets.token_urlsafe(32), client_id, realm_id,
                                self.now() + self.settings.access_token_lifetime)
            self.access_tokens[grant.token] = grant
            return grant

    def issue_auth_code(self, client_id: str, realm_id: str, redirect_uri: str | None = None) -> str:
        """A one-use code; issued for a `redirect_uri`, the exchange must name the same one (Intuit's rule)."""
        with self.lock:
            self._require_client_and_realm(client_id, realm_id)
            code = "AB-" + secrets.token_urlsafe(16)
            self.auth_codes[code] = (client_id, realm_id)
            if redirect_uri is not None:
                self.auth_code_redirects[code] = redirect_uri
            return code

    def expire_access_tokens(self) -> None:
        """Make every issued access token expired now (like waiting an hour)."""
        with self.lock:
            past = self.now() - timedelta(seconds=1)
            self.access_tokens = {t: replace(g, expires_at=past) for t, g in self.access_tokens.items()}

    def _require_client_and_realm(self, client_id: str, realm_id: str) -> None:
        if client_id not in self.clients or realm_id not in self.realms:
            raise KeyError(f"unknown client {client_id!r} or realm {realm_id!r}")

    # -- objects
    def book(self, realm_id: str) -> RealmBook:
        try:
            return self.realms[realm_id]
        except KeyError:
            raise KeyError(f"unknown realm {realm_id!r}") from None

    def set_custom_txn_numbers(self, realm_id: str, enabled: bool) -> None:
        """Turn the company's Custom transaction numbers (Preferences.SalesFormsPrefs.CustomTxnNumbers) on or off."""
        with self.lock:
            self.book(realm_id).custom_txn_numbers = enabled

    def deactivate(self, realm_id: str, entity: str, name: str) -> dict[str, Any]:
        """Make the Item, Term or Customer named `name` inactive (Active=false), as "Make inactive" does."""
        with self.lock:
            entity = entities.entity_named(entity)
            key = "DisplayName" if entity == "Customer" else "Name"
            book = self.book(realm_id)
            row = next((r for r in book.rows(entity) if str(r.get(key, "")).lower() == name.lower()), None)
            if row is None:
                raise KeyError(f"no {entity} named {name!r} in realm {realm_id}")
            return entities.update(book, entity, {"Id": row["Id"], "SyncToken": row["SyncToken"], "sparse": True,
                                                  "Active": False}, self.now(), self.settings.rules)

    def seed(self, realm_id: str, entity: str, obj: dict[str, Any]) -> dict[str, Any]:
        """Create an object through the same rules as the API (so it looks exactly like one QBO made)."""
        with self.lock:
            return entities.create(self.book(realm_id), entities.entity_named(entity), obj, self.now(),
                                   self.settings.rules)

    def get_object(self, realm_id: str, entity: str, object_id: str) -> dict[str, Any] | None:
        with self.lock:
            try:
                return entities.read(self.book(realm_id), entities.entity_named(entity), object_id)
            except QboFault:
                return None

    def objects(self, realm_id: str, entity: str) -> list[dict[str, Any]]:
        with self.lock:
            return [dict(row) for row in self.book(realm_id).rows(entities.entity_named(entity))]

    # -- fault injection and call log
    def inject_fault(self, kind: FaultKind, *, count: int = 1, delay: float = 2.0,
                     path_contains: str | None = None) -> None:
        if kind not in FAULT_KINDS or count < 1 or delay < 0:
            raise ValueError(f"fault kind must be one of {FAULT_KINDS}, count >= 1, delay >= 0")
        with self.lock:
            self.faults.append(FaultPlan(kind, count, delay, path_contains))

    def take_fault(self, path: str) -> FaultPlan | None:
        with self.lock:
            for plan in self.faults:
                if plan.path_contains is None or plan.path_contains.lower() in path.lower():
                    plan.remaining -= 1
                    if plan.remaining <= 0:
                        self.faults.remove(plan)
                    return plan
            return None

    def record_call(self, record: CallRecord) -> None:
        with self.lock:
            self.calls.append(record)

    def call_log(self, *, path_contains: str | None = None) -> list[CallRecord]:
        with self.lock:
            return [c for c in self.calls if path_contains is None or path_contains.lower() in c.path.lower()]
