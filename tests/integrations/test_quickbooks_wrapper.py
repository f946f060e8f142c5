"""QuickBooksGateway against the emulator, through the real intuit-oauth and python-quickbooks clients."""
from __future__ import annotations

import json
import socket
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from pyrate_limiter import Duration, Rate

from app.clock import FixedClock
from app.config import load_settings
from app.errors import (
    AuthenticationFailed,
    ConfigError,
    RateLimited,
    ThrottleFull,
    VendorNotFound,
    VendorUnavailable,
    VendorValidationError,
)
from app.integrations.exact_json import dumps_exact, loads_exact
from app.integrations.quickbooks import (
    DuplicateNameError,
    InvoiceDraft,
    InvoiceLineDraft,
    QboAddress,
    QuickBooksGateway,
    build_quickbooks_gateway,
    quote_literal,
)
from app.integrations.quickbooks_models import invoice_payload, parse_customer, parse_invoice
from app.integrations.throttle import DEFAULT_LIMITS, Limit, Throttle
from app.integrations.throttle_buckets import MemoryBuckets, throttle_for_database
from app.integrations.tokens import MemoryTokenStore, StoredTokens
from app.sandbox.quickbooks import (
    DEMO_CLIENT_ID,
    DEMO_CLIENT_SECRET,
    DemoCompany,
    QuickBooksState,
    ThrottleLimits,
)
from app.sandbox.server import RunningServer

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "quickbooks"
START = datetime(2024, 5, 1, 17, 0, tzinfo=UTC)  # where qbo_clock (tests/conftest.py) starts


@dataclass
class World:
    state: QuickBooksState
    server: RunningServer
    demo: DemoCompany
    clock: FixedClock
    store: MemoryTokenStore

    def gateway(self, *, throttle: Throttle | None = None, max_wait: float = 5.0,
                **overrides: object) -> QuickBooksGateway:
        settings = load_settings(**{
            "qbo_client_id": DEMO_CLIENT_ID, "qbo_client_secret": DEMO_CLIENT_SECRET,
            "qbo_refresh_token": self.demo.refresh_token, "qbo_realm_id": self.demo.realm_id,
            "qbo_api_url": self.server.url, "ledgerbridge_http_timeout": 5.0,
            "qbo_discovery_url": self.server.url + "/.well-known/openid_configuration", **overrides})
        return build_quickbooks_gateway(settings, token_store=self.store, clock=self.clock, throttle=throttle,
                                        max_wait=max_wait)

    def token_calls(self) -> int:
        return len(self.state.call_log(path_contains="/oauth2/v1/tokens/bearer"))


@pytest.fixture
def world(qbo_state: QuickBooksState, qbo_server: RunningServer, qbo_demo: DemoCompany,
          qbo_clock: FixedClock) -> World:
    return World(qbo_state, qbo_server, qbo_demo, qbo_clock, MemoryTokenStore())


def _draft(doc_number: str | None = "SF-0001", **overrides: object) -> InvoiceDraft:
    lines = (InvoiceLineDraft("2", "Annual subscription 2024", Decimal("1"), Decimal("12000.00")),
             InvoiceLineDraft("1", "Consulting", Decimal("3.5"), Decimal("150.33")))
    fields = {"customer_id": "1", "doc_number": doc_number, "txn_date": date(2024, 5, 1), "lines": lines,
              "terms_id": "2", **overrides}
    return InvoiceDraft(**fields)


# -- tokens -----------------------------------------------------------------------------------------

def test_first_call_refreshes_and_persists_the_rotated_refresh_token(world: World) -> None:
    world.state.settings.refresh_rotation = "strict"        # rotates on every refresh
    gateway = world.gateway()
    assert world.state.calls == []  # building the gateway does no network I/O
    assert gateway.find_term_by_name("Net 30").due_days == 30
    stored = world.store.load(world.demo.realm_id)
    assert stored is not None and stored.refresh_token != world.demo.refresh_token
    assert stored.refresh_token in world.state.refresh_tokens and stored.access_token
    assert stored.access_expires_at == START + timedelta(hours=1)


def test_expired_access_token_is_refreshed_once_and_the_call_retried(world: World) -> None:
    world.state.settings.refresh_rotation = "strict"
    gateway = world.gateway()
    gateway.get_customer("1")
    first_refresh = world.store.load(world.demo.realm_id).refresh_token
    world.clock.advance(timedelta(minutes=61))
    assert gateway.get_customer("1").display_name == "Acme Corporation"
    assert world.store.load(world.demo.realm_id).refresh_token not in (first_refresh, world.demo.refresh_token)
    statuses = [call.status for call in world.state.calls]
    assert statuses == [200, 200, 401, 200, 200]  # token, read, expired read, token, retried read


def test_a_stored_unexpired_access_token_is_reused_without_a_refresh(world: World) -> None:
    world.gateway().get_customer("1")
    world.gateway().get_customer("2")  # a second process with the same store
    assert world.token_calls() == 1


def test_store_wins_over_the_initial_refresh_token(world: World) -> None:
    world.state.settings.refresh_rotation = "strict"
    newer = world.state.issue_refresh_token(DEMO_CLIENT_ID, world.demo.realm_id)
    world.store.save(world.demo.realm_id, StoredTokens(refresh_token=newer))
    world.gateway(qbo_refresh_token="not-a-known-token").get_customer("1")
    assert world.state.refresh_tokens[newer].superseded_at == START


def test_intuit_keeps_the_refresh_token_for_a_day_and_the_new_one_is_stored_when_it_changes(world: World) -> None:
    gateway = world.gateway()                                   # the emulator's default: Intuit's behaviour
    gateway.get_customer("1")
    assert world.store.load(world.demo.realm_id).refresh_token == world.demo.refresh_token
    world.clock.advance(timedelta(hours=25))                    # access token expired, refresh token a day old
    gateway.get_customer("1")
    newest = world.store.load(world.demo.realm_id).refresh_token
    assert newest != world.demo.refresh_token and world.state.refresh_tokens[newest].superseded_at is None
    assert world.token_calls() == 2


def test_invalid_grant_asks_the_admin_to_reconnect_without_leaking_secrets(world: World) -> None:
    world.state.refresh_tokens[world.demo.refresh_token].revoked = True
    with pytest.raises(AuthenticationFailed) as caught:
        world.gateway().get_customer("1")
    message = str(caught.value)
    assert "reconnect" in message and caught.value.code == "invalid_grant"
    assert world.demo.refresh_token not in message and DEMO_CLIENT_SECRET not in message


def test_bad_client_secret_is_authentication_failed(world: World) -> None:
    with pytest.raises(AuthenticationFailed) as caught:
        world.gateway(qbo_client_secret="wrong").get_customer("1")
    assert caught.value.code == "invalid_client" and "QBO_CLIENT_SECRET" in str(caught.value)


# -- invoices ---------------------------------------------------------------------------------------

def test_create_invoice_sends_exact_decimals_and_returns_our_dataclass(world: World) -> None:
    gateway = world.gateway()
    invoice = gateway.create_invoice(_draft(), request_id="deal-006A-v1")
    assert invoice.total == Decimal("12526.16") and isinstance(invoice.balance, Decimal)
    assert invoice.due_date == date(2024, 5, 31) and invoice.terms_id == "2" and invoice.status == "Open"
    assert invoice.doc_number == "SF-0001" and invoice.customer_id == "1" and invoice.sync_token == "0"
    assert gateway.find_invoice_by_doc_number("SF-0001") == invoice
    assert gateway.get_invoice(invoice.id) == invoice
    assert gateway.find_invoice_by_doc_number("nope") is None
    assert world.state.calls[1].query["requestid"] == "deal-006A-v1"


def test_same_request_id_creates_one_invoice(world: World) -> None:
    gateway = world.gateway()
    first = gateway.create_invoice(_draft(), request_id="deal-006B-v1")
    second = gateway.create_invoice(_draft(), request_id="deal-006B-v1")
    assert first == second and len(world.state.objects(world.demo.realm_id, "Invoice")) == 1


def test_lost_response_then_retry_with_the_same_request_id_finds_the_invoice(world: World) -> None:
    gateway = world.gateway()
    world.state.inject_fault("lost_response", path_contains="invoice")
    with pytest.raises(VendorUnavailable) as caught:
        gateway.create_invoice(_draft(), request_id="deal-006C-v1")
    assert caught.value.retryable
    assert gateway.create_invoice(_draft(), request_id="deal-006C-v1").doc_number == "SF-0001"
    assert len(world.state.objects(world.demo.realm_id, "Invoice")) == 1


def test_status_overdue_and_paid(world: World) -> None:
    gateway = world.gateway()
    invoice = gateway.create_invoice(_draft(terms_id="1"), request_id="r-overdue")
    world.clock.set(datetime(2024, 5, 17, 12, tzinfo=UTC))
    world.state.settings.access_token_lifetime = timedelta(days=365)
    assert gateway.get_invoice(invoice.id).status == "Overdue"
    world.state.seed(world.demo.realm_id, "Payment", {
        "CustomerRef": {"value": "1"}, "TotalAmt": "12526.16",
        "Line": [{"Amount": "12526.16", "LinkedTxn": [{"TxnId": invoice.id, "TxnType": "Invoice"}]}]})
    paid = gateway.get_invoice(invoice.id)
    assert paid.status == "Paid" and paid.balance == Decimal("0.00") and paid.sync_token == "1"


def test_sparse_update_and_stale_sync_token(world: World) -> None:
    gateway = world.gateway()
    invoice = gateway.create_invoice(_draft(), request_id="r-sparse")
    updated = gateway.sparse_update_invoice(invoice.id, invoice.sync_token, {"PrivateNote": "approved by U1"},
                                            request_id="r-sparse-1")
    assert updated.private_note == "approved by U1" and updated.sync_token == "1" and updated.total == invoice.total
    with pytest.raises(VendorValidationError) as caught:
        gateway.sparse_update_invoice(invoice.id, invoice.sync_token, {"PrivateNote": "x"}, request_id="r-sparse-2")
    assert caught.value.code == "5010" and not caught.value.retryable
    with pytest.raises(ValueError):
        gateway.sparse_update_invoice(invoice.id, "1", {"SyncToken": "9"}, request_id="r-sparse-3")


def test_duplicate_doc_number_and_missing_invoice(world: World) -> None:
    gateway = world.gateway()
    gateway.create_invoice(_draft(), request_id="r-dup-1")
    with pytest.raises(VendorValidationError) as duplicate:
        gateway.create_invoice(_draft(), request_id="r-dup-2")
    assert duplicate.value.code == "6140"
    with pytest.raises(VendorNotFound):
        gateway.get_invoice("999")


# -- customers, items, terms ------------------------------------------------------------------------

def test_find_or_create_customer(world: World) -> None:
    gateway = world.gateway()
    address = QboAddress(line1="1 Main St", city="Boston", region="MA", postal_code="02101", country="USA")
    created = gateway.find_or_create_customer("O'Brien & Sons", email="ap@obrien.example", company_name="O'Brien",
                                              billing_address=address, request_id="cust-1")
    assert created.email == "ap@obrien.example" and created.billing_address == address
    again = gateway.find_or_create_customer("o'brien & sons", request_id="cust-2")
    assert again.id == created.id and len(world.state.objects(world.demo.realm_id, "Customer")) == 4


def test_find_or_create_recovers_an_inactive_holder_through_6240(world: World) -> None:
    hidden = world.state.seed(world.demo.realm_id, "Customer", {"DisplayName": "Dormant Co", "Active": False})
    gateway = world.gateway()
    assert gateway.find_customer_by_display_name("Dormant Co") is None  # QBO hides inactive names
    with pytest.raises(DuplicateNameError) as caught:
        gateway.create_customer("Dormant Co", request_id="cust-3")
    assert caught.value.existing_id == hidden["Id"] and caught.value.code == "6240"
    found = gateway.find_or_create_customer("Dormant Co", request_id="cust-4")
    assert found.id == hidden["Id"] and found.active is False


def test_find_item_and_term(world: World) -> None:
    gateway = world.gateway()
    item = gateway.find_item_by_name("Support Plan")
    assert item is not None and item.sku == "SUPPORT" and item.unit_price == Decimal("2400.00")
    assert gateway.find_item_by_name("Nope") is None
    assert gateway.find_term_by_name("Due on receipt").due_days == 0
    assert gateway.count("Item") == 6             # the four products and the two items corrections credit


# -- error translation ------------------------------------------------------------------------------

def test_throttle_json_and_xml_are_rate_limited(world: World) -> None:
    gateway = world.gateway()
    gateway.get_customer("1")
    world.state.inject_fault("throttle")
    with pytest.raises(RateLimited) as json_variant:
        gateway.get_customer("1")
    world.state.settings.xml_throttle = True
    world.state.set_limits(ThrottleLimits(per_app_per_second=1))
    gateway.get_customer("1")
    with pytest.raises(RateLimited) as xml_variant:
        gateway.get_customer("1")
    assert json_variant.value.retry_after == 60 and xml_variant.value.retryable


def _two_per_minute() -> dict[str, Limit]:
    return {**DEFAULT_LIMITS, "quickbooks_realm": Limit("quickbooks_realm", "quickbooks", (Rate(2, Duration.MINUTE),))}


def test_a_full_client_throttle_raises_throttle_full_and_sends_nothing(world: World) -> None:
    gateway = world.gateway(throttle=Throttle(MemoryBuckets(), limits=_two_per_minute()), max_wait=0)
    gateway.get_customer("1")
    gateway.get_customer("2")
    sent = len(world.state.calls)
    with pytest.raises(ThrottleFull) as caught:
        gateway.get_customer("1")
    assert isinstance(caught.value, RateLimited) and 50 < caught.value.retry_after <= 60.001
    assert caught.value.key == f"quickbooks_realm:{world.demo.realm_id}" and len(world.state.calls) == sent


def test_gateways_on_one_postgres_throttle_count_together(world: World, fresh_pg_database: str) -> None:
    shared = [throttle_for_database(fresh_pg_database, limits=_two_per_minute()) for _ in range(2)]
    try:
        first, second = (world.gateway(throttle=throttle, max_wait=0) for throttle in shared)
        first.get_customer("1")
        second.get_customer("2")
        with pytest.raises(ThrottleFull):
            first.get_customer("1")
        with pytest.raises(ThrottleFull):
            second.get_customer("1")
    finally:
        for throttle in shared:
            throttle.close()


def test_server_error_timeout_and_connection_refused_are_unavailable(world: World) -> None:
    gateway = world.gateway(ledgerbridge_http_timeout=0.3)
    gateway.get_customer("1")
    world.state.inject_fault("error")
    with pytest.raises(VendorUnavailable):
        gateway.get_customer("1")
    world.state.inject_fault("timeout", delay=0.8)
    with pytest.raises(VendorUnavailable) as timed_out:
        gateway.get_customer("1")
    assert "in time" in str(timed_out.value)
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed = f"http://127.0.0.1:{probe.getsockname()[1]}"
    with pytest.raises(VendorUnavailable):
        world.gateway(qbo_discovery_url=closed + "/.well-known/openid_configuration").get_customer("1")


def test_plain_http_to_a_remote_host_is_refused() -> None:
    settings = load_settings(qbo_client_id="c", qbo_client_secret="s", qbo_realm_id="1", qbo_refresh_token="r",
                             qbo_api_url="http://quickbooks.example.com", qbo_discovery_url="http://127.0.0.1:9/x")
    with pytest.raises(ConfigError):
        build_quickbooks_gateway(settings, token_store=MemoryTokenStore())


def test_check_connection_reads_the_company(world: World) -> None:
    assert world.gateway().check_connection() == "Ledgerbridge Demo Company"


# -- pure helpers and fixtures ----------------------------------------------------------------------

def test_quote_literal_escapes_quotes_and_backslashes() -> None:
    assert quote_literal("O'Brien") == "'O\\'Brien'"
    assert quote_literal("a\\b") == "'a\\\\b'"


def test_dumps_exact_keeps_decimal_digits_and_refuses_floats() -> None:
    assert dumps_exact({"Amount": Decimal("100.10"), "Qty": Decimal("3.5"), "Name": "x"}) == \
        '{"Amount":100.10,"Qty":3.5,"Name":"x"}'
    assert loads_exact('{"a": 0.1}')["a"] == Decimal("0.1")
    with pytest.raises(TypeError):
        dumps_exact({"Amount": 0.1})


def test_invoice_payload_rounds_line_amounts_to_the_cent() -> None:
    payload = invoice_payload(_draft())
    assert payload["Line"][1]["Amount"] == Decimal("526.16")
    assert payload["SalesTermRef"] == {"value": "2"} and "DueDate" not in payload


def test_real_fixtures_parse_into_our_dataclasses() -> None:
    invoice = parse_invoice(json.loads((FIXTURES / "invoice_create_response.json").read_text(),
                                       parse_float=Decimal)["Invoice"], today=date(2020, 11, 1))
    assert invoice.total == Decimal("100.00") and invoice.status == "Overdue" and invoice.doc_number == "1043"
    customer = parse_customer(json.loads((FIXTURES / "customer_read_response.json").read_text())["Customer"])
    assert customer.email == "Dukes_bball@intuit.com" and customer.billing_address.city == "Tucson"
