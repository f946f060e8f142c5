"""A ready-made sandbox company: items, terms, a few customers, one app and its refresh token."""
from __future__ import annotations

from dataclasses import dataclass

from app.sandbox.quickbooks.state import QuickBooksState

DEMO_REALM_ID = "9341452000000001"
DEMO_CLIENT_ID = "ledgerbridge-demo-client"
DEMO_CLIENT_SECRET = "ledgerbridge-demo-secret"
DEMO_REFRESH_TOKEN = "RT1-ledgerbridge-demo-refresh-token"

INCOME_ACCOUNT = {"value": "79", "name": "Sales of Product Income"}
DEMO_ITEMS = (
    ("Consulting Services", "CONSULT", "150.00"),
    ("Annual Subscription", "SUB-ANNUAL", "12000.00"),
    ("Implementation", "IMPL", "5000.00"),
    ("Support Plan", "SUPPORT", "2400.00"),
)
CORRECTION_ITEMS = (("Credit Adjustment", "Discounts and credits given"), ("Bad Debt", "Bad Debts"))
"""Items the demo policy's corrections credit: an amount credit, and a write-off of an unpaid balance."""
DEMO_TERMS = (("Net 15", 15), ("Net 30", 30), ("Net 60", 60), ("Net 90", 90), ("Due on receipt", 0))
DEMO_CUSTOMERS = (
    ("Acme Corporation", "billing@acme.example", "1 Infinite Loop", "Cupertino", "CA", "95014"),
    ("Globex Inc", "ap@globex.example", "4581 Finch St.", "Bayshore", "CA", "94326"),
    ("Initech LLC", "invoices@initech.example", "25 Court St.", "Tucson", "AZ", "85719"),
)


@dataclass(frozen=True)
class DemoCompany:
    realm_id: str
    client_id: str
    client_secret: str
    refresh_token: str


def seed_demo_company(
    state: QuickBooksState, *, realm_id: str = DEMO_REALM_ID, client_id: str = DEMO_CLIENT_ID,
    client_secret: str = DEMO_CLIENT_SECRET, refresh_token: str = DEMO_REFRESH_TOKEN,
) -> DemoCompany:
    """Idempotent per realm: seeding the same realm twice does not duplicate its lists."""
    with state.lock:
        book = state.add_realm(realm_id, company_name="Ledgerbridge Demo Company")
        state.add_client(client_id, client_secret)
        if refresh_token not in state.refresh_tokens:
            state.issue_refresh_token(client_id, realm_id, refresh_token)
        if not book.objects["Item"]:
            for name, sku, price in DEMO_ITEMS:
                state.seed(realm_id, "Item", {"Name": name, "Sku": sku, "UnitPrice": price, "Type": "Service",
                                              "IncomeAccountRef": dict(INCOME_ACCOUNT)})
            for name, account in CORRECTION_ITEMS:
                state.seed(realm_id, "Item", {"Name": name, "Type": "Service", "Taxable": False,
                                              "IncomeAccountRef": {"value": "80", "name": account}})
            for name, days in DEMO_TERMS:
                state.seed(realm_id, "Term", {"Name": name, "DueDays": days})
            for name, email, street, city, region, postal in DEMO_CUSTOMERS:
                address = {"Line1": street, "City": city, "CountrySubDivisionCode": region, "PostalCode": postal}
                state.seed(realm_id, "Customer", {"DisplayName": name, "CompanyName": name,
                                                  "PrimaryEmailAddr": {"Address": email},
                                                  "BillAddr": address, "ShipAddr": dict(address)})
    return DemoCompany(realm_id, client_id, client_secret, refresh_token)
