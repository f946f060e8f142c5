"""The ROI numbers of one period, read in one session: what the dashboard tiles and its JSON show."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, tzinfo

from sqlmodel import Session

from app.exception_queue.queries import Filter as QueueFilter
from app.exception_queue.queries import count_open
from app.metrics.exceptions import ExceptionMetrics, exception_metrics, metrics_of
from app.metrics.facts import exception_rows
from app.metrics.invoicing import (
    DEFAULT_FIRST_PASS_WINDOW,
    DaysToInvoice,
    InvoiceTotals,
    Rate,
    corrections_by_cause,
    credit_memo_frequency,
    days_to_invoice,
    error_rate,
    first_pass_acceptance,
    invoice_totals,
    invoiced_deals,
    window_start,
    won_deals,
)
from app.metrics.series import Scope

WINDOWS = (7, 30, 90, 365)
DEFAULT_WINDOW = 30


class BadWindow(ValueError):
    """A period other than the ones offered."""


def parse_window(raw: str | None) -> int:
    """'7' / '30' / '90' / '365' (or nothing: 30) -> days; anything else raises BadWindow with a clear message."""
    if raw is None or raw.strip() == "":
        return DEFAULT_WINDOW
    choices = ", ".join(str(days) for days in WINDOWS)
    try:
        days = int(raw.strip())
    except ValueError:
        raise BadWindow(f"days must be one of {choices}, not {raw[:40]!r}") from None
    if days not in WINDOWS:
        raise BadWindow(f"days must be one of {choices}, not {days}")
    return days


@dataclass(frozen=True, slots=True, kw_only=True)
class RoiMetrics:
    days: int
    since: datetime
    now: datetime
    days_to_invoice: DaysToInvoice
    first_pass: Rate
    error_rate: Rate
    invoices: InvoiceTotals
    open_exceptions: int
    exceptions: ExceptionMetrics
    credit_memos: Rate = Rate(0, 0)
    """Invoiced deals whose invoice got a credit memo (a correction made), of all invoiced in the period."""
    corrections_by_cause: dict[str, int] | None = None


def roi_metrics(session: Session, *, now: datetime, days: int, tz: tzinfo, home_currency: str = "USD",
                scope: Scope | None = None, window: timedelta = DEFAULT_FIRST_PASS_WINDOW) -> RoiMetrics:
    """Everything over the last `days` days; the open-exception count is as of `now`, whatever the period.
    Invoiced amounts are also summed in `home_currency` at the rates QuickBooks stored. `scope`: one segment or
    QuickBooks company only; `window`: the first-pass window after issue."""
    since = window_start(now, days)
    if scope is None:
        invoiced = invoiced_deals(session, since=since, window=window)
        won = won_deals(session, since=since)
        exceptions = exception_metrics(session, now=now, since=since, tz=tz)
    else:
        invoiced = [row for row in invoiced_deals(session, since=since, window=window)
                    if scope.holds(row.segment, row.realm_id)]
        won = [row for row in won_deals(session, since=since) if scope.holds(row.segment, row.realm_id)]
        exceptions = metrics_of([row for row in exception_rows(session, since=since) if row.opened_at >= since
                                 and scope.holds(row.segment, row.realm_id)], now=now, tz=tz)
    return RoiMetrics(
        days=days, since=since, now=now, days_to_invoice=days_to_invoice(invoiced, tz),
        first_pass=first_pass_acceptance(invoiced), error_rate=error_rate(won),
        invoices=invoice_totals(invoiced, home_currency=home_currency),
        open_exceptions=count_open(session, filter_=QueueFilter()), exceptions=exceptions,
        credit_memos=credit_memo_frequency(invoiced), corrections_by_cause=corrections_by_cause(session, since=since),
    )
