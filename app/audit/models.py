"""The append-only, hash-chained audit log, and the cache of who a Slack user is in Salesforce."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Index
from sqlmodel import Field, SQLModel

from app.db import UTCDateTime

CHAIN_V1 = 1
"""Events written before sequence numbers, links and before/after existed: their hash covers fewer fields."""
CHAIN_V2 = 2
"""Every event written now: the hash covers the sequence number, the links, before/after and the policy version."""


class AuditEvent(SQLModel, table=True):
    """One fact, never updated: `hash` = sha256(prev_hash + canonical JSON of the event).

    `seq` counts events 1, 2, 3... in chain order, so a deleted event leaves a gap `audit verify` names. The
    linked ids (`deal_id`, `approval_id`, `invoice_id` (QuickBooks), `exception_id`) let an auditor follow one
    deal; `before`/`after` hold the values a change replaced; `policy_version` is the policy hash in force.
    """

    __tablename__ = "audit_event"
    __table_args__ = (Index("ix_audit_event_subject", "subject_type", "subject_id"),)

    id: int | None = Field(default=None, primary_key=True)
    seq: int = Field(sa_type=BigInteger, unique=True)
    chain_version: int = Field(default=CHAIN_V2)
    occurred_at: datetime = Field(sa_type=UTCDateTime, index=True)
    actor: str = Field(max_length=64)
    actor_name: str | None = Field(default=None, max_length=255)
    actor_sf_id: str | None = Field(default=None, max_length=18)
    action: str = Field(max_length=64, index=True)
    subject_type: str = Field(max_length=40)
    subject_id: str = Field(max_length=64)
    details: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)
    before: dict[str, Any] | None = Field(default=None, sa_type=JSON)
    after: dict[str, Any] | None = Field(default=None, sa_type=JSON)
    policy_version: str | None = Field(default=None, max_length=64)
    deal_id: int | None = Field(default=None, index=True)
    approval_id: int | None = Field(default=None, index=True)
    invoice_id: str | None = Field(default=None, max_length=40)
    exception_id: int | None = Field(default=None, index=True)
    prev_hash: str = Field(max_length=64)
    hash: str = Field(max_length=64, unique=True)


class AuditIdentity(SQLModel, table=True):
    """Who a Slack user is in Salesforce (matched by e-mail), looked up by a worker and remembered.

    A cache, not evidence: rows are refreshed in place. An event stores the Salesforce user id known when it was
    written; the export falls back to this table for events written before the match was known.
    """

    __tablename__ = "audit_identity"

    slack_user_id: str = Field(primary_key=True, max_length=32)
    slack_name: str | None = Field(default=None, max_length=255)
    email: str | None = Field(default=None, max_length=255)
    sf_user_id: str | None = Field(default=None, max_length=18)
    checked_at: datetime = Field(sa_type=UTCDateTime)
