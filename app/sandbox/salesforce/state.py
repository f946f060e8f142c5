"""Everything the Salesforce emulator knows, with the knobs tests and the admin API turn.

One lock guards it all: the emulator serves from uvicorn's thread while tests poke it from theirs.
"""
from __future__ import annotations

import secrets
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from app.clock import Clock, FixedClock, SystemClock
from app.sandbox.salesforce.describe import describe_object
from app.sandbox.salesforce.errors import ApiError
from app.sandbox.salesforce.field_access import FieldAccess
from app.sandbox.salesforce.paging import CursorStore, QueryPage
from app.sandbox.salesforce.schema import ObjectSpec, find_object
from app.sandbox.salesforce.soql import SoqlError, execute, parse_soql
from app.sandbox.salesforce.store import RecordStore, object_or_404
from app.sandbox.salesforce.values import to_stored

DEFAULT_ACCESS_TOKEN = "00DLB0000000001!sandbox-access-token"
DEFAULT_USERNAME = "integration@ledgerbridge.sandbox"
DEFAULT_PASSWORD = "sandbox-password"
DEFAULT_SECURITY_TOKEN = "sandboxtoken"
ORG_ID = "00DLB0000000001AAA"
DEFAULT_API_LIMIT = 15000
MAX_PAGE_SIZE = 2000


class FaultKind(StrEnum):
    SERVER_ERROR = "500"
    UNAVAILABLE = "503"
    DELAY = "delay"


@dataclass(frozen=True)
class Fault:
    kind: FaultKind
    delay_seconds: float = 0.0


@dataclass(frozen=True)
class CallRecord:
    method: str
    path: str
    query: str
    status: int


@dataclass(frozen=True)
class _ValidationRule:
    sobject: str
    record_id: str | None
    errors: tuple[dict[str, Any], ...]


class SalesforceState:
    def __init__(self, *, clock: Clock | None = None, page_size: int = MAX_PAGE_SIZE,
                 api_limit: int = DEFAULT_API_LIMIT, with_default_user: bool = True) -> None:
        self.lock = threading.RLock()
        self._clock: Clock = clock or SystemClock()
        self._store = RecordStore()
        self._cursors = CursorStore()
        self._tokens: set[str] = {DEFAULT_ACCESS_TOKEN}
        self._passwords: dict[str, str] = {}
        self._jwt_keys: dict[str, str] = {}
        self._faults: list[Fault] = []
        self._rules: list[_ValidationRule] = []
        self._calls: list[CallRecord] = []
        self.field_access = FieldAccess()
        self.page_size = page_size
        self.api_limit = api_limit
        self.api_usage = 0
        self.request_limit_exceeded = False
        self.default_user_id = self._seed_default_user() if with_default_user else None

    def _seed_default_user(self) -> str:
        user_id = self.seed("User", {"Name": "Integration User", "Email": DEFAULT_USERNAME,
                                     "Username": DEFAULT_USERNAME, "IsActive": True})
        self.set_credentials(DEFAULT_USERNAME, DEFAULT_PASSWORD, DEFAULT_SECURITY_TOKEN)
        return user_id

    # -- clock ---------------------------------------------------------------------------------
    def now(self) -> datetime:
        return to_stored(self._clock.now())

    def use_clock(self, clock: Clock) -> None:
        with self.lock:
            self._clock = clock

    def set_clock(self, when: datetime) -> None:
        if when.tzinfo is None:
            raise ValueError("the emulator clock needs an aware datetime")
        with self.lock:
            if isinstance(self._clock, FixedClock):
                self._clock.set(when)
            else:
                self._clock = FixedClock(when)

    def advance_clock(self, delta: timedelta) -> None:
        with self.lock:
            self.set_clock(self._clock.now() + delta)

    # -- records -------------------------------------------------------------------------------
    def seed(self, sobject: str, fields: Mapping[str, Any]) -> str:
        """Create a record as if it already existed in the org (no validation rules)."""
        with self.lock:
            return self._store.create(_spec(sobject), fields, now=self.now())

    def user_edit(self, sobject: str, record_id: str, fields: Mapping[str, Any]) -> None:
        """Change a record as a Salesforce user would in the UI (bumps SystemModstamp)."""
        with self.lock:
            self._store.update(_spec(sobject), record_id, fields, now=self.now())

    def record(self, sobject: str, record_id: str) -> dict[str, Any]:
        with self.lock:
            spec = _spec(sobject)
            self._store.stored(spec, record_id)
            row = self._store.snapshot().row(spec.name, record_id)
            return dict(row or {})

    def records(self, sobject: str) -> list[dict[str, Any]]:
        with self.lock:
            return [dict(row) for row in self._store.snapshot().rows(_spec(sobject).name)]

    # -- the REST operations ---------------------------------------------------------------------
    def api_create(self, sobject: str, fields: Mapping[str, Any]) -> str:
        with self.lock:
            spec = object_or_404(sobject)
            self.field_access.check_write(spec, fields)
            self._check_rules(spec.name, None)
            return self._store.create(spec, fields, now=self.now())

    def api_update(self, sobject: str, record_id: str, fields: Mapping[str, Any]) -> None:
        with self.lock:
            spec = object_or_404(sobject)
            stored = self._store.stored(spec, record_id)
            self.field_access.check_write(spec, fields)
            self._check_rules(spec.name, stored["Id"])
            self._store.update(spec, record_id, fields, now=self.now())

    def api_get(self, sobject: str, record_id: str) -> dict[str, Any]:
        with self.lock:
            spec = object_or_404(sobject)
            stored = self._store.stored(spec, record_id)
            return dict(self._store.snapshot().row(spec.name, stored["Id"]) or {})

    def api_query(self, soql: str, *, api_version: str, batch_size: int | None = None) -> QueryPage:
        with self.lock:
            try:
                query = parse_soql(soql)
                self.field_access.check_query(query)
                result = execute(query, self._store.snapshot(), api_version=api_version)
            except SoqlError as error:
                raise ApiError(400, error.error_code, error.message) from None
            size = self.page_size if batch_size is None else min(self.page_size, batch_size)
            return self._cursors.first_page(result, page_size=size, api_version=api_version)

    def api_describe(self, sobject: str, *, api_version: str) -> dict[str, Any]:
        with self.lock:
            return describe_object(object_or_404(sobject), self.field_access, api_version=api_version)

    # -- field-level security --------------------------------------------------------------------
    def remove_field(self, sobject: str, field: str) -> None:
        """As if the org never created `field` (or the API user may not read it): describe, queries and
        writes no longer know it."""
        with self.lock:
            self.field_access.hide(_spec(sobject), field)

    def make_read_only(self, sobject: str, field: str) -> None:
        """The API user may read `field` but not edit it (a permission set without Edit)."""
        with self.lock:
            self.field_access.make_read_only(_spec(sobject), field)

    def api_query_more(self, locator: str, *, api_version: str) -> QueryPage:
        with self.lock:
            return self._cursors.next_page(locator, api_version=api_version)

    # -- validation rules ----------------------------------------------------------------------
    def add_validation_error(self, sobject: str, message: str, *, record_id: str | None = None,
                             fields: tuple[str, ...] = ()) -> None:
        """Writes to `sobject` (or one record of it) fail with FIELD_CUSTOM_VALIDATION_EXCEPTION."""
        error = {"message": message, "errorCode": "FIELD_CUSTOM_VALIDATION_EXCEPTION", "fields": list(fields)}
        with self.lock:
            rules = [r for r in self._rules if (r.sobject, r.record_id) == (_spec(sobject).name, record_id)]
            errors = (rules[0].errors if rules else ()) + (error,)
            self._rules = [r for r in self._rules if r not in rules]
            self._rules.append(_ValidationRule(_spec(sobject).name, record_id, errors))

    def clear_validation_errors(self) -> None:
        with self.lock:
            self._rules.clear()

    def _check_rules(self, sobject: str, record_id: str | None) -> None:
        for rule in self._rules:
            if rule.sobject == sobject and rule.record_id in (None, record_id):
                raise ApiError.many(400, list(rule.errors))

    # -- auth ----------------------------------------------------------------------------------
    def issue_token(self) -> str:
        token = f"{ORG_ID[:15]}!{secrets.token_urlsafe(24)}"
        with self.lock:
            self._tokens.add(token)
        return token

    def add_token(self, token: str) -> None:
        with self.lock:
            self._tokens.add(token)

    def revoke_token(self, token: str) -> None:
        with self.lock:
            self._tokens.discard(token)

    def knows_token(self, token: str) -> bool:
        with self.lock:
            return token in self._tokens

    def set_credentials(self, username: str, password: str, security_token: str = "") -> None:
        with self.lock:
            self._passwords[username.lower()] = password + security_token

    def check_password(self, username: str, password_and_token: str) -> bool:
        with self.lock:
            expected = self._passwords.get(username.lower())
            return expected is not None and secrets.compare_digest(expected, password_and_token) \
                and self.active_user_id(username) is not None

    def register_jwt_client(self, client_id: str, public_key_pem: str) -> None:
        """When registered, JWT assertions from `client_id` must carry a valid RS256 signature."""
        with self.lock:
            self._jwt_keys[client_id] = public_key_pem

    def jwt_key(self, client_id: str) -> str | None:
        with self.lock:
            return self._jwt_keys.get(client_id)

    def active_user_id(self, username: str) -> str | None:
        with self.lock:
            for user in self._store.snapshot().rows("User"):
                if (user["Username"] or "").lower() == username.lower() and user["IsActive"] is not False:
                    return str(user["Id"])
            return None

    # -- limits, faults, call log --------------------------------------------------------------
    def set_page_size(self, size: int) -> None:
        if not 1 <= size <= MAX_PAGE_SIZE:
            raise ValueError(f"page size must be within 1..{MAX_PAGE_SIZE}")
        with self.lock:
            self.page_size = size

    def set_request_limit_exceeded(self, exceeded: bool) -> None:
        with self.lock:
            self.request_limit_exceeded = exceeded

    def count_api_call(self) -> bool:
        """Count one API request; False when the org is over its daily limit."""
        with self.lock:
            if self.request_limit_exceeded or self.api_usage >= self.api_limit:
                return False
            self.api_usage += 1
            return True

    def limit_info(self) -> str:
        with self.lock:
            return f"api-usage={self.api_usage}/{self.api_limit}"

    def inject_fault(self, kind: FaultKind | str, *, count: int = 1, delay_seconds: float = 0.0) -> None:
        """The next `count` API calls fail with HTTP 500 / 503, or answer only after `delay_seconds`."""
        fault = Fault(FaultKind(kind), delay_seconds)
        if count < 1 or delay_seconds < 0:
            raise ValueError("count must be >= 1 and delay_seconds >= 0")
        with self.lock:
            self._faults.extend([fault] * count)

    def clear_faults(self) -> None:
        with self.lock:
            self._faults.clear()

    def next_fault(self) -> Fault | None:
        with self.lock:
            return self._faults.pop(0) if self._faults else None

    def log_call(self, call: CallRecord) -> None:
        with self.lock:
            self._calls.append(call)

    def calls(self) -> list[CallRecord]:
        with self.lock:
            return list(self._calls)

    def clear_calls(self) -> None:
        with self.lock:
            self._calls.clear()


def _spec(sobject: str) -> ObjectSpec:
    spec = find_object(sobject)
    if spec is None:
        raise ValueError(f"unknown sObject type {sobject!r}")
    return spec
