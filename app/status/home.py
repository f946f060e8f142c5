"""What the App Home tab shows one user: their pending approvals, recent invoices, queue counts."""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from sqlalchemy import func
from sqlmodel import Session, col, select
from sqlmodel.sql.expression import SelectOfScalar

from app.approvals.level_service import level_states
from app.approvals.levels import open_levels
from app.approvals.models import ApprovalRequest, ApprovalStatus
from app.approvals.roles import role_label
from app.deals.models import Account, Deal, DealStatus
from app.exception_queue.models import ExceptionItem, ExceptionStatus
from app.invoicing.models import InvoiceJob, InvoiceJobStatus
from app.policy import Policy
from app.status.pending import waits_for

RECENT_INVOICES = 20


@dataclass(frozen=True)
class WaitingApproval:
    """One pending request the user may decide, and how long it has waited."""

    deal_name: str
    ask: str
    waiting: timedelta
    waiting_for: tuple[str, ...] = ()
    """The label of every open level's role (parallel levels: more than one)."""


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
             now: datetime, policy: Policy | None = None) -> HomeSummary:
    roles = {role for role, members in members_by_role.items() if user_id in members}
    return HomeSummary(is_approver=bool(roles),
                       waiting_approvals=tuple(_pending(session, roles, now, user_id=user_id, policy=policy)),
                       recent_invoices=tuple(_recent_invoices(session)),
                       open_exceptions=_count(session, select(func.count()).select_from(ExceptionItem)
                                              .where(ExceptionItem.status == ExceptionStatus.OPEN)),
                       deals_awaiting_data=_count(session, select(func.count()).select_from(Deal)
                                                  .where(Deal.gate_status == DealStatus.BLOCKED)))


def _pending(session: Session, roles: set[str], now: datetime, *, user_id: str,
             policy: Policy | None) -> list[WaitingApproval]:
    """The requests one of whose open levels (parallel levels: any of them) is of a role the user holds."""
    if not roles:
        return []
    statement = (select(ApprovalRequest, Deal).join(Deal, col(Deal.id) == ApprovalRequest.deal_id)
                 .where(ApprovalRequest.status == ApprovalStatus.PENDING)
                 .order_by(col(ApprovalRequest.created_at), col(ApprovalRequest.id)))
    waiting = []
    for request, deal in session.exec(statement):
        if not waits_for(session, request, user_id=user_id, roles=roles):
            continue
        open_roles = dict.fromkeys(level.role for level in open_levels(level_states(session, request)))
        labels = tuple(role_label(policy, role) if policy else role.replace("_", " ") for role in open_roles)
        waiting.append(WaitingApproval(deal.name, request.ask, now - request.created_at, labels))
    return waiting


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
