"""A customer activation ("sales creates, finance approves"): the customer proposed from the Salesforce account,
the QuickBooks customers that look like it, and what the approver chose (terms, credit limit, which customer)."""
from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON
from sqlmodel import Field, SQLModel

from app.db import Money, UTCDateTime

CREATE_NEW = "create"
"""The approver's choice when a look-alike exists and they want a new customer anyway."""


class ActivationStatus(StrEnum):
    PROPOSED = "proposed"
    APPROVED = "approved"        # approved; the worker creates (or links) the QuickBooks customer
    DONE = "done"                # the mapping is stored


class CustomerActivation(SQLModel, table=True):
    __tablename__ = "customer_activation"

    id: int | None = Field(default=None, primary_key=True)
    request_id: int = Field(foreign_key="approval_request.id", unique=True)
    account_id: int = Field(foreign_key="account.id", index=True)
    proposed: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)
    """The customer as Salesforce describes it: name, email, addresses, terms, tax status, credit limit."""
    look_alikes: list[dict[str, Any]] = Field(default_factory=list, sa_type=JSON)
    """QuickBooks customers found like it when the request was posted: id, name, email, address, why."""
    status: str = Field(default=ActivationStatus.PROPOSED, max_length=16)
    terms: str | None = Field(default=None, max_length=40)
    credit_limit: Decimal | None = Field(default=None, sa_type=Money)
    choice: str | None = Field(default=None, max_length=40)
    """A look-alike's QuickBooks id ("use this one") or CREATE_NEW; None when no look-alike was offered."""
    qbo_customer_id: str | None = Field(default=None, max_length=40)
    created_at: datetime = Field(sa_type=UTCDateTime)
    updated_at: datetime = Field(sa_type=UTCDateTime)
