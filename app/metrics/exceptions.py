"""Exception metrics from root-cause tags: counts and weekly trend by cause, time to resolve, SLA breach rate.

The pure functions take plain rows; `exception_metrics` reads them from the database.
"""
from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta, tzinfo

from sqlmodel import Session, col, select

from app.exception_queue.models import ExceptionItem, ExceptionStatus

UNTAGGED = "untagged"


@dataclass(frozen=True, slots=True, kw_only=True)
class ExceptionRow:
    """One exception, as the metrics read it."""

    kind: str
    cause: str | None
    opened_at: datetime
    sla_due_at: datetime
    resolved_at: datetime | None = None
    status: str = ExceptionStatus.OPEN
    resolved_by: str | None = None
    segment: str | None = None
    realm_id: str | None = None


@dataclass(frozen=True, slots=True)
class ResolveTimes:
    count: int
    median: timedelta | None
    p90: timedelta | None
    mean: timedelta | None


@dataclass(frozen=True, slots=True, kw_only=True)
class ExceptionMetrics:
    by_cause: dict[str, int]
    weekly_by_cause: dict[date, dict[str, int]]
    time_to_resolve: ResolveTimes
    breach_rate: float | None


def counts_by_cause(rows: Iterable[ExceptionRow]) -> dict[str, int]:
    """How many exceptions each cause produced (untagged ones counted apart), largest first."""
    counted = Counter(row.cause or UNTAGGED for row in rows)
    return dict(sorted(counted.items(), key=lambda pair: (-pair[1], pair[0])))


def week_of(moment: datetime, tz: tzinfo) -> date:
    """The Monday (in `tz`) of the week `moment` falls in."""
    local = moment.astimezone(tz).date()
    return local - timedelta(days=local.weekday())


def weekly_trend(rows: Iterable[ExceptionRow], tz: tzinfo) -> dict[date, dict[str, int]]:
    """Per week (Monday, policy zone) the count of exceptions opened, by cause; weeks in order."""
    weeks: dict[date, Counter[str]] = defaultdict(Counter)
    for row in rows:
        weeks[week_of(row.opened_at, tz)][row.cause or UNTAGGED] += 1
    return {week: dict(weeks[week]) for week in sorted(weeks)}


def resolve_times(rows: Iterable[ExceptionRow]) -> ResolveTimes:
    """Median, 90th percentile and mean of opened -> resolved, over resolved (not dismissed) exceptions."""
    spans = sorted(row.resolved_at - row.opened_at for row in rows
                   if row.resolved_at is not None and row.status == ExceptionStatus.RESOLVED)
    if not spans:
        return ResolveTimes(0, None, None, None)
    p90 = spans[min(len(spans) - 1, max(0, -(-9 * len(spans) // 10) - 1))]
    return ResolveTimes(len(spans), _median(spans), p90, sum(spans, timedelta(0)) / len(spans))


def _median(spans: Sequence[timedelta]) -> timedelta:
    """The median of sorted spans (statistics.median is typed for numbers only)."""
    middle = len(spans) // 2
    return spans[middle] if len(spans) % 2 else (spans[middle - 1] + spans[middle]) / 2


def breach_rate(rows: Sequence[ExceptionRow], *, now: datetime) -> float | None:
    """Share of exceptions whose SLA is decided (closed, or already past due) that missed it."""
    decided = [row for row in rows if row.resolved_at is not None or row.sla_due_at <= now]
    if not decided:
        return None
    missed = sum(1 for row in decided if (row.resolved_at or now) > row.sla_due_at)
    return missed / len(decided)


def load_rows(session: Session, *, since: datetime) -> list[ExceptionRow]:
    statement = select(ExceptionItem).where(col(ExceptionItem.created_at) >= since)
    return [ExceptionRow(kind=item.kind, cause=item.root_cause or item.suggested_root_cause,
                         opened_at=item.created_at, sla_due_at=item.sla_due_at, resolved_at=item.resolved_at,
                         status=item.status)
            for item in session.exec(statement).all()]


def exception_metrics(session: Session, *, now: datetime, since: datetime, tz: tzinfo) -> ExceptionMetrics:
    return metrics_of(load_rows(session, since=since), now=now, tz=tz)


def metrics_of(rows: Sequence[ExceptionRow], *, now: datetime, tz: tzinfo) -> ExceptionMetrics:
    return ExceptionMetrics(by_cause=counts_by_cause(rows), weekly_by_cause=weekly_trend(rows, tz),
                            time_to_resolve=resolve_times(rows), breach_rate=breach_rate(rows, now=now))
