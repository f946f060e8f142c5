"""Pure rules of the rollout: may a deal be invoiced now that we are live, and what differs between a would-be
invoice and the one finance made by hand."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from app.policy import normalize_name


def before_live_reason(*, close_date: date | None, live_since: datetime | None, simulated: bool, granted: bool,
                       zone: ZoneInfo) -> str | None:
    """Why a billable deal waits for a backfill after the switch to live, or None when it may be invoiced."""
    if granted:
        return None
    switched = live_since.astimezone(zone).date() if live_since is not None else None
    if simulated:
        return ("shadow mode already simulated its invoice; a live run never re-creates it "
                "(`ledgerbridge backfill-invoices --since DATE` invoices it)")
    if switched is not None and close_date is not None and close_date < switched:
        return (f"won on {close_date.isoformat()}, before going live on {switched.isoformat()} "
                "(`ledgerbridge backfill-invoices --since DATE` invoices it)")
    return None


@dataclass(frozen=True)
class Invoice:
    """One side of the comparison: an invoice as the report sees it (would-be, or made by hand)."""

    customer: str
    amount: Decimal
    txn_date: date
    terms: str | None = None
    items: tuple[str, ...] = ()
    tax: Decimal | None = None
    """Made by hand: QuickBooks' TotalTax. Would-be: None (QuickBooks computes it)."""
    taxable: bool = False
    due_date: date | None = None
    reference: str = ""
    """The deal (opportunity id) or the QuickBooks invoice (number or id)."""


@dataclass(frozen=True)
class Comparison:
    would_be: Invoice | None
    by_hand: Invoice | None
    differences: tuple[str, ...] = field(default=())

    @property
    def matches(self) -> bool:
        return self.would_be is not None and self.by_hand is not None and not self.differences


def compare(would_be: list[Invoice], by_hand: list[Invoice], *, window_days: int) -> list[Comparison]:
    """Pair would-be invoices with finance's invoices of the same customer within the date window, closest amounts
    first (then closest dates), each invoice at most once; name what differs. Unpaired invoices on either side are
    missing on the other."""
    pairs = sorted(((abs(theirs.amount - ours.amount), abs((theirs.txn_date - ours.txn_date).days), i, j)
                    for i, ours in enumerate(would_be) for j, theirs in enumerate(by_hand)
                    if normalize_name(theirs.customer) == normalize_name(ours.customer)
                    and abs((theirs.txn_date - ours.txn_date).days) <= window_days), key=lambda pair: pair[:2])
    paired: dict[int, int] = {}
    for _, _, i, j in pairs:
        if i not in paired and j not in paired.values():
            paired[i] = j
    rows = [Comparison(ours, by_hand[paired[i]], differences(ours, by_hand[paired[i]])) if i in paired
            else Comparison(ours, None, ("missing in QuickBooks: finance made no such invoice",))
            for i, ours in enumerate(would_be)]
    taken = set(paired.values())
    rows += [Comparison(None, theirs, ("missing in Ledgerbridge: no deal would have made it",))
             for j, theirs in enumerate(by_hand) if j not in taken]
    return rows


def differences(ours: Invoice, theirs: Invoice) -> tuple[str, ...]:
    found = []
    if ours.amount != theirs.amount:
        found.append(f"amount: {ours.amount:,.2f} would be invoiced, {theirs.amount:,.2f} by hand")
    if (ours.terms or "").casefold() != (theirs.terms or "").casefold():
        found.append(f"terms: {ours.terms or 'none'} would be used, {theirs.terms or 'none'} by hand")
    if sorted(map(normalize_name, ours.items)) != sorted(map(normalize_name, theirs.items)):
        found.append(f"items: {', '.join(ours.items) or 'none'} would be billed, "
                     f"{', '.join(theirs.items) or 'none'} by hand")
    hand_taxed = bool(theirs.tax)
    if ours.taxable != hand_taxed:
        found.append(f"tax: {'taxable lines' if ours.taxable else 'no tax'} would be invoiced, "
                     f"{f'{theirs.tax:,.2f} tax' if hand_taxed else 'no tax'} by hand")
    if ours.txn_date != theirs.txn_date:
        found.append(f"date: {ours.txn_date.isoformat()} would be used, {theirs.txn_date.isoformat()} by hand")
    if ours.due_date and theirs.due_date and ours.due_date != theirs.due_date:
        found.append(f"due date: {ours.due_date.isoformat()} would be used, {theirs.due_date.isoformat()} by hand")
    return tuple(found)
