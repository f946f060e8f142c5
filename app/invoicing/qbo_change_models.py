"""What QuickBooks Change Data Capture told us happened to our invoices after issue: credit memos (made by
Ledgerbridge or by hand in QuickBooks) and changes to an invoice's total (an edit or a void)."""
from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import UniqueConstraint
from sqlmodel import Field, SQLModel

from app.db import Money, UTCDateTime


class QboCreditMemoSeen(SQLModel, table=True):
    """A credit memo as CDC last showed it. `invoice_job_id`: the invoice it credits (the one it was applied to,
    else the customer's latest invoice issued before it); None when it credits none of ours."""

    __tablename__ = "qbo_credit_memo"
    __table_args__ = (UniqueConstraint("realm_id", "qbo_id"),)

    id: int | None = Field(default=None, primary_key=True)
    realm_id: str = Field(max_length=40)
    qbo_id: str = Field(max_length=40)
    doc_number: str | None = Field(default=None, max_length=21)
    customer_id: str | None = Field(default=None, max_length=40)
    txn_date: date | None = None
    total: Decimal = Field(sa_type=Money)
    currency: str = Field(default="USD", max_length=3)
    home_total: Decimal | None = Field(default=None, sa_type=Money)
    created_in_qbo_at: datetime = Field(sa_type=UTCDateTime, index=True)
    deleted: bool = False
    invoice_job_id: int | None = Field(default=None, foreign_key="invoice_job.id", index=True)
    seen_at: datetime = Field(sa_type=UTCDateTime)
    updated_at: datetime = Field(sa_type=UTCDateTime)
