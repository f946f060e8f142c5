"""Fields only some orgs have: CurrencyIsoCode (multi-currency orgs) and the custom exemption fields, found through
the objects' describe and read when present, through simple-salesforce against the emulator."""
from __future__ import annotations

import pytest
import requests
from simple_salesforce import Salesforce
from simple_salesforce.exceptions import SalesforceMalformedRequest

from app.config import Settings
from app.integrations.http import LoopbackHttpAdapter
from app.integrations.salesforce import SalesforceGateway, build_salesforce
from app.sandbox.salesforce import DEFAULT_ACCESS_TOKEN, SalesforceState
from app.sandbox.salesforce.errors import ApiError
from app.sandbox.server import RunningServer


def _settings(sf_server: RunningServer) -> Settings:
    return Settings(_env_file=None, salesforce_instance_url=sf_server.url, salesforce_access_token=DEFAULT_ACCESS_TOKEN,
                    salesforce_login_url=sf_server.url, ledgerbridge_http_timeout=5.0, salesforce_username=None,
                    salesforce_password=None, salesforce_security_token=None, salesforce_client_id=None,
                    salesforce_private_key_file=None)


@pytest.fixture
def sf(sf_server: RunningServer) -> Salesforce:
    session = requests.Session()
    session.mount(f"https://127.0.0.1:{sf_server.port}/", LoopbackHttpAdapter(sf_server.url, 5.0))
    return Salesforce(instance_url=sf_server.url, session_id=DEFAULT_ACCESS_TOKEN, session=session, version="59.0")


def _deal(sf_state: SalesforceState, **fields: object) -> str:
    account = sf_state.seed("Account", {"Name": "Euro Retail", "BillingCountry": "Germany", "Tax_Exempt__c": True,
                                        "Tax_Exemption_Reason__c": "Resale", "Resale_Number__c": "DE-99"})
    product = sf_state.seed("Product2", {"Name": "Support", "ProductCode": "SUP"})
    deal = sf_state.seed("Opportunity", {"Name": "Euro deal", "StageName": "Closed Won", "CloseDate": "2024-06-30",
                                         "AccountId": account, **fields})
    sf_state.seed("OpportunityLineItem", {"OpportunityId": deal, "Product2Id": product, "Quantity": 1,
                                          "UnitPrice": 100})
    return deal


def test_a_single_currency_org_has_no_currency_iso_code(sf: Salesforce, sf_state: SalesforceState) -> None:
    names = {field["name"] for field in sf.Opportunity.describe()["fields"]}
    assert "CurrencyIsoCode" not in names and {"Name", "Amount", "QBO_Invoice_Id__c"} <= names
    assert "Resale_Number__c" in {field["name"] for field in sf.Account.describe()["fields"]}
    with pytest.raises(SalesforceMalformedRequest) as caught:
        sf.query("SELECT Id, CurrencyIsoCode FROM Opportunity")
    assert caught.value.content[0]["errorCode"] == "INVALID_FIELD"
    with pytest.raises(ApiError, match="No such column 'CurrencyIsoCode'"):
        sf_state.seed("Opportunity", {"Name": "x", "StageName": "Prospecting", "CloseDate": "2024-06-30",
                                      "CurrencyIsoCode": "EUR"})


def test_a_multi_currency_org_gives_every_record_a_currency(sf: Salesforce, sf_state: SalesforceState) -> None:
    sf_state.multicurrency = True
    deal = _deal(sf_state, CurrencyIsoCode="EUR")
    usd = sf_state.seed("Opportunity", {"Name": "Home deal", "StageName": "Closed Won", "CloseDate": "2024-06-30"})
    rows = sf.query(f"SELECT Id, CurrencyIsoCode, (SELECT CurrencyIsoCode FROM OpportunityLineItems) "
                    f"FROM Opportunity WHERE Id IN ('{deal}', '{usd}') ORDER BY Name")["records"]
    assert [row["CurrencyIsoCode"] for row in rows] == ["EUR", "USD"]
    assert rows[0]["OpportunityLineItems"]["records"][0]["CurrencyIsoCode"] == "EUR"  # a line follows its deal


def test_the_gateway_reads_the_optional_fields_only_where_the_org_has_them(sf_server: RunningServer,
                                                                          sf_state: SalesforceState) -> None:
    single = SalesforceGateway(build_salesforce(_settings(sf_server)))
    _deal(sf_state)
    (opportunity,) = list(single.opportunities_changed_since(None))
    assert opportunity.currency is None and opportunity.account is not None
    assert (opportunity.account.tax_exemption_reason, opportunity.account.resale_number) == ("Resale", "DE-99")
    sf_state.multicurrency = True
    multi = SalesforceGateway(build_salesforce(_settings(sf_server)))
    euro = _deal(sf_state, CurrencyIsoCode="EUR")
    assert multi.opportunities_by_ids([euro])[0].currency == "EUR"
    assert multi.org_fields().opportunity == ("CurrencyIsoCode", "Business_Unit__c", "RecordType.Name")
    assert single.org_fields().opportunity == ("Business_Unit__c", "RecordType.Name")   # the pilot's fields
