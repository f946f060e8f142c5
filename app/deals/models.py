"""Salesforce accounts and opportunities as we last saw them, with their line items."""
from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Numeric, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from app.db import Money, UTCDateTime


class DealStatus(StrEnum):
    """Where a deal stands on its way to an invoice (stored in `deal.gate_status`)."""

    NOT_WON = "not_won"
    NOT_ELIGIBLE = "not_eligible"
    BLOCKED = "blocked"
    AWAITING_APPROVAL = "awaiting_approval"
    REJECTED = "rejected"
    BILLABLE = "billable"
    INVOICED = "invoiced"
    SIMULATED = "simulated"
    """Shadow mode: the invoice it would become is recorded, nothing was sent."""
    OUT_OF_SCOPE = "out_of_scope"
    """Outside the policy's pilot: skipped (no approvals, invoice or exceptions)."""
    BEFORE_LIVE = "before_live"
    """Won before the switch from shadow to live, or already simulated in shadow: invoiced only by a backfill."""


class AccountBase(SQLModel):
    sf_id: str = Field(max_length=18, unique=True)
    name: str = Field(max_length=255)
    billing_street: str | None = Field(default=None, max_length=255)
    billing_city: str | None = Field(default=None, max_length=80)
    billing_state: str | None = Field(default=None, max_length=80)
    billing_postal_code: str | None = Field(default=None, max_length=20)
    billing_country: str | None = Field(default=None, max_length=80)
    shipping_street: str | None = Field(default=None, max_length=255)
    shipping_city: str | None = Field(default=None, max_length=80)
    shipping_state: str | None = Field(default=None, max_length=80)
    shipping_postal_code: str | None = Field(default=None, max_length=20)
    shipping_country: str | None = Field(default=None, max_length=80)
    segment: str | None = Field(default=None, max_length=80)
    tax_exempt: bool | None = None
    tax_exemption_reason: str | None = Field(default=None, max_length=255)
    resale_number: str | None = Field(default=None, max_length=80)
    billing_email: str | None = Field(default=None, max_length=255)
    credit_limit: Decimal | None = Field(default=None, sa_type=Money)
    sf_modstamp: datetime | None = Field(default=None, sa_type=UTCDateTime)


class Account(AccountBase, table=True):
    """A Salesforce Account and our mapping of it to a QuickBooks customer."""

    __tablename__ = "account"

    id: int | None = Field(default=None, primary_key=True)
    qbo_customer_id: str | None = Field(default=None, max_length=40)
    qbo_realm_id: str | None = Field(default=None, max_length=40)
    qbo_currency: str | None = Field(default=None, max_length=3)
    """The linked QuickBooks customer's currency (a customer has one), once Ledgerbridge has seen it."""
    activated_terms: str | None = Field(default=None, max_length=40)
    activated_credit_limit: Decimal | None = Field(default=None, sa_type=Money)
    activated_over: dict[str, Any] | None = Field(default=None, sa_type=JSON)
    """The terms and credit limit finance approved at activation, and the Salesforce values they replaced
    (`activated_over`: {"payment_terms": ..., "credit_limit": ...}): they apply while Salesforce still says those."""
    created_at: datetime = Field(sa_type=UTCDateTime)
    updated_at: datetime = Field(sa_type=UTCDateTime)


class DealBase(SQLModel):
    sf_id: str = Field(max_length=18, unique=True)
    name: str = Field(max_length=255)
    stage: str = Field(max_length=80)
    is_won: bool = False
    billing_status: str | None = Field(default=None, max_length=40)
    amount: Decimal | None = Field(default=None, sa_type=Money)
    currency: str = Field(default="USD", max_length=3)
    close_date: date | None = None
    payment_terms: str | None = Field(default=None, max_length=40)
    po_number: str | None = Field(default=None, max_length=80)
    owner_sf_id: str | None = Field(default=None, max_length=18)
    owner_name: str | None = Field(default=None, max_length=255)
    owner_email: str | None = Field(default=None, max_length=255)
    submitter_sf_id: str | None = Field(default=None, max_length=18)
    """Whoever submitted the deal (the policy's `approval_controls.submitter_field`), when it names one."""
    submitter_email: str | None = Field(default=None, max_length=255)
    sf_modstamp: datetime = Field(sa_type=UTCDateTime, index=True)


class Deal(DealBase, table=True):
    """A Salesforce Opportunity, the raw record we last read, and the gate verdict on it."""

    __tablename__ = "deal"

    id: int | None = Field(default=None, primary_key=True)
    account_id: int | None = Field(default=None, foreign_key="account.id", index=True)
    snapshot: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)
    gate_status: str = Field(default=DealStatus.NOT_WON, max_length=32, index=True)
    gate_problems: list[str] = Field(default_factory=list, sa_type=JSON)
    terms_fingerprint: str | None = Field(default=None, max_length=64)
    first_seen_at: datetime = Field(sa_type=UTCDateTime)
    won_seen_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    billable_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    updated_at: datetime = Field(sa_type=UTCDateTime)


class DealLineBase(SQLModel):
    sf_id: str = Field(max_length=18)
    product_sf_id: str | None = Field(default=None, max_length=18)
    product_name: str = Field(max_length=255)
    product_code: str | None = Field(default=None, max_length=255)
    quantity: Decimal = Field(sa_type=Numeric(18, 4))
    unit_price: Decimal = Field(sa_type=Money)
    list_price: Decimal | None = Field(default=None, sa_type=Money)
    discount_percent: Decimal | None = Field(default=None, sa_type=Numeric(7, 4))
    total_price: Decimal = Field(sa_type=Money)
    description: str | None = Field(default=None, sa_type=Text)
    service_date: date | None = None
    sort_order: int | None = None


class DealLine(DealLineBase, table=True):
    """An OpportunityLineItem; deleted with its deal."""

    __tablename__ = "deal_line"
    __table_args__ = (UniqueConstraint("deal_id", "sf_id"),)

    id: int | None = Field(default=None, primary_key=True)
    deal_id: int = Field(foreign_key="deal.id", ondelete="CASCADE")
