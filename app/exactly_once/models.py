"""Bookkeeping that keeps polling, inbound events and scheduled jobs exactly-once."""
from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import JSON, UniqueConstraint
from sqlmodel import Field, SQLModel

from app.db import UTCDateTime


class SyncWatermark(SQLModel, table=True):
    """How far a poller got. Ids already processed at exactly `modstamp` are kept, so a `>=` query
    neither misses records sharing a SystemModstamp nor processes them twice; `read_ahead` holds the
    versions a pushed read stored beyond the mark (ISO SystemModstamp -> entries), which the poll skips."""

    __tablename__ = "sync_watermark"

    name: str = Field(primary_key=True, max_length=64)
    modstamp: datetime | None = Field(default=None, sa_type=UTCDateTime)
    ids_at_modstamp: list[str] = Field(default_factory=list, sa_type=JSON)
    read_ahead: dict[str, list[str]] = Field(default_factory=dict, sa_type=JSON)
    updated_at: datetime = Field(sa_type=UTCDateTime)


class InboundEvent(SQLModel, table=True):
    """An inbound delivery already handled (Slack event_id, action keys): the unique key drops retries."""

    __tablename__ = "inbound_event"

    id: int | None = Field(default=None, primary_key=True)
    source: str = Field(default="slack", max_length=20)
    event_key: str = Field(max_length=255, unique=True)
    received_at: datetime = Field(sa_type=UTCDateTime)


class JobRunStatus(StrEnum):
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"


class JobRun(SQLModel, table=True):
    """One row per scheduled slot: inserting it first makes exactly one replica run the slot."""

    __tablename__ = "job_run"
    __table_args__ = (UniqueConstraint("job_name", "scheduled_for"),)

    id: int | None = Field(default=None, primary_key=True)
    job_name: str = Field(max_length=64)
    scheduled_for: datetime = Field(sa_type=UTCDateTime)
    started_at: datetime = Field(sa_type=UTCDateTime)
    finished_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    status: str = Field(default=JobRunStatus.RUNNING, max_length=16)
