"""Corrections to an issued invoice: a credit memo (for lines or an amount), a write-off of the unpaid balance, or a
credit-and-rebill after the deal changed. Each is approved in Slack, then made exactly once in QuickBooks."""
from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from app.db import Money, UTCDateTime


class CorrectionKind(StrEnum):
    CREDIT_MEMO = "credit_memo"
    """A credit memo for some of the invoice's lines, or for an amount (the policy's credit item)."""
    WRITE_OFF = "write_off"
    """A credit memo for the invoice's whole unpaid balance, to the policy's bad-debt item."""
    REBILL = "rebill"
    """The deal changed after invoicing: the invoice is credited in full and a corrected invoice is made."""


CORRECTION_KINDS = frozenset(kind.value for kind in CorrectionKind)
"""Approval request kinds that are corrections (their decision is followed by the correction, not the gate)."""


class CorrectionStatus(StrEnum):
    PROPOSED = "proposed"
    APPROVED = "approved"
    CREATING = "creating"
    DONE = "done"
    """The credit memo exists, is applied to the invoice (and, for a rebill, the corrected invoice exists)."""
    REJECTED = "rejected"
    FAILED = "failed"


class Correction(SQLModel, table=True):
    """`idempotency_key` is sent as QuickBooks `requestid`; `doc_number` is the credit memo's DocNumber, looked up
    before any retry. `number` counts a deal's corrections (1, 2, ...)."""

    __tablename__ = "invoice_correction"
    __table_args__ = (UniqueConstraint("deal_id", "number"),)

    id: int | None = Field(default=None, primary_key=True)
    deal_id: int = Field(foreign_key="deal.id", index=True)
    invoice_job_id: int = Field(foreign_key="invoice_job.id")
    number: int
    kind: str = Field(max_length=16)
    status: str = Field(default=CorrectionStatus.PROPOSED, max_length=16, index=True)
    source: str = Field(default="slack", max_length=24)
    """"slack" (a finance user proposed it) or "change_after_invoice" (Ledgerbridge proposed it)."""
    amount: Decimal = Field(sa_type=Money)
    """What is credited before tax for lines (tax is added by QuickBooks), or the amount credited."""
    currency: str = Field(default="USD", max_length=3)
    lines: list[dict[str, Any]] = Field(default_factory=list, sa_type=JSON)
    """Credited invoice lines: {"index", "label", "amount"} (a line credit); empty for an amount or a write-off."""
    reason: str = Field(sa_type=Text)
    root_cause: str | None = Field(default=None, max_length=40)
    proposer_slack_id: str | None = Field(default=None, max_length=32)
    proposer_name: str | None = Field(default=None, max_length=255)
    approval_request_id: int | None = Field(default=None, foreign_key="approval_request.id")
    idempotency_key: str = Field(max_length=50, unique=True)
    doc_number: str = Field(max_length=21)
    invoice_id: str = Field(max_length=40)
    invoice_doc_number: str | None = Field(default=None, max_length=21)
    qbo_credit_memo_id: str | None = Field(default=None, max_length=40)
    credit_total: Decimal | None = Field(default=None, sa_type=Money)
    """The credit memo's total as QuickBooks computed it (tax included)."""
    qbo_payment_id: str | None = Field(default=None, max_length=40)
    """The zero payment that applied the credit memo to the invoice."""
    observed_total: Decimal | None = Field(default=None, sa_type=Money)
    """A rebill: the deal's net total that differed from the invoice's when it was proposed."""
    rebill_invoice_id: str | None = Field(default=None, max_length=40)
    rebill_doc_number: str | None = Field(default=None, max_length=21)
    attempts: int = 0
    last_error: str | None = Field(default=None, sa_type=Text)
    created_at: datetime = Field(sa_type=UTCDateTime)
    updated_at: datetime = Field(sa_type=UTCDateTime)
    decided_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    done_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
