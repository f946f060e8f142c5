"""Everything the dashboard's charts show for one period and scope (segment, QuickBooks company), read in one
session: weekly series, aging, backlog, conversion and the manual hours eliminated."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, tzinfo
from decimal import Decimal

from sqlmodel import Session, col, select

from app.deals.models import Account
from app.invoicing.models import InvoiceJob
from app.metrics.credit_memos import CreditMemos, credit_memos_issued
from app.metrics.facts import deal_facts, exception_rows
from app.metrics.invoicing import Rate, invoiced_deals, won_deals
from app.metrics.position import (
    Amounts,
    Funnel,
    aging_by_segment,
    manual_hours_eliminated,
    pipeline_funnel,
    unbilled_backlog,
)
from app.metrics.series import (
    Scope,
    breach_rate_per_week,
    days_to_invoice_per_week,
    error_rate_per_week,
    exceptions_per_week,
    first_pass_per_week,
    invoices_per_week,
    weeks_between,
)
from app.policy.metrics import MetricsPolicy

BEGINNING = datetime(2000, 1, 1, tzinfo=UTC)
SEEDED_HISTORY_ACTION = "demo.history_seeded"
"""The audit event the demo records when it seeds its made-up history (the dashboard then says so)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class ChartData:
    since: datetime
    now: datetime
    weeks: list[date]
    invoices: list[int]
    invoiced_amount: list[Decimal]
    dti_median: list[Decimal | None]
    dti_p90: list[Decimal | None]
    first_pass: list[Decimal | None]
    error_rate: list[Decimal | None]
    opened_by_cause: dict[str, list[int]]
    closed_by_cause: dict[str, list[int]]
    breach_rate: list[Decimal | None]
    aging: dict[str, dict[str, Decimal]]
    billed: Amounts
    unbilled: dict[str, Amounts]
    funnel: Funnel
    credit_memos: CreditMemos
    credit_memo_frequency: Rate
    manual_hours: Decimal
    home_currency: str


def scope_choices(session: Session) -> tuple[list[str], list[str]]:
    """(segments, QuickBooks companies) the filters offer: those the data holds."""
    segments = session.exec(select(Account.segment).where(col(Account.segment).is_not(None)).distinct()).all()
    realms = session.exec(select(InvoiceJob.qbo_realm_id).distinct()).all()
    return sorted(str(name) for name in segments if name), sorted(str(realm) for realm in realms if realm)


def chart_data(session: Session, *, now: datetime, days: int, tz: tzinfo, home_currency: str, scope: Scope,
               policy: MetricsPolicy) -> ChartData:
    since = now - timedelta(days=days)
    window = timedelta(days=policy.first_pass_window_days)
    everything = [row for row in invoiced_deals(session, since=BEGINNING, window=window)
                  if scope.holds(row.segment, row.realm_id)]
    invoiced = [row for row in everything if row.invoiced_at >= since]
    weeks = weeks_between(since, now, tz)
    won = [row for row in won_deals(session, since=since) if scope.holds(row.segment, row.realm_id)]
    exceptions = [row for row in exception_rows(session, since=since) if scope.holds(row.segment, row.realm_id)]
    counts, amounts = invoices_per_week(invoiced, weeks, tz, home_currency)
    medians, p90s = days_to_invoice_per_week(invoiced, weeks, tz)
    deals = [deal for deal in deal_facts(session) if scope.holds(deal.segment, deal.realm_id)]
    auto_resolved = sum(1 for row in exceptions if row.resolved_by == "system" and row.resolved_at is not None
                        and row.resolved_at >= since)
    return ChartData(
        since=since, now=now, weeks=weeks, invoices=counts, invoiced_amount=amounts, dti_median=medians,
        dti_p90=p90s, first_pass=first_pass_per_week(invoiced, weeks, tz),
        error_rate=error_rate_per_week(won, weeks, tz),
        opened_by_cause=exceptions_per_week([row for row in exceptions if row.opened_at >= since], weeks, tz,
                                            closed=False),
        closed_by_cause=exceptions_per_week(exceptions, weeks, tz, closed=True),
        breach_rate=breach_rate_per_week([row for row in exceptions if row.opened_at >= since], weeks, tz, now=now),
        aging=aging_by_segment(everything, today=now.astimezone(tz).date(), home_currency=home_currency),
        billed=Amounts(len(invoiced), sum(amounts, Decimal("0.00"))),
        unbilled=unbilled_backlog(deals, home_currency=home_currency),
        funnel=pipeline_funnel(deals, since=since.astimezone(tz).date(), until=now.astimezone(tz).date()),
        credit_memos=credit_memos_issued(session, since, now, scope.realm_id),
        credit_memo_frequency=Rate(sum(1 for row in invoiced if row.had_correction), len(invoiced)),
        manual_hours=manual_hours_eliminated(invoices=len(invoiced), exceptions_auto_resolved=auto_resolved,
                                             minutes_per_invoice=policy.minutes_per_manual_invoice,
                                             minutes_per_fix=policy.minutes_per_exception_fix),
        home_currency=home_currency)
