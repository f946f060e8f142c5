"""United States without automated sales tax, end to end: lines TAX/NON from the product mapping and the invoice's
one tax code by ship-to region (policy `tax.codes`), sent as TxnTaxDetail.TxnTaxCodeRef; the tax QuickBooks then
computes is read back; a region without a mapping is an exception naming the key to add."""
from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

from app.sandbox.book import Book, Line
from app.sandbox.quickbooks.demo import DEMO_REALM_ID
from app.sandbox.stack import Emulators
from tests.e2e.conftest import eventually, poll
from tests.e2e.test_tax_and_currency import CUPERTINO, invoice_of, jobs, open_exceptions, policy_file, start


def _manual_company(emulators: Emulators) -> dict[str, Any]:
    emulators.quickbooks.book(DEMO_REALM_ID).company.automated_sales_tax = False
    emulators.quickbooks.add_tax_code(DEMO_REALM_ID, "California", (("California", Decimal("8.25")),))
    return {}


def _us_manual(data: dict[str, Any]) -> None:
    data["tax"] = {"model": "us_manual", "product_categories": {"SUPPORT": "non_taxable"},
                   "codes": {"US-CA": {"taxable": "California"}}}


def test_us_manual_sends_the_region_code_and_reads_the_tax_back(sqlite_url: str, tmp_path: Path) -> None:
    stack = start(sqlite_url, policy_file(tmp_path, _us_manual), _manual_company)
    try:
        book, owner = Book(stack.emulators.salesforce), stack.emulators.sf_user_ids["sam"]
        book.add_account("Globex Inc", **CUPERTINO)
        book.add_account("Acme Corporation", ShippingCity="Austin", ShippingState="TX", ShippingPostalCode="73301",
                         ShippingCountry="USA", ShippingStreet="1 Congress Ave")
        mixed = book.add_deal("Globex - Rollout", account="Globex Inc", owner_id=owner,
                              lines=[Line("Implementation", Decimal(1)), Line("Support Plan", Decimal(1))])
        texas = book.add_deal("Acme - Subscription", account="Acme Corporation", owner_id=owner,
                              lines=[Line("Annual Subscription", Decimal(1))])
        poll(stack)

        invoice = invoice_of(stack, DEMO_REALM_ID, mixed)
        codes = {row["Id"]: row["Name"] for row in stack.emulators.quickbooks.objects(DEMO_REALM_ID, "TaxCode")}
        assert codes[invoice["TxnTaxDetail"]["TxnTaxCodeRef"]["value"]] == "California"
        assert [line["SalesItemLineDetail"]["TaxCodeRef"]["value"] for line in invoice["Line"][:2]] == ["TAX", "NON"]
        assert invoice["TxnTaxDetail"]["TotalTax"] == Decimal("412.50")       # 8.25% of the 5,000 implementation
        job = eventually(lambda: jobs(stack).get(mixed), what="the invoice job")
        assert job.tax_total == Decimal("412.50")

        items = eventually(lambda: [e for e in open_exceptions(stack) if e.kind == "unmapped_tax"],
                           what="the unmapped-tax exception for Texas")
        assert "tax.codes.US-TX.taxable" in items[0].reason
        assert all(i["DocNumber"] != texas for i in stack.emulators.quickbooks.objects(DEMO_REALM_ID, "Invoice"))
    finally:
        stack.stop()
