"""What the App Home tab shows one user: their pending approvals, recent invoices, queue counts."""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from sqlalchemy import func
from sqlmodel import Session, col, select
from sqlmodel.sql.expression import SelectOfScalar

from app.approvals.models import ApprovalRequest, ApprovalStatus
from app.deals.models import Account, Deal, DealStatus
from app.exception_queue.models import ExceptionItem, ExceptionStatus
from app.invoicing.models import InvoiceJob, InvoiceJobStatus

RECENT_INVOICES = 20


@dataclass(frozen=True)
class WaitingApproval:
    """One pending request the user may decide, and how long it has waited."""

    deal_name: str
    ask: str
    waiting: timedelta


@dataclass(frozen=True)
class RecentInvoice:
    invoice_number: str
    customer_name: str
    amount: Decimal
    currency: str


@dataclass(frozen=True, kw_only=True)
class HomeSummary:
    """What waits for one user, the invoices we created lately, and the queue counts."""

    is_approver: bool
    waiting_approvals: tuple[WaitingApproval, ...] = ()
    recent_invoices: tuple[RecentInvoice, ...] = ()
    open_exceptions: int = 0
    deals_awaiting_data: int = 0


def home_for(session: Session, *, user_id: str, members_by_role: Mapping[str, frozenset[str]],
             now: datetime) -> HomeSummary:
    roles = {role for role, members in members_by_role.items() if user_id in members}
    return HomeSummary(is_approver=bool(roles), waiting_approvals=tuple(_pending(session, roles, now)),
                       recent_invoices=tuple(_recent_invoices(session)),
                       open_exceptions=_count(session, select(func.count()).select_from(ExceptionItem)
                                              .where(ExceptionItem.status == ExceptionStatus.OPEN)),
                       deals_awaiting_data=_count(session, select(func.count()).select_from(Deal)
                                                  .where(Deal.gate_status == DealStatus.BLOCKED)))


def _pending(session: Session, roles: set[str], now: datetime) -> list[WaitingApproval]:
    if not roles:
        return []
    statement = (select(ApprovalRequest, Deal).join(Deal, col(Deal.id) == ApprovalRequest.deal_id)
                 .where(ApprovalRequest.status == ApprovalStatus.PENDING, col(ApprovalRequest.role).in_(roles))
                 .order_by(col(ApprovalRequest.created_at)))
    return [WaitingApproval(deal.name, request.ask, now - request.created_at)
            for request, deal in session.exec(statement)]


def _recent_invoices(session: Session) -> list[RecentInvoice]:
    statement = (select(InvoiceJob, Deal, Account).join(Deal, col(Deal.id) == InvoiceJob.deal_id)
                 .join(Account, col(Account.id) == Deal.account_id, isouter=True)
                 .where(InvoiceJob.status == InvoiceJobStatus.CREATED)
                 .order_by(col(InvoiceJob.created_in_qbo_at).desc()).limit(RECENT_INVOICES))
    return [RecentInvoice(job.doc_number or job.qbo_invoice_id or "?", account.name if account else deal.name,
                          _amount(job.total if job.total is not None else deal.amount), deal.currency or "USD")
            for job, deal, account in session.exec(statement)]


def _amount(value: Decimal | None) -> Decimal:
    return value if value is not None else Decimal("0.00")


def _count(session: Session, statement: SelectOfScalar[int]) -> int:
    return int(session.exec(statement).one())
