"""The Salesforce wrapper: pure parsers and SOQL helpers, then SalesforceGateway against the emulator."""
from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from app.clock import FixedClock
from app.config import Settings
from app.errors import (
    AuthenticationFailed,
    ConfigError,
    RateLimited,
    VendorNotFound,
    VendorUnavailable,
    VendorValidationError,
)
from app.integrations.salesforce import SalesforceGateway, build_salesforce
from app.integrations.salesforce_models import parse_account, parse_datetime, parse_opportunity
from app.integrations.salesforce_soql import by_ids_query, changed_since_query, checked_ids, name_search_query
from app.sandbox.salesforce import (
    DEFAULT_ACCESS_TOKEN,
    DEFAULT_PASSWORD,
    DEFAULT_SECURITY_TOKEN,
    DEFAULT_USERNAME,
    SalesforceState,
)
from app.sandbox.server import RunningServer

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "salesforce"
START = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)  # where sf_clock (tests/conftest.py) starts


# -- pure ---------------------------------------------------------------------------------------
def test_parse_fixture_opportunity_with_line_items():
    record = json.loads((FIXTURES / "query_opportunity_with_OpportunityLineItems_subquery.json").read_text())
    opportunity = parse_opportunity(record["records"][0])
    assert opportunity.id == "0063F00000RdvMKQAZ" and opportunity.name == "My Opportunity"
    assert opportunity.amount == Decimal("1300") and isinstance(opportunity.amount, Decimal)
    assert opportunity.close_date == date(2022, 2, 1) and opportunity.account is None
    (line,) = opportunity.lines
    assert line.id == "00k3F000007kBoDQAU" and line.list_price == Decimal("1300")
    assert line.product_name == "MyProduct" and line.quantity is None


def test_parse_datetime_is_aware_utc():
    assert parse_datetime("2024-05-01T12:34:56.000+0000") == datetime(2024, 5, 1, 12, 34, 56, tzinfo=UTC)
    assert parse_datetime("2024-05-01T14:34:56.250+0200") == datetime(2024, 5, 1, 12, 34, 56, 250000, tzinfo=UTC)
    assert parse_datetime(None) is None


def test_the_query_builders_quote_every_literal():
    assert name_search_query("O'Brien \\ 50%_off", limit=5).endswith(
        "WHERE Name LIKE '%O\\'Brien \\\\ 50\\%\\_off%' ORDER BY Name, Id LIMIT 5")
    assert by_ids_query(["0063F00000RdvMK", "0063F00000RdvML"]).endswith(
        "WHERE Id IN ('0063F00000RdvMK','0063F00000RdvML')")
    late = datetime(2024, 5, 1, 14, 0, 0, 123456, tzinfo=UTC)      # floored to the second, in UTC
    assert changed_since_query(late, limit=5).endswith(
        "WHERE SystemModstamp >= 2024-05-01T14:00:00+00:00 ORDER BY SystemModstamp, Id LIMIT 5")
    with pytest.raises(ValueError):
        changed_since_query(datetime(2024, 5, 1))
    assert checked_ids(["0063F00000RdvMK", "0063F00000RdvMK"]) == ["0063F00000RdvMK"]
    with pytest.raises(ValueError):
        checked_ids(["006' OR Name != '"])


# -- against the emulator -----------------------------------------------------------------------
def settings_for(sf_server: RunningServer, **overrides) -> Settings:
    values = {"salesforce_instance_url": sf_server.url, "salesforce_access_token": DEFAULT_ACCESS_TOKEN,
              "salesforce_login_url": sf_server.url, "ledgerbridge_http_timeout": 5.0,
              "salesforce_username": None, "salesforce_password": None, "salesforce_security_token": None,
              "salesforce_client_id": None, "salesforce_private_key_file": None}
    values.update(overrides)
    return Settings(_env_file=None, **values)


@pytest.fixture
def gateway(sf_server: RunningServer, sf_clock: FixedClock) -> SalesforceGateway:
    return SalesforceGateway(build_salesforce(settings_for(sf_server)), clock=sf_clock)


def seed_deal(sf_state: SalesforceState, name: str = "Deal", **fields) -> str:
    return sf_state.seed("Opportunity", {"Name": name, "StageName": "Closed Won", "CloseDate": "2024-06-30", **fields})


def test_gateway_returns_full_dataclasses(gateway: SalesforceGateway, sf_state: SalesforceState):
    account = sf_state.seed("Account", {"Name": "Acme", "BillingCity": "Lyon", "Segment__c": "Enterprise",
                                     "Tax_Exempt__c": True, "Credit_Limit__c": 50000})
    product = sf_state.seed("Product2", {"Name": "Support", "ProductCode": "SUP"})
    deal = seed_deal(sf_state, "Acme renewal", AccountId=account, OwnerId=sf_state.default_user_id,
                     Payment_Terms__c="Net 30", PO_Number__c="PO-7")
    sf_state.seed("OpportunityLineItem", {"OpportunityId": deal, "Product2Id": product, "Quantity": 3,
                                       "UnitPrice": 33.33, "Discount": 10, "ServiceDate": "2024-07-01"})
    (opportunity,) = list(gateway.opportunities_changed_since(None))
    assert opportunity.id == deal and opportunity.is_won and opportunity.is_closed
    assert opportunity.amount == Decimal("89.99") and isinstance(opportunity.amount, Decimal)
    assert opportunity.system_modstamp == START and opportunity.system_modstamp.tzinfo is not None
    assert opportunity.owner_email == DEFAULT_USERNAME and opportunity.payment_terms == "Net 30"
    assert opportunity.account is not None and opportunity.account.segment == "Enterprise"
    assert opportunity.account.tax_exempt is True and opportunity.account.credit_limit == Decimal("50000")
    (line,) = opportunity.lines
    assert (line.product_name, line.product_code, line.quantity) == ("Support", "SUP", Decimal("3"))
    assert line.unit_price == Decimal("33.33") and line.discount_percent == Decimal("10")
    assert line.total_price == Decimal("89.99") and line.service_date == date(2024, 7, 1)


def test_changed_since_filters_with_gte_orders_and_pages_lazily(
        sf_server: RunningServer, sf_state: SalesforceState, sf_clock: FixedClock):
    for number in range(450):
        seed_deal(sf_state, f"Deal {number}")
    sf_clock.advance(timedelta(seconds=30))
    newest = seed_deal(sf_state, "Newest")
    sf_state.set_page_size(200)
    gateway = SalesforceGateway(build_salesforce(settings_for(sf_server)))
    sf_state.clear_calls()
    changes = gateway.opportunities_changed_since(START)
    first = next(changes)
    assert len(_queries(sf_state)) == 1  # one page fetched so far
    rest = list(changes)
    assert len(_queries(sf_state)) == 3 and len(rest) == 450 and rest[-1].id == newest
    stamps = [first.system_modstamp] + [o.system_modstamp for o in rest]
    assert stamps == sorted(stamps)
    assert [o.id for o in gateway.opportunities_changed_since(START + timedelta(seconds=30))] == [newest]
    assert len(list(gateway.opportunities_changed_since(None, limit=7))) == 7
    assert len(sf_state.calls()) - len(_queries(sf_state)) == 2     # Opportunity and Account described once


def _queries(sf_state: SalesforceState) -> list:
    return [call for call in sf_state.calls() if not call.path.endswith("/describe")]


def test_by_ids_chunks_keeps_order_and_validates(gateway: SalesforceGateway, sf_state: SalesforceState):
    ids = [seed_deal(sf_state, f"Deal {n}") for n in range(250)]
    sf_state.clear_calls()
    wanted = list(reversed(ids))
    found = gateway.opportunities_by_ids(wanted + [ids[0][:15]])
    assert [o.id for o in found] == wanted + [ids[0]]
    assert len(_queries(sf_state)) == 2  # 200 + 51 ids
    with pytest.raises(ValueError):
        gateway.opportunities_by_ids(["not an id"])


def test_find_by_name_escapes_quotes_and_wildcards(gateway: SalesforceGateway, sf_state: SalesforceState):
    seed_deal(sf_state, "O'Brien 50% upgrade")
    seed_deal(sf_state, "O'Brien 500 upgrade")
    assert [o.name for o in gateway.find_opportunities_by_name("o'brien 50%")] == ["O'Brien 50% upgrade"]
    assert len(gateway.find_opportunities_by_name("O'Brien")) == 2
    assert gateway.find_opportunities_by_name("   ") == []


def test_get_opportunity_and_not_found(gateway: SalesforceGateway, sf_state: SalesforceState):
    deal = seed_deal(sf_state)
    assert gateway.get_opportunity(deal).id == deal
    with pytest.raises(VendorNotFound):
        gateway.get_opportunity("006LB0000000999AAA")


def test_write_invoice_status_patches_only_qbo_fields(
        gateway: SalesforceGateway, sf_state: SalesforceState, sf_clock: FixedClock):
    deal = seed_deal(sf_state, PO_Number__c="PO-1")
    sf_clock.advance(timedelta(hours=1))
    assert gateway.api_usage() is None
    gateway.write_invoice_status(deal, invoice_id="130", invoice_number="1042", status="Sent",
                                 balance=Decimal("1234.56"))
    record = sf_state.record("Opportunity", deal)
    assert (record["QBO_Invoice_Id__c"], record["QBO_Invoice_Number__c"], record["QBO_Invoice_Status__c"]) == \
        ("130", "1042", "Sent")
    assert record["QBO_Balance__c"] == Decimal("1234.56") and record["PO_Number__c"] == "PO-1"
    assert record["QBO_Last_Sync__c"] == START + timedelta(hours=1)
    assert [(c.method, c.status) for c in sf_state.calls()] == [("PATCH", 204)]
    assert gateway.api_usage() == (1, 15000)


def test_errors_are_translated(sf_server: RunningServer, gateway: SalesforceGateway, sf_state: SalesforceState):
    deal = seed_deal(sf_state)
    sf_state.add_validation_error("Opportunity", "Invoice fields are locked", record_id=deal)
    with pytest.raises(VendorValidationError, match="FIELD_CUSTOM_VALIDATION_EXCEPTION: Invoice fields are locked"):
        gateway.write_invoice_status(deal, invoice_id="1", invoice_number="1", status="Sent", balance=None)
    sf_state.set_request_limit_exceeded(True)
    with pytest.raises(RateLimited) as limited:
        gateway.get_opportunity(deal)
    assert limited.value.retryable and limited.value.code == "REQUEST_LIMIT_EXCEEDED"
    sf_state.set_request_limit_exceeded(False)
    for kind in ("500", "503"):
        sf_state.inject_fault(kind)
        with pytest.raises(VendorUnavailable) as unavailable:
            list(gateway.opportunities_changed_since(None))
        assert unavailable.value.status == int(kind)
    sf_state.inject_fault("delay", delay_seconds=0.8)
    slow = SalesforceGateway(build_salesforce(settings_for(sf_server, ledgerbridge_http_timeout=0.2)))
    with pytest.raises(VendorUnavailable, match="timed out"):
        slow.get_opportunity(deal)
    expired = SalesforceGateway(build_salesforce(settings_for(sf_server, salesforce_access_token="stale")))
    with pytest.raises(AuthenticationFailed) as auth:
        expired.get_opportunity(deal)
    assert "stale" not in str(auth.value) and auth.value.code == "INVALID_SESSION_ID"


def test_build_salesforce_with_password(sf_server: RunningServer, sf_state: SalesforceState):
    settings = settings_for(sf_server, salesforce_access_token=None, salesforce_username=DEFAULT_USERNAME,
                            salesforce_password=DEFAULT_PASSWORD, salesforce_security_token=DEFAULT_SECURITY_TOKEN)
    sf = build_salesforce(settings)
    assert sf.session_id != DEFAULT_ACCESS_TOKEN and sf_state.knows_token(sf.session_id)
    seed_deal(sf_state)
    assert len(list(SalesforceGateway(sf).opportunities_changed_since(None))) == 1
    wrong = settings_for(sf_server, salesforce_access_token=None, salesforce_username=DEFAULT_USERNAME,
                         salesforce_password="nope")
    with pytest.raises(AuthenticationFailed, match="INVALID_LOGIN"):
        build_salesforce(wrong)


def test_build_salesforce_with_jwt(sf_server: RunningServer, sf_state: SalesforceState, tmp_path: Path):
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    key_file = tmp_path / "server.key"
    key_file.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    public_pem = key.public_key().public_bytes(serialization.Encoding.PEM,
                                               serialization.PublicFormat.SubjectPublicKeyInfo).decode()
    sf_state.register_jwt_client("3MVG-client", public_pem)
    settings = settings_for(sf_server, salesforce_access_token=None, salesforce_username=DEFAULT_USERNAME,
                            salesforce_client_id="3MVG-client", salesforce_private_key_file=key_file)
    sf = build_salesforce(settings)
    assert sf_state.knows_token(sf.session_id)
    assert SalesforceGateway(sf).find_opportunities_by_name("x") == []
    other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    key_file.write_bytes(other.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                             serialization.NoEncryption()))
    with pytest.raises(AuthenticationFailed, match="invalid_grant"):
        build_salesforce(settings)


def test_build_salesforce_without_credentials_is_a_config_error(sf_server: RunningServer):
    with pytest.raises(ConfigError, match="SALESFORCE_ACCESS_TOKEN"):
        build_salesforce(settings_for(sf_server, salesforce_access_token=None))


def test_a_checkbox_is_false_until_set_and_an_absent_one_stays_unknown(gateway: SalesforceGateway,
                                                                        sf_state: SalesforceState):
    account_id = sf_state.seed("Account", {"Name": "Checkbox Co"})
    assert sf_state.record("Account", account_id)["Tax_Exempt__c"] is False        # never null in Salesforce
    assert parse_account({"Id": account_id, "Name": "X", "Tax_Exempt__c": True}).tax_exempt is True
    assert parse_account({"Id": account_id, "Name": "X"}).tax_exempt is None
