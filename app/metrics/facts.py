"""The rows the dashboard's charts are computed from, read in one session (each with its segment and company)."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import or_
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from app.deals.models import Account, Deal
from app.exception_queue.models import ExceptionItem
from app.invoicing.models import InvoiceJob
from app.metrics.exceptions import ExceptionRow
from app.metrics.position import DealFact

CLOSED_STAGES = ("closed won", "closed lost")


def exception_rows(session: Session, *, since: datetime) -> list[ExceptionRow]:
    """Exceptions opened or closed at or after `since`, with their deal's segment and company."""
    statement = (select(ExceptionItem, Account.segment, Account.qbo_realm_id)
                 .outerjoin(Deal, col(Deal.id) == ExceptionItem.deal_id)
                 .outerjoin(Account, col(Account.id) == col(Deal.account_id))
                 .where(or_(col(ExceptionItem.created_at) >= since, col(ExceptionItem.resolved_at) >= since)))
    return [ExceptionRow(kind=item.kind, cause=item.root_cause or item.suggested_root_cause,
                         opened_at=item.created_at, sla_due_at=item.sla_due_at, resolved_at=item.resolved_at,
                         status=item.status, resolved_by=item.resolved_by, segment=segment, realm_id=realm)
            for item, segment, realm in session.exec(statement).all()]


def deal_facts(session: Session) -> list[DealFact]:
    """Every deal we know, closed or not, with whether it has a QuickBooks invoice."""
    statement = (sa_select(Deal, col(Account.segment), col(Account.qbo_realm_id), col(InvoiceJob.created_in_qbo_at),
                           col(InvoiceJob.qbo_realm_id))
                 .outerjoin(Account, col(Account.id) == Deal.account_id)
                 .outerjoin(InvoiceJob, col(InvoiceJob.deal_id) == Deal.id))
    return [DealFact(deal_id=deal.id or 0, segment=segment, realm_id=job_realm or realm, is_won=deal.is_won,
                     closed=deal.is_won or deal.stage.strip().lower() in CLOSED_STAGES, close_date=deal.close_date,
                     amount=deal.amount, currency=deal.currency, gate_status=deal.gate_status,
                     invoiced=invoiced_at is not None)
            for deal, segment, realm, invoiced_at, job_realm in session.execute(statement).all()]
