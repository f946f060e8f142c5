"""The shadow report: each would-be invoice beside the one finance made by hand in QuickBooks (reads only)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from app.db import session_scope
from app.integrations.quickbooks_models import QboInvoice
from app.invoicing.mapping import IDEMPOTENCY_PREFIX
from app.policy import normalize_name
from app.rollout.models import ShadowInvoice
from app.rollout.rules import Comparison, Invoice, compare
from app.rollout.service import shadow_invoices
from app.runtime import Runtime


@dataclass(frozen=True)
class ShadowRow:
    deal_name: str
    comparison: Comparison

    @property
    def verdict(self) -> str:
        if self.comparison.by_hand is None:
            return "missing in QuickBooks"
        if self.comparison.would_be is None:
            return "missing in Ledgerbridge"
        return "same" if self.comparison.matches else "differs"


@dataclass(frozen=True)
class ShadowReport:
    rows: tuple[ShadowRow, ...]
    window_days: int

    def count(self, verdict: str) -> int:
        return sum(row.verdict == verdict for row in self.rows)


def build_shadow_report(rt: Runtime) -> ShadowReport:
    """Finance's invoices are read by QuickBooks query over the would-be dates plus the policy's window, for the
    customers the would-be invoices name; invoices Ledgerbridge made itself (a key in the PrivateNote) are left out."""
    window = rt.policy.shadow_report.match_window_days
    with session_scope(rt.engine) as session:
        ours = [(deal.name, _would_be(row, deal.sf_id)) for row, deal in shadow_invoices(session)]
    if not ours:
        return ShadowReport((), window)
    start = min(invoice.txn_date for _, invoice in ours) - timedelta(days=window)
    end = max(invoice.txn_date for _, invoice in ours) + timedelta(days=window)
    customers = {normalize_name(invoice.customer) for _, invoice in ours}
    theirs = [_by_hand(invoice, invoice.txn_date) for invoice in rt.quickbooks.invoices_between(start, end)
              if invoice.txn_date is not None and f"[{IDEMPOTENCY_PREFIX}" not in (invoice.private_note or "")]
    theirs = [invoice for invoice in theirs if normalize_name(invoice.customer) in customers]
    names = {invoice.reference: name for name, invoice in ours}
    rows = compare([invoice for _, invoice in ours], theirs, window_days=window)
    return ShadowReport(tuple(ShadowRow(names.get(row.would_be.reference, "") if row.would_be else "", row)
                              for row in rows), window)


def _would_be(row: ShadowInvoice, opportunity_id: str) -> Invoice:
    return Invoice(customer=row.customer_name, amount=row.amount, txn_date=row.txn_date, terms=row.terms,
                   items=tuple(row.items), taxable=row.taxable, due_date=row.due_date, reference=opportunity_id)


def _by_hand(invoice: QboInvoice, txn_date: date) -> Invoice:
    return Invoice(customer=invoice.customer_name or invoice.customer_id, amount=invoice.total - invoice.total_tax,
                   txn_date=txn_date, terms=invoice.terms_name,
                   items=tuple(line.item_name or line.item_id for line in invoice.lines), tax=invoice.total_tax,
                   due_date=invoice.due_date, reference=invoice.doc_number or invoice.id)
