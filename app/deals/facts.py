"""A Salesforce opportunity as plain, immutable values: the input of the billing-gate and approval rules."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal


@dataclass(frozen=True, slots=True, kw_only=True)
class AccountFacts:
    account_id: str
    name: str
    segment: str | None = None
    billing_street: str | None = None
    billing_city: str | None = None
    billing_state: str | None = None
    billing_postal_code: str | None = None
    billing_country: str | None = None
    shipping_street: str | None = None
    shipping_city: str | None = None
    shipping_state: str | None = None
    shipping_postal_code: str | None = None
    shipping_country: str | None = None
    tax_exempt: bool | None = None
    """None means nobody said whether the account is taxable."""
    credit_limit: Decimal | None = None
    has_qbo_customer: bool = False
    tax_exemption_reason: str | None = None
    resale_number: str | None = None
    billing_email: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class LineFacts:
    """One OpportunityLineItem. `unit_price` is the sales price before the line `discount_percent`."""

    product_name: str | None
    product_code: str | None
    quantity: Decimal
    unit_price: Decimal
    discount_percent: Decimal | None
    total_price: Decimal
    list_price: Decimal | None = None
    """The price-book price (Salesforce ListPrice), when known; used to measure discounts off list."""

    @property
    def label(self) -> str:
        return self.product_name or self.product_code or "(unnamed product)"

    @property
    def gross(self) -> Decimal:
        """What the line would cost at list price without any discount."""
        return self.quantity * (self.list_price if self.list_price is not None else self.unit_price)


@dataclass(frozen=True, slots=True, kw_only=True)
class DealFacts:
    opportunity_id: str
    name: str
    stage: str
    is_won: bool
    billing_status: str | None
    amount: Decimal | None
    close_date: date | None
    payment_terms: str | None
    po_number: str | None = None
    owner_email: str | None = None
    currency: str = "USD"
    account: AccountFacts
    lines: tuple[LineFacts, ...] = ()
