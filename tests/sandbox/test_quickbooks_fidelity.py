"""Emulator fidelity: the requests real clients send, answered as QuickBooks answers them (through python-quickbooks
and intuit-oauth, over HTTP)."""
from __future__ import annotations

import json
from datetime import timedelta
from decimal import Decimal

import pytest
import requests
from intuitlib.client import AuthClient
from intuitlib.exceptions import AuthClientError
from quickbooks import QuickBooks
from quickbooks.exceptions import QuickbooksException, ValidationException
from quickbooks.objects.customer import Customer
from quickbooks.objects.invoice import Invoice
from quickbooks.objects.item import Item
from quickbooks.objects.payment import Payment

from app.clock import FixedClock
from app.sandbox.quickbooks import DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, DemoCompany, QuickBooksState
from app.sandbox.server import RunningServer


def _invoice(qb: QuickBooks, amount: str = "300.00", customer_id: str = "1", **extra: object) -> dict:
    line = {"DetailType": "SalesItemLineDetail", "Amount": amount,
            "SalesItemLineDetail": {"ItemRef": {"value": "1"}, "Qty": 1, "UnitPrice": amount}}
    body = {"CustomerRef": {"value": customer_id}, "Line": [line], **extra}
    return qb.create_object("Invoice", json.dumps(body))["Invoice"]


def _pay(qb: QuickBooks, invoice: dict, amount: str, customer_id: str = "1") -> dict:
    body = {"CustomerRef": {"value": customer_id}, "TotalAmt": amount,
            "Line": [{"Amount": amount, "LinkedTxn": [{"TxnId": invoice["Id"], "TxnType": "Invoice"}]}]}
    return qb.create_object("Payment", json.dumps(body))["Payment"]


# -- query language ------------------------------------------------------------------------------------------

def test_maxresults_before_startposition_is_accepted_like_the_other_order(demo_qb: QuickBooks) -> None:
    one = demo_qb.query("SELECT * FROM Term ORDERBY Id MAXRESULTS 2 STARTPOSITION 2")["QueryResponse"]
    other = demo_qb.query("SELECT * FROM Term ORDERBY Id STARTPOSITION 2 MAXRESULTS 2")["QueryResponse"]
    assert [t["Name"] for t in one["Term"]] == [t["Name"] for t in other["Term"]] == ["Net 30", "Net 60"]
    assert one["startPosition"] == 2 and one["maxResults"] == 2
    with pytest.raises(ValidationException) as twice:
        demo_qb.query("SELECT * FROM Term MAXRESULTS 2 MAXRESULTS 3")
    assert twice.value.error_code == 4000


def test_an_unknown_entity_is_4001_invalid_query_without_an_element(demo_qb: QuickBooks, qbo_server: RunningServer,
                                                                    qbo_demo: DemoCompany) -> None:
    with pytest.raises(ValidationException) as caught:
        demo_qb.query("SELECT * FROM TaxService")
    assert caught.value.error_code == 4001 and caught.value.message == "Invalid query"
    assert caught.value.detail.startswith("QueryValidationError:")
    raw = requests.post(f"{qbo_server.url}/v3/company/{qbo_demo.realm_id}/query", data="SELECT * FROM Nope",
                        headers={"Authorization": f"Bearer {demo_qb.session.access_token}",
                                 "Content-Type": "application/text"}, timeout=5)
    error = raw.json()["Fault"]["Error"][0]
    assert raw.status_code == 400 and error["code"] == "4001" and "element" not in error


def test_select_star_from_item_leaves_sku_out_unless_it_is_selected(demo_qb: QuickBooks) -> None:
    star = demo_qb.query("SELECT * FROM Item WHERE Name = 'Consulting Services'")["QueryResponse"]["Item"][0]
    assert "Sku" not in star and star["Name"] == "Consulting Services"
    with_sku = demo_qb.query("SELECT *, Sku FROM Item WHERE Name = 'Consulting Services'")["QueryResponse"]["Item"]
    named = demo_qb.query("SELECT Id, Sku FROM Item WHERE Name = 'Consulting Services'")["QueryResponse"]["Item"]
    assert with_sku[0]["Sku"] == named[0]["Sku"] == "CONSULT"
    # python-quickbooks knows: Item.all() asks "SELECT *, Sku FROM Item"
    assert [item.Sku for item in Item.all(qb=demo_qb)][:4] == ["CONSULT", "SUB-ANNUAL", "IMPL", "SUPPORT"]


# -- void ----------------------------------------------------------------------------------------------------

def test_voiding_an_invoice_zeroes_it_restores_balances_and_shows_in_cdc(demo_qb: QuickBooks,
                                                                         qbo_state: QuickBooksState,
                                                                         qbo_clock: FixedClock) -> None:
    invoice = _invoice(demo_qb, "500.00", PrivateNote="from Salesforce")
    payment = _pay(demo_qb, invoice, "200.00")
    assert Customer.get(1, qb=demo_qb).Balance == Decimal("300.00")
    qbo_clock.advance(timedelta(minutes=5))
    voided = Invoice.get(invoice["Id"], qb=demo_qb).void(qb=demo_qb)["Invoice"]
    assert voided["TotalAmt"] == 0 and voided["Balance"] == 0 and voided["PrivateNote"] == "Voided - from Salesforce"
    assert [line["Amount"] for line in voided["Line"]] == [0, 0] and voided["SyncToken"] == "2"
    assert voided["Line"][0]["SalesItemLineDetail"]["Qty"] == 0
    unapplied = Payment.get(payment["Id"], qb=demo_qb)
    assert unapplied.UnappliedAmt == Decimal("200.00") and unapplied.Line == []
    assert Customer.get(1, qb=demo_qb).Balance == Decimal("-200.00")   # the payment is now the customer's credit
    changed = demo_qb.change_data_capture("Invoice,Payment", "2024-05-01T17:04:00Z")["CDCResponse"][0]
    invoices, payments = changed["QueryResponse"][0]["Invoice"], changed["QueryResponse"][1]["Payment"]
    assert [(row["Id"], row["TotalAmt"]) for row in invoices] == [(invoice["Id"], 0)]
    assert [row["Id"] for row in payments] == [payment["Id"]]
    assert qbo_state.call_log(path_contains="/invoice")[-1].query["operation"] == "void"


def test_voiding_a_payment_zeroes_it_and_restores_the_invoice_balance(demo_qb: QuickBooks) -> None:
    invoice = _invoice(demo_qb, "500.00")
    payment = _pay(demo_qb, invoice, "500.00")
    assert Invoice.get(invoice["Id"], qb=demo_qb).Balance == 0
    result = Payment.get(payment["Id"], qb=demo_qb).void(qb=demo_qb)["Payment"]
    assert result["TotalAmt"] == 0 and result["PrivateNote"] == "Voided" and result["Line"][0]["Amount"] == 0
    restored = Invoice.get(invoice["Id"], qb=demo_qb)
    assert restored.Balance == Decimal("500.00") and restored.LinkedTxn == []
    assert Customer.get(1, qb=demo_qb).Balance == Decimal("500.00")


def test_a_stale_void_is_5010_and_changes_nothing(demo_qb: QuickBooks) -> None:
    invoice = _invoice(demo_qb)
    with pytest.raises(QuickbooksException) as caught:
        demo_qb.post(f"{demo_qb.api_url}/company/{demo_qb.company_id}/invoice",
                     json.dumps({"Id": invoice["Id"], "SyncToken": "7"}), params={"operation": "void"})
    assert caught.value.error_code == 5010
    assert Invoice.get(invoice["Id"], qb=demo_qb).TotalAmt == Decimal("300.00")


# -- computed fields -----------------------------------------------------------------------------------------

def test_customer_balance_and_level_are_computed_not_taken_from_the_request(demo_qb: QuickBooks) -> None:
    parent = demo_qb.create_object("Customer", json.dumps({
        "DisplayName": "Parent Co", "Balance": 999, "BalanceWithJobs": 999, "Level": 4}))["Customer"]
    assert (parent["Balance"], parent["BalanceWithJobs"], parent["Level"], parent["Job"]) == (0, 0, 0, False)
    job = demo_qb.create_object("Customer", json.dumps({
        "DisplayName": "Parent Co Project", "ParentRef": {"value": parent["Id"]}, "Level": 0}))["Customer"]
    assert job["Level"] == 1 and job["Job"] is True
    _invoice(demo_qb, "120.00", customer_id=job["Id"])
    _invoice(demo_qb, "80.00", customer_id=parent["Id"])
    read = Customer.get(parent["Id"], qb=demo_qb)
    assert read.Balance == Decimal("80.00") and read.BalanceWithJobs == Decimal("200.00")
    sparse = demo_qb.update_object("Customer", json.dumps({"Id": parent["Id"], "SyncToken": read.SyncToken,
                                                            "sparse": True, "Balance": 0, "Notes": "x"}))
    assert sparse["Customer"]["Balance"] == Decimal("80.00")


def test_credit_memo_remaining_credit_is_computed_and_used_through_a_payment(demo_qb: QuickBooks) -> None:
    invoice = _invoice(demo_qb, "1000.00")
    line = {"DetailType": "SalesItemLineDetail", "Amount": "250.00",
            "SalesItemLineDetail": {"ItemRef": {"value": "1"}, "Qty": 1, "UnitPrice": "250.00"}}
    memo = demo_qb.create_object("CreditMemo", json.dumps({
        "CustomerRef": {"value": "1"}, "Line": [line], "RemainingCredit": 1, "Balance": 1}))["CreditMemo"]
    assert memo["RemainingCredit"] == memo["Balance"] == memo["TotalAmt"] == Decimal("250.00")
    assert Customer.get(1, qb=demo_qb).Balance == Decimal("750.00")
    demo_qb.create_object("Payment", json.dumps({
        "CustomerRef": {"value": "1"}, "TotalAmt": "0.00", "Line": [
            {"Amount": "250.00", "LinkedTxn": [{"TxnId": invoice["Id"], "TxnType": "Invoice"}]},
            {"Amount": "250.00", "LinkedTxn": [{"TxnId": memo["Id"], "TxnType": "CreditMemo"}]}]}))
    used = demo_qb.get_single_object("CreditMemo", memo["Id"])["CreditMemo"]
    assert used["RemainingCredit"] == 0 and Invoice.get(invoice["Id"], qb=demo_qb).Balance == Decimal("750.00")
    assert Customer.get(1, qb=demo_qb).Balance == Decimal("750.00")


# -- currency ------------------------------------------------------------------------------------------------

def test_currency_ref_is_refused_in_a_company_without_multicurrency(demo_qb: QuickBooks) -> None:
    with pytest.raises(QuickbooksException) as invoice:
        _invoice(demo_qb, CurrencyRef={"value": "EUR"})
    assert invoice.value.error_code == 6000 and "Multicurrency is not enabled" in invoice.value.detail
    with pytest.raises(QuickbooksException) as customer:
        demo_qb.create_object("Customer", json.dumps({"DisplayName": "Euro GmbH", "CurrencyRef": {"value": "EUR"}}))
    assert customer.value.error_code == 6000
    home = _invoice(demo_qb, CurrencyRef={"value": "USD"})
    assert home["CurrencyRef"] == {"value": "USD", "name": "United States Dollar"} and "ExchangeRate" not in home


# -- refresh tokens ------------------------------------------------------------------------------------------

def _auth(server: RunningServer) -> AuthClient:
    return AuthClient(DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, "http://localhost/cb",
                      environment=server.url + "/.well-known/openid_configuration")


def test_by_default_the_refresh_token_stays_the_same_for_a_day_then_changes_and_the_old_one_lingers(
        qbo_server: RunningServer, qbo_demo: DemoCompany, qbo_clock: FixedClock) -> None:
    auth = _auth(qbo_server)
    auth.refresh(refresh_token=qbo_demo.refresh_token)
    assert auth.refresh_token == qbo_demo.refresh_token
    qbo_clock.advance(timedelta(hours=23))
    auth.refresh(refresh_token=qbo_demo.refresh_token)
    assert auth.refresh_token == qbo_demo.refresh_token            # still within the day
    qbo_clock.advance(timedelta(hours=2))
    auth.refresh(refresh_token=qbo_demo.refresh_token)
    newer = auth.refresh_token
    assert newer != qbo_demo.refresh_token
    qbo_clock.advance(timedelta(minutes=10))                       # long past 30 s: the old one still refreshes,
    again = _auth(qbo_server)                                      # and answers with the newest value
    again.refresh(refresh_token=qbo_demo.refresh_token)
    assert again.refresh_token == newer
    qbo_clock.advance(timedelta(hours=25))
    with pytest.raises(AuthClientError) as caught:
        _auth(qbo_server).refresh(refresh_token=qbo_demo.refresh_token)
    assert caught.value.status_code == 400


def test_strict_mode_rotates_on_every_refresh_and_kills_the_old_token_after_30_seconds(
        qbo_server: RunningServer, qbo_demo: DemoCompany, qbo_clock: FixedClock) -> None:
    configured = requests.post(qbo_server.url + "/_admin/settings", json={"refresh_rotation": "strict"}, timeout=5)
    assert configured.json()["refresh_rotation"] == "strict"
    auth = _auth(qbo_server)
    auth.refresh(refresh_token=qbo_demo.refresh_token)
    first = auth.refresh_token
    auth.refresh(refresh_token=first)
    assert len({qbo_demo.refresh_token, first, auth.refresh_token}) == 3
    qbo_clock.advance(timedelta(seconds=31))
    with pytest.raises(AuthClientError):
        _auth(qbo_server).refresh(refresh_token=first)
    bad = requests.post(qbo_server.url + "/_admin/settings", json={"refresh_rotation": "sometimes"}, timeout=5)
    assert bad.status_code == 400
