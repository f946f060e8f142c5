"""The weekly metric review: last week's numbers beside the week before, read in one session.

Invoice cycle time (days to invoice, median and p90, and their change), first-pass acceptance, error rate, credit
memos issued, exceptions opened and closed by root cause, SLA breach rate, and billable completeness (won deals
that reached the billing gate with every required field). The same definitions as the dashboard
(app/metrics/invoicing.py, app/metrics/exceptions.py).
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime, time, timedelta, tzinfo

from sqlalchemy import exists
from sqlmodel import Session, col, select

from app.deals.models import Deal, DealStatus
from app.exception_queue.models import ExceptionItem
from app.metrics.credit_memos import CreditMemos, credit_memos_issued
from app.metrics.exceptions import UNTAGGED, breach_rate, load_rows
from app.metrics.invoicing import (
    DEFAULT_FIRST_PASS_WINDOW,
    DaysToInvoice,
    Rate,
    days_to_invoice,
    error_rate,
    first_pass_acceptance,
    invoiced_deals,
    won_deals,
)
from app.policy import ExceptionKind, Weekday

WEEK = timedelta(days=7)
INCOMPLETE_KINDS = (ExceptionKind.MISSING_FIELD, ExceptionKind.INVALID_FIELD)
_NOT_AT_THE_GATE = (DealStatus.NOT_WON, DealStatus.NOT_ELIGIBLE)


@dataclass(frozen=True, slots=True, kw_only=True)
class WeeklyNumbers:
    since: datetime
    until: datetime
    days_to_invoice: DaysToInvoice
    days_to_invoice_before: DaysToInvoice
    first_pass: Rate
    error_rate: Rate
    credit_memos: CreditMemos | None
    """Credit memos issued in the week: corrections made from Slack and those made by hand in QuickBooks (CDC),
    each once (app/metrics/credit_memos.py). None: not measured."""
    opened_by_cause: dict[str, int]
    closed_by_cause: dict[str, int]
    sla_breach_rate: float | None
    billable_completeness: Rate


def latest_slot(now: datetime, *, days: tuple[Weekday, ...], hour: int, minute: int, tz: tzinfo) -> datetime | None:
    """The most recent scheduled moment at or before `now` (aware UTC in, aware out)."""
    local_day = now.astimezone(tz).date()
    wanted = {int(day) for day in days}
    for offset in range(8):
        day = local_day - timedelta(days=offset)
        slot = datetime.combine(day, time(hour, minute), tzinfo=tz)
        if day.weekday() in wanted and slot <= now:
            return slot
    return None


def weekly_numbers(session: Session, *, until: datetime, tz: tzinfo,
                   window: timedelta = DEFAULT_FIRST_PASS_WINDOW) -> WeeklyNumbers:
    since = until - WEEK
    invoiced = [row for row in invoiced_deals(session, since=since, window=window) if row.invoiced_at < until]
    before = [row for row in invoiced_deals(session, since=since - WEEK, window=window) if row.invoiced_at < since]
    won = [row for row in won_deals(session, since=since) if row.won_seen_at < until]
    opened = [row for row in load_rows(session, since=since) if row.opened_at < until]
    return WeeklyNumbers(
        since=since, until=until, days_to_invoice=days_to_invoice(invoiced, tz),
        days_to_invoice_before=days_to_invoice(before, tz), first_pass=first_pass_acceptance(invoiced),
        error_rate=error_rate(won), credit_memos=credit_memos_issued(session, since=since, until=until),
        opened_by_cause=dict(Counter(row.cause or UNTAGGED for row in opened).most_common()),
        closed_by_cause=_closed_by_cause(session, since=since, until=until),
        sla_breach_rate=breach_rate(opened, now=until),
        billable_completeness=billable_completeness(session, since=since, until=until))


def _closed_by_cause(session: Session, *, since: datetime, until: datetime) -> dict[str, int]:
    statement = select(ExceptionItem).where(col(ExceptionItem.resolved_at) >= since,
                                            col(ExceptionItem.resolved_at) < until)
    causes = Counter(item.root_cause or item.suggested_root_cause or UNTAGGED for item in session.exec(statement))
    return dict(causes.most_common())


def billable_completeness(session: Session, *, since: datetime, until: datetime) -> Rate:
    """Won deals first seen won in the window that reached the gate (won and billing-eligible): how many had
    every required field, i.e. never a missing- or invalid-field exception."""
    incomplete = exists().where(col(ExceptionItem.deal_id) == Deal.id,
                                col(ExceptionItem.kind).in_([kind.value for kind in INCOMPLETE_KINDS]))
    statement = (select(Deal.id, incomplete).where(col(Deal.won_seen_at) >= since, col(Deal.won_seen_at) < until,
                                                   col(Deal.gate_status).not_in([s.value for s in _NOT_AT_THE_GATE])))
    rows = session.exec(statement).all()
    return Rate(sum(1 for _, bad in rows if not bad), len(rows))
