"""The Salesforce emulator, driven by the REAL simple_salesforce client over real HTTP."""
from __future__ import annotations

import json
import re
from datetime import timedelta
from pathlib import Path

import pytest
import requests
from simple_salesforce import Salesforce
from simple_salesforce.exceptions import (
    SalesforceAuthenticationFailed,
    SalesforceExpiredSession,
    SalesforceGeneralError,
    SalesforceMalformedRequest,
    SalesforceRefusedRequest,
    SalesforceResourceNotFound,
)

from app.clock import FixedClock
from app.integrations.http import LoopbackHttpAdapter
from app.sandbox.salesforce import (
    DEFAULT_ACCESS_TOKEN,
    DEFAULT_PASSWORD,
    DEFAULT_SECURITY_TOKEN,
    DEFAULT_USERNAME,
    FaultKind,
    SalesforceState,
)
from app.sandbox.server import RunningServer

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "salesforce"
SF_DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}\+0000$")


def fixture(name: str):
    return json.loads((FIXTURES / name).read_text())


def rewriting_session(sf_server: RunningServer, timeout: float = 5.0) -> requests.Session:
    session = requests.Session()
    adapter = LoopbackHttpAdapter(sf_server.url, timeout)
    session.mount(f"https://127.0.0.1:{sf_server.port}/", adapter)
    session.mount("https://login.salesforce.com/", adapter)
    return session


def client(sf_server: RunningServer, token: str = DEFAULT_ACCESS_TOKEN, timeout: float = 5.0) -> Salesforce:
    return Salesforce(instance_url=sf_server.url, session_id=token, session=rewriting_session(sf_server, timeout),
                      version="59.0")


@pytest.fixture
def sf(sf_server: RunningServer) -> Salesforce:
    return client(sf_server)


def seed_opportunity(sf_state: SalesforceState, name: str = "Deal", **fields) -> str:
    return sf_state.seed("Opportunity", {"Name": name, "StageName": "Prospecting", "CloseDate": "2024-06-30",
                                      **fields})


def test_create_read_update(sf: Salesforce, sf_state: SalesforceState, sf_clock: FixedClock):
    account_id = sf_state.seed("Account", {"Name": "Acme"})
    created = sf.Opportunity.create({"Name": "New deal", "StageName": "Prospecting", "CloseDate": "2024-06-30",
                                     "AccountId": account_id, "Amount": 1250.5})
    assert set(created) == set(fixture("create_201_account.json")) and created["success"] is True
    assert created["id"].startswith("006") and len(created["id"]) == 18
    record = sf.Opportunity.get(created["id"])
    assert record["attributes"] == {"type": "Opportunity",
                                    "url": f"/services/data/v59.0/sobjects/Opportunity/{created['id']}"}
    assert record["Amount"] == 1250.5 and record["CloseDate"] == "2024-06-30" and record["IsWon"] is False
    assert record["SystemModstamp"] == "2024-05-01T12:00:00.000+0000"
    sf_clock.advance(timedelta(minutes=5))
    assert sf.Opportunity.update(created["id"], {"StageName": "Closed Won", "PO_Number__c": "PO-1"}) == 204
    updated = sf.Opportunity.get(created["id"], params={"fields": "IsWon,SystemModstamp,PO_Number__c"})
    assert updated == {"attributes": record["attributes"], "IsWon": True, "PO_Number__c": "PO-1",
                       "SystemModstamp": "2024-05-01T12:05:00.000+0000"}


def test_query_pages_with_next_records_url(sf: Salesforce, sf_state: SalesforceState):
    for number in range(450):
        seed_opportunity(sf_state, f"Deal {number:03d}")
    sf_state.set_page_size(200)
    first = sf.query("SELECT Id, Name FROM Opportunity ORDER BY Name")
    assert (first["totalSize"], first["done"], len(first["records"])) == (450, False, 200)
    assert list(first) == list(fixture("query_page1_with_nextRecordsUrl.json"))
    assert re.fullmatch(r"/services/data/v59\.0/query/01g\w{12}-200", first["nextRecordsUrl"])
    everything = sf.query_all("SELECT Id, Name FROM Opportunity ORDER BY Name")
    assert [r["Name"] for r in everything["records"]] == [f"Deal {n:03d}" for n in range(450)]
    paths = [call.path for call in sf_state.calls() if call.method == "GET"]
    assert len([p for p in paths if re.search(r"/query/01g", p)]) == 2  # query_all followed two locators
    last = sf.query_more(first["nextRecordsUrl"], identifier_is_url=True)
    assert last["records"][0]["Name"] == "Deal 200"


def test_batch_size_header_and_query_all_endpoint(sf: Salesforce, sf_state: SalesforceState):
    for number in range(450):
        seed_opportunity(sf_state, f"Deal {number}")
    page = sf.query("SELECT Id FROM Opportunity", headers={"Sforce-Query-Options": "batchSize=300"})
    assert len(page["records"]) == 300 and page["nextRecordsUrl"].endswith("-300")
    tiny = sf.query("SELECT Id FROM Opportunity", headers={"Sforce-Query-Options": "batchSize=5"})
    assert len(tiny["records"]) == 200  # Salesforce's minimum batch size
    assert sf.query("SELECT COUNT() FROM Opportunity", include_deleted=True)["totalSize"] == 450


def test_parent_fields_and_child_subquery_shapes_match_the_fixture(sf: Salesforce, sf_state: SalesforceState):
    account_id = sf_state.seed("Account", {"Name": "Acme", "BillingCity": "Lyon"})
    product_id = sf_state.seed("Product2", {"Name": "MyProduct", "ProductCode": "MP", "Family": "None"})
    with_lines = seed_opportunity(sf_state, "My Opportunity", AccountId=account_id)
    seed_opportunity(sf_state, "No lines")
    sf_state.seed("OpportunityLineItem", {"OpportunityId": with_lines, "Product2Id": product_id, "Quantity": 2,
                                       "UnitPrice": 650, "ListPrice": 1300})
    result = sf.query("SELECT Amount, Id, Name, StageName, CloseDate, SystemModstamp, Account.Name, "
                      "(SELECT Id, ListPrice, Product2.Family FROM OpportunityLineItems) "
                      "FROM Opportunity ORDER BY Name")
    expected = fixture("query_opportunity_with_OpportunityLineItems_subquery.json")
    record, empty = result["records"]
    assert set(result) == set(expected)
    assert set(record) - {"Account", "SystemModstamp"} == set(expected["records"][0])
    assert record["Amount"] == 1300 and isinstance(record["Amount"], int)
    assert record["CloseDate"] == "2024-06-30" and SF_DATETIME.match(record["SystemModstamp"])
    assert record["Account"] == {"attributes": {"type": "Account",
                                                "url": f"/services/data/v59.0/sobjects/Account/{account_id}"},
                                 "Name": "Acme"}
    lines, expected_lines = record["OpportunityLineItems"], expected["records"][0]["OpportunityLineItems"]
    assert set(lines) == set(expected_lines) and lines["totalSize"] == 1
    line = lines["records"][0]
    assert set(line["attributes"]) == {"type", "url"} and line["attributes"]["type"] == "OpportunityLineItem"
    assert line["Product2"]["attributes"]["type"] == "Product2" and line["Product2"]["Family"] == "None"
    assert empty["OpportunityLineItems"] is None and empty["Account"] is None


def test_records_written_at_one_instant_share_one_system_modstamp(sf: Salesforce, sf_state: SalesforceState,
                                                                   sf_clock: FixedClock):
    ids = {seed_opportunity(sf_state, f"Same {n}") for n in range(3)}
    sf_clock.advance(timedelta(seconds=1))
    later = seed_opportunity(sf_state, "Later")
    same = sf.query("SELECT Id, SystemModstamp FROM Opportunity WHERE SystemModstamp = 2024-05-01T12:00:00Z")
    assert {r["Id"] for r in same["records"]} == ids
    assert {r["SystemModstamp"] for r in same["records"]} == {"2024-05-01T12:00:00.000+0000"}
    newer = sf.query("SELECT Id FROM Opportunity WHERE SystemModstamp > 2024-05-01T13:00:00.000+01:00")
    assert [r["Id"] for r in newer["records"]] == [later]


def test_bad_token_raises_expired_session(sf_server: RunningServer):
    with pytest.raises(SalesforceExpiredSession) as caught:
        client(sf_server, token="not-a-token").query("SELECT Id FROM Opportunity")
    assert caught.value.content == fixture("error_401_invalid_session_id.json")


def test_unsupported_soql_is_malformed_query(sf: Salesforce):
    with pytest.raises(SalesforceMalformedRequest) as caught:
        sf.query("invalid")
    assert caught.value.content == fixture("error_400_malformed_query.json")
    with pytest.raises(SalesforceMalformedRequest) as caught:
        sf.query("SELECT Foo FROM Opportunity")
    assert caught.value.content[0]["errorCode"] == "INVALID_FIELD"
    assert "No such column 'Foo' on entity 'Opportunity'" in caught.value.content[0]["message"]


def test_unknown_records_and_objects_are_not_found(sf: Salesforce, sf_state: SalesforceState):
    with pytest.raises(SalesforceResourceNotFound) as caught:
        sf.Opportunity.get("006000000000000AAA")
    assert caught.value.content == [{"message": "The requested resource does not exist", "errorCode": "NOT_FOUND"}]
    with pytest.raises(SalesforceResourceNotFound):
        sf.Widget__c.get("006000000000000AAA")
    with pytest.raises(SalesforceMalformedRequest) as invalid:
        sf.query("SELECT Id FROM Widget__c")
    assert invalid.value.content[0]["errorCode"] == "INVALID_TYPE"


def test_write_errors(sf: Salesforce, sf_state: SalesforceState):
    opportunity_id = seed_opportunity(sf_state)
    with pytest.raises(SalesforceMalformedRequest) as unknown:
        sf.Opportunity.update(opportunity_id, {"Foo__c": 1})
    assert unknown.value.content[0]["errorCode"] == "INVALID_FIELD"
    with pytest.raises(SalesforceMalformedRequest) as read_only:
        sf.Opportunity.update(opportunity_id, {"IsWon": True})
    assert read_only.value.content[0]["errorCode"] == "INVALID_FIELD_FOR_INSERT_UPDATE"
    with pytest.raises(SalesforceMalformedRequest) as missing:
        sf.Opportunity.create({"Name": "x"})
    assert missing.value.content[0]["errorCode"] == "REQUIRED_FIELD_MISSING"
    with pytest.raises(SalesforceMalformedRequest) as wrong_type:
        sf.Opportunity.update(opportunity_id, {"Amount": "lots"})
    assert wrong_type.value.content[0]["errorCode"] == "JSON_PARSER_ERROR"
    for message in ("no ACME accounts", "no 123 phone"):
        sf_state.add_validation_error("Opportunity", message, record_id=opportunity_id)
    with pytest.raises(SalesforceMalformedRequest) as rule:
        sf.Opportunity.update(opportunity_id, {"Name": "renamed"})
    assert rule.value.content == fixture("error_400_field_custom_validation_exception.json")
    assert sf_state.record("Opportunity", opportunity_id)["Name"] == "Deal"


def test_request_limit_and_api_usage(sf: Salesforce, sf_state: SalesforceState):
    sf.query("SELECT Id FROM Opportunity")
    sf.query("SELECT Id FROM Opportunity")
    assert sf.api_usage["api-usage"].used == 2 and sf.api_usage["api-usage"].total == 15000
    sf_state.set_request_limit_exceeded(True)
    with pytest.raises(SalesforceRefusedRequest) as caught:
        sf.query("SELECT Id FROM Opportunity")
    assert caught.value.content == [{"message": "TotalRequests Limit exceeded.",
                                     "errorCode": "REQUEST_LIMIT_EXCEEDED"}]


@pytest.mark.parametrize("kind,status", [(FaultKind.SERVER_ERROR, 500), (FaultKind.UNAVAILABLE, 503)])
def test_injected_server_errors(sf: Salesforce, sf_state: SalesforceState, kind: FaultKind, status: int):
    sf_state.inject_fault(kind, count=2)
    for _ in range(2):
        with pytest.raises(SalesforceGeneralError) as caught:
            sf.query("SELECT Id FROM Opportunity")
        assert caught.value.status == status
    assert sf.query("SELECT Id FROM Opportunity")["done"] is True


def test_injected_delay_times_the_client_out(sf_server: RunningServer, sf_state: SalesforceState):
    sf_state.inject_fault("delay", delay_seconds=0.8)
    with pytest.raises(requests.exceptions.ReadTimeout):
        client(sf_server, timeout=0.2).query("SELECT Id FROM Opportunity")


def test_password_login_over_soap(sf_server: RunningServer):
    session = rewriting_session(sf_server)
    sf = Salesforce(username=DEFAULT_USERNAME, password=DEFAULT_PASSWORD, security_token=DEFAULT_SECURITY_TOKEN,
                    session=session)
    assert sf.sf_instance == f"127.0.0.1:{sf_server.port}" and sf.session_id != DEFAULT_ACCESS_TOKEN
    assert sf.query("SELECT Username FROM User")["records"][0]["Username"] == DEFAULT_USERNAME
    with pytest.raises(SalesforceAuthenticationFailed) as caught:
        Salesforce(username=DEFAULT_USERNAME, password="wrong", security_token="", session=session)
    assert caught.value.code == "INVALID_LOGIN"


def test_admin_api(sf_server: RunningServer, sf_state: SalesforceState):
    base = f"{sf_server.url}/_admin"
    created = requests.post(f"{base}/records/Account", json={"Name": "Globex"}, timeout=5)
    assert created.status_code == 201
    account_id = created.json()["id"]
    assert requests.put(f"{base}/clock", json={"now": "2024-07-01T09:00:00Z"}, timeout=5).ok
    edited = requests.patch(f"{base}/records/Account/{account_id}", json={"Phone": "555"}, timeout=5).json()
    assert edited["Phone"] == "555" and edited["SystemModstamp"] == "2024-07-01T09:00:00.000+0000"
    assert requests.put(f"{base}/page-size", json={"size": 0}, timeout=5).status_code == 400
    assert requests.post(f"{base}/records/Nope", json={}, timeout=5).status_code == 400
    assert requests.post(f"{base}/faults", json={"kind": "500", "count": 1}, timeout=5).ok
    assert requests.put(f"{base}/request-limit", json={"exceeded": False}, timeout=5).ok
    response = requests.get(f"{sf_server.url}/services/data/v61.0/query?q=SELECT+Id+FROM+Account",
                            headers={"Authorization": f"Bearer {DEFAULT_ACCESS_TOKEN}"}, timeout=5)
    assert response.status_code == 500 and response.headers["Sforce-Limit-Info"].startswith("api-usage=")
    calls = requests.get(f"{base}/calls", timeout=5).json()["calls"]
    assert calls[-1] == {"method": "GET", "path": "/services/data/v61.0/query", "query": response.request.url
                         .split("?", 1)[1], "status": 500}
    assert len(requests.get(f"{base}/records/Account", timeout=5).json()["records"]) == 1


def test_bad_request_bodies_get_clear_400s(sf_server: RunningServer, sf_state: SalesforceState):
    opportunity_id = seed_opportunity(sf_state)
    headers = {"Authorization": f"Bearer {DEFAULT_ACCESS_TOKEN}", "Content-Type": "application/json"}
    url = f"{sf_server.url}/services/data/v59.0/sobjects/Opportunity/{opportunity_id}"
    for body in ("{not json", "[1, 2]"):
        response = requests.patch(url, data=body, headers=headers, timeout=5)
        assert response.status_code == 400 and response.json()[0]["errorCode"] == "JSON_PARSER_ERROR"
    missing_q = requests.get(f"{sf_server.url}/services/data/v59.0/query", headers=headers, timeout=5)
    assert missing_q.status_code == 400 and missing_q.json()[0]["errorCode"] == "MALFORMED_QUERY"
    stale = requests.get(f"{sf_server.url}/services/data/v59.0/query/01gLB0000000099-200", headers=headers, timeout=5)
    assert stale.status_code == 400 and stale.json()[0]["errorCode"] == "INVALID_QUERY_LOCATOR"
    bad_version = requests.get(f"{sf_server.url}/services/data/latest/query?q=x", headers=headers, timeout=5)
    assert bad_version.status_code == 404
