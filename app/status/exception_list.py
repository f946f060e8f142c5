"""The dashboard's exception queue: open or closed items filtered by state, root cause, owner and age."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func
from sqlmodel import Session, col, select

from app.deals.models import Deal
from app.exception_queue.models import ExceptionItem, ExceptionStatus
from app.exception_queue.queries import cause_column

STATES = ("open", "resolved", "dismissed", "all")
UNASSIGNED = "unassigned"


class BadQueueFilter(ValueError):
    """A filter value the queue cannot use: said plainly, answered with a 400."""


@dataclass(frozen=True, slots=True, kw_only=True)
class QueueFilter:
    state: str = "open"
    cause: str | None = None
    owner: str | None = None
    """A Slack user id, or "unassigned"."""
    min_age_days: int | None = None
    """Only items opened at least this many days ago."""


def parse_filter(query: dict[str, str], *, causes: list[str]) -> QueueFilter:
    state = (query.get("state") or "open").strip().lower()
    if state not in STATES:
        raise BadQueueFilter(f"state must be one of {', '.join(STATES)}, not {state[:40]!r}")
    cause = (query.get("cause") or "").strip() or None
    if cause is not None and cause not in causes:
        raise BadQueueFilter(f"root cause must be one of {', '.join(causes)}, not {cause[:40]!r}")
    age = (query.get("age") or "").strip()
    if age and not (age.isdigit() and int(age) <= 3650):
        raise BadQueueFilter(f"age must be a whole number of days from 0 to 3650, not {age[:40]!r}")
    owner = (query.get("owner") or "").strip() or None
    if owner is not None and owner != UNASSIGNED and not (owner.isalnum() and len(owner) <= 32):
        raise BadQueueFilter(f"owner must be a Slack user id or {UNASSIGNED!r}, not {owner[:40]!r}")
    return QueueFilter(state=state, cause=cause, owner=owner, min_age_days=int(age) if age else None)


def _conditions(filter_: QueueFilter, now: datetime) -> list:
    conditions: list = []
    if filter_.state != "all":
        conditions.append(col(ExceptionItem.status) == ExceptionStatus(filter_.state).value)
    if filter_.cause:
        conditions.append(cause_column() == filter_.cause)
    if filter_.owner == UNASSIGNED:
        conditions.append(col(ExceptionItem.owner_slack_id).is_(None))
    elif filter_.owner:
        conditions.append(col(ExceptionItem.owner_slack_id) == filter_.owner)
    if filter_.min_age_days is not None:
        conditions.append(col(ExceptionItem.created_at) <= now - timedelta(days=filter_.min_age_days))
    return conditions


def count(session: Session, filter_: QueueFilter, *, now: datetime) -> int:
    query = select(func.count()).select_from(ExceptionItem).where(*_conditions(filter_, now))
    return int(session.exec(query).one())


def rows(session: Session, filter_: QueueFilter, *, now: datetime, offset: int = 0,
         limit: int | None = None) -> list[tuple[ExceptionItem, Deal | None]]:
    """Most urgent first (soonest SLA), then by id."""
    query = (select(ExceptionItem, Deal).join(Deal, col(Deal.id) == ExceptionItem.deal_id, isouter=True)
             .where(*_conditions(filter_, now)).order_by(col(ExceptionItem.sla_due_at), col(ExceptionItem.id))
             .offset(offset).limit(limit))
    return list(session.exec(query).all())
