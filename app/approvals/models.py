"""Approval requests posted to Slack and the single decision each one can get."""
from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Column, Integer, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from app.db import UTCDateTime

LIVE = 1


class ApprovalStatus(StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"
    SUPERSEDED = "superseded"
    EXPIRED = "expired"
    """Waited longer than the policy allows (`approval_controls.expire_after_hours`); a fresh request replaced it."""


class Decision(StrEnum):
    APPROVED = "approved"
    REJECTED = "rejected"


class ApprovalRequestBase(SQLModel):
    kind: str = Field(max_length=40)
    level: int = 1
    role: str = Field(max_length=80)
    ask: str = Field(sa_type=Text)
    detail: str = Field(default="", sa_type=Text)
    terms_fingerprint: str = Field(max_length=64)
    requester_sf_user_id: str | None = Field(default=None, max_length=18)
    requester_email: str | None = Field(default=None, max_length=255)
    requester_slack_id: str | None = Field(default=None, max_length=32)
    submitter_sf_user_id: str | None = Field(default=None, max_length=18)
    """Whoever submitted the deal, when the policy names a field for it: like the owner, they decide no level."""
    submitter_email: str | None = Field(default=None, max_length=255)
    submitter_slack_id: str | None = Field(default=None, max_length=32)


class ApprovalRequest(ApprovalRequestBase, table=True):
    """One ask for one deal; the unique key stops the same ask from being posted twice."""

    __tablename__ = "approval_request"
    __table_args__ = (UniqueConstraint("deal_id", "kind", "terms_fingerprint", "live_marker"),)

    id: int | None = Field(default=None, primary_key=True)
    deal_id: int = Field(foreign_key="deal.id")
    status: str = Field(default=ApprovalStatus.PENDING, max_length=16, index=True)
    # 1 while the request counts, NULL once superseded: the same terms may be asked again later.
    # A plain column without a SQL default (the ORM leaves None out of INSERTs).
    live_marker: int | None = Field(default=LIVE, sa_column=Column(Integer, nullable=True))
    slack_channel: str | None = Field(default=None, max_length=32)
    slack_ts: str | None = Field(default=None, max_length=32)
    created_at: datetime = Field(sa_type=UTCDateTime)
    decided_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    locked_values: dict[str, str] | None = Field(default=None, sa_type=JSON)
    """The values this approval locks (app/approvals/locks.py); NULL on requests made before the field lock."""
    superseded_why: str | None = Field(default=None, sa_type=Text)
    """Why the request was superseded: the locked values that changed, old -> new."""
    reapproval_of: int | None = Field(default=None)
    """The superseded request this one asks again for (its id), with `changes` the difference."""
    changes: list[dict[str, Any]] | None = Field(default=None, sa_type=JSON)


class ApprovalDecision(SQLModel, table=True):
    """The one decision on a request: the unique request_id makes two concurrent clicks yield one row."""

    __tablename__ = "approval_decision"

    id: int | None = Field(default=None, primary_key=True)
    request_id: int = Field(foreign_key="approval_request.id", unique=True)
    slack_user_id: str = Field(max_length=32)
    slack_user_name: str | None = Field(default=None, max_length=255)
    decision: str = Field(max_length=16)
    comment: str | None = Field(default=None, sa_type=Text)
    decided_at: datetime = Field(sa_type=UTCDateTime)
