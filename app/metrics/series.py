"""Weekly series for the dashboard's charts: pure functions of plain rows, one value per week (Monday, policy zone).

A week with nothing to measure gives None (a gap in the line), never 0.
"""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta, tzinfo
from decimal import Decimal
from typing import TypeVar

from app.metrics.exceptions import UNTAGGED, ExceptionRow, breach_rate, week_of
from app.metrics.invoicing import (
    InvoicedDeal,
    WonDeal,
    days_to_invoice,
    error_rate,
    first_pass_acceptance,
    invoice_totals,
)

Row = TypeVar("Row")


@dataclass(frozen=True, slots=True)
class Scope:
    """Which deals a chart counts: one segment and one QuickBooks company (None: all). A row without a company
    (not invoiced yet, account not linked) belongs to the policy's default company."""

    segment: str | None = None
    realm_id: str | None = None
    default_realm_id: str | None = None

    def holds(self, segment: str | None, realm_id: str | None) -> bool:
        if self.segment is not None and (segment or "") != self.segment:
            return False
        return self.realm_id is None or (realm_id or self.default_realm_id) == self.realm_id


def weeks_between(since: datetime, now: datetime, tz: tzinfo) -> list[date]:
    """Every Monday (policy zone) from the week of `since` to the week of `now`."""
    first, last = week_of(since, tz), week_of(now, tz)
    return [first + timedelta(weeks=index) for index in range((last - first).days // 7 + 1)]


def by_week(rows: Iterable[Row], moment: Callable[[Row], datetime | None], weeks: Sequence[date],
            tz: tzinfo) -> list[list[Row]]:
    """The rows of each week in `weeks`, by the moment `moment` gives (rows outside every week are left out)."""
    buckets: dict[date, list[Row]] = defaultdict(list)
    for row in rows:
        if (when := moment(row)) is not None:
            buckets[week_of(when, tz)].append(row)
    return [buckets.get(week, []) for week in weeks]


def invoices_per_week(rows: Sequence[InvoicedDeal], weeks: Sequence[date], tz: tzinfo,
                      home_currency: str) -> tuple[list[int], list[Decimal]]:
    """(invoices created, their total in the home currency at QuickBooks' stored rate) per week."""
    per_week = [invoice_totals(week, home_currency=home_currency)
                for week in by_week(rows, lambda row: row.invoiced_at, weeks, tz)]
    return [totals.count for totals in per_week], [totals.home_total for totals in per_week]


def days_to_invoice_per_week(rows: Sequence[InvoicedDeal], weeks: Sequence[date],
                             tz: tzinfo) -> tuple[list[Decimal | None], list[Decimal | None]]:
    """(median, p90) days from close to invoice, of the invoices created each week."""
    per_week = [days_to_invoice(week, tz) for week in by_week(rows, lambda row: row.invoiced_at, weeks, tz)]
    return [dti.median for dti in per_week], [dti.p90 for dti in per_week]


def first_pass_per_week(rows: Sequence[InvoicedDeal], weeks: Sequence[date], tz: tzinfo) -> list[Decimal | None]:
    return [first_pass_acceptance(week).percent for week in by_week(rows, lambda row: row.invoiced_at, weeks, tz)]


def error_rate_per_week(rows: Sequence[WonDeal], weeks: Sequence[date], tz: tzinfo) -> list[Decimal | None]:
    return [error_rate(week).percent for week in by_week(rows, lambda row: row.won_seen_at, weeks, tz)]


def exceptions_per_week(rows: Sequence[ExceptionRow], weeks: Sequence[date], tz: tzinfo,
                        *, closed: bool) -> dict[str, list[int]]:
    """Exceptions opened (or closed) each week, by root cause: {cause: [count per week]}, largest cause first."""
    moment: Callable[[ExceptionRow], datetime | None] = ((lambda row: row.resolved_at) if closed
                                                         else (lambda row: row.opened_at))
    counts: dict[str, list[int]] = {}
    for index, week in enumerate(by_week(rows, moment, weeks, tz)):
        for row in week:
            counts.setdefault(row.cause or UNTAGGED, [0] * len(weeks))[index] += 1
    return dict(sorted(counts.items(), key=lambda pair: (-sum(pair[1]), pair[0])))


def breach_rate_per_week(rows: Sequence[ExceptionRow], weeks: Sequence[date], tz: tzinfo,
                         *, now: datetime) -> list[Decimal | None]:
    """Of the exceptions opened each week whose SLA is decided by `now`, the percent that missed it."""
    rates = [breach_rate(week, now=now) for week in by_week(rows, lambda row: row.opened_at, weeks, tz)]
    return [None if rate is None else (Decimal(repr(rate)) * 100).quantize(Decimal("0.1")) for rate in rates]
