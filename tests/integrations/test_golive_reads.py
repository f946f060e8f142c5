"""What `check --live` and `readiness` read, through the real clients against the emulators: the Salesforce
describe with field-level security, the custom-field table, QuickBooks preferences and whole name lists."""
from __future__ import annotations

import re
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from app.clock import FixedClock
from app.errors import VendorValidationError
from app.integrations.quickbooks import DuplicateDocNumberError
from app.integrations.salesforce import SalesforceGateway, build_salesforce
from app.integrations.salesforce_fields import CUSTOM_FIELDS
from app.integrations.salesforce_soql import ACCOUNT_FIELDS, OPPORTUNITY_FIELDS
from app.integrations.tokens import MemoryTokenStore
from app.sandbox.quickbooks import DemoCompany, QuickBooksState
from app.sandbox.salesforce import SalesforceState
from app.sandbox.server import RunningServer
from tests.integrations.test_quickbooks_wrapper import World, _draft
from tests.integrations.test_salesforce_wrapper import settings_for

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def salesforce(sf_server: RunningServer, sf_clock: FixedClock) -> SalesforceGateway:
    return SalesforceGateway(build_salesforce(settings_for(sf_server)), clock=sf_clock)


def test_describe_lists_types_and_edit_rights_as_salesforce_does(salesforce: SalesforceGateway) -> None:
    opportunity = salesforce.describe("Opportunity")
    assert opportunity.name == "Opportunity" and opportunity.updateable
    balance, won = opportunity.field("qbo_balance__c"), opportunity.field("IsWon")
    assert balance is not None and (balance.type, balance.updateable, balance.custom) == ("currency", True, True)
    assert won is not None and (won.type, won.updateable, won.custom) == ("boolean", False, False)
    website = salesforce.describe("Account").field("Website")
    assert website is not None and website.type == "url"


def test_a_field_the_user_cannot_see_is_gone_from_describe_queries_and_writes(
        salesforce: SalesforceGateway, sf_state: SalesforceState) -> None:
    deal = sf_state.seed("Opportunity", {"Name": "D", "StageName": "Closed Won", "CloseDate": "2024-06-30"})
    sf_state.remove_field("Opportunity", "PO_Number__c")
    assert salesforce.describe("Opportunity").field("PO_Number__c") is None
    with pytest.raises(VendorValidationError, match="INVALID_FIELD: No such column 'PO_Number__c'"):
        list(salesforce.opportunities_changed_since(None))          # the poll selects it
    sf_state.make_read_only("Opportunity", "QBO_Invoice_Id__c")
    assert salesforce.describe("Opportunity").field("QBO_Invoice_Id__c").updateable is False
    with pytest.raises(VendorValidationError, match="INVALID_FIELD_FOR_INSERT_UPDATE"):
        salesforce.write_invoice_status(deal, invoice_id="1", invoice_number="1001", status="Open",
                                        balance=Decimal("10"))


def test_the_custom_field_table_names_what_we_select_and_exactly_what_we_write(
        salesforce: SalesforceGateway, sf_state: SalesforceState) -> None:
    table = {(field.sobject, field.name) for field in CUSTOM_FIELDS}
    selected = {("Opportunity", name) for name in OPPORTUNITY_FIELDS if name.endswith("__c")} | \
        {("Account", name) for name in ACCOUNT_FIELDS if name.endswith("__c")}
    assert selected <= table
    deal = sf_state.seed("Opportunity", {"Name": "D", "StageName": "Closed Won", "CloseDate": "2024-06-30"})
    for field in CUSTOM_FIELDS:
        if field.sobject == "Opportunity" and not field.written:
            sf_state.make_read_only("Opportunity", field.name)
    salesforce.write_invoice_status(deal, invoice_id="1", invoice_number="1001", status="Open", balance=None)
    for field in (f for f in CUSTOM_FIELDS if f.written):
        sf_state.field_access.clear()
        sf_state.make_read_only("Opportunity", field.name)
        with pytest.raises(VendorValidationError, match=field.name):
            salesforce.write_invoice_status(deal, invoice_id="1", invoice_number="1001", status="Open",
                                            balance=Decimal("1"))


def test_the_readme_lists_every_custom_field() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    step = readme[readme.index("4. **Salesforce.**"):readme.index("5. **QuickBooks.**")]
    listed = set(re.findall(r"`(\w+__c)`", step))
    assert listed == {field.name for field in CUSTOM_FIELDS}


def test_pipeline_and_won_since_reads_open_deals_and_recent_wins(salesforce: SalesforceGateway,
                                                                 sf_state: SalesforceState) -> None:
    for name, stage, closed in (("old win", "Closed Won", "2024-01-10"), ("new win", "Closed Won", "2024-04-10"),
                                ("lost", "Closed Lost", "2024-04-11"), ("open", "Negotiation", "2023-12-01")):
        sf_state.seed("Opportunity", {"Name": name, "StageName": stage, "CloseDate": closed})
    read = [deal.name for deal in salesforce.pipeline_and_won_since(date(2024, 2, 1))]
    assert read == ["open", "new win"]
    assert salesforce.count_pipeline_and_won_since(date(2024, 2, 1)) == 2


@pytest.fixture
def quickbooks(qbo_state: QuickBooksState, qbo_server: RunningServer, qbo_demo: DemoCompany,
               qbo_clock: FixedClock) -> World:
    return World(qbo_state, qbo_server, qbo_demo, qbo_clock, MemoryTokenStore())


def test_preferences_say_whether_custom_transaction_numbers_are_on(quickbooks: World) -> None:
    gateway = quickbooks.gateway()
    assert gateway.preferences().custom_txn_numbers is True
    quickbooks.state.set_custom_txn_numbers(quickbooks.demo.realm_id, False)
    assert gateway.preferences().custom_txn_numbers is False


def test_whole_lists_include_inactive_entries_page_by_page(quickbooks: World,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("app.integrations.quickbooks.LIST_PAGE", 2)     # the real page is 1000: force paging
    quickbooks.state.deactivate(quickbooks.demo.realm_id, "Item", "Support Plan")
    quickbooks.state.deactivate(quickbooks.demo.realm_id, "Term", "Net 90")
    gateway = quickbooks.gateway()
    items = {item.name: item.active for item in gateway.all_items()}
    assert items == {"Consulting Services": True, "Annual Subscription": True, "Implementation": True,
                     "Support Plan": False}
    assert {term.name: term.active for term in gateway.all_terms()}["Net 90"] is False
    assert len(gateway.all_customers()) == 3
    assert gateway.find_item_by_name("Support Plan") is None      # ordinary look-ups skip inactive items


def test_without_custom_numbers_quickbooks_does_not_refuse_a_repeated_doc_number(quickbooks: World) -> None:
    gateway = quickbooks.gateway()
    with pytest.raises(DuplicateDocNumberError):      # custom numbers on: a second SF-9 is refused (6140)
        for request_id in ("a-1", "a-2"):
            gateway.create_invoice(_draft("SF-9"), request_id=request_id)
    quickbooks.state.set_custom_txn_numbers(quickbooks.demo.realm_id, False)
    again = gateway.create_invoice(_draft("SF-9"), request_id="a-3")
    assert again.doc_number == "SF-9"
