"""Credit memos issued, and the corrections that take an invoice out of first-pass acceptance.

Two sources see credit memos: corrections approved in Slack (app/invoicing/corrections.py, `invoice_correction`)
and QuickBooks CDC (`qbo_credit_memo`), which also sees those made by hand in QuickBooks. A credit memo CDC shows
that a correction made (the same QuickBooks id in the same company) is counted once, as the correction.
"""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from sqlmodel import Session, col, select

from app.invoicing.correction_models import Correction, CorrectionStatus
from app.invoicing.models import InvoiceJob
from app.invoicing.qbo_change_models import QboCreditMemoSeen


@dataclass(frozen=True, slots=True)
class CreditMemos:
    count: int
    total_by_currency: dict[str, Decimal]


@dataclass(frozen=True, slots=True)
class IssuedMemo:
    """One credit memo, whichever source saw it: `key` is (realm, QuickBooks id) when known."""

    key: tuple[str, str] | None
    issued_at: datetime
    total: Decimal
    currency: str


def count_memos(memos: Iterable[IssuedMemo]) -> CreditMemos:
    """Pure: each QuickBooks credit memo once (the first source listed wins), totals per currency."""
    seen: set[tuple[str, str]] = set()
    totals: dict[str, Decimal] = defaultdict(lambda: Decimal("0.00"))
    count = 0
    for memo in memos:
        if memo.key is not None and memo.key in seen:
            continue
        if memo.key is not None:
            seen.add(memo.key)
        count += 1
        totals[memo.currency] += memo.total
    return CreditMemos(count, dict(sorted(totals.items())))


def credit_memos_issued(session: Session, since: datetime, until: datetime,
                        realm_id: str | None = None) -> CreditMemos:
    """Credit memos issued in [since, until): corrections Ledgerbridge made (at `done_at`) and credit memos CDC saw
    (at their QuickBooks creation time, deleted ones left out), each QuickBooks credit memo once."""
    corrections = (select(Correction, InvoiceJob.qbo_realm_id).join(InvoiceJob, col(InvoiceJob.id) ==
                                                                    Correction.invoice_job_id)
                   .where(col(Correction.status) == CorrectionStatus.DONE, col(Correction.done_at) >= since,
                          col(Correction.done_at) < until))
    if realm_id is not None:
        corrections = corrections.where(col(InvoiceJob.qbo_realm_id) == realm_id)
    ours = [IssuedMemo((realm, fix.qbo_credit_memo_id) if fix.qbo_credit_memo_id else None, fix.done_at or since,
                       fix.credit_total if fix.credit_total is not None else fix.amount, fix.currency)
            for fix, realm in session.exec(corrections).all()]
    return count_memos([*ours, *_seen_memos(session, since, until, realm_id)])


def _seen_memos(session: Session, since: datetime, until: datetime, realm_id: str | None) -> list[IssuedMemo]:
    statement = select(QboCreditMemoSeen).where(col(QboCreditMemoSeen.deleted).is_(False),
                                                col(QboCreditMemoSeen.created_in_qbo_at) >= since,
                                                col(QboCreditMemoSeen.created_in_qbo_at) < until)
    if realm_id is not None:
        statement = statement.where(col(QboCreditMemoSeen.realm_id) == realm_id)
    return [IssuedMemo((row.realm_id, row.qbo_id), row.created_in_qbo_at, row.total, row.currency)
            for row in session.exec(statement).all()]


def corrected_after_issue(session: Session, issued: dict[int, tuple[int, datetime, datetime | None]],
                          window: timedelta) -> set[int]:
    """Of `issued` (invoice job id -> (deal id, issued at, changed in QuickBooks at)), the jobs whose invoice got a
    correction within `window` after issue: a correction made from Slack, a credit memo CDC linked to it, or a
    change of its total (an edit or a void) in QuickBooks."""
    if not issued:
        return set()
    marks: dict[int, list[datetime]] = defaultdict(list)
    for job_id, (_, _, changed) in issued.items():
        if changed is not None:
            marks[job_id].append(changed)
    by_deal = {deal_id: job_id for job_id, (deal_id, _, _) in issued.items()}
    fixes = select(Correction.deal_id, Correction.done_at).where(col(Correction.status) == CorrectionStatus.DONE,
                                                                 col(Correction.deal_id).in_(list(by_deal)))
    for deal_id, done_at in session.exec(fixes).all():
        if done_at is not None:
            marks[by_deal[deal_id]].append(done_at)
    memos = select(QboCreditMemoSeen.invoice_job_id, QboCreditMemoSeen.created_in_qbo_at).where(
        col(QboCreditMemoSeen.deleted).is_(False), col(QboCreditMemoSeen.invoice_job_id).in_(list(issued)))
    for credited, created in session.exec(memos).all():
        if credited is not None:
            marks[credited].append(created)
    return {job_id for job_id, moments in marks.items()
            if any(moment <= issued[job_id][1] + window for moment in moments)}
