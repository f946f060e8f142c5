"""Reads of the exception queue: counts, ordered pages, items needing SLA pings, and their views."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, or_
from sqlmodel import Session, col, select

from app.db import persisted_id
from app.deals.models import Deal
from app.exception_queue import rules
from app.exception_queue.digest import ItemView, QueueCounts
from app.exception_queue.models import OPEN, ExceptionItem
from app.policy import Policy

RecordLink = Callable[[str], str | None]
PING_HORIZON = timedelta(days=10)
"""How far ahead of the SLA a reminder may fall in wall time (business hours skip nights and weekends)."""


@dataclass(frozen=True, slots=True)
class Person:
    """Someone who sees only their own deals: the deal's owner by email, or the exception's owner."""

    slack_id: str
    email: str


@dataclass(frozen=True, slots=True, kw_only=True)
class Filter:
    owner: str | None = None
    cause: str | None = None
    visible_to: Person | None = None


def cause_column():
    return func.coalesce(ExceptionItem.root_cause, ExceptionItem.suggested_root_cause)


def _open(filter_: Filter | None = None):
    conditions = [ExceptionItem.open_marker == OPEN]
    if filter_ is not None and filter_.owner:
        conditions.append(ExceptionItem.owner_slack_id == filter_.owner)
    if filter_ is not None and filter_.cause:
        conditions.append(cause_column() == filter_.cause)
    if filter_ is not None and filter_.visible_to is not None:
        conditions.append(_owned_by(filter_.visible_to))
    return conditions


def _owned_by(person: Person):
    owned_deals = select(Deal.id).where(func.lower(Deal.owner_email) == person.email.lower())
    return or_(col(ExceptionItem.owner_slack_id) == person.slack_id, col(ExceptionItem.deal_id).in_(owned_deals))


def queue_counts(session: Session, *, now: datetime, soon_until: datetime) -> QueueCounts:
    """Counts by kind and by (tagged, else suggested) cause, in three GROUP BY queries.
    Due soon: the SLA falls after now and at or before `soon_until` (rules.due_soon_until)."""
    by_kind = dict(session.exec(select(ExceptionItem.kind, func.count()).where(*_open())
                                .group_by(ExceptionItem.kind)).all())
    by_cause = dict(session.exec(select(cause_column(), func.count()).where(*_open())
                                 .group_by(cause_column())).all())
    breached = _count(session, col(ExceptionItem.sla_due_at) <= now)
    due_soon = _count(session, col(ExceptionItem.sla_due_at) > now, col(ExceptionItem.sla_due_at) <= soon_until)
    return QueueCounts(total=sum(by_kind.values()), breached=breached, due_soon=due_soon, by_kind=by_kind,
                       by_cause=by_cause)


def _count(session: Session, *conditions) -> int:
    return int(session.exec(select(func.count()).select_from(ExceptionItem).where(*_open(), *conditions)).one())


def digest_rows(session: Session, *, now: datetime, limit: int,
                soon_until: datetime) -> tuple[list[tuple], list[tuple], list[tuple]]:
    """(breached, due soon, the rest), each ordered by SLA due time and at most `limit` long."""
    due = col(ExceptionItem.sla_due_at)
    return (_rows(session, [due <= now], limit), _rows(session, [due > now, due <= soon_until], limit),
            _rows(session, [due > soon_until], limit))


def count_open(session: Session, *, filter_: Filter) -> int:
    return int(session.exec(select(func.count()).select_from(ExceptionItem).where(*_open(filter_))).one())


def page_rows(session: Session, *, filter_: Filter, offset: int, limit: int) -> list[tuple]:
    """One page of open exceptions matching the filter, most urgent first."""
    return _rows(session, [], limit, filter_=filter_, offset=offset)


def rows_by_id(session: Session, ids: list[int]) -> list[tuple]:
    statement = (select(ExceptionItem, Deal).join(Deal, col(Deal.id) == ExceptionItem.deal_id, isouter=True)
                 .where(col(ExceptionItem.id).in_(ids)))
    found = {item.id: (item, deal) for item, deal in session.exec(statement).all()}
    return [found[item_id] for item_id in ids if item_id in found]


def rows_in_message(session: Session, *, channel: str, ts: str) -> list[tuple]:
    """Every item (open or closed) whose tracked message is channel/ts, in digest order."""
    statement = (select(ExceptionItem, Deal).join(Deal, col(Deal.id) == ExceptionItem.deal_id, isouter=True)
                 .where(ExceptionItem.slack_channel == channel, ExceptionItem.slack_ts == ts)
                 .order_by(col(ExceptionItem.sla_due_at), col(ExceptionItem.id)))
    return list(session.exec(statement).all())


def _rows(session: Session, conditions: list, limit: int, *, filter_: Filter | None = None,
          offset: int = 0) -> list[tuple]:
    statement = (select(ExceptionItem, Deal).join(Deal, col(Deal.id) == ExceptionItem.deal_id, isouter=True)
                 .where(*_open(filter_), *conditions).order_by(col(ExceptionItem.sla_due_at), col(ExceptionItem.id))
                 .offset(offset).limit(limit))
    return list(session.exec(statement).all())


def needing_pings(session: Session, *, now: datetime, policy: Policy, limit: int = 500) -> list[ExceptionItem]:
    """Open items whose SLA is near or past and that still have a ping unsent (the rule decides which)."""
    horizon = now + PING_HORIZON + timedelta(hours=policy.reminders.before_breach_hours)
    unsent = or_(col(ExceptionItem.reminded_before_at).is_(None), col(ExceptionItem.breach_posted_at).is_(None),
                 col(ExceptionItem.escalated_at).is_(None))
    statement = (select(ExceptionItem).where(*_open(), unsent, col(ExceptionItem.sla_due_at) <= horizon)
                 .order_by(col(ExceptionItem.sla_due_at)).limit(limit))
    return list(session.exec(statement).all())


def item_view(item: ExceptionItem, deal: Deal | None, *, now: datetime, policy: Policy,
              record_link: RecordLink | None = None, note: str | None = None) -> ItemView:
    cause = item.root_cause or item.suggested_root_cause
    sf_id = deal.sf_id if deal is not None else None
    return ItemView(
        id=persisted_id(item), kind=item.kind, deal_name=deal.name if deal else None, opportunity_id=sf_id,
        opportunity_url=item.sf_record_url or (record_link(sf_id) if record_link and sf_id else None),
        reason=item.reason, fix=item.fix, owner_slack_id=item.owner_slack_id, root_cause=cause,
        root_cause_label=rules.cause_label(cause, policy), cause_is_suggestion=item.root_cause is None,
        sla_due_at=item.sla_due_at, status=item.status, breached=rules.is_breached(item.sla_due_at, now),
        retry_count=item.retry_count, resolved_by=item.resolved_by, resolution=item.resolution, note=note,
        last_retry_at=item.last_retry_at, last_retry_by=item.last_retry_by, last_retry_result=item.last_retry_result,
    )


def views(rows: list[tuple], *, now: datetime, policy: Policy, record_link: RecordLink | None) -> list[ItemView]:
    return [item_view(item, deal, now=now, policy=policy, record_link=record_link) for item, deal in rows]
