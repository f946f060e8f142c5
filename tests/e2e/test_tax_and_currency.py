"""Tax treatment by policy and currency, end to end: Salesforce deals through the worker to QuickBooks invoices
whose tax QuickBooks computed, read back and shown in Slack; VAT exclusive and inclusive; an unmapped region and a
deal in another currency than its customer's each opening the exception that names the fix."""
from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import yaml
from sqlmodel import select

from app.db import session_scope
from app.deals.models import Account, Deal
from app.exception_queue.models import ExceptionItem
from app.invoicing.models import InvoiceJob
from app.sandbox.book import Book, Line
from app.sandbox.people import ANN, BOB, CARL, SAM
from app.sandbox.quickbooks import DEMO_CLIENT_ID
from app.sandbox.quickbooks.demo import DEMO_REALM_ID, INCOME_ACCOUNT
from app.sandbox.stack import DEMO_POLICY, Emulators, Stack, sandbox_settings, start_app, start_emulators
from app.slack.ids import ActionId
from tests.e2e.conftest import eventually, poll
from tests.e2e.test_corrections import correction_request, last_view, submit_form

APPROVALS = "C05APPR0VAL"
UK_REALM = "9341452000000044"
CUPERTINO = {"ShippingStreet": "1 Infinite Loop", "ShippingCity": "Cupertino", "ShippingState": "CA",
             "ShippingPostalCode": "95014", "ShippingCountry": "USA"}
LONDON = {"BillingStreet": "1 High St", "BillingCity": "London", "BillingState": None, "BillingPostalCode": "EC1A",
          "BillingCountry": "United Kingdom"}


def policy_file(tmp_path: Path, change: Callable[[dict[str, Any]], None]) -> Path:
    data = yaml.safe_load(DEMO_POLICY.read_text(encoding="utf-8"))
    data["approval_rules"].pop("customer_activation", None)     # new customers need no activation here
    change(data)
    path = tmp_path / "policy.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


def start(database_url: str, policy: Path, prepare: Callable[[Emulators], dict[str, Any]] | None = None) -> Stack:
    emulators = start_emulators()
    emulators.slack.retry_after_override = 0
    emulators.slack.set_rate_limit(rate=1000.0, burst=1000)
    try:
        overrides = prepare(emulators) if prepare else {}
        return start_app(emulators, sandbox_settings(emulators, database_url=database_url, policy_path=policy,
                                                     **overrides))
    except BaseException:
        emulators.stop()
        raise


def jobs(stack: Stack) -> dict[str, InvoiceJob]:
    with session_scope(stack.runtime.engine) as session:
        rows = session.exec(select(InvoiceJob, Deal).join(Deal, Deal.id == InvoiceJob.deal_id)).all()
        return {deal.sf_id: job for job, deal in rows if job.qbo_invoice_id}


def invoice_of(stack: Stack, realm: str, deal_id: str) -> dict:
    return eventually(lambda: next((i for i in stack.emulators.quickbooks.objects(realm, "Invoice")
                                    if i["DocNumber"] == deal_id), None), what=f"the invoice of {deal_id}")


def open_exceptions(stack: Stack) -> list[ExceptionItem]:
    with session_scope(stack.runtime.engine) as session:
        return list(session.exec(select(ExceptionItem).where(ExceptionItem.status == "open")))


def status_answer(stack: Stack, query: str) -> str:
    before = len([p for r in stack.emulators.slack.all_responses() for p in r.posts])
    stack.slack_side.send_slash_command(SAM.slack_id, "/invoice-status", query)

    def answer() -> str | None:
        posts = [p for r in stack.emulators.slack.all_responses() for p in r.posts]
        return json.dumps(posts[-1], ensure_ascii=False) if posts[before:] else None
    return eventually(answer, what="the /invoice-status answer")


# -- United States, automated sales tax ---------------------------------------------------------------------

@pytest.fixture
def us_stack(sqlite_url: str, tmp_path: Path) -> Iterator[Stack]:
    def us_automated(data: dict[str, Any]) -> None:
        data["tax"] = {"model": "us_automated", "product_categories": {"SUPPORT": "non_taxable"},
                       "exemption_reasons": {"Resale": 9}}
    running = start(sqlite_url, policy_file(tmp_path, us_automated))
    yield running
    running.stop()


def test_taxable_exempt_and_mixed_deals_under_automated_sales_tax(us_stack: Stack) -> None:
    book, owner = Book(us_stack.emulators.salesforce), us_stack.emulators.sf_user_ids["sam"]
    book.add_account("Acme Corporation", **CUPERTINO)
    book.add_account("Globex Inc", ShippingCity="Bayshore", ShippingState="CA", ShippingPostalCode="94326",
                     ShippingCountry="USA", ShippingStreet="4581 Finch St.")
    book.add_account("Resale Partners LLC", Tax_Exempt__c=True, Tax_Exemption_Reason__c="Resale",
                     Resale_Number__c="SR-1001", **CUPERTINO)
    taxable = book.add_deal("Acme - Subscription", account="Acme Corporation", owner_id=owner,
                            lines=[Line("Annual Subscription", Decimal(1))])
    exempt = book.add_deal("Resale - Subscription", account="Resale Partners LLC", owner_id=owner,
                           lines=[Line("Annual Subscription", Decimal(1))])
    mixed = book.add_deal("Globex - Rollout", account="Globex Inc", owner_id=owner,
                          lines=[Line("Implementation", Decimal(1)), Line("Support Plan", Decimal(1))])
    poll(us_stack)

    acme = invoice_of(us_stack, DEMO_REALM_ID, taxable)
    assert acme["TxnTaxDetail"]["TotalTax"] == Decimal("1110.00")        # 7.25% CA + 2% Santa Clara on 12,000
    assert acme["ShipAddr"]["PostalCode"] == "95014" and acme["TotalAmt"] == Decimal("13110.00")
    resale = invoice_of(us_stack, DEMO_REALM_ID, exempt)
    assert resale["TxnTaxDetail"]["TotalTax"] == 0 and resale["TotalAmt"] == Decimal("12000.00")
    customer = us_stack.emulators.quickbooks.get_object(DEMO_REALM_ID, "Customer", resale["CustomerRef"]["value"])
    assert (customer["Taxable"], customer["TaxExemptionReasonId"], customer["ResaleNum"]) == (False, "9", "SR-1001")
    globex = invoice_of(us_stack, DEMO_REALM_ID, mixed)
    assert [line["SalesItemLineDetail"]["TaxCodeRef"]["value"] for line in globex["Line"][:2]] == ["TAX", "NON"]
    assert globex["TxnTaxDetail"]["TotalTax"] == Decimal("362.50")       # 7.25% on the 5,000 implementation only

    read_back = eventually(lambda: len(jobs(us_stack)) == 3 and jobs(us_stack), what="the three invoice jobs")
    assert {deal: job.tax_total for deal, job in read_back.items()} == {
        taxable: Decimal("1110.00"), exempt: Decimal("0.00"), mixed: Decimal("362.50")}
    confirmations = eventually(lambda: [m.text for m in us_stack.emulators.slack.messages(APPROVALS)
                                        if "incl." in m.text], what="the confirmations with tax")
    assert any("$13,110.00 (incl. $1,110.00 tax)" in text for text in confirmations)
    answer = status_answer(us_stack, taxable)
    assert "Tax" in answer and "$1,110.00" in answer and "$13,110.00" in answer


# -- VAT ---------------------------------------------------------------------------------------------------------

def _uk_company(emulators: Emulators) -> dict[str, Any]:
    qbo = emulators.quickbooks
    qbo.add_realm(UK_REALM, company_name="Ledgerbridge UK Ltd", country="GB", timezone="Europe/London")
    for name in ("Annual Subscription", "Implementation", "Support Plan"):
        qbo.seed(UK_REALM, "Item", {"Name": name, "Type": "Service", "IncomeAccountRef": dict(INCOME_ACCOUNT)})
    qbo.seed(UK_REALM, "Term", {"Name": "Net 30", "DueDays": 30})
    token = qbo.issue_refresh_token(DEMO_CLIENT_ID, UK_REALM)
    return {"qbo_realm_id": UK_REALM, "qbo_refresh_token": token}


def _vat(calculation: str) -> Callable[[dict[str, Any]], None]:
    def change(data: dict[str, Any]) -> None:
        data["mappings"]["entities"]["default_realm_id"] = UK_REALM
        data["currency"] = {"home": "GBP"}
        data["tax"] = {"model": "global", "calculation": calculation, "default_category": "standard",
                       "product_categories": {"SUPPORT": "reduced"},
                       "codes": {"GB": {"standard": "20.0% S", "reduced": "5.0% R"}}}
    return change


@pytest.mark.parametrize(("calculation", "tax", "total", "net_first_line"), [
    ("exclusive", Decimal("2520.00"), Decimal("16920.00"), Decimal("12000.00")),     # 20% of 12,000 + 5% of 2,400
    ("inclusive", Decimal("2114.29"), Decimal("14400.00"), Decimal("10000.00")),     # backed out of the prices
])
def test_a_vat_company_with_exclusive_and_inclusive_amounts(sqlite_url: str, tmp_path: Path, calculation: str,
                                                            tax: Decimal, total: Decimal,
                                                            net_first_line: Decimal) -> None:
    stack = start(sqlite_url, policy_file(tmp_path, _vat(calculation)), _uk_company)
    try:
        book = Book(stack.emulators.salesforce)
        book.add_account("Acme UK", **LONDON)
        deal = book.add_deal("Acme UK - Subscription", account="Acme UK", owner_id=stack.emulators.sf_user_ids["sam"],
                             lines=[Line("Annual Subscription", Decimal(1)), Line("Support Plan", Decimal(1))])
        poll(stack)
        invoice = invoice_of(stack, UK_REALM, deal)
        assert invoice["GlobalTaxCalculation"] == ("TaxInclusive" if calculation == "inclusive" else "TaxExcluded")
        assert invoice["TxnTaxDetail"]["TotalTax"] == tax and invoice["TotalAmt"] == total
        assert invoice["Line"][0]["Amount"] == net_first_line and invoice["CurrencyRef"]["value"] == "GBP"
        codes = {row["Id"]: row["Name"] for row in stack.emulators.quickbooks.objects(UK_REALM, "TaxCode")}
        assert [codes[line["SalesItemLineDetail"]["TaxCodeRef"]["value"]] for line in invoice["Line"][:2]] == [
            "20.0% S", "5.0% R"]
        job = eventually(lambda: jobs(stack).get(deal), what="the invoice job")
        assert (job.tax_total, job.currency) == (tax, "GBP")
    finally:
        stack.stop()


def test_an_unmapped_region_opens_an_exception_naming_the_missing_mapping(sqlite_url: str, tmp_path: Path) -> None:
    stack = start(sqlite_url, policy_file(tmp_path, _vat("exclusive")), _uk_company)
    try:
        book = Book(stack.emulators.salesforce)
        book.add_account("Acme GmbH", BillingCountry="Germany", BillingCity="Berlin", BillingState=None)
        book.add_deal("Acme GmbH - Subscription", account="Acme GmbH", owner_id=stack.emulators.sf_user_ids["sam"],
                      lines=[Line("Annual Subscription", Decimal(1))])
        poll(stack)
        items = eventually(lambda: [e for e in open_exceptions(stack) if e.kind == "unmapped_tax"],
                           what="the unmapped-tax exception")
        assert "tax.codes.DE.standard" in items[0].reason and "tax.codes" in items[0].fix
        assert stack.emulators.quickbooks.objects(UK_REALM, "Invoice") == []
    finally:
        stack.stop()


# -- currency ------------------------------------------------------------------------------------------------

def _multicurrency(emulators: Emulators) -> dict[str, Any]:
    emulators.salesforce.multicurrency = True
    book = emulators.quickbooks.book(DEMO_REALM_ID)
    book.company.multicurrency = True
    emulators.quickbooks.set_exchange_rate(DEMO_REALM_ID, "EUR", "1.10", date(2024, 1, 1))
    return {}


def test_a_deal_in_eur_for_a_usd_customer_opens_an_exception_naming_the_fix(sqlite_url: str, tmp_path: Path) -> None:
    stack = start(sqlite_url, policy_file(tmp_path, lambda data: None), _multicurrency)
    try:
        book, owner = Book(stack.emulators.salesforce), stack.emulators.sf_user_ids["sam"]
        book.add_account("Globex Inc")                                  # QuickBooks' Globex Inc bills in USD
        book.add_account("Euro Retail GmbH", BillingCountry="Germany", CurrencyIsoCode="EUR")
        euro_for_usd = book.add_deal("Globex - EUR deal", account="Globex Inc", owner_id=owner, CurrencyIsoCode="EUR",
                                     lines=[Line("Support Plan", Decimal(1))])
        euro = book.add_deal("Euro Retail - Support", account="Euro Retail GmbH", owner_id=owner,
                             CurrencyIsoCode="EUR", lines=[Line("Support Plan", Decimal(1))])
        poll(stack)

        items = eventually(lambda: [e for e in open_exceptions(stack) if "currency" in e.reason],
                           what="the currency exception", timeout=60)
        assert "is in EUR but QuickBooks customer 'Globex Inc' is billed in USD" in items[0].reason
        assert "change the opportunity's currency to USD" in items[0].reason
        assert all(i["DocNumber"] != euro_for_usd for i in stack.emulators.quickbooks.objects(DEMO_REALM_ID,
                                                                                               "Invoice"))
        invoice = invoice_of(stack, DEMO_REALM_ID, euro)
        assert invoice["CurrencyRef"]["value"] == "EUR" and invoice["ExchangeRate"] == Decimal("1.10")
        assert invoice["HomeTotalAmt"] == Decimal("2640.00")
        job = eventually(lambda: jobs(stack).get(euro), what="the EUR invoice job")
        assert (job.currency, job.exchange_rate, job.home_total) == ("EUR", Decimal("1.10"), Decimal("2640.00"))
        with session_scope(stack.runtime.engine) as session:
            account = session.exec(select(Account).where(Account.name == "Euro Retail GmbH")).one()
            assert account.qbo_currency == "EUR"
        answer = status_answer(stack, euro)
        assert "€2,400.00" in answer
    finally:
        stack.stop()


# -- a taxability change after the invoice -------------------------------------------------------------------

def test_an_account_made_exempt_after_its_taxed_invoice_is_rebilled_without_tax(us_stack: Stack) -> None:
    """The credit and corrected invoice proposed for a taxability change: the credit takes the tax back, the
    corrected invoice carries none (QuickBooks' customer is still taxable: the lines say NON)."""
    book, owner = Book(us_stack.emulators.salesforce), us_stack.emulators.sf_user_ids["sam"]
    account_id = book.add_account("Acme Corporation", **CUPERTINO)
    deal = book.add_deal("Acme - Subscription", account="Acme Corporation", owner_id=owner,
                         lines=[Line("Annual Subscription", Decimal(1))])
    poll(us_stack)
    original = invoice_of(us_stack, DEMO_REALM_ID, deal)
    assert original["TxnTaxDetail"]["TotalTax"] == Decimal("1110.00")
    eventually(lambda: (job := jobs(us_stack).get(deal)) is not None and job.writeback_done, what="the write-back")

    us_stack.emulators.salesforce.user_edit("Account", account_id, {"Tax_Exempt__c": True})
    poll(us_stack)
    request = eventually(lambda: next((m for m in us_stack.emulators.slack.messages(APPROVALS)
                                       if not m.thread_ts and "Credit and re-invoice" in json.dumps(m.blocks)), None),
                         what="the proposed credit and corrected invoice")
    assert "became tax exempt" in json.dumps(request.blocks)
    us_stack.slack_side.click_button(CARL.slack_id, APPROVALS, request.ts, ActionId.APPROVE)   # a controller: 12,000

    corrected = invoice_of(us_stack, DEMO_REALM_ID, f"{deal[:15]}-R1")
    assert corrected["TxnTaxDetail"]["TotalTax"] == 0 and corrected["TotalAmt"] == Decimal("12000.00")
    memo = eventually(lambda: us_stack.emulators.quickbooks.objects(DEMO_REALM_ID, "CreditMemo"), what="the credit")
    assert memo[0]["TotalAmt"] == Decimal("13110.00")                   # the tax credited back too
    assert us_stack.emulators.quickbooks.get_object(DEMO_REALM_ID, "Invoice", original["Id"])["Balance"] == 0


def test_a_line_credit_on_a_vat_inclusive_invoice_credits_the_gross_with_its_tax(sqlite_url: str,
                                                                                 tmp_path: Path) -> None:
    stack = start(sqlite_url, policy_file(tmp_path, _vat("inclusive")), _uk_company)
    try:
        book = Book(stack.emulators.salesforce)
        book.add_account("Acme UK", **LONDON)
        deal = book.add_deal("Acme UK - Subscription", account="Acme UK", owner_id=stack.emulators.sf_user_ids["sam"],
                             lines=[Line("Annual Subscription", Decimal(1)), Line("Support Plan", Decimal(1))])
        poll(stack)
        invoice = invoice_of(stack, UK_REALM, deal)
        eventually(lambda: (job := jobs(stack).get(deal)) is not None and job.writeback_done, what="the write-back")
        stack.slack_side.send_slash_command(ANN.slack_id, "/correct-invoice", deal)
        submit_form(stack, ANN.slack_id, last_view(stack), kind="lines", lines=[1], reason="Support not delivered")
        request = correction_request(stack, "Credit memo")
        stack.slack_side.click_button(BOB.slack_id, APPROVALS, request.ts, ActionId.APPROVE)
        memo = eventually(lambda: stack.emulators.quickbooks.objects(UK_REALM, "CreditMemo"), what="the credit")[0]
        assert memo["GlobalTaxCalculation"] == "TaxInclusive" and memo["TotalAmt"] == Decimal("2400.00")
        assert memo["TxnTaxDetail"]["TotalTax"] == Decimal("114.29")          # the 5% backed out of 2,400
        balance = eventually(lambda: (b := stack.emulators.quickbooks.get_object(UK_REALM, "Invoice", invoice["Id"])
                                      ["Balance"]) != invoice["Balance"] and b, what="the credit applied")
        assert balance == Decimal("12000.00")
    finally:
        stack.stop()


def test_an_exempt_account_made_taxable_after_its_invoice_is_rebilled_with_tax_once(us_stack: Stack) -> None:
    """Taxable again after invoicing: the approved correction first makes QuickBooks' customer taxable (sparse
    update, exemption reason cleared, sent once across a retry), then credits the untaxed invoice and issues the
    corrected invoice, which QuickBooks taxes."""
    book, owner = Book(us_stack.emulators.salesforce), us_stack.emulators.sf_user_ids["sam"]
    account_id = book.add_account("Resale Partners LLC", Tax_Exempt__c=True, Tax_Exemption_Reason__c="Resale",
                                  Resale_Number__c="SR-1001", **CUPERTINO)
    deal = book.add_deal("Resale - Subscription", account="Resale Partners LLC", owner_id=owner,
                         lines=[Line("Annual Subscription", Decimal(1))])
    poll(us_stack)
    original = invoice_of(us_stack, DEMO_REALM_ID, deal)
    assert original["TxnTaxDetail"]["TotalTax"] == 0
    eventually(lambda: (job := jobs(us_stack).get(deal)) is not None and job.writeback_done, what="the write-back")
    customer_id = original["CustomerRef"]["value"]

    us_stack.emulators.salesforce.user_edit("Account", account_id, {"Tax_Exempt__c": False,
                                                                    "Tax_Exemption_Reason__c": None})
    poll(us_stack)
    request = eventually(lambda: next((m for m in us_stack.emulators.slack.messages(APPROVALS)
                                       if not m.thread_ts and "Credit and re-invoice" in json.dumps(m.blocks)), None),
                         what="the proposed credit and corrected invoice")
    assert "became taxable" in json.dumps(request.blocks)
    assert us_stack.emulators.quickbooks.get_object(DEMO_REALM_ID, "Customer", customer_id)["Taxable"] is False
    us_stack.emulators.quickbooks.inject_fault("error", count=1, path_contains="creditmemo")   # a retry follows
    us_stack.slack_side.click_button(CARL.slack_id, APPROVALS, request.ts, ActionId.APPROVE)   # a controller: 12,000

    corrected = invoice_of(us_stack, DEMO_REALM_ID, f"{deal[:15]}-R1")
    assert corrected["TxnTaxDetail"]["TotalTax"] == Decimal("1110.00") and corrected["TotalAmt"] == Decimal("13110.00")
    memo = eventually(lambda: us_stack.emulators.quickbooks.objects(DEMO_REALM_ID, "CreditMemo"), what="the credit")
    assert len(memo) == 1 and memo[0]["TotalAmt"] == Decimal("12000.00")   # the untaxed invoice credited as issued
    assert us_stack.emulators.quickbooks.get_object(DEMO_REALM_ID, "Invoice", original["Id"])["Balance"] == 0
    customer = us_stack.emulators.quickbooks.get_object(DEMO_REALM_ID, "Customer", customer_id)
    assert customer["Taxable"] is True and customer.get("TaxExemptionReasonId") is None
    assert customer["SyncToken"] == "1"                                    # updated exactly once
    poll(us_stack)
    assert len(us_stack.emulators.quickbooks.objects(DEMO_REALM_ID, "CreditMemo")) == 1   # not proposed again


def test_a_ship_to_changed_after_the_invoice_is_rebilled_to_the_new_address_with_its_tax(us_stack: Stack) -> None:
    """A new ship-to after invoicing: the corrected invoice carries the new ShipAddr and QuickBooks computes its
    tax for that destination (Bayshore, CA: 7.25% state only, where Cupertino added 2% county)."""
    book, owner = Book(us_stack.emulators.salesforce), us_stack.emulators.sf_user_ids["sam"]
    account_id = book.add_account("Acme Corporation", **CUPERTINO)
    deal = book.add_deal("Acme - Subscription", account="Acme Corporation", owner_id=owner,
                         lines=[Line("Annual Subscription", Decimal(1))])
    poll(us_stack)
    original = invoice_of(us_stack, DEMO_REALM_ID, deal)
    assert original["TxnTaxDetail"]["TotalTax"] == Decimal("1110.00")
    eventually(lambda: (job := jobs(us_stack).get(deal)) is not None and job.writeback_done, what="the write-back")

    us_stack.emulators.salesforce.user_edit("Account", account_id, {
        "ShippingStreet": "4581 Finch St.", "ShippingCity": "Bayshore", "ShippingState": "CA",
        "ShippingPostalCode": "94326", "ShippingCountry": "USA"})
    poll(us_stack)
    request = eventually(lambda: next((m for m in us_stack.emulators.slack.messages(APPROVALS)
                                       if not m.thread_ts and "Credit and re-invoice" in json.dumps(m.blocks)), None),
                         what="the proposed credit and corrected invoice")
    assert "ship-to" in json.dumps(request.blocks) and "Bayshore" in json.dumps(request.blocks)
    us_stack.slack_side.click_button(CARL.slack_id, APPROVALS, request.ts, ActionId.APPROVE)

    corrected = invoice_of(us_stack, DEMO_REALM_ID, f"{deal[:15]}-R1")
    assert corrected["ShipAddr"]["PostalCode"] == "94326" and corrected["ShipAddr"]["City"] == "Bayshore"
    assert corrected["TxnTaxDetail"]["TotalTax"] == Decimal("870.00") and corrected["TotalAmt"] == Decimal("12870.00")
    memo = eventually(lambda: us_stack.emulators.quickbooks.objects(DEMO_REALM_ID, "CreditMemo"), what="the credit")
    assert memo[0]["TotalAmt"] == Decimal("13110.00")
    assert us_stack.emulators.quickbooks.get_object(DEMO_REALM_ID, "Invoice", original["Id"])["Balance"] == 0
    poll(us_stack)
    assert len(us_stack.emulators.quickbooks.objects(DEMO_REALM_ID, "CreditMemo")) == 1   # not proposed again
