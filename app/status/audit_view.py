"""The audit trail of one deal, approval request, QuickBooks invoice or exception, each event with the records
it names in Slack, Salesforce and QuickBooks."""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlmodel import Session, col, select

from app.approvals.models import ApprovalRequest
from app.audit.models import AuditEvent
from app.deals.models import Deal
from app.exception_queue.models import ExceptionItem
from app.invoicing.models import InvoiceJob
from app.links import invoice_url, record_url, slack_message_url

SUBJECTS = ("deal", "approval", "invoice", "exception")


class BadSubject(ValueError):
    """No subject named, or one that does not exist."""


@dataclass(frozen=True, slots=True)
class Subject:
    kind: str
    value: str


@dataclass(frozen=True, slots=True)
class VendorLinks:
    base_salesforce: str | None
    quickbooks_app: str | None


@dataclass(frozen=True, slots=True)
class TrailRow:
    seq: int
    occurred_at: datetime
    actor: str
    actor_name: str | None
    action: str
    subject: str
    details: dict[str, Any]
    deal_name: str | None
    slack_url: str | None
    salesforce_url: str | None
    quickbooks_url: str | None


def subject_of(query: dict[str, str]) -> Subject:
    for kind in SUBJECTS:
        value = (query.get(kind) or "").strip()
        if value:
            if len(value) > 40 or not value.replace("-", "").isalnum():
                raise BadSubject(f"{kind} must be an id (letters and digits), not {value[:40]!r}")
            return Subject(kind, value)
    raise BadSubject("Name what to audit: ?deal=<id or Salesforce id>, ?approval=<id>, ?invoice=<QuickBooks id> "
                     "or ?exception=<id>")


def trail(session: Session, subject: Subject, links: VendorLinks) -> list[TrailRow]:
    """Every event about the subject, oldest first."""
    events = session.exec(select(AuditEvent).where(_condition(session, subject))
                          .order_by(col(AuditEvent.seq))).all()
    return _rows(session, events, links)


def _condition(session: Session, subject: Subject) -> Any:
    if subject.kind == "deal":
        deal = _deal(session, subject.value)
        return col(AuditEvent.deal_id) == deal.id
    if subject.kind == "invoice":
        return col(AuditEvent.invoice_id) == subject.value
    if not subject.value.isdigit():
        raise BadSubject(f"{subject.kind} must be a number, not {subject.value!r}")
    column = AuditEvent.approval_id if subject.kind == "approval" else AuditEvent.exception_id
    return col(column) == int(subject.value)


def _deal(session: Session, value: str) -> Deal:
    """Our id (a short number) or the Salesforce id (15 or 18 characters, which may be all digits)."""
    by_sf_id = session.exec(select(Deal).where(col(Deal.sf_id) == value)).first()
    deal = by_sf_id or (session.get(Deal, int(value)) if value.isdigit() and len(value) < 15 else None)
    if deal is None:
        raise BadSubject(f"No deal {value!r} is known")
    return deal


def _rows(session: Session, events: Sequence[AuditEvent], links: VendorLinks) -> list[TrailRow]:
    deals = _by_id(session, Deal, {e.deal_id for e in events})
    requests = _by_id(session, ApprovalRequest, {e.approval_id for e in events})
    items = _by_id(session, ExceptionItem, {e.exception_id for e in events})
    jobs = {job.deal_id: job for job in session.exec(
        select(InvoiceJob).where(col(InvoiceJob.deal_id).in_(list(deals))))} if deals else {}
    rows = []
    for event in events:
        deal = deals.get(event.deal_id) if event.deal_id is not None else None
        message = _get(requests, event.approval_id) or _get(items, event.exception_id)
        job = jobs.get(deal.id) if deal else None
        rows.append(TrailRow(
            seq=event.seq, occurred_at=event.occurred_at, actor=event.actor, actor_name=event.actor_name,
            action=event.action, subject=f"{event.subject_type} {event.subject_id}", details=event.details,
            deal_name=deal.name if deal else None,
            slack_url=slack_message_url(message.slack_channel, message.slack_ts) if message else None,
            salesforce_url=record_url(links.base_salesforce, "Opportunity", deal.sf_id) if deal else None,
            quickbooks_url=invoice_url(links.quickbooks_app, event.invoice_id or (job.qbo_invoice_id if job else None)),
        ))
    return rows


def _by_id(session: Session, model: Any, ids: set[int | None]) -> dict[int, Any]:
    wanted = [i for i in ids if i is not None]
    if not wanted:
        return {}
    return {row.id: row for row in session.exec(select(model).where(col(model.id).in_(wanted)))}


def _get(rows: dict[int, Any], key: int | None) -> Any:
    return rows.get(key) if key is not None else None
