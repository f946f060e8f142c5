"""The levels of an approval request, each decided once: who decided it, when, and how."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from app.approvals.levels import LevelStatus
from app.db import UTCDateTime


class ApprovalLevel(SQLModel, table=True):
    """One level of one request. Levels sharing a `step` are decided in parallel, steps in order.

    The unique (request_id, decided_by) is separation of duties in the schema: even two concurrent clicks on two
    parallel levels cannot let one person decide both."""

    __tablename__ = "approval_level"
    __table_args__ = (UniqueConstraint("request_id", "position"), UniqueConstraint("request_id", "decided_by"))

    id: int | None = Field(default=None, primary_key=True)
    request_id: int = Field(foreign_key="approval_request.id", index=True)
    position: int
    step: int
    role: str = Field(max_length=80)
    status: str = Field(default=LevelStatus.PENDING, max_length=16)
    decided_by: str | None = Field(default=None, max_length=32)
    decided_by_name: str | None = Field(default=None, max_length=255)
    decided_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    comment: str | None = Field(default=None, sa_type=Text)
