"""Where the money stands: invoice aging by segment, billed vs unbilled backlog, pipeline-to-bill conversion,
and the manual hours Ledgerbridge took away. Pure functions of plain rows."""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from app.deals.models import DealStatus
from app.metrics.invoicing import InvoicedDeal, Rate

AGING_BUCKETS = ("current", "1-30", "31-60", "61-90", "90+")
NO_SEGMENT = "(no segment)"
BACKLOG_REASONS = {DealStatus.AWAITING_APPROVAL.value: "waiting for approval",
                   DealStatus.BLOCKED.value: "blocked", DealStatus.REJECTED.value: "blocked",
                   DealStatus.NOT_ELIGIBLE.value: "not yet eligible", DealStatus.BILLABLE.value: "being invoiced"}
REASON_ORDER = ("waiting for approval", "blocked", "not yet eligible", "being invoiced")


@dataclass(frozen=True, slots=True, kw_only=True)
class DealFact:
    """A deal as the backlog and conversion read it."""

    deal_id: int
    segment: str | None
    realm_id: str | None
    is_won: bool
    closed: bool
    close_date: date | None
    amount: Decimal | None
    currency: str
    gate_status: str
    invoiced: bool


@dataclass(frozen=True, slots=True)
class Amounts:
    count: int
    home_total: Decimal
    unconverted: int = 0
    """Deals in another currency than the home one: counted, their amount left out (no rate before invoicing)."""


@dataclass(frozen=True, slots=True)
class Funnel:
    closed: int
    won: int
    invoiced: int

    @property
    def conversion(self) -> Rate:
        """Invoiced of closed: how much of the pipeline that closed became a bill."""
        return Rate(self.invoiced, self.closed)


def aging_bucket(due: date | None, today: date) -> str:
    late = (today - due).days if due is not None else 0
    for name, limit in (("current", 0), ("1-30", 30), ("31-60", 60), ("61-90", 90)):
        if late <= limit:
            return name
    return "90+"


def home_balance(row: InvoicedDeal, home_currency: str) -> Decimal | None:
    """The open balance in the home currency at QuickBooks' stored rate; None when it cannot be converted."""
    balance = row.balance if row.balance is not None else row.total
    if balance is None:
        return None
    if row.currency == home_currency:
        return balance
    if row.exchange_rate is None:
        return None
    return (balance * row.exchange_rate).quantize(Decimal("0.01"), ROUND_HALF_UP)


def aging_by_segment(rows: Iterable[InvoicedDeal], *, today: date,
                     home_currency: str) -> dict[str, dict[str, Decimal]]:
    """Open balance (home currency) of every unpaid invoice, by segment then by days past due on `today`."""
    table: dict[str, dict[str, Decimal]] = defaultdict(lambda: {name: Decimal("0.00") for name in AGING_BUCKETS})
    for row in rows:
        open_amount = home_balance(row, home_currency)
        if open_amount is None or open_amount <= 0:
            continue
        table[row.segment or NO_SEGMENT][aging_bucket(row.due_date, today)] += open_amount
    return dict(sorted(table.items()))


def unbilled_backlog(deals: Iterable[DealFact], *, home_currency: str) -> dict[str, Amounts]:
    """Won deals not invoiced yet, by why: waiting for approval, blocked, not yet eligible, being invoiced."""
    grouped: dict[str, list[DealFact]] = defaultdict(list)
    for deal in deals:
        if deal.is_won and not deal.invoiced and deal.gate_status in BACKLOG_REASONS:
            grouped[BACKLOG_REASONS[deal.gate_status]].append(deal)
    return {reason: _amounts(grouped[reason], home_currency) for reason in REASON_ORDER if reason in grouped}


def _amounts(deals: Sequence[DealFact], home_currency: str) -> Amounts:
    home = [deal.amount or Decimal("0.00") for deal in deals if deal.currency == home_currency]
    return Amounts(len(deals), sum(home, Decimal("0.00")), len(deals) - len(home))


def pipeline_funnel(deals: Iterable[DealFact], *, since: date, until: date) -> Funnel:
    """Deals whose close date falls in [since, until] and that are closed (won or lost): how many were won, and
    how many of those are invoiced by now."""
    closed = [deal for deal in deals if deal.closed and deal.close_date is not None
              and since <= deal.close_date <= until]
    won = [deal for deal in closed if deal.is_won]
    return Funnel(len(closed), len(won), sum(1 for deal in won if deal.invoiced))


def manual_hours_eliminated(*, invoices: int, exceptions_auto_resolved: int, minutes_per_invoice: Decimal,
                            minutes_per_fix: Decimal) -> Decimal:
    """Invoices created (each would have been typed by hand) and exceptions that closed themselves when the data
    was fixed (each would have been found and chased by hand), priced at the policy's minutes; hours, 1 decimal."""
    minutes = invoices * minutes_per_invoice + exceptions_auto_resolved * minutes_per_fix
    return (minutes / 60).quantize(Decimal("0.1"), ROUND_HALF_UP)
