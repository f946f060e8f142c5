"""Milestone invoices: one QuickBooks invoice per milestone of a deal's billing schedule, created idempotently."""
from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import Text
from sqlmodel import Field, SQLModel

from app.db import Money, UTCDateTime


class MilestoneInvoice(SQLModel, table=True):
    """The unique milestone id means one invoice per milestone; idempotency_key is sent as QuickBooks `requestid`
    and kept in the invoice's PrivateNote."""

    __tablename__ = "milestone_invoice"

    id: int | None = Field(default=None, primary_key=True)
    deal_id: int = Field(foreign_key="deal.id", index=True)
    qbo_realm_id: str = Field(max_length=40)
    """The QuickBooks company the invoice is made in."""
    milestone_sf_id: str = Field(max_length=18, unique=True)
    name: str = Field(max_length=255)
    number: int
    """The milestone's place in the deal's schedule (1, 2, ...): the DocNumber suffix with opportunity numbering."""
    amount: Decimal = Field(sa_type=Money)
    idempotency_key: str = Field(max_length=50, unique=True)
    status: str = Field(default="creating", max_length=16)
    attempts: int = 0
    qbo_invoice_id: str | None = Field(default=None, max_length=40)
    doc_number: str | None = Field(default=None, max_length=21)
    total: Decimal | None = Field(default=None, sa_type=Money)
    last_error: str | None = Field(default=None, sa_type=Text)
    created_at: datetime = Field(sa_type=UTCDateTime)
    updated_at: datetime = Field(sa_type=UTCDateTime)
