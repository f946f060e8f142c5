"""The durable work queue: slow vendor calls run here, after the Slack ack, with retries."""
from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Index, Text
from sqlmodel import Field, SQLModel

from app.db import UTCDateTime


class WorkStatus(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


class WorkItem(SQLModel, table=True):
    """A unit of work; a non-null dedupe_key is unique so the same work is never enqueued twice."""

    __tablename__ = "work_item"
    __table_args__ = (Index("ix_work_item_status_run_after", "status", "run_after"),)

    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(max_length=64)
    payload: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)
    dedupe_key: str | None = Field(default=None, max_length=255, unique=True)
    status: str = Field(default=WorkStatus.QUEUED, max_length=16)
    attempts: int = 0
    run_after: datetime = Field(sa_type=UTCDateTime)
    locked_by: str | None = Field(default=None, max_length=128)
    locked_until: datetime | None = Field(default=None, sa_type=UTCDateTime)
    last_error: str | None = Field(default=None, sa_type=Text)
    created_at: datetime = Field(sa_type=UTCDateTime)
    updated_at: datetime = Field(sa_type=UTCDateTime)
