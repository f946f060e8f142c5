"""QuickBooks Online behind a narrow gateway: our dataclasses in and out, our errors, requestid on every write."""
from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime, timedelta
from typing import Any

from app.clock import Clock, SystemClock
from app.config import Settings
from app.errors import IntegrationError
from app.integrations.exact_json import dumps_exact
from app.integrations.quickbooks_batch import (
    BatchOutcome,
    InvoiceCreated,
    InvoiceFailed,
    batch_outcomes,
    invoice_batch,
)
from app.integrations.quickbooks_cache import REFERENCE_TTL, ReferenceCache, is_invalid_reference
from app.integrations.quickbooks_cdc import CHANGE_ENTITIES, QboChanges, parse_changes
from app.integrations.quickbooks_connection import INLINE_MAX_WAIT, QboCredentials, QuickBooksConnection
from app.integrations.quickbooks_credits import (
    CreditApplication,
    QboCreditMemo,
    application_payload,
    credit_memo_payload,
    parse_credit_memo,
)
from app.integrations.quickbooks_errors import DuplicateDocNumberError, DuplicateNameError
from app.integrations.quickbooks_models import (
    InvoiceDraft,
    InvoiceLineDraft,
    QboAddress,
    QboCustomer,
    QboCustomerDraft,
    QboCustomerTax,
    QboInvoice,
    QboItem,
    QboPreferences,
    QboTerm,
    customer_payload,
    invoice_payload,
    parse_customer,
    parse_invoice,
    parse_item,
    parse_preferences,
    parse_term,
)
from app.integrations.throttle import Throttle
from app.integrations.timed_cache import TimedCache
from app.integrations.tokens import TokenStore
from app.integrations.write_guard import WriteGuard

MAX_REQUEST_ID = 50
RESERVED_UPDATE_FIELDS = ("Id", "SyncToken", "sparse")
DOC_NUMBERS_PER_QUERY = 100
LIST_PAGE = 1000            # QuickBooks' largest MAXRESULTS

__all__ = [
    "BatchOutcome", "CreditApplication", "DuplicateDocNumberError", "DuplicateNameError", "InvoiceCreated",
    "InvoiceDraft", "InvoiceFailed", "InvoiceLineDraft", "QboAddress", "QboCreditMemo", "QboCustomer",
    "QboCustomerDraft", "QboCustomerTax", "QboInvoice", "QboItem", "QboPreferences", "QboTerm",
    "QuickBooksGateway", "build_quickbooks_gateway", "quote_literal",
]


def quote_literal(value: str) -> str:
    """A QBO query string literal: single quotes, with backslash-escaped quotes and backslashes."""
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


def _check_request_id(request_id: str) -> str:
    if not request_id or len(request_id) > MAX_REQUEST_ID:
        raise ValueError(f"request_id must be 1..{MAX_REQUEST_ID} characters")
    return request_id


class QuickBooksGateway:
    """Items, terms and customers found by name are remembered for `reference_ttl`, and forgotten at once when
    QuickBooks refuses a transaction for an invalid or inactive reference (or on `invalidate_references()`)."""

    def __init__(self, connection: QuickBooksConnection, *, clock: Clock | None = None,
                 reference_ttl: timedelta = REFERENCE_TTL) -> None:
        self._connection = connection
        self._clock = clock or SystemClock()
        self._references = ReferenceCache(clock=self._clock, ttl=reference_ttl)
        self._tax_codes: TimedCache[str, str] = TimedCache(clock=self._clock)
        self.guard = WriteGuard()

    def invalidate_references(self) -> None:
        """Forget every remembered item, term, customer and tax code (the next look-ups ask QuickBooks)."""
        self._references.clear()
        self._tax_codes.clear()

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
        cached = self._references.customer(display_name)
        if cached is not None:
            return cached
        row = self._first(f"SELECT * FROM Customer WHERE DisplayName = {quote_literal(display_name)}")
        return self._references.remember_customer(display_name, parse_customer(row)) if row else None

    def get_customer(self, customer_id: str) -> QboCustomer:
        return parse_customer(self._read("Customer", customer_id))

    def create_customer(self, display_name: str, *, request_id: str, email: str | None = None,
                        company_name: str | None = None, billing_address: QboAddress | None = None,
                        draft: QboCustomerDraft | None = None) -> QboCustomer:
        """`draft` (when given) says everything else: ship-to, tax status, currency."""
        draft = draft or QboCustomerDraft(display_name, company_name=company_name, email=email,
                                          billing_address=billing_address)
        created = parse_customer(self._create("Customer", customer_payload(draft), request_id))
        return self._references.remember_customer(display_name, created)

    def find_or_create_customer(self, display_name: str, *, request_id: str, email: str | None = None,
                                company_name: str | None = None, billing_address: QboAddress | None = None,
                                draft: QboCustomerDraft | None = None) -> QboCustomer:
        """Find by DisplayName, else create; a 6240 race (or an inactive holder) returns the existing one."""
        found = self.find_customer_by_display_name(display_name)
        if found is not None:
            return found
        try:
            return self.create_customer(display_name, request_id=request_id, email=email,
                                        company_name=company_name, billing_address=billing_address, draft=draft)
        except DuplicateNameError as duplicate:
            if duplicate.existing_id is None:
                raise
            return self._references.remember_customer(display_name, self.get_customer(duplicate.existing_id))

    # -- items and terms
    def find_item_by_name(self, name: str) -> QboItem | None:
        cached = self._references.item(name)
        if cached is not None:
            return cached
        # QuickBooks leaves Sku out of `SELECT *` unless it is named (as python-quickbooks' Item.all() does)
        row = self._first(f"SELECT *, Sku FROM Item WHERE Name = {quote_literal(name)}")
        return self._references.remember_item(name, parse_item(row)) if row else None

    def find_term_by_name(self, name: str) -> QboTerm | None:
        cached = self._references.term(name)
        if cached is not None:
            return cached
        row = self._first(f"SELECT * FROM Term WHERE Name = {quote_literal(name)}")
        return self._references.remember_term(name, parse_term(row)) if row else None

    # -- tax codes
    def find_tax_code_by_name(self, name: str) -> str | None:
        """The Id of the sales tax code named `name` (VAT/GST, or a US code without automated sales tax)."""
        cached = self._tax_codes.get(name.casefold(), max_age=self._references.ttl)
        if cached is not None:
            return cached
        row = self._first(f"SELECT * FROM TaxCode WHERE Name = {quote_literal(name)}")
        if row is None:
            return None
        self._tax_codes.put(name.casefold(), str(row["Id"]))
        return str(row["Id"])

    # -- whole lists, inactive entries included (readiness and the live check; never cached)
    def all_items(self) -> list[QboItem]:
        return [parse_item(row) for row in self._whole_list("Item")]

    def all_terms(self) -> list[QboTerm]:
        return [parse_term(row) for row in self._whole_list("Term")]

    def all_customers(self) -> list[QboCustomer]:
        return [parse_customer(row) for row in self._whole_list("Customer")]

    def preferences(self) -> QboPreferences:
        """The company's Preferences (GET .../preferences), e.g. whether custom transaction numbers are on."""
        data = self._connection.call(lambda qb: qb.get(f"{qb.api_url}/company/{qb.company_id}/preferences", {}))
        return parse_preferences(data["Preferences"])

    def _whole_list(self, entity: str) -> list[dict[str, Any]]:
        """Every row of a name list, page by page; name-list queries skip inactive rows unless Active is asked."""
        rows: list[dict[str, Any]] = []
        while True:
            columns = "*, Sku" if entity == "Item" else "*"        # QuickBooks leaves Sku out of `*`
            page = self.query(f"SELECT {columns} FROM {entity} WHERE Active IN (true, false) "
                              f"STARTPOSITION {len(rows) + 1} MAXRESULTS {LIST_PAGE}")
            rows += page
            if len(page) < LIST_PAGE:
                return rows

    # -- invoices
    def get_invoice(self, invoice_id: str) -> QboInvoice:
        return parse_invoice(self._read("Invoice", invoice_id), today=self._today())

    def find_invoice_by_doc_number(self, doc_number: str) -> QboInvoice | None:
        row = self._first(f"SELECT * FROM Invoice WHERE DocNumber = {quote_literal(doc_number)}")
        return parse_invoice(row, today=self._today()) if row else None

    def recent_invoices_of(self, customer_id: str, *, limit: int = LIST_PAGE) -> list[QboInvoice]:
        """The customer's newest invoices first (at most `limit`, one query): where an invoice QuickBooks numbered
        itself is found again by the key in its PrivateNote (PrivateNote cannot be filtered on)."""
        rows = self.query(f"SELECT * FROM Invoice WHERE CustomerRef = {quote_literal(customer_id)} "
                          f"ORDERBY MetaData.CreateTime DESC MAXRESULTS {min(limit, LIST_PAGE)}")
        return [parse_invoice(row, today=self._today()) for row in rows]

    def invoices_between(self, start: date, end: date) -> list[QboInvoice]:
        """Every invoice dated start..end (inclusive), page by page: what finance made by hand, for the shadow
        report."""
        found: list[QboInvoice] = []
        while True:
            rows = self.query(f"SELECT * FROM Invoice WHERE TxnDate >= '{start.isoformat()}' AND "
                              f"TxnDate <= '{end.isoformat()}' STARTPOSITION {len(found) + 1} MAXRESULTS {LIST_PAGE}")
            found += [parse_invoice(row, today=self._today()) for row in rows]
            if len(rows) < LIST_PAGE:
                return found

    def find_invoices_by_doc_numbers(self, doc_numbers: Iterable[str]) -> dict[str, QboInvoice]:
        """The invoices that already carry these DocNumbers (one query per 100), for recovery before a re-send."""
        wanted = sorted({number for number in doc_numbers if number})
        found: dict[str, QboInvoice] = {}
        for start in range(0, len(wanted), DOC_NUMBERS_PER_QUERY):
            listed = ", ".join(quote_literal(number) for number in wanted[start:start + DOC_NUMBERS_PER_QUERY])
            for row in self.query(f"SELECT * FROM Invoice WHERE DocNumber IN ({listed}) MAXRESULTS 1000"):
                found.setdefault(str(row["DocNumber"]), parse_invoice(row, today=self._today()))
        return found

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

    def changes_since(self, since: datetime) -> QboChanges:
        """Credit memos and invoices changed after `since`, deleted ones included, in ONE CDC call (QuickBooks
        looks back at most 30 days)."""
        if since.tzinfo is None:
            raise ValueError("since must be timezone-aware")
        stamp = since.isoformat(timespec="seconds")
        return parse_changes(self._connection.call(lambda qb: qb.change_data_capture(CHANGE_ENTITIES, stamp)))

    def create_invoice(self, draft: InvoiceDraft, *, request_id: str) -> QboInvoice:
        try:
            created = self._create("Invoice", invoice_payload(draft), request_id)
        except IntegrationError as error:
            self._forget_references_after(error)
            raise
        return parse_invoice(created, today=self._today())

    def create_invoices(self, batch: Sequence[tuple[str, InvoiceDraft]]) -> list[BatchOutcome]:
        """Up to 30 invoices in ONE POST /batch, each given as (idempotency key, draft); one outcome per operation,
        in order: InvoiceCreated, or InvoiceFailed with our error for that operation (6140, 2500, ...).

        A failure of the whole request (throttled, unavailable, refused) raises as any call does; sending the
        same operations again replays QuickBooks' first answer (see quickbooks_batch).
        """
        self.guard.check(vendor="quickbooks", what="a batch of invoices")
        request = invoice_batch(batch)
        body = dumps_exact(request.body)
        response = self._connection.call(
            lambda qb: qb.post(f"{qb.api_url}/company/{qb.company_id}/batch", body, request_id=request.request_id),
            batch=True)
        outcomes = batch_outcomes(request, response, today=self._today())
        for outcome in outcomes:
            if isinstance(outcome, InvoiceFailed):
                self._forget_references_after(outcome.error)
        return outcomes

    # -- credit memos (corrections)
    def create_credit_memo(self, draft: InvoiceDraft, *, request_id: str) -> QboCreditMemo:
        try:
            created = self._create("CreditMemo", credit_memo_payload(draft), request_id)
        except IntegrationError as error:
            self._forget_references_after(error)
            raise
        return parse_credit_memo(created)

    def get_credit_memo(self, credit_memo_id: str) -> QboCreditMemo:
        return parse_credit_memo(self._read("CreditMemo", credit_memo_id))

    def find_credit_memo_by_doc_number(self, doc_number: str) -> QboCreditMemo | None:
        row = self._first(f"SELECT * FROM CreditMemo WHERE DocNumber = {quote_literal(doc_number)}")
        return parse_credit_memo(row) if row else None

    def apply_credit_memo(self, application: CreditApplication, *, request_id: str) -> str:
        """The id of the zero payment that applies the credit memo to the invoice."""
        return str(self._create("Payment", application_payload(application), request_id)["Id"])

    def sparse_update_invoice(self, invoice_id: str, sync_token: str, fields: Mapping[str, Any], *,
                              request_id: str) -> QboInvoice:
        """Change only `fields` (QBO names, e.g. {"PrivateNote": "..."}); stale sync_token -> code 5010."""
        data = self._sparse_update("Invoice", invoice_id, sync_token, fields, request_id=request_id,
                                   what="an invoice update")
        return parse_invoice(data["Invoice"], today=self._today())

    def sparse_update_customer(self, customer_id: str, sync_token: str, fields: Mapping[str, Any], *,
                               request_id: str) -> QboCustomer:
        """Change only `fields` of a customer (e.g. {"Taxable": True}); stale sync_token -> code 5010."""
        data = self._sparse_update("Customer", customer_id, sync_token, fields, request_id=request_id,
                                   what="a customer update")
        self.invalidate_references()
        return parse_customer(data["Customer"])

    def _sparse_update(self, entity: str, object_id: str, sync_token: str, fields: Mapping[str, Any], *,
                       request_id: str, what: str) -> dict[str, Any]:
        reserved = [name for name in fields if name in RESERVED_UPDATE_FIELDS]
        if reserved or not fields:
            raise ValueError(f"fields must be non-empty and may not set {', '.join(RESERVED_UPDATE_FIELDS)}")
        self.guard.check(vendor="quickbooks", what=what)
        payload = {"Id": object_id, "SyncToken": sync_token, "sparse": True, **fields}
        body, rid = dumps_exact(payload), _check_request_id(request_id)
        data: dict[str, Any] = self._connection.call(lambda qb: qb.update_object(entity, body, request_id=rid))
        return data

    # -- plumbing
    def _forget_references_after(self, error: IntegrationError) -> None:
        if is_invalid_reference(error):
            self.invalidate_references()

    def _create(self, entity: str, payload: dict[str, Any], request_id: str) -> dict[str, Any]:
        self.guard.check(vendor="quickbooks", what=f"a new {entity}")
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
