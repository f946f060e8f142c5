"""ROI metrics and exception views -> what the dashboard templates print (pure: no I/O, no markup)."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta, tzinfo
from decimal import ROUND_HALF_UP, Decimal

from app.exception_queue.digest import UNTAGGED, ItemView
from app.golive.shadow_report import ShadowReport
from app.metrics.exceptions import UNTAGGED as UNTAGGED_KEY
from app.metrics.exceptions import week_of
from app.metrics.invoicing import Rate
from app.metrics.roi import RoiMetrics
from app.policy import Policy

NO_VALUE = "—"
CURRENCY_SIGNS = {"USD": "$", "EUR": "€", "GBP": "£"}


@dataclass(frozen=True, slots=True)
class Tile:
    key: str
    label: str
    value: str
    detail: str


@dataclass(frozen=True, slots=True)
class TrendBar:
    week: str
    count: int
    height: int
    """Percent of the tallest bar in the table (0-100)."""


@dataclass(frozen=True, slots=True)
class CauseRow:
    label: str
    count: int
    trend: tuple[TrendBar, ...]


@dataclass(frozen=True, slots=True)
class ExceptionLine:
    kind: str
    deal_name: str
    deal_url: str | None
    reason: str
    owner: str
    cause: str
    due: str
    breached: bool


def money(amount: Decimal, currency: str) -> str:
    """Decimal -> '$12,345.00' (or 'CHF 1,000.00'); never through float."""
    text = f"{amount.quantize(Decimal('0.01'), ROUND_HALF_UP):,.2f}"
    sign = CURRENCY_SIGNS.get(currency)
    return f"{sign}{text}" if sign else f"{currency} {text}"


def when(moment: datetime, tz: tzinfo) -> str:
    """An aware UTC time shown in the policy zone: 'Tue 24 Nov 2026, 17:00 EST'."""
    return moment.astimezone(tz).strftime("%a %d %b %Y, %H:%M %Z")


def percent(rate: Rate) -> str:
    return NO_VALUE if rate.percent is None else f"{rate.percent}%"


def share_percent(share: float | None) -> Decimal | None:
    """A share (0..1, as the exception metrics give it) -> a percent with one decimal."""
    return None if share is None else (Decimal(repr(share)) * 100).quantize(Decimal("0.1"), ROUND_HALF_UP)


def float_percent(share: float | None) -> str:
    value = share_percent(share)
    return NO_VALUE if value is None else f"{value}%"


def days(value: Decimal | None) -> str:
    return NO_VALUE if value is None else f"{value} days"


def tiles(metrics: RoiMetrics, policy: Policy) -> list[Tile]:
    dti, first, errors, invoices = metrics.days_to_invoice, metrics.first_pass, metrics.error_rate, metrics.invoices
    totals = " + ".join(money(amount, currency) for currency, amount in invoices.total_by_currency.items())
    if set(invoices.total_by_currency) - {invoices.home_currency}:
        totals += (f" = {money(invoices.home_total, invoices.home_currency)} at the exchange rates QuickBooks "
                   "stored on each invoice")
        if invoices.unconverted:
            totals += f" ({invoices.unconverted} without a stored rate left out)"
    opened = sum(metrics.exceptions.by_cause.values())
    return [
        Tile("days_to_invoice", "Days to invoice (median)", days(dti.median),
             f"mean {days(dti.mean)} · p90 {days(dti.p90)} · {dti.count} invoiced deals"),
        Tile("first_pass", "First-pass invoice acceptance", percent(first),
             f"{first.part} of {first.whole} invoiced deals needed no fix"),
        Tile("error_rate", "Error rate", percent(errors),
             f"{errors.part} of {errors.whole} won deals had an exception"),
        Tile("exceptions_opened", "Exceptions opened", str(opened), _top_cause(metrics, policy)),
        Tile("invoices", "Invoices created", str(invoices.count), totals or money(Decimal(0), "USD")),
        Tile("credit_memos", "Credit-memo frequency", percent(metrics.credit_memos),
             f"{metrics.credit_memos.part} of {metrics.credit_memos.whole} invoices were corrected afterwards"),
        Tile("open_exceptions", "Open exceptions", str(metrics.open_exceptions), "right now, whatever the period"),
        Tile("sla_breach_rate", "SLA breach rate", float_percent(metrics.exceptions.breach_rate),
             "of exceptions opened in the period whose SLA is decided"),
    ]


def _top_cause(metrics: RoiMetrics, policy: Policy) -> str:
    if not metrics.exceptions.by_cause:
        return "none in this period"
    key, count = next(iter(metrics.exceptions.by_cause.items()))
    return f"top root cause: {cause_label(key, policy)} ({count})"


def cause_label(key: str | None, policy: Policy) -> str:
    if key is None or key == UNTAGGED_KEY:
        return UNTAGGED
    return next((cause.label for cause in policy.root_causes if cause.key == key), key)


def weeks_between(since: datetime, now: datetime, tz: tzinfo) -> list[date]:
    """Every Monday (policy zone) from the week of `since` to the week of `now`."""
    first, last = week_of(since, tz), week_of(now, tz)
    return [first + timedelta(weeks=index) for index in range((last - first).days // 7 + 1)]


def cause_rows(metrics: RoiMetrics, policy: Policy, tz: tzinfo) -> list[CauseRow]:
    """Exceptions by root cause, largest first, each with its weekly counts over the period."""
    weeks = weeks_between(metrics.since, metrics.now, tz)
    weekly = metrics.exceptions.weekly_by_cause
    tallest = max((count for per_cause in weekly.values() for count in per_cause.values()), default=0)
    rows = []
    for key, count in metrics.exceptions.by_cause.items():
        counts = [weekly.get(week, {}).get(key, 0) for week in weeks]
        bars = tuple(TrendBar(f"week of {week:%d %b}", value, round(100 * value / tallest) if tallest else 0)
                     for week, value in zip(weeks, counts, strict=True))
        rows.append(CauseRow(cause_label(key, policy), count, bars))
    return rows


def web_link(url: str | None) -> str | None:
    """Only http(s) links reach an href (never `javascript:` or the like)."""
    return url if url and url.lower().startswith(("https://", "http://")) else None


def exception_lines(items: list[ItemView], tz: tzinfo,
                    name_of: Callable[[str | None], str] | None = None) -> list[ExceptionLine]:
    """`name_of`: how a Slack user id reads for the viewer (their real name); the id itself without it."""
    return [ExceptionLine(kind=item.kind_label, deal_name=item.deal_name or item.opportunity_id or "(no deal)",
                          deal_url=web_link(item.opportunity_url), reason=item.reason,
                          owner=name_of(item.owner_slack_id) if name_of else (item.owner_slack_id or "unassigned"),
                          cause=(item.root_cause_label or UNTAGGED) + (" (suggested)" if item.cause_is_suggestion
                                                                       and item.root_cause else ""),
                          due=when(item.sla_due_at, tz), breached=item.breached)
            for item in items]


@dataclass(frozen=True)
class ShadowLine:
    verdict: str
    css: str
    deal: str
    customer: str
    ours: str
    theirs: str
    differences: tuple[str, ...]


def shadow_rows(report: ShadowReport) -> list[ShadowLine]:
    lines = []
    for row in report.rows:
        ours, theirs = row.comparison.would_be, row.comparison.by_hand
        either = ours or theirs
        lines.append(ShadowLine(
            verdict=row.verdict, css=row.verdict.replace(" ", "-"), deal=row.deal_name,
            customer=either.customer if either else "",
            ours=f"{ours.amount:,.2f} on {ours.txn_date.isoformat()}" if ours else "",
            theirs=f"#{theirs.reference}: {theirs.amount:,.2f} on {theirs.txn_date.isoformat()}" if theirs else "",
            differences=() if row.comparison.matches else row.comparison.differences))
    return lines


def shadow_summary(report: ShadowReport) -> str:
    verdicts = ("same", "differs", "missing in QuickBooks", "missing in Ledgerbridge")
    return ", ".join(f"{report.count(verdict)} {verdict}" for verdict in verdicts) + "."
