"""Slack user-group members as the worker last read them, kept in the database for the web process.

The web process may not call Slack before it acks, yet the Resolve form must not open for someone who may not
resolve. So each time the worker reads an approver role's user group (through its cached look-ups) it stores
the members here; the web process decides from this snapshot when it is fresh enough, and asks the worker
(which reads Slack) when it is not. Who may act is still checked again by the worker when the form is submitted.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import JSON
from sqlmodel import Field, Session, SQLModel, col, select

from app.clock import Clock
from app.db import UTCDateTime


class UsergroupSnapshot(SQLModel, table=True):
    __tablename__ = "slack_usergroup_snapshot"

    usergroup_id: str = Field(primary_key=True, max_length=32)
    members: list[Any] = Field(default_factory=list, sa_type=JSON)
    read_at: datetime = Field(sa_type=UTCDateTime)


@dataclass(frozen=True)
class KnownMembers:
    """The members of the groups asked about, and when the oldest of those reads was (None: one was never read)."""

    members: frozenset[str]
    oldest_read: datetime | None


def record_members(session: Session, *, usergroup_id: str, members: Iterable[str], clock: Clock) -> None:
    snapshot = session.get(UsergroupSnapshot, usergroup_id) or UsergroupSnapshot(usergroup_id=usergroup_id,
                                                                                 read_at=clock.now())
    snapshot.members, snapshot.read_at = sorted(set(members)), clock.now()
    session.add(snapshot)
    session.flush()


def known_members(session: Session, *, usergroup_ids: Iterable[str]) -> KnownMembers:
    wanted = set(usergroup_ids)
    if not wanted:
        return KnownMembers(frozenset(), None)
    rows = session.exec(select(UsergroupSnapshot).where(col(UsergroupSnapshot.usergroup_id).in_(sorted(wanted)))).all()
    members = frozenset(str(member) for row in rows for member in row.members)
    oldest = min((row.read_at for row in rows), default=None) if len(rows) == len(wanted) else None
    return KnownMembers(members, oldest)


def fresh_within(known: KnownMembers, *, max_age: timedelta, now: datetime) -> bool:
    return known.oldest_read is not None and now - known.oldest_read <= max_age
