"""The emulator's tax and currency model through python-quickbooks: automated sales tax from the ship-to,
exempt customers, US manual tax codes, VAT exclusive and inclusive, multicurrency with exchange rates."""
from __future__ import annotations

import json
from datetime import date
from decimal import Decimal

import pytest
from quickbooks.exceptions import QuickbooksException, ValidationException
from quickbooks.objects.customer import Customer
from quickbooks.objects.preferences import Preferences
from quickbooks.objects.taxcode import TaxCode

from app.sandbox.quickbooks import DemoCompany, QuickBooksState
from tests.sandbox.conftest import QboFactory

CUPERTINO = {"Line1": "1 Infinite Loop", "City": "Cupertino", "CountrySubDivisionCode": "CA", "PostalCode": "95014"}
PORTLAND = {"Line1": "1 Main St", "City": "Portland", "CountrySubDivisionCode": "OR", "PostalCode": "97201"}


def _line(amount: str, item: str = "1", code: str | None = None, **detail: object) -> dict:
    sales = {"ItemRef": {"value": item}, "Qty": 1, "UnitPrice": amount, **detail}
    if code is not None:
        sales["TaxCodeRef"] = {"value": code}
    return {"DetailType": "SalesItemLineDetail", "Amount": amount, "SalesItemLineDetail": sales}


def _sale(qb, entity: str = "Invoice", **body: object) -> dict:
    return qb.create_object(entity, json.dumps(body))[entity]


# -- US automated sales tax ----------------------------------------------------------------------------------

def test_automated_sales_tax_from_the_ship_to_on_taxable_lines_only(demo_qb) -> None:
    invoice = _sale(demo_qb, CustomerRef={"value": "1"}, ShipAddr=CUPERTINO,
                    Line=[_line("1000.00", code="TAX"), _line("500.00", item="2", code="NON")])
    detail = invoice["TxnTaxDetail"]
    assert detail["TotalTax"] == Decimal("92.50")                       # 7.25% state + 2% county on 1,000
    assert [(t["TaxLineDetail"]["TaxPercent"], t["Amount"]) for t in detail["TaxLine"]] == [
        (Decimal("7.25"), Decimal("72.50")), (Decimal("2.0"), Decimal("20.00"))]
    assert all(t["TaxLineDetail"]["NetAmountTaxable"] == Decimal("1000.00") for t in detail["TaxLine"])
    assert invoice["TotalAmt"] == invoice["Balance"] == Decimal("1592.50")
    assert [line["SalesItemLineDetail"]["TaxCodeRef"]["value"] for line in invoice["Line"][:2]] == ["TAX", "NON"]
    code = TaxCode.get(detail["TxnTaxCodeRef"]["value"], qb=demo_qb)
    assert code.Name == "California + Santa Clara County" and len(code.SalesTaxRateList.TaxRateDetail) == 2


def test_no_ship_to_uses_the_company_address_and_a_state_without_sales_tax_charges_none(demo_qb,
                                                                                     qbo_state: QuickBooksState,
                                                                                     qbo_demo: DemoCompany) -> None:
    bare = qbo_state.seed(qbo_demo.realm_id, "Customer", {"DisplayName": "No Address Inc"})
    invoice = _sale(demo_qb, CustomerRef={"value": bare["Id"]}, Line=[_line("100.00", code="TAX")])
    assert invoice["TxnTaxDetail"]["TotalTax"] == Decimal("7.25") and "ShipAddr" not in invoice  # Mountain View
    oregon = _sale(demo_qb, CustomerRef={"value": "1"}, ShipAddr=PORTLAND, Line=[_line("100.00", code="TAX")])
    assert oregon["TxnTaxDetail"] == {"TotalTax": Decimal("0.00")} and oregon["TotalAmt"] == Decimal("100.00")


def test_an_exempt_customer_pays_no_tax_and_keeps_its_exemption(demo_qb) -> None:
    exempt = demo_qb.create_object("Customer", json.dumps({
        "DisplayName": "Reseller LLC", "Taxable": False, "TaxExemptionReasonId": 9, "ResaleNum": "SR-123",
        "ShipAddr": CUPERTINO}))["Customer"]
    assert (exempt["Taxable"], exempt["TaxExemptionReasonId"], exempt["ResaleNum"]) == (False, "9", "SR-123")
    invoice = _sale(demo_qb, CustomerRef={"value": exempt["Id"]}, Line=[_line("100.00", code="TAX")])
    assert invoice["TxnTaxDetail"]["TotalTax"] == 0 and invoice["TotalAmt"] == Decimal("100.00")
    with pytest.raises(ValidationException) as caught:
        demo_qb.create_object("Customer", json.dumps({"DisplayName": "Bad", "Taxable": False,
                                                      "TaxExemptionReasonId": 99}))
    assert caught.value.error_code == 2010


def test_an_explicit_total_tax_is_honoured_and_a_line_without_code_follows_its_item(demo_qb,
                                                                                   qbo_state: QuickBooksState,
                                                                                   qbo_demo: DemoCompany) -> None:
    qbo_state.book(qbo_demo.realm_id).objects["Item"]["3"]["Taxable"] = True
    invoice = _sale(demo_qb, CustomerRef={"value": "1"}, ShipAddr=CUPERTINO, TxnTaxDetail={"TotalTax": "50.00"},
                    Line=[_line("1000.00", item="3"), _line("10.00", item="1")])
    assert [line["SalesItemLineDetail"]["TaxCodeRef"]["value"] for line in invoice["Line"][:2]] == ["TAX", "NON"]
    assert invoice["TxnTaxDetail"]["TotalTax"] == Decimal("50.00") and invoice["TotalAmt"] == Decimal("1060.00")
    assert sum(t["Amount"] for t in invoice["TxnTaxDetail"]["TaxLine"]) == Decimal("50.00")


def test_us_without_automated_sales_tax_applies_the_code_the_transaction_names(qbo_for: QboFactory,
                                                                              qbo_state: QuickBooksState) -> None:
    book = qbo_state.add_realm("7001", automated_sales_tax=False)
    california = qbo_state.add_tax_code("7001", "California", (("California", Decimal("8.25")),))
    qbo_state.seed("7001", "Customer", {"DisplayName": "Buyer", "ShipAddr": CUPERTINO})
    qbo_state.seed("7001", "Item", {"Name": "Widget", "IncomeAccountRef": {"value": "1"}})
    qb = qbo_for("7001")
    taxed = _sale(qb, CustomerRef={"value": "1"}, TxnTaxDetail={"TxnTaxCodeRef": {"value": california["Id"]}},
                  Line=[_line("200.00", code="TAX"), _line("100.00", code="NON")])
    assert taxed["TxnTaxDetail"]["TotalTax"] == Decimal("16.50") and taxed["TotalAmt"] == Decimal("316.50")
    untaxed = _sale(qb, CustomerRef={"value": "1"}, Line=[_line("200.00", code="TAX")])
    assert untaxed["TxnTaxDetail"]["TotalTax"] == 0 and not book.company.uses_automated_sales_tax
    assert Preferences.get(qb=qb).TaxPrefs.PartnerTaxEnabled is False


# -- VAT -----------------------------------------------------------------------------------------------------

@pytest.fixture
def uk(qbo_for: QboFactory, qbo_state: QuickBooksState):
    qbo_state.add_realm("7002", company_name="Ledgerbridge UK Ltd", country="GB", timezone="Europe/London")
    qbo_state.seed("7002", "Customer", {"DisplayName": "Acme UK"})
    qbo_state.seed("7002", "Item", {"Name": "Consulting", "IncomeAccountRef": {"value": "1"}})
    qb = qbo_for("7002")
    codes = {code.Name: code.Id for code in TaxCode.all(qb=qb)}
    return qb, codes


def test_vat_exclusive_adds_tax_per_rate(uk) -> None:
    qb, codes = uk
    invoice = _sale(qb, CustomerRef={"value": "1"}, GlobalTaxCalculation="TaxExcluded",
                    Line=[_line("100.00", code=codes["20.0% S"]), _line("40.00", code=codes["5.0% R"]),
                          _line("10.00", code=codes["20.0% S"])])
    lines = invoice["TxnTaxDetail"]["TaxLine"]
    assert [(t["TaxLineDetail"]["NetAmountTaxable"], t["Amount"]) for t in lines] == [
        (Decimal("110.00"), Decimal("22.00")), (Decimal("40.00"), Decimal("2.00"))]
    assert invoice["TotalAmt"] == Decimal("174.00") and invoice["CurrencyRef"]["value"] == "GBP"
    assert invoice["GlobalTaxCalculation"] == "TaxExcluded"


def test_vat_inclusive_backs_the_tax_out_of_the_gross(uk) -> None:
    qb, codes = uk
    invoice = _sale(qb, CustomerRef={"value": "1"}, GlobalTaxCalculation="TaxInclusive",
                    Line=[_line("120.00", code=codes["20.0% S"]), _line("100.00", code=codes["20.0% S"])])
    first = invoice["Line"][0]
    assert first["Amount"] == Decimal("100.00") and first["SalesItemLineDetail"]["TaxInclusiveAmt"] == Decimal("120")
    assert invoice["Line"][1]["Amount"] == Decimal("83.33")
    assert invoice["TxnTaxDetail"]["TotalTax"] == Decimal("36.67") and invoice["TotalAmt"] == Decimal("220.00")


def test_a_vat_line_without_a_tax_code_is_refused(uk) -> None:
    qb, _ = uk
    with pytest.raises(QuickbooksException) as caught:
        _sale(qb, CustomerRef={"value": "1"}, Line=[_line("100.00")])
    assert caught.value.error_code == 6000 and "VAT rate" in caught.value.detail


# -- multicurrency -------------------------------------------------------------------------------------------

@pytest.fixture
def multicurrency(qbo_for: QboFactory, qbo_state: QuickBooksState):
    qbo_state.add_realm("7003", multicurrency=True)
    qbo_state.set_exchange_rate("7003", "EUR", "1.08", date(2024, 4, 1))
    qbo_state.set_exchange_rate("7003", "EUR", "1.10", date(2024, 5, 1))
    qbo_state.seed("7003", "Item", {"Name": "Consulting", "IncomeAccountRef": {"value": "1"}})
    qbo_state.seed("7003", "Customer", {"DisplayName": "Home Corp", "ShipAddr": PORTLAND})
    qbo_state.seed("7003", "Customer", {"DisplayName": "Euro GmbH", "CurrencyRef": {"value": "EUR"}})
    return qbo_for("7003")


def test_a_foreign_currency_invoice_carries_the_stored_rate_and_home_amounts(multicurrency) -> None:
    qb = multicurrency
    invoice = _sale(qb, CustomerRef={"value": "2"}, TxnDate="2024-04-15", Line=[_line("1000.00", code="NON")])
    assert invoice["CurrencyRef"] == {"value": "EUR", "name": "Euro"} and invoice["ExchangeRate"] == Decimal("1.08")
    assert invoice["HomeTotalAmt"] == Decimal("1080.00") and invoice["HomeBalance"] == Decimal("1080.00")
    rate = qb.get(f"{qb.api_url}/company/{qb.company_id}/exchangerate",
                  params={"sourcecurrencycode": "EUR", "asofdate": "2024-05-02"})["ExchangeRate"]
    assert (rate["Rate"], rate["TargetCurrencyCode"]) == (Decimal("1.10"), "USD")
    prefs = Preferences.get(qb=qb)
    assert prefs.CurrencyPrefs.MultiCurrencyEnabled is True and prefs.CurrencyPrefs.HomeCurrency.value == "USD"


def test_a_customer_has_one_currency(multicurrency) -> None:
    qb = multicurrency
    with pytest.raises(QuickbooksException) as mismatch:
        _sale(qb, CustomerRef={"value": "1"}, CurrencyRef={"value": "EUR"}, Line=[_line("10.00", code="NON")])
    assert mismatch.value.error_code == 6000 and "has one currency" in mismatch.value.detail
    _sale(qb, CustomerRef={"value": "2"}, Line=[_line("10.00", code="NON")])
    customer = Customer.get(2, qb=qb)
    with pytest.raises(QuickbooksException) as change:
        qb.update_object("Customer", json.dumps({"Id": "2", "SyncToken": customer.SyncToken, "sparse": True,
                                                 "CurrencyRef": {"value": "USD"}}))
    assert change.value.error_code == 6000 and "cannot change" in change.value.detail
