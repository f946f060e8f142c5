"""Fewer QuickBooks calls: names remembered (and forgotten on an invalid reference), invoices in one batch,
DocNumbers recovered in one query. Against the emulator through intuit-oauth and python-quickbooks."""
from __future__ import annotations

import json
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from pyrate_limiter import Duration, Rate

from app.clock import FixedClock
from app.config import load_settings
from app.errors import RateLimited, ThrottleFull, VendorNotFound, VendorUnavailable, VendorValidationError
from app.integrations.quickbooks import (
    DuplicateDocNumberError,
    InvoiceCreated,
    InvoiceDraft,
    InvoiceFailed,
    InvoiceLineDraft,
    QuickBooksGateway,
    build_quickbooks_gateway,
)
from app.integrations.quickbooks_batch import invoice_batch
from app.integrations.quickbooks_errors import translate_fault
from app.integrations.throttle import DEFAULT_LIMITS, Limit, Throttle
from app.integrations.throttle_buckets import MemoryBuckets
from app.integrations.tokens import MemoryTokenStore
from app.sandbox.quickbooks import DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, DemoCompany, QuickBooksState, ThrottleLimits
from app.sandbox.server import RunningServer

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "quickbooks"


class Emulated:
    def __init__(self, state: QuickBooksState, server: RunningServer, demo: DemoCompany, clock: FixedClock) -> None:
        self.state, self.server, self.demo, self.clock = state, server, demo, clock

    def gateway(self, throttle: Throttle | None = None) -> QuickBooksGateway:
        settings = load_settings(qbo_client_id=DEMO_CLIENT_ID, qbo_client_secret=DEMO_CLIENT_SECRET,
                                 qbo_refresh_token=self.demo.refresh_token, qbo_realm_id=self.demo.realm_id,
                                 qbo_api_url=self.server.url, ledgerbridge_http_timeout=5.0,
                                 qbo_discovery_url=self.server.url + "/.well-known/openid_configuration")
        return build_quickbooks_gateway(settings, token_store=MemoryTokenStore(), clock=self.clock,
                                        throttle=throttle, max_wait=0)

    def api_calls(self, path: str) -> list:
        return [call for call in self.state.call_log(path_contains=path) if call.path.startswith("/v3/")]

    def objects(self, entity: str) -> list[dict]:
        return self.state.objects(self.demo.realm_id, entity)

    def change(self, entity: str, object_id: str, **fields: object) -> None:
        """What someone does in QuickBooks' own screens (the emulator's book, not through our code)."""
        with self.state.lock:
            self.state.book(self.demo.realm_id).objects[entity][object_id].update(fields)


@pytest.fixture
def emu(qbo_state: QuickBooksState, qbo_server: RunningServer, qbo_demo: DemoCompany,
        qbo_clock: FixedClock) -> Emulated:
    qbo_state.settings.access_token_lifetime = timedelta(days=1)  # the clock moves past cache expiries
    return Emulated(qbo_state, qbo_server, qbo_demo, qbo_clock)


def _draft(doc_number: str, *, item_id: str = "2", terms_id: str | None = "2") -> InvoiceDraft:
    line = InvoiceLineDraft(item_id, "Annual subscription", Decimal("1"), Decimal("12000.00"))
    return InvoiceDraft(customer_id="1", doc_number=doc_number, txn_date=date(2024, 5, 1), lines=(line,),
                        terms_id=terms_id)


# -- remembered names -------------------------------------------------------------------------------

def test_items_and_terms_are_asked_once_within_ten_minutes(emu: Emulated) -> None:
    gateway = emu.gateway()
    assert gateway.find_item_by_name("Support Plan").sku == "SUPPORT"
    assert gateway.find_item_by_name("support plan").sku == "SUPPORT"  # QuickBooks compares names without case
    assert gateway.find_term_by_name("Net 30").due_days == 30
    assert gateway.find_term_by_name("Net 30").due_days == 30
    assert len(emu.api_calls("/query")) == 2
    emu.clock.advance(timedelta(minutes=10, seconds=1))
    gateway.find_item_by_name("Support Plan")
    assert len(emu.api_calls("/query")) == 3


def test_names_not_found_are_asked_again(emu: Emulated) -> None:
    gateway = emu.gateway()
    assert gateway.find_item_by_name("Training") is None
    emu.state.seed(emu.demo.realm_id, "Item", {"Name": "Training", "Type": "Service",
                                               "IncomeAccountRef": {"value": "79"}})
    assert gateway.find_item_by_name("Training").name == "Training"


def test_customers_found_or_created_are_remembered(emu: Emulated) -> None:
    gateway = emu.gateway()
    acme = gateway.find_or_create_customer("Acme Corporation", request_id="c-1")
    assert gateway.find_or_create_customer("ACME corporation", request_id="c-2") == acme
    created = gateway.find_or_create_customer("Hooli", request_id="c-3")
    assert gateway.find_customer_by_display_name("Hooli") == created
    assert len(emu.api_calls("/query")) == 2 and len(emu.api_calls("/customer")) == 1  # Acme, Hooli; one create


def test_an_item_made_inactive_forgets_the_remembered_names(emu: Emulated) -> None:
    gateway = emu.gateway()
    item = gateway.find_item_by_name("Annual Subscription")
    gateway.find_term_by_name("Net 30")
    emu.change("Item", item.id, Active=False)
    with pytest.raises(VendorNotFound) as caught:
        gateway.create_invoice(_draft("SF-1", item_id=item.id), request_id="inactive-1")
    assert caught.value.code == "610"
    queries = len(emu.api_calls("/query"))
    assert gateway.find_item_by_name("Annual Subscription") is None  # asked again; QuickBooks hides it now
    assert gateway.find_term_by_name("Net 30") is not None
    assert len(emu.api_calls("/query")) == queries + 2


def test_a_deleted_term_is_an_invalid_reference_that_forgets_them_too(emu: Emulated) -> None:
    gateway = emu.gateway()
    term = gateway.find_term_by_name("Net 60")
    with emu.state.lock:
        del emu.state.book(emu.demo.realm_id).objects["Term"][term.id]
    with pytest.raises(VendorValidationError) as caught:
        gateway.create_invoice(_draft("SF-2", terms_id=term.id), request_id="deleted-1")
    assert caught.value.code == "2500"
    assert gateway.find_term_by_name("Net 60") is None


def test_invalidate_references_on_demand(emu: Emulated) -> None:
    gateway = emu.gateway()
    gateway.find_item_by_name("Implementation")
    gateway.invalidate_references()
    gateway.find_item_by_name("Implementation")
    assert len(emu.api_calls("/query")) == 2


# -- batch ------------------------------------------------------------------------------------------

def test_one_batch_request_creates_each_invoice_or_says_why_not(emu: Emulated) -> None:
    gateway = emu.gateway()
    existing = gateway.create_invoice(_draft("SF-10"), request_id="single-10")
    outcomes = gateway.create_invoices([("deal-11", _draft("SF-11")), ("deal-10", _draft("SF-10")),
                                        ("deal-12", _draft("SF-12", terms_id=None))])
    assert [type(o) for o in outcomes] == [InvoiceCreated, InvoiceFailed, InvoiceCreated]
    assert [o.key for o in outcomes] == ["deal-11", "deal-10", "deal-12"]
    assert outcomes[0].invoice.doc_number == "SF-11" and outcomes[0].invoice.total == Decimal("12000.00")
    duplicate = outcomes[1].error
    assert isinstance(duplicate, DuplicateDocNumberError) and duplicate.existing_txn_id == existing.id
    [batch_call] = emu.api_calls("/batch")
    assert batch_call.query["requestid"].startswith("batch-") and len(batch_call.query["requestid"]) <= 36
    assert len(emu.objects("Invoice")) == 3


def test_the_same_operations_sent_again_replay_whatever_their_order(emu: Emulated) -> None:
    gateway = emu.gateway()
    operations = [("deal-21", _draft("SF-21")), ("deal-22", _draft("SF-22"))]
    first = gateway.create_invoices(operations)
    again = gateway.create_invoices(list(reversed(operations)))
    assert {o.key: o.invoice for o in again} == {o.key: o.invoice for o in first}
    assert len(emu.objects("Invoice")) == 2
    assert len({call.query["requestid"] for call in emu.api_calls("/batch")}) == 1


def test_a_lost_batch_answer_is_recovered_by_doc_number_then_replayed(emu: Emulated) -> None:
    gateway = emu.gateway()
    operations = [("deal-31", _draft("SF-31")), ("deal-32", _draft("O'Neil-32"))]
    emu.state.inject_fault("lost_response", path_contains="batch")
    with pytest.raises(VendorUnavailable):
        gateway.create_invoices(operations)
    found = gateway.find_invoices_by_doc_numbers(["SF-31", "O'Neil-32", "SF-99", ""])
    assert sorted(found) == ["O'Neil-32", "SF-31"] and len(emu.api_calls("/query")) == 1
    replayed = gateway.create_invoices(operations)
    assert [o.invoice.id for o in replayed] == [found["SF-31"].id, found["O'Neil-32"].id]
    assert len(emu.objects("Invoice")) == 2
    assert gateway.find_invoices_by_doc_numbers([]) == {} and len(emu.api_calls("/query")) == 1


def test_a_batch_is_1_to_30_operations_with_distinct_keys(emu: Emulated) -> None:
    gateway = emu.gateway()
    with pytest.raises(ValueError, match="1 to 30"):
        gateway.create_invoices([(f"deal-{n}", _draft(f"SF-{n}")) for n in range(31)])
    with pytest.raises(ValueError, match="1 to 30"):
        gateway.create_invoices([])
    with pytest.raises(ValueError, match="own"):
        gateway.create_invoices([("deal-1", _draft("SF-1")), ("deal-1", _draft("SF-2"))])
    assert emu.api_calls("/batch") == []
    thirty = gateway.create_invoices([(f"deal-{n}", _draft(f"SF-{n}")) for n in range(30)])
    assert all(isinstance(o, InvoiceCreated) for o in thirty) and len(emu.objects("Invoice")) == 30


def test_request_id_and_bids_fit_intuits_lengths() -> None:
    batch = invoice_batch([(f"deal-{n}-{'x' * 40}", _draft(f"SF-{n}")) for n in range(30)])
    assert len(batch.request_id) == 36 and all(len(bid) <= 10 for bid in batch.keys_by_bid)
    assert invoice_batch(list(reversed([("a", _draft("1")), ("b", _draft("2"))]))).request_id == \
        invoice_batch([("a", _draft("1")), ("b", _draft("2"))]).request_id


def test_a_batch_takes_a_batch_slot_of_the_client_throttle(emu: Emulated) -> None:
    limits = {**DEFAULT_LIMITS, "quickbooks_batch": Limit("quickbooks_batch", "quickbooks",
                                                          (Rate(1, Duration.MINUTE),))}
    gateway = emu.gateway(Throttle(MemoryBuckets(), limits=limits))
    gateway.create_invoices([("deal-41", _draft("SF-41"))])
    with pytest.raises(ThrottleFull) as caught:
        gateway.create_invoices([("deal-42", _draft("SF-42"))])
    assert caught.value.key.startswith("quickbooks_batch:") and len(emu.api_calls("/batch")) == 1
    gateway.get_customer("1")  # single calls still go


def test_quickbooks_batch_throttle_raises_rate_limited_for_the_whole_batch(emu: Emulated) -> None:
    emu.state.set_limits(ThrottleLimits(batch_per_minute=1))
    gateway = emu.gateway()
    gateway.create_invoices([("deal-51", _draft("SF-51"))])
    with pytest.raises(RateLimited) as caught:
        gateway.create_invoices([("deal-52", _draft("SF-52"))])
    assert caught.value.retry_after == 60 and not isinstance(caught.value, ThrottleFull)
    assert len(emu.objects("Invoice")) == 1


def test_batch_faults_of_the_real_fixture_translate_like_single_calls() -> None:
    items = json.loads((FIXTURES / "batch_response_success_610_5010_query.json").read_text())["BatchItemResponse"]
    not_found, stale = (translate_fault(item["Fault"]) for item in items if "Fault" in item)
    assert isinstance(not_found, VendorNotFound) and not_found.code == "610"
    assert isinstance(stale, VendorValidationError) and stale.code == "5010" and "Stale" in str(stale)
    assert isinstance(translate_fault({"Error": [{"Message": "no code"}]}), VendorUnavailable)
