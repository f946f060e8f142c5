"""The QuickBooks emulator driven by the REAL intuit-oauth and python-quickbooks clients over HTTP."""
from __future__ import annotations

import json
import time
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest
import requests
from intuitlib.client import AuthClient
from intuitlib.exceptions import AuthClientError
from quickbooks import QuickBooks
from quickbooks.batch import batch_create
from quickbooks.exceptions import (
    AuthorizationException,
    ObjectNotFoundException,
    QuickbooksException,
    SevereException,
    ValidationException,
)
from quickbooks.objects.customer import Customer
from quickbooks.objects.invoice import Invoice
from quickbooks.objects.item import Item

from app.clock import FixedClock
from app.integrations.http import LoopbackHttpAdapter
from app.sandbox.quickbooks import (
    DEMO_CLIENT_ID,
    DEMO_CLIENT_SECRET,
    DemoCompany,
    QuickBooksState,
    ThrottleLimits,
    create_quickbooks_emulator,
)
from app.sandbox.quickbooks.faults import QboFault
from app.sandbox.quickbooks.query import Condition, parse_query
from app.sandbox.server import RunningServer, serve_in_thread

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "quickbooks"


@dataclass
class Emu:
    state: QuickBooksState
    server: RunningServer
    demo: DemoCompany
    clock: FixedClock

    @property
    def discovery(self) -> str:
        return self.server.url + "/.well-known/openid_configuration"

    def auth(self, secret: str = DEMO_CLIENT_SECRET) -> AuthClient:
        return AuthClient(DEMO_CLIENT_ID, secret, "http://localhost/cb", environment=self.discovery)

    def qb(self, auth: AuthClient | None = None, *, timeout: float = 5.0) -> QuickBooks:
        """Variant B of contracts 2.2: https URLs on the client, rewritten to the http emulator."""
        auth = auth or self.auth()
        client = QuickBooks(auth_client=auth, refresh_token=auth.refresh_token or self.demo.refresh_token,
                            company_id=self.demo.realm_id, minorversion=75)
        netloc = self.server.url.split("://", 1)[1]
        client.api_url_v3 = f"https://{netloc}/v3"
        client.session.mount(f"https://{netloc}", LoopbackHttpAdapter(self.server.url, timeout))
        return client

    def raw(self, method: str, path: str, token: str, **kwargs) -> requests.Response:
        url = f"{self.server.url}/v3/company/{self.demo.realm_id}/{path}"
        return requests.request(method, url, headers={"Authorization": f"Bearer {token}"}, timeout=5, **kwargs)


@pytest.fixture
def emu(qbo_state: QuickBooksState, qbo_server: RunningServer, qbo_demo: DemoCompany, qbo_clock: FixedClock) -> Emu:
    return Emu(qbo_state, qbo_server, qbo_demo, qbo_clock)


def _fixture(name: str) -> dict:
    return json.loads((FIXTURES / name).read_text())


def _invoice_body(customer_id: str = "1", amount: str = "300.00", **extra: object) -> str:
    line = {"DetailType": "SalesItemLineDetail", "Amount": amount,
            "SalesItemLineDetail": {"ItemRef": {"value": "1"}, "Qty": 2, "UnitPrice": str(Decimal(amount) / 2)}}
    return json.dumps({"CustomerRef": {"value": customer_id}, "Line": [line], **extra})


# -- OAuth ------------------------------------------------------------------------------------------

def test_discovery_and_refresh_happen_when_the_real_clients_are_built(emu: Emu) -> None:
    auth = emu.auth()
    assert auth.token_endpoint == emu.server.url + "/oauth2/v1/tokens/bearer"
    assert set(_fixture("openid_sandbox_configuration.json")) <= set(json.loads(
        requests.get(emu.discovery, timeout=5).text))
    emu.qb(auth)
    assert auth.access_token and auth.expires_in == 3600 and auth.x_refresh_token_expires_in > 0
    assert auth.refresh_token == emu.demo.refresh_token  # Intuit returns the same refresh token for about a day
    assert [(c.method, c.path, c.status) for c in emu.state.calls] == [("POST", "/oauth2/v1/tokens/bearer", 200)]


def test_token_response_has_the_fixture_keys(emu: Emu) -> None:
    response = requests.post(emu.server.url + "/oauth2/v1/tokens/bearer", auth=(DEMO_CLIENT_ID, DEMO_CLIENT_SECRET),
                             data={"grant_type": "refresh_token", "refresh_token": emu.demo.refresh_token}, timeout=5)
    expected = set(_fixture("oauth_token_response.json")) - {"id_token"}
    assert response.status_code == 200 and set(response.json()) == expected
    assert response.json()["token_type"] == "bearer"


def test_strict_mode_rotated_refresh_token_works_within_grace_then_invalid_grant(emu: Emu) -> None:
    emu.state.settings.refresh_rotation = "strict"
    emu.state.settings.strict_refresh_grace = timedelta(seconds=10)
    emu.auth().refresh(refresh_token=emu.demo.refresh_token)
    emu.clock.advance(timedelta(seconds=5))
    emu.auth().refresh(refresh_token=emu.demo.refresh_token)  # a concurrent refresher still succeeds
    emu.clock.advance(timedelta(seconds=6))
    with pytest.raises(AuthClientError) as caught:
        emu.auth().refresh(refresh_token=emu.demo.refresh_token)
    assert caught.value.status_code == 400
    assert json.loads(caught.value.content) == _fixture("oauth_token_error_invalid_grant.json")


def test_bad_client_secret_is_invalid_client(emu: Emu) -> None:
    with pytest.raises(AuthClientError) as caught:
        emu.auth(secret="wrong").refresh(refresh_token=emu.demo.refresh_token)
    assert caught.value.status_code == 401 and json.loads(caught.value.content) == {"error": "invalid_client"}


def test_revoked_refresh_token_is_invalid_grant(emu: Emu) -> None:
    auth = emu.auth()
    auth.refresh(refresh_token=emu.demo.refresh_token)
    assert auth.revoke(token=auth.refresh_token)
    with pytest.raises(AuthClientError) as caught:
        emu.auth().refresh(refresh_token=auth.refresh_token)
    assert caught.value.status_code == 400


def test_authorization_code_grant(emu: Emu) -> None:
    code = emu.state.issue_auth_code(DEMO_CLIENT_ID, emu.demo.realm_id)
    auth = emu.auth()
    auth.get_bearer_token(code, realm_id=emu.demo.realm_id)
    assert auth.access_token and auth.refresh_token
    with pytest.raises(AuthClientError):
        emu.auth().get_bearer_token(code)  # single use


def test_expired_access_token_gets_the_real_lower_case_401(emu: Emu) -> None:
    qb = emu.qb()
    emu.clock.advance(timedelta(seconds=3601))
    with pytest.raises(AuthorizationException) as caught:
        Customer.get(1, qb=qb)
    assert caught.value.error_code == 401
    body = json.loads(caught.value.detail)
    assert set(body) == set(_fixture("fault_401_3200_authentication_failed.json"))
    assert body["fault"]["error"][0]["code"] == "3200" and body["fault"]["type"] == "AUTHENTICATION"


def test_unknown_realm_is_forbidden_with_a_code(emu: Emu) -> None:
    qb = emu.qb()
    qb.company_id = "404404"
    with pytest.raises(ValidationException) as caught:
        Customer.get(1, qb=qb)
    assert caught.value.error_code == 3100


# -- entities ---------------------------------------------------------------------------------------

def test_create_read_sparse_update_and_stale_sync_token(emu: Emu) -> None:
    emu.state.set_custom_txn_numbers(emu.demo.realm_id, False)   # QuickBooks numbers sales forms itself
    qb = emu.qb()
    created = qb.create_object("Invoice", _invoice_body(SalesTermRef={"value": "2"}, TxnDate="2024-05-01"),
                               request_id="inv-1")["Invoice"]
    assert created["SyncToken"] == "0" and created["DocNumber"] == "1001"
    assert created["TotalAmt"] == 300 and created["Balance"] == 300 and created["DueDate"] == "2024-05-31"
    assert created["Line"][-1] == {"Amount": 300, "DetailType": "SubTotalLineDetail", "SubTotalLineDetail": {}}
    assert set(_fixture("invoice_create_response.json")["Invoice"]) - set(created) == {"CustomField"}
    assert Invoice.get(created["Id"], qb=qb).DocNumber == "1001"
    updated = qb.update_object("Invoice", json.dumps({"Id": created["Id"], "SyncToken": "0", "sparse": True,
                                                      "PrivateNote": "approved"}))["Invoice"]
    assert updated["SyncToken"] == "1" and updated["PrivateNote"] == "approved" and updated["TotalAmt"] == 300
    with pytest.raises(QuickbooksException) as caught:
        qb.update_object("Invoice", json.dumps({"Id": created["Id"], "SyncToken": "0", "sparse": True,
                                                "PrivateNote": "late"}))
    assert caught.value.error_code == 5010 and type(caught.value) is QuickbooksException


def test_doc_numbers_follow_the_custom_transaction_numbers_preference(emu: Emu) -> None:
    qb = emu.qb()
    custom = qb.create_object("Invoice", _invoice_body(), request_id="num-1")["Invoice"]
    assert "DocNumber" not in custom                          # on, none sent: QuickBooks leaves it empty
    assert qb.get(f"{qb.api_url}/company/{qb.company_id}/preferences", {})["Preferences"]["SalesFormsPrefs"][
        "CustomTxnNumbers"] is True
    emu.state.set_custom_txn_numbers(emu.demo.realm_id, False)
    numbered = [qb.create_object("Invoice", _invoice_body(), request_id=f"num-{n}")["Invoice"]["DocNumber"]
                for n in (2, 3)]
    assert numbered == ["1001", "1002"]                       # off: its own sequence, the last number plus one
    sent = qb.create_object("Invoice", _invoice_body(DocNumber="1002"), request_id="num-4")["Invoice"]
    assert sent["DocNumber"] == "1002"                        # off: a sent number is kept and not checked
    emu.state.set_custom_txn_numbers(emu.demo.realm_id, True)
    with pytest.raises(QuickbooksException) as caught:
        qb.create_object("Invoice", _invoice_body(DocNumber="1001"), request_id="num-5")
    assert caught.value.error_code == 6140                    # on: duplicates are refused


def test_library_objects_with_empty_string_defaults_are_accepted(emu: Emu) -> None:
    qb = emu.qb()
    invoice = Invoice.from_json(json.loads(_invoice_body()))
    saved = invoice.save(qb=qb, request_id="lib-obj-1")
    assert invoice.Id == saved.Id and saved.TxnDate == "2024-05-01" and saved.DueDate == "2024-05-01"
    missing = emu.state.get_object(emu.demo.realm_id, "Invoice", "999")
    assert missing is None
    with pytest.raises(ObjectNotFoundException) as caught:
        Invoice.get(999, qb=qb)
    assert caught.value.error_code == 610


def test_invoice_rules_amount_check_and_duplicate_doc_number(emu: Emu) -> None:
    qb = emu.qb()
    qb.create_object("Invoice", _invoice_body(DocNumber="A-1"))
    with pytest.raises(QuickbooksException) as duplicate:
        qb.create_object("Invoice", _invoice_body(DocNumber="A-1"))
    assert duplicate.value.error_code == 6140 and "TxnId=1" in duplicate.value.detail
    bad = json.loads(_invoice_body())
    bad["Line"][0]["Amount"] = "299.00"
    with pytest.raises(QuickbooksException) as mismatch:
        qb.create_object("Invoice", json.dumps(bad))
    assert mismatch.value.error_code == 6070
    emu.state.settings.rules = type(emu.state.settings.rules)(check_doc_numbers=False)
    assert qb.create_object("Invoice", _invoice_body(DocNumber="A-1"))["Invoice"]["DocNumber"] == "A-1"


def test_payment_reduces_balance_and_bumps_the_invoice(emu: Emu) -> None:
    qb = emu.qb()
    invoice = qb.create_object("Invoice", _invoice_body(amount="1000.10"))["Invoice"]
    payment = {"CustomerRef": {"value": "1"}, "TotalAmt": "400.05",
               "Line": [{"Amount": "400.05", "LinkedTxn": [{"TxnId": invoice["Id"], "TxnType": "Invoice"}]}]}
    qb.create_object("Payment", json.dumps(payment))
    after = Invoice.get(invoice["Id"], qb=qb)
    stored = emu.state.get_object(emu.demo.realm_id, "Invoice", invoice["Id"])
    assert stored["Balance"] == Decimal("600.05") and after.SyncToken == "1"
    assert after.LinkedTxn[0].TxnType == "Payment"
    payment["TotalAmt"] = payment["Line"][0]["Amount"] = "700.00"
    with pytest.raises(QuickbooksException) as caught:
        qb.create_object("Payment", json.dumps(payment))
    assert caught.value.error_code == 6000


def test_duplicate_display_name_is_6240_with_the_existing_id(emu: Emu) -> None:
    qb = emu.qb()
    first = Customer()
    first.DisplayName = "Doe5, Jane"
    first.save(qb=qb)
    second = Customer()
    second.DisplayName = "doe5, jane"
    with pytest.raises(QuickbooksException) as caught:
        second.save(qb=qb)
    assert caught.value.error_code == 6240 and caught.value.message == "Duplicate Name Exists Error"
    assert f"Id={first.Id}" in caught.value.detail
    assert set(_fixture("customer_create_response.json")["Customer"]) <= set(first.to_dict()) | {"MetaData"}


# -- query ------------------------------------------------------------------------------------------

def test_query_post_and_get_with_paging_count_and_filters(emu: Emu) -> None:
    qb = emu.qb()
    for name in ("B Corp", "O'Brien Ltd", "C Corp", "D Corp"):
        emu.state.seed(emu.demo.realm_id, "Customer", {"DisplayName": name})
    page = qb.query("select * from Customer WHERE DisplayName LIKE '%Corp' ORDERBY DisplayName DESC "
                    "STARTPOSITION 2 MAXRESULTS 2")["QueryResponse"]
    assert [c["DisplayName"] for c in page["Customer"]] == ["C Corp", "B Corp"]
    assert page["startPosition"] == 2 and page["maxResults"] == 2
    assert [c.DisplayName for c in Customer.filter(DisplayName="O'Brien Ltd", qb=qb)] == ["O'Brien Ltd"]
    raw = emu.raw("GET", "query", qb.session.access_token,
                  params={"query": "SELECT Id, DisplayName FROM Customer WHERE Id IN ('1', '2')",
                          "minorversion": "75"})
    assert [c["Id"] for c in raw.json()["QueryResponse"]["Customer"]] == ["1", "2"]
    assert Customer.count(qb=qb) == 7 and Item.count("Name = 'Support Plan'", qb=qb) == 1
    assert qb.query("SELECT * FROM Invoice WHERE DocNumber = 'nope'")["QueryResponse"] == {}
    with pytest.raises(ValidationException) as caught:
        qb.query("SELECT * FROM Customer WHERE DisplayName = 'a' OR Id = '2'")
    assert caught.value.error_code == 4000


def test_query_dotted_fields_and_item_all(emu: Emu) -> None:
    qb = emu.qb()
    qb.create_object("Invoice", _invoice_body(customer_id="2"))
    emu.clock.advance(timedelta(minutes=30))
    qb.create_object("Invoice", _invoice_body(customer_id="2"))
    qb.create_object("Invoice", _invoice_body(customer_id="3"))
    rows = qb.query("SELECT * FROM Invoice WHERE CustomerRef = '2' AND "
                    "MetaData.LastUpdatedTime > '2024-05-01T17:15:00Z'")["QueryResponse"]["Invoice"]
    assert [row["Id"] for row in rows] == ["2"]
    assert [item.Name for item in Item.all(qb=qb)][:2] == ["Consulting Services", "Annual Subscription"]


def test_parser_keywords_are_case_insensitive() -> None:
    upper = parse_query("SELECT * FROM Invoice WHERE DocNumber = '7' ORDERBY TxnDate STARTPOSITION 2 MAXRESULTS 5")
    lower = parse_query("select * from Invoice where DocNumber = '7' orderby TxnDate startposition 2 maxresults 5")
    assert upper == lower and upper.where == (Condition("DocNumber", "=", ("7",)),)


def test_parser_reads_every_clause() -> None:
    query = parse_query("SELECT COUNT(*) FROM Invoice WHERE Balance > '0' AND DocNumber IN ('1','2') "
                        "AND CustomerRef = 'O\\'B' ORDER BY TxnDate DESC STARTPOSITION 3 MAXRESULTS 10")
    assert query.count and query.entity == "Invoice" and query.start_position == 3 and query.max_results == 10
    assert query.where == (Condition("Balance", ">", ("0",)), Condition("DocNumber", "IN", ("1", "2")),
                           Condition("CustomerRef", "=", ("O'B",)))
    assert query.order_by == (("TxnDate", True),)


@pytest.mark.parametrize("bad", ["", "SELECT", "SELECT * FROM", "DELETE FROM Invoice", "SELECT * FROM X WHERE a",
                                 "SELECT * FROM Invoice MAXRESULTS 5000", "SELECT * FROM Invoice WHERE a = b"])
def test_parser_rejects_bad_queries_with_code_4000(bad: str) -> None:
    with pytest.raises(QboFault) as caught:
        parse_query(bad)
    assert caught.value.code == "4000"


# -- batch, CDC, requestid -------------------------------------------------------------------------

def test_batch_answers_each_item_and_limits_to_30(emu: Emu) -> None:
    qb = emu.qb()
    items = [{"bId": "c1", "operation": "create", "Customer": {"DisplayName": "Batch One"}},
             {"bId": "r1", "operation": "update", "Invoice": {"Id": "77", "SyncToken": "0", "sparse": True}},
             {"bId": "q1", "Query": "SELECT * FROM Term WHERE DueDays = '30'"}]
    answer = qb.batch_operation(json.dumps({"BatchItemRequest": items}))["BatchItemResponse"]
    assert answer[0]["Customer"]["DisplayName"] == "Batch One" and answer[0]["bId"] == "c1"
    assert answer[1]["Fault"]["Error"][0]["code"] == "610" and answer[1]["Fault"]["type"] == "ValidationFault"
    assert answer[2]["QueryResponse"]["Term"][0]["Name"] == "Net 30"
    fixture_item_keys = {frozenset(item) for item in _fixture("batch_response_success_610_5010_query.json")[
        "BatchItemResponse"]}
    assert frozenset(answer[1]) in fixture_item_keys and frozenset(answer[2]) in fixture_item_keys
    customers = []
    for n in range(31):
        customer = Customer()
        customer.DisplayName = f"Bulk {n}"
        customers.append(customer)
    result = batch_create(customers, qb=qb)  # the library chunks at 30
    assert len(result.successes) == 31 and not result.faults
    too_many = [{"bId": f"b{n}", "Query": "SELECT * FROM Term"} for n in range(31)]
    with pytest.raises(QuickbooksException) as caught:
        qb.batch_operation(json.dumps({"BatchItemRequest": too_many}))
    assert caught.value.error_code == 6000


def test_batch_with_a_requestid_replays_and_keeps_bids_to_10_characters(emu: Emu) -> None:
    qb = emu.qb()
    url = f"{qb.api_url}/company/{qb.company_id}/batch"
    body = json.dumps({"BatchItemRequest": [
        {"bId": "b1", "operation": "create", "Invoice": json.loads(_invoice_body())},
        {"bId": "b2", "operation": "create", "Invoice": json.loads(_invoice_body(customer_id="999"))}]})
    first = qb.post(url, body, request_id="batch-same")
    again = qb.post(url, body, request_id="batch-same")
    assert again == first and len(emu.state.objects(emu.demo.realm_id, "Invoice")) == 1
    assert first["BatchItemResponse"][1]["Fault"]["Error"][0]["code"] == "2500"  # per item, not the whole batch
    long_bid = json.dumps({"BatchItemRequest": [{"bId": "b" * 11, "Query": "SELECT * FROM Term"}]})
    with pytest.raises(ValidationException) as caught:
        qb.post(url, long_bid, request_id="batch-long-bid")
    assert "10 characters" in caught.value.detail
    assert qb.post(url, long_bid)["BatchItemResponse"][0]["bId"] == "b" * 11  # fine without a requestid
    with pytest.raises(ValidationException):
        qb.post(url, long_bid, request_id="x" * 37)


def test_an_inactive_item_or_term_in_an_invoice_is_610_made_inactive(emu: Emu) -> None:
    qb = emu.qb()
    book = emu.state.book(emu.demo.realm_id)
    book.objects["Item"]["1"]["Active"] = False
    with pytest.raises(ObjectNotFoundException) as caught:
        qb.create_object("Invoice", _invoice_body())
    assert caught.value.error_code == 610 and "made inactive" in caught.value.detail
    book.objects["Item"]["1"]["Active"] = True
    book.objects["Term"]["2"]["Active"] = False
    with pytest.raises(ObjectNotFoundException):
        qb.create_object("Invoice", _invoice_body(SalesTermRef={"value": "2"}))
    with pytest.raises(ValidationException) as unknown:
        qb.create_object("Invoice", _invoice_body(SalesTermRef={"value": "77"}))
    assert unknown.value.error_code == 2500


def test_cdc_reports_changes_and_deletions_within_30_days(emu: Emu) -> None:
    qb = emu.qb()
    emu.clock.advance(timedelta(minutes=45))
    invoice = qb.create_object("Invoice", _invoice_body())["Invoice"]
    qb.delete_object("Invoice", json.dumps({"Id": invoice["Id"], "SyncToken": invoice["SyncToken"]}))
    second = qb.create_object("Invoice", _invoice_body())["Invoice"]
    result = qb.change_data_capture("Invoice,Customer", "2024-05-01T17:30:00Z")
    invoices = result["CDCResponse"][0]["QueryResponse"][0]["Invoice"]
    assert {"Id": invoice["Id"], "status": "Deleted"}.items() <= invoices[-1].items()
    assert invoices[0]["Id"] == second["Id"] and result["CDCResponse"][0]["QueryResponse"][1] == {}
    with pytest.raises(QuickbooksException):
        qb.change_data_capture("Invoice", "2024-03-01T00:00:00Z")


def test_requestid_replays_the_first_answer(emu: Emu) -> None:
    qb = emu.qb()
    first = qb.create_object("Invoice", _invoice_body(), request_id="same-key")
    again = qb.create_object("Invoice", _invoice_body(amount="50.00"), request_id="same-key")
    assert again == first and len(emu.state.objects(emu.demo.realm_id, "Invoice")) == 1
    assert emu.state.calls[-1].query["requestid"] == "same-key"
    with pytest.raises(ValidationException):
        qb.create_object("Invoice", _invoice_body(), request_id="x" * 51)


# -- throttling and injected faults ----------------------------------------------------------------

def test_throttle_429_json_is_a_validation_exception_3001(emu: Emu) -> None:
    emu.state.set_limits(ThrottleLimits(per_app_per_second=2))
    qb = emu.qb()
    Customer.get(1, qb=qb)
    Customer.get(1, qb=qb)
    with pytest.raises(ValidationException) as caught:
        Customer.get(1, qb=qb)
    assert caught.value.error_code == 3001 and "ThrottleExceeded" in caught.value.message
    assert emu.state.calls[-1].status == 429
    emu.clock.advance(timedelta(seconds=1))
    assert Customer.get(1, qb=qb).Id == "1"


def test_throttle_xml_variant_and_batch_limit(emu: Emu) -> None:
    emu.state.set_limits(ThrottleLimits(batch_per_minute=1))
    emu.state.settings.xml_throttle = True
    qb = emu.qb()
    batch = json.dumps({"BatchItemRequest": [{"bId": "1", "Query": "SELECT * FROM Term"}]})
    qb.batch_operation(batch)
    with pytest.raises(QuickbooksException) as caught:
        qb.batch_operation(batch)
    assert caught.value.error_code == 10000 and "ThrottleExceeded" in caught.value.message
    assert Customer.get(1, qb=qb).Id == "1"  # non-batch calls are not in the batch window


def test_throttle_counters_are_readable_for_benchmarks(emu: Emu) -> None:
    emu.state.set_limits(ThrottleLimits(per_app_per_second=3))
    qb = emu.qb()
    for _ in range(3):
        Customer.get(1, qb=qb)
    with pytest.raises(ValidationException):
        Customer.get(1, qb=qb)
    emu.clock.advance(timedelta(seconds=1))
    qb.batch_operation(json.dumps({"BatchItemRequest": [{"bId": "1", "Query": "SELECT * FROM Term"}]}))
    emu.state.inject_fault("throttle")
    with pytest.raises(ValidationException):
        Customer.get(1, qb=qb)
    stats = requests.get(emu.server.url + "/_admin/throttle", timeout=5).json()
    assert stats["limits"] == {"per_realm_per_minute": 500, "per_app_per_second": 3, "batch_per_minute": 40}
    assert stats["realms"][emu.demo.realm_id] == {
        "admitted": 5, "batches": 1, "throttled_429": 2, "last_second": 2, "last_minute": 5,
        "batch_last_minute": 1, "peak_per_second": 3, "peak_per_minute": 5, "peak_batch_per_minute": 1}
    emu.clock.advance(timedelta(minutes=1))
    later = requests.get(emu.server.url + "/_admin/throttle", timeout=5).json()["realms"][emu.demo.realm_id]
    assert later["last_minute"] == 0 and later["peak_per_minute"] == 5
    assert requests.delete(emu.server.url + "/_admin/throttle", timeout=5).json()["realms"] == {}


def test_injected_500_timeout_and_lost_response(emu: Emu) -> None:
    qb = emu.qb(timeout=0.3)
    emu.state.inject_fault("error")
    with pytest.raises(SevereException) as caught:
        Customer.get(1, qb=qb)
    assert caught.value.error_code == 10000
    emu.state.inject_fault("timeout", delay=0.8)
    with pytest.raises(requests.Timeout):
        Customer.get(1, qb=qb)
    emu.state.inject_fault("lost_response", path_contains="invoice")
    with pytest.raises(SevereException):
        qb.create_object("Invoice", _invoice_body(), request_id="crash-1")
    assert len(emu.state.objects(emu.demo.realm_id, "Invoice")) == 1  # it took effect
    replay = qb.create_object("Invoice", _invoice_body(), request_id="crash-1")["Invoice"]
    assert replay["Id"] == "1" and len(emu.state.objects(emu.demo.realm_id, "Invoice")) == 1


# -- admin API --------------------------------------------------------------------------------------

def test_admin_api_seeds_inspects_and_controls(emu: Emu) -> None:
    admin = emu.server.url + "/_admin"
    assert requests.post(admin + "/realms", json={"realm_id": "555"}, timeout=5).status_code == 200
    token = requests.post(admin + "/refresh_tokens", json={"client_id": DEMO_CLIENT_ID, "realm_id": "555"},
                          timeout=5).json()["refresh_token"]
    customer = requests.post(admin + "/realms/555/objects/customer", json={"DisplayName": "Seeded"}, timeout=5)
    assert customer.json()["Id"] == "1"
    assert requests.post(admin + "/realms/555/objects/customer", json={"DisplayName": "seeded"},
                         timeout=5).json()["code"] == "6240"
    assert requests.post(admin + "/faults", json={"kind": "nope"}, timeout=5).status_code == 400
    injected = requests.post(admin + "/faults", json={"kind": "timeout", "count": 1, "delay": 0.5}, timeout=5)
    assert injected.status_code == 200 and injected.json()["pending"][0]["delay"] == "0.5"
    assert requests.delete(admin + "/faults", timeout=5).json() == {"pending": []}
    assert requests.post(admin + "/clock", json={"advance_seconds": 60}, timeout=5).json()["now"].startswith(
        "2024-05-01T17:01")
    auth = emu.auth()
    auth.refresh(refresh_token=token)
    assert auth.refresh_token == token          # the default: Intuit's, the same value for about a day
    calls = requests.get(admin + "/calls", timeout=5).json()
    assert calls[-1]["path"] == "/oauth2/v1/tokens/bearer" and "refresh_token" not in calls[-1]["query"]
    assert requests.post(admin + "/settings", json={"per_app_per_second": 3}, timeout=5).json()[
        "per_app_per_second"] == 3
    assert requests.get(admin + "/realms/555/objects/Invoice/9", timeout=5).status_code == 400


def test_default_factory_serves_the_demo_company() -> None:
    with serve_in_thread(create_quickbooks_emulator()) as server:
        items = requests.get(server.url + "/_admin/realms/9341452000000001/objects/Item", timeout=5).json()
    assert [item["Name"] for item in items][:4] == ["Consulting Services", "Annual Subscription", "Implementation",
                                                "Support Plan"]


def test_added_latency_slows_every_api_call_but_not_admin_and_leaves_the_counters(emu: Emu) -> None:
    qb = emu.qb()
    Customer.get(1, qb=qb)
    configured = requests.post(emu.server.url + "/_admin/settings", json={"latency_ms": 300}, timeout=5).json()
    assert configured["latency_ms"] == 300
    started = time.monotonic()
    Customer.get(1, qb=qb)
    assert time.monotonic() - started >= 0.3
    started = time.monotonic()
    stats = requests.get(emu.server.url + "/_admin/throttle", timeout=5).json()
    assert time.monotonic() - started < 0.3
    assert stats["realms"][emu.demo.realm_id]["admitted"] == 2        # a settings change kept the counters
    requests.post(emu.server.url + "/_admin/settings", json={"latency_ms": 0}, timeout=5)
    assert emu.state.settings.latency == timedelta(0)
