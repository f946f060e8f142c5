"""Invoicing ROI metrics: days-to-invoice, first-pass invoice acceptance, error rate, invoices created.

The pure functions take plain rows (no I/O); `invoiced_deals` and `won_deals` read those rows from the database.
Definitions (the dashboard and its JSON say the same):
- days-to-invoice: per invoiced deal, from the start of its CloseDate in the policy zone (or, without a
  CloseDate, the moment we first saw it won) to `created_in_qbo_at`; an invoice made before its close date
  counts as 0 days.
- first-pass acceptance: share of invoiced deals that needed no human fix: no exception ever opened on the
  deal, no rejected approval, the invoice job succeeded on its first attempt, and no correction within the
  policy's window after issue (`metrics.first_pass_window_days`): no credit memo, write-off or re-invoice
  approved in Slack, no credit memo made by hand in QuickBooks, no change of its total or void there (CDC).
- credit-memo frequency: share of invoiced deals whose invoice got at least one credit memo (a correction made).
- error rate: share of won deals first seen won in the window that had at least one exception.
- invoiced total in the home currency: each invoice converted at the exchange rate QuickBooks stored on it
  (HomeTotalAmt); an invoice without a stored rate in another currency is counted apart, never guessed.
"""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, tzinfo
from decimal import ROUND_HALF_UP, Decimal
from statistics import median

from sqlalchemy import exists, func
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from app.approvals.models import ApprovalDecision, ApprovalRequest, Decision
from app.db import persisted_id
from app.deals.models import Account, Deal
from app.exception_queue.models import ExceptionItem
from app.invoicing.correction_models import CORRECTION_KINDS, Correction, CorrectionStatus
from app.invoicing.models import InvoiceJob
from app.metrics.credit_memos import corrected_after_issue

ONE_DECIMAL = Decimal("0.1")
SECONDS_PER_DAY = Decimal(86400)
DEFAULT_FIRST_PASS_WINDOW = timedelta(days=30)


@dataclass(frozen=True, slots=True, kw_only=True)
class InvoicedDeal:
    """A deal with a QuickBooks invoice, as the metrics read it."""

    deal_id: int
    close_date: date | None
    won_seen_at: datetime | None
    invoiced_at: datetime
    total: Decimal | None
    currency: str = "USD"
    home_total: Decimal | None = None
    """The total in the home currency at QuickBooks' stored rate (HomeTotalAmt); None when not known."""
    attempts: int = 1
    had_exception: bool = False
    had_rejection: bool = False
    had_correction: bool = False
    """A correction within the policy's first-pass window after issue (Slack, a QuickBooks credit memo or edit)."""
    segment: str | None = None
    realm_id: str | None = None
    balance: Decimal | None = None
    due_date: date | None = None
    exchange_rate: Decimal | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class WonDeal:
    deal_id: int
    won_seen_at: datetime
    had_exception: bool
    segment: str | None = None
    realm_id: str | None = None


@dataclass(frozen=True, slots=True)
class Rate:
    """`part` of `whole`; `percent` is None when there is nothing to measure."""

    part: int
    whole: int

    @property
    def percent(self) -> Decimal | None:
        if self.whole == 0:
            return None
        return (Decimal(100 * self.part) / Decimal(self.whole)).quantize(ONE_DECIMAL, ROUND_HALF_UP)


@dataclass(frozen=True, slots=True)
class DaysToInvoice:
    count: int
    median: Decimal | None
    mean: Decimal | None
    p90: Decimal | None


@dataclass(frozen=True, slots=True)
class InvoiceTotals:
    count: int
    total_by_currency: dict[str, Decimal]
    home_currency: str = "USD"
    home_total: Decimal = Decimal("0.00")
    """Every invoice in the home currency, at the exchange rate QuickBooks stored on each."""
    unconverted: int = 0
    """Invoices in another currency with no stored rate (left out of home_total)."""


def started_at(row: InvoicedDeal, tz: tzinfo) -> datetime | None:
    """When the clock starts for a deal: its CloseDate's midnight in `tz`, else when we saw it won."""
    if row.close_date is not None:
        return datetime.combine(row.close_date, time(0), tzinfo=tz)
    return row.won_seen_at


def days_between(start: datetime, end: datetime) -> Decimal:
    """Elapsed days (never negative) as an exact Decimal."""
    seconds = max(Decimal(0), Decimal(str((end - start).total_seconds())))
    return seconds / SECONDS_PER_DAY


def nearest_rank_p90(ordered: Sequence[Decimal]) -> Decimal:
    """The 90th percentile by nearest rank (the same rule as the exception metrics)."""
    return ordered[min(len(ordered) - 1, max(0, -(-9 * len(ordered) // 10) - 1))]


def days_to_invoice(rows: Iterable[InvoicedDeal], tz: tzinfo) -> DaysToInvoice:
    """Median, mean and 90th percentile of days from close (policy zone) to invoice, one decimal each."""
    spans = sorted(days_between(start, row.invoiced_at) for row in rows
                   if (start := started_at(row, tz)) is not None)
    if not spans:
        return DaysToInvoice(0, None, None, None)
    mean = sum(spans, Decimal(0)) / len(spans)
    return DaysToInvoice(len(spans), _one_decimal(median(spans)), _one_decimal(mean),
                         _one_decimal(nearest_rank_p90(spans)))


def _one_decimal(value: Decimal) -> Decimal:
    return value.quantize(ONE_DECIMAL, ROUND_HALF_UP)


def passed_first_time(row: InvoicedDeal) -> bool:
    return not row.had_exception and not row.had_rejection and not row.had_correction and row.attempts == 1


def credit_memo_frequency(rows: Sequence[InvoicedDeal]) -> Rate:
    return Rate(sum(1 for row in rows if row.had_correction), len(rows))


def first_pass_acceptance(rows: Sequence[InvoicedDeal]) -> Rate:
    return Rate(sum(1 for row in rows if passed_first_time(row)), len(rows))


def error_rate(rows: Sequence[WonDeal]) -> Rate:
    return Rate(sum(1 for row in rows if row.had_exception), len(rows))


def invoice_totals(rows: Sequence[InvoicedDeal], *, home_currency: str = "USD") -> InvoiceTotals:
    """How many invoices, their total per currency (never mixed), and all of them in the home currency at the
    rate QuickBooks stored on each invoice."""
    totals: dict[str, Decimal] = defaultdict(lambda: Decimal("0.00"))
    home, unconverted = Decimal("0.00"), 0
    for row in rows:
        amount = row.total if row.total is not None else Decimal("0.00")
        totals[row.currency] += amount
        if row.currency == home_currency:
            home += amount
        elif row.home_total is not None:
            home += row.home_total
        else:
            unconverted += 1
    return InvoiceTotals(len(rows), dict(sorted(totals.items())), home_currency, home, unconverted)


def _had_exception():
    return exists().where(col(ExceptionItem.deal_id) == Deal.id)


def _had_rejection():
    """A rejected approval of the deal's terms (a rejected correction proposal left the invoice as it was)."""
    return (exists().where(col(ApprovalRequest.deal_id) == Deal.id,
                           col(ApprovalRequest.kind).not_in(CORRECTION_KINDS),
                           col(ApprovalDecision.request_id) == ApprovalRequest.id,
                           col(ApprovalDecision.decision) == Decision.REJECTED))


def invoiced_deals(session: Session, *, since: datetime,
                   window: timedelta = DEFAULT_FIRST_PASS_WINDOW) -> list[InvoicedDeal]:
    """Deals whose QuickBooks invoice was created at or after `since`; `window`: how long after issue a
    correction still takes the invoice out of first-pass acceptance."""
    statement = (sa_select(InvoiceJob, Deal, col(Account.segment), _had_exception(), _had_rejection())  # > 4 columns
                 .join(Deal, col(Deal.id) == InvoiceJob.deal_id)
                 .outerjoin(Account, col(Account.id) == Deal.account_id)
                 .where(col(InvoiceJob.created_in_qbo_at).is_not(None), col(InvoiceJob.created_in_qbo_at) >= since))
    rows = session.execute(statement).all()
    issued = {persisted_id(job): (persisted_id(deal), job.created_in_qbo_at, job.changed_in_qbo_at)
              for job, deal, *_ in rows}
    corrected = corrected_after_issue(session, issued, window)
    invoiced = []
    for job, deal, segment, exception, rejection in rows:
        assert job.created_in_qbo_at is not None            # the WHERE clause above
        invoiced.append(InvoicedDeal(
            deal_id=persisted_id(deal), close_date=deal.close_date, won_seen_at=deal.won_seen_at,
            invoiced_at=job.created_in_qbo_at, total=job.total, currency=job.currency or deal.currency or "USD",
            home_total=job.home_total,
            attempts=job.attempts, had_exception=bool(exception), had_rejection=bool(rejection),
            had_correction=persisted_id(job) in corrected, segment=segment, realm_id=job.qbo_realm_id,
            balance=job.balance, due_date=job.due_date, exchange_rate=job.exchange_rate))
    return invoiced


def won_deals(session: Session, *, since: datetime) -> list[WonDeal]:
    """Won deals we first saw won at or after `since`."""
    statement = (sa_select(col(Deal.id), col(Deal.won_seen_at), _had_exception(), col(Account.segment),
                           col(Account.qbo_realm_id))
                 .outerjoin(Account, col(Account.id) == Deal.account_id)
                 .where(col(Deal.won_seen_at).is_not(None), col(Deal.won_seen_at) >= since))
    won = []
    for deal_id, seen, exception, segment, realm in session.execute(statement).all():
        assert deal_id is not None and seen is not None      # a stored row; the WHERE clause above
        won.append(WonDeal(deal_id=deal_id, won_seen_at=seen, had_exception=bool(exception), segment=segment,
                           realm_id=realm))
    return won


def window_start(now: datetime, days: int) -> datetime:
    return now - timedelta(days=days)


def corrections_by_cause(session: Session, *, since: datetime) -> dict[str, int]:
    """Corrections made since `since`, by the root cause their proposer gave ("unknown" without one)."""
    statement = (select(Correction.root_cause, func.count()).where(col(Correction.status) == CorrectionStatus.DONE,
                                                                 col(Correction.done_at) >= since)
                 .group_by(col(Correction.root_cause)))
    return {cause or "unknown": int(count) for cause, count in session.exec(statement).all()}
