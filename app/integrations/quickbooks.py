"""QuickBooks Online behind a narrow gateway: our dataclasses in and out, our errors, requestid on every write."""
from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

from app.clock import Clock, SystemClock
from app.config import Settings
from app.integrations.exact_json import dumps_exact
from app.integrations.quickbooks_connection import INLINE_MAX_WAIT, QboCredentials, QuickBooksConnection
from app.integrations.quickbooks_errors import DuplicateNameError
from app.integrations.quickbooks_models import (
    InvoiceDraft,
    InvoiceLineDraft,
    QboAddress,
    QboCustomer,
    QboInvoice,
    QboItem,
    QboTerm,
    address_payload,
    invoice_payload,
    parse_customer,
    parse_invoice,
    parse_item,
    parse_term,
)
from app.integrations.throttle import Throttle
from app.integrations.tokens import TokenStore

MAX_REQUEST_ID = 50
RESERVED_UPDATE_FIELDS = ("Id", "SyncToken", "sparse")

__all__ = [
    "DuplicateNameError", "InvoiceDraft", "InvoiceLineDraft", "QboAddress", "QboCustomer", "QboInvoice", "QboItem",
    "QboTerm", "QuickBooksGateway", "build_quickbooks_gateway", "quote_literal",
]


def quote_literal(value: str) -> str:
    """A QBO query string literal: single quotes, with backslash-escaped quotes and backslashes."""
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


def _check_request_id(request_id: str) -> str:
    if not request_id or len(request_id) > MAX_REQUEST_ID:
        raise ValueError(f"request_id must be 1..{MAX_REQUEST_ID} characters")
    return request_id


class QuickBooksGateway:
    def __init__(self, connection: QuickBooksConnection, *, clock: Clock | None = None) -> None:
        self._connection = connection
        self._clock = clock or SystemClock()

    def check_connection(self) -> str:
        """Connect (discovery, token refresh) and read the company's name; raises our errors on failure."""
        realm = self._connection.credentials.realm_id
        info = self._connection.call(lambda qb: qb.get_single_object("CompanyInfo", realm))
        return str(info["CompanyInfo"]["CompanyName"])

    # -- queries
    def query(self, sql: str) -> list[dict[str, Any]]:
        """Rows of a SELECT (the entity's list in QueryResponse); [] when nothing matched."""
        response = self._connection.call(lambda qb: qb.query(sql))["QueryResponse"]
        rows = [value for value in response.values() if isinstance(value, list)]
        return rows[0] if rows else []

    def count(self, entity: str, where: str = "") -> int:
        sql = f"SELECT COUNT(*) FROM {entity}" + (f" WHERE {where}" if where else "")
        return int(self._connection.call(lambda qb: qb.query(sql))["QueryResponse"].get("totalCount", 0))

    def _first(self, sql: str) -> dict[str, Any] | None:
        rows = self.query(sql + " MAXRESULTS 1")
        return rows[0] if rows else None

    # -- customers
    def find_customer_by_display_name(self, display_name: str) -> QboCustomer | None:
        row = self._first(f"SELECT * FROM Customer WHERE DisplayName = {quote_literal(display_name)}")
        return parse_customer(row) if row else None

    def get_customer(self, customer_id: str) -> QboCustomer:
        return parse_customer(self._read("Customer", customer_id))

    def create_customer(self, display_name: str, *, request_id: str, email: str | None = None,
                        company_name: str | None = None, billing_address: QboAddress | None = None) -> QboCustomer:
        payload: dict[str, Any] = {"DisplayName": display_name}
        if email:
            payload["PrimaryEmailAddr"] = {"Address": email}
        if company_name:
            payload["CompanyName"] = company_name
        if billing_address:
            payload["BillAddr"] = address_payload(billing_address)
        return parse_customer(self._create("Customer", payload, request_id))

    def find_or_create_customer(self, display_name: str, *, request_id: str, email: str | None = None,
                                company_name: str | None = None,
                                billing_address: QboAddress | None = None) -> QboCustomer:
        """Find by DisplayName, else create; a 6240 race (or an inactive holder) returns the existing one."""
        found = self.find_customer_by_display_name(display_name)
        if found is not None:
            return found
        try:
            return self.create_customer(display_name, request_id=request_id, email=email,
                                        company_name=company_name, billing_address=billing_address)
        except DuplicateNameError as duplicate:
            if duplicate.existing_id is None:
                raise
            return self.get_customer(duplicate.existing_id)

    # -- items and terms
    def find_item_by_name(self, name: str) -> QboItem | None:
        row = self._first(f"SELECT * FROM Item WHERE Name = {quote_literal(name)}")
        return parse_item(row) if row else None

    def find_term_by_name(self, name: str) -> QboTerm | None:
        row = self._first(f"SELECT * FROM Term WHERE Name = {quote_literal(name)}")
        return parse_term(row) if row else None

    # -- invoices
    def get_invoice(self, invoice_id: str) -> QboInvoice:
        return parse_invoice(self._read("Invoice", invoice_id), today=self._today())

    def find_invoice_by_doc_number(self, doc_number: str) -> QboInvoice | None:
        row = self._first(f"SELECT * FROM Invoice WHERE DocNumber = {quote_literal(doc_number)}")
        return parse_invoice(row, today=self._today()) if row else None

    def invoices_changed_since(self, since: datetime) -> list[QboInvoice]:
        """Invoices changed after `since` (Change Data Capture; QuickBooks looks back at most 30 days).

        Deleted invoices come back as {"Id", "status": "Deleted"} and are left out.
        """
        if since.tzinfo is None:
            raise ValueError("since must be timezone-aware")
        stamp = since.isoformat(timespec="seconds")
        data = self._connection.call(lambda qb: qb.change_data_capture("Invoice", stamp))
        rows = [row for response in data.get("CDCResponse", []) for part in response.get("QueryResponse", [])
                for row in part.get("Invoice", [])]
        return [parse_invoice(row, today=self._today()) for row in rows if row.get("status") != "Deleted"]

    def create_invoice(self, draft: InvoiceDraft, *, request_id: str) -> QboInvoice:
        return parse_invoice(self._create("Invoice", invoice_payload(draft), request_id), today=self._today())

    def sparse_update_invoice(self, invoice_id: str, sync_token: str, fields: Mapping[str, Any], *,
                              request_id: str) -> QboInvoice:
        """Change only `fields` (QBO names, e.g. {"PrivateNote": "..."}); stale sync_token -> code 5010."""
        reserved = [name for name in fields if name in RESERVED_UPDATE_FIELDS]
        if reserved or not fields:
            raise ValueError(f"fields must be non-empty and may not set {', '.join(RESERVED_UPDATE_FIELDS)}")
        payload = {"Id": invoice_id, "SyncToken": sync_token, "sparse": True, **fields}
        body, rid = dumps_exact(payload), _check_request_id(request_id)
        data = self._connection.call(lambda qb: qb.update_object("Invoice", body, request_id=rid))
        return parse_invoice(data["Invoice"], today=self._today())

    # -- plumbing
    def _create(self, entity: str, payload: dict[str, Any], request_id: str) -> dict[str, Any]:
        body, rid = dumps_exact(payload), _check_request_id(request_id)
        return self._connection.call(lambda qb: qb.create_object(entity, body, request_id=rid))[entity]

    def _read(self, entity: str, object_id: str) -> dict[str, Any]:
        return self._connection.call(lambda qb: qb.get_single_object(entity, object_id))[entity]

    def _today(self) -> date:
        return self._clock.now().date()


def build_quickbooks_gateway(settings: Settings, *, token_store: TokenStore, clock: Clock | None = None,
                             throttle: Throttle | None = None,
                             max_wait: float = INLINE_MAX_WAIT) -> QuickBooksGateway:
    """No network here: the first call fetches the discovery document and refreshes the token.

    `throttle`: shared limits (throttle_for_database); None counts in this process only. `max_wait`: seconds a
    call may wait for a slot before ThrottleFull (0 in a worker that reschedules).
    """
    connection = QuickBooksConnection(QboCredentials.from_settings(settings), token_store=token_store, clock=clock,
                                      throttle=throttle, max_wait=max_wait)
    return QuickBooksGateway(connection, clock=clock)
