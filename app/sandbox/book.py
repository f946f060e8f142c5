"""Seed the Salesforce emulator with accounts, products and deals: small helpers plus the demo book."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from app.sandbox.salesforce.state import SalesforceState

STORY_DEAL = "Globex - Platform expansion (25% discount)"
CFO_DEAL = "Initech - Three-year platform (35% discount)"
SELF_APPROVAL_DEAL = "Globex - Analytics add-on (Bob's deal, 20% discount)"
BLOCKED_DEAL = "Umbrella - Clinic rollout"
"""The deals the demo narrates: the walkthrough's approval, a CFO-level discount, a self-approval attempt, and a
blocked deal the visitor fixes in the Salesforce emulator."""

PRODUCTS = {  # name -> (ProductCode, list price); the demo policy maps each to a QuickBooks item
    "Consulting Services": ("CONSULT", Decimal("150.00")),
    "Annual Subscription": ("SUB-ANNUAL", Decimal("12000.00")),
    "Implementation": ("IMPL", Decimal("5000.00")),
    "Support Plan": ("SUPPORT", Decimal("2400.00")),
    "Hardware Bundle": ("HW-BUNDLE", Decimal("900.00")),   # deliberately NOT mapped in the policy
}


@dataclass(frozen=True)
class Line:
    product: str
    quantity: Decimal
    discount: Decimal | None = None
    unit_price: Decimal | None = None      # None: the product's list price


@dataclass
class Book:
    """Ids of what was seeded, for tests and the demo's "what to try" text."""

    salesforce: SalesforceState
    product_ids: dict[str, str] = field(default_factory=dict)
    account_ids: dict[str, str] = field(default_factory=dict)
    deal_ids: dict[str, str] = field(default_factory=dict)

    def seed_products(self) -> None:
        for name, (code, _) in PRODUCTS.items():
            if name not in self.product_ids:
                self.product_ids[name] = self.salesforce.seed(
                    "Product2", {"Name": name, "ProductCode": code, "IsActive": True})

    def add_account(self, name: str, **fields: Any) -> str:
        record = {"Name": name, "BillingStreet": "1 Main St", "BillingCity": "Springfield",
                  "BillingState": "IL", "BillingPostalCode": "62701", "BillingCountry": "USA",
                  "Segment__c": "SMB", "Tax_Exempt__c": False, **fields}
        self.account_ids[name] = self.salesforce.seed("Account", record)
        return self.account_ids[name]

    def add_deal(self, name: str, *, account: str, owner_id: str, lines: list[Line], **fields: Any) -> str:
        """A deal with its line items; defaults make it billable under the demo policy."""
        self.seed_products()
        record = {"Name": name, "AccountId": self.account_ids[account], "OwnerId": owner_id,
                  "StageName": "Closed Won", "CloseDate": date(2026, 11, 20), "Billing_Status__c": "Delivered",
                  "Payment_Terms__c": "Net 30", **fields}
        deal_id = self.salesforce.seed("Opportunity", record)
        for position, line in enumerate(lines):
            code_price = PRODUCTS[line.product][1]
            self.salesforce.seed("OpportunityLineItem", {
                "OpportunityId": deal_id, "Product2Id": self.product_ids[line.product],
                "Quantity": line.quantity, "UnitPrice": line.unit_price or code_price, "ListPrice": code_price,
                "Discount": line.discount, "SortOrder": position})
        self.deal_ids[name] = deal_id
        return deal_id


def seed_demo_book(salesforce: SalesforceState, owners: dict[str, str]) -> Book:
    """About 30 opportunities over a handful of accounts: the situations a finance team meets every week."""
    book = Book(salesforce)
    sam, bob = owners["sam"], owners["bob"]
    accounts: dict[str, dict[str, Any]]
    accounts = {"Acme Corporation": {"Segment__c": "Enterprise", "Credit_Limit__c": Decimal("40000")},
                "Globex Inc": {"Segment__c": "SMB"}, "Initech LLC": {"Segment__c": "SMB"},
                "Umbrella Health": {"Segment__c": "Enterprise", "Credit_Limit__c": Decimal("25000")},
                "Northwind Traders": {"Segment__c": "SMB"},          # no QuickBooks customer yet
                "City of Springfield": {"Segment__c": "Public Sector", "Tax_Exempt__c": True}}
    for name, fields in accounts.items():
        book.add_account(name, **fields)
    one = Decimal(1)
    for index, (account, product) in enumerate(
            [(a, p) for a in ("Acme Corporation", "Globex Inc", "Initech LLC") for p in
             ("Annual Subscription", "Support Plan", "Implementation", "Consulting Services")]):
        quantity = Decimal(40) if product == "Consulting Services" else one
        extra = {"PO_Number__c": f"PO-{4100 + index}"} if account == "Acme Corporation" else {}
        book.add_deal(f"{account.split()[0]} - {product} {2026 + index % 2}", account=account,
                      owner_id=sam, lines=[Line(product, quantity)], **extra)
    book.add_deal(STORY_DEAL, account="Globex Inc", owner_id=sam,
                  lines=[Line("Annual Subscription", Decimal(2), discount=Decimal(25))])
    book.add_deal(CFO_DEAL, account="Initech LLC", owner_id=sam,                    # above 30%: only the CFO
                  lines=[Line("Annual Subscription", Decimal(3), discount=Decimal(35))])
    book.add_deal(SELF_APPROVAL_DEAL, account="Globex Inc", owner_id=bob,          # Bob approves, but not his own
                  lines=[Line("Support Plan", Decimal(5), discount=Decimal(20))])
    book.add_deal("Initech - Net 90 renewal", account="Initech LLC", owner_id=sam,
                  lines=[Line("Annual Subscription", one)], Payment_Terms__c="Net 90")
    book.add_deal("Northwind - First order", account="Northwind Traders", owner_id=sam,
                  lines=[Line("Implementation", one), Line("Support Plan", one)])
    book.add_deal(BLOCKED_DEAL, account="Umbrella Health", owner_id=sam,
                  lines=[Line("Implementation", Decimal(2))])                      # Enterprise, no PO number
    book.add_deal("Springfield - Records system", account="City of Springfield", owner_id=bob,
                  lines=[Line("Annual Subscription", one)], PO_Number__c="SPR-2026-118")
    book.add_deal("Acme - Hardware refresh", account="Acme Corporation", owner_id=sam,
                  lines=[Line("Hardware Bundle", Decimal(10))], PO_Number__c="PO-4190")   # unmapped product
    book.add_deal("Globex - Phase 2 (not delivered yet)", account="Globex Inc", owner_id=sam,
                  lines=[Line("Consulting Services", Decimal(80))], Billing_Status__c="Not Started")
    for index in range(1, 10):                                                    # pipeline, not won yet
        book.add_deal(f"Pipeline deal {index}", account="Globex Inc", owner_id=sam,
                      lines=[Line("Support Plan", one)], StageName="Negotiation", Billing_Status__c=None)
    return book
