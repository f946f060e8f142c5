"""What shadow mode would have created, when the mode changed, and the deals a backfill lets through."""
from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import JSON
from sqlmodel import Field, SQLModel

from app.db import Money, UTCDateTime


class ShadowInvoice(SQLModel, table=True):
    """The invoice a deal would have become in live mode (one per deal; a later simulation updates it)."""

    __tablename__ = "shadow_invoice"

    id: int | None = Field(default=None, primary_key=True)
    deal_id: int = Field(foreign_key="deal.id", unique=True)
    qbo_realm_id: str = Field(max_length=40)
    customer_name: str = Field(max_length=255)
    qbo_customer_id: str | None = Field(default=None, max_length=40)
    """None: the customer would have been created."""
    amount: Decimal = Field(sa_type=Money)
    currency: str = Field(default="USD", max_length=3)
    terms: str | None = Field(default=None, max_length=100)
    """The QuickBooks term name the policy maps the deal's terms to."""
    items: list[str] = Field(default_factory=list, sa_type=JSON)
    """QuickBooks item names, one per line, in order."""
    taxable: bool = False
    """Whether any line would be taxed (the tax itself is QuickBooks' to compute)."""
    txn_date: date
    due_date: date | None = None
    created_at: datetime = Field(sa_type=UTCDateTime)
    updated_at: datetime = Field(sa_type=UTCDateTime)


class ModeChange(SQLModel, table=True):
    """Each switch between shadow and live, as the worker first saw it (the first row is the first shadow run)."""

    __tablename__ = "rollout_mode_change"

    id: int | None = Field(default=None, primary_key=True)
    mode: str = Field(max_length=16)
    at: datetime = Field(sa_type=UTCDateTime, index=True)


class BackfillGrant(SQLModel, table=True):
    """A deal won before going live that `ledgerbridge backfill-invoices` lets through (once)."""

    __tablename__ = "backfill_grant"

    id: int | None = Field(default=None, primary_key=True)
    deal_id: int = Field(foreign_key="deal.id", unique=True)
    since: date
    granted_at: datetime = Field(sa_type=UTCDateTime)
