"""Invoice jobs: one QuickBooks invoice per deal, created idempotently."""
from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum

from sqlalchemy import Numeric, Text
from sqlmodel import Field, SQLModel

from app.db import Money, UTCDateTime


class InvoiceJobStatus(StrEnum):
    PENDING = "pending"
    CREATING = "creating"
    CREATED = "created"
    FAILED = "failed"


class InvoiceJob(SQLModel, table=True):
    """The unique deal_id means one invoice per deal; idempotency_key is sent as QuickBooks `requestid`."""

    __tablename__ = "invoice_job"

    id: int | None = Field(default=None, primary_key=True)
    deal_id: int = Field(foreign_key="deal.id", unique=True)
    idempotency_key: str = Field(max_length=50, unique=True)
    status: str = Field(default=InvoiceJobStatus.PENDING, max_length=16, index=True)
    attempts: int = 0
    qbo_realm_id: str = Field(max_length=40)
    qbo_customer_id: str | None = Field(default=None, max_length=40)
    qbo_invoice_id: str | None = Field(default=None, max_length=40)
    doc_number: str | None = Field(default=None, max_length=21)
    total: Decimal | None = Field(default=None, sa_type=Money)
    balance: Decimal | None = Field(default=None, sa_type=Money)
    due_date: date | None = None
    tax_total: Decimal | None = Field(default=None, sa_type=Money)
    """The tax QuickBooks computed (TxnTaxDetail.TotalTax), read back from the created invoice."""
    currency: str | None = Field(default=None, max_length=3)
    exchange_rate: Decimal | None = Field(default=None, sa_type=Numeric(18, 6))
    """Home-currency units per invoice-currency unit, as QuickBooks stored it (multicurrency companies)."""
    home_total: Decimal | None = Field(default=None, sa_type=Money)
    qbo_status: str | None = Field(default=None, max_length=40)
    last_error: str | None = Field(default=None, sa_type=Text)
    writeback_done: bool = False
    created_at: datetime = Field(sa_type=UTCDateTime)
    updated_at: datetime = Field(sa_type=UTCDateTime)
    created_in_qbo_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    changed_in_qbo_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    """When CDC first showed the invoice with another total than it was issued with (edited or voided)."""
