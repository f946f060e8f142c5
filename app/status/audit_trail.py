"""The auditor's read model: one linked record per approval decision (Slack user <-> Salesforce user <->
approval <-> QuickBooks invoice), times in UTC ISO-8601."""
from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import Any

from sqlmodel import Session, col, select

from app.approvals.models import ApprovalRequest
from app.audit.models import AuditEvent, AuditIdentity
from app.audit.service import list_events
from app.deals.models import Deal
from app.invoicing.models import InvoiceJob

DECISION_ACTIONS = ("approval.approved", "approval.rejected")
LEVEL_ACTIONS = ("approval.level_approved", "approval.level_rejected")
"""A request with levels is decided level by level: each level's decision is a record of its own (the request's
closing approval.approved/rejected then repeats the last one and is left out)."""


@dataclass(frozen=True)
class DecisionRecord:
    decided_at: str
    decision: str
    approval_id: int | None
    approval_kind: str | None
    approval_level: int | None
    approval_role: str | None
    deal_id: int | None
    opportunity_id: str | None
    deal_name: str | None
    slack_user_id: str
    slack_user_name: str | None
    salesforce_user_id: str | None
    comment: str | None
    qbo_invoice_id: str | None
    qbo_invoice_number: str | None
    invoice_created_at: str | None
    policy_version: str | None
    audit_seq: int
    audit_hash: str

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


FIELDS: tuple[str, ...] = tuple(DecisionRecord.__dataclass_fields__)


def decision_records(session: Session, *, since: datetime, until: datetime) -> list[DecisionRecord]:
    """Every approval decision audited in [since, until), oldest first, joined to its request, deal, invoice and
    the decider's Salesforce user."""
    found = list_events(session, since=since, until=until, actions=DECISION_ACTIONS + LEVEL_ACTIONS)
    with_levels = {_approval_id(e) for e in found if e.action in LEVEL_ACTIONS}
    events = [e for e in found if e.action in LEVEL_ACTIONS or _approval_id(e) not in with_levels]
    requests = _by_id(session, ApprovalRequest, {_approval_id(e) for e in events})
    deals = _by_id(session, Deal, {r.deal_id for r in requests.values()})
    jobs = {job.deal_id: job for job in session.exec(
        select(InvoiceJob).where(col(InvoiceJob.deal_id).in_(list(deals))))}
    identities = {i.slack_user_id: i for i in session.exec(
        select(AuditIdentity).where(col(AuditIdentity.slack_user_id).in_({e.actor for e in events})))}
    records = []
    for event in events:
        approval_id = _approval_id(event)
        request = requests.get(approval_id) if approval_id is not None else None
        deal = deals.get(request.deal_id) if request else None
        job = jobs.get(deal.id) if deal else None
        identity = identities.get(event.actor)
        records.append(DecisionRecord(
            decided_at=_iso(event.occurred_at),
            decision=event.action.removeprefix("approval.").removeprefix("level_"),
            approval_id=approval_id, approval_kind=request.kind if request else None,
            approval_level=_level(event, request), approval_role=_role(event, request),
            deal_id=deal.id if deal else None, opportunity_id=deal.sf_id if deal else None,
            deal_name=deal.name if deal else None, slack_user_id=event.actor, slack_user_name=event.actor_name,
            salesforce_user_id=event.actor_sf_id or (identity.sf_user_id if identity else None),
            comment=event.details.get("comment"),
            qbo_invoice_id=job.qbo_invoice_id if job else None, qbo_invoice_number=job.doc_number if job else None,
            invoice_created_at=_iso(job.created_in_qbo_at) if job and job.created_in_qbo_at else None,
            policy_version=event.policy_version, audit_seq=event.seq, audit_hash=event.hash,
        ))
    return records


def _level(event: AuditEvent, request: ApprovalRequest | None) -> int | None:
    level = event.details.get("level") if event.action in LEVEL_ACTIONS else None
    return int(level) if level is not None else (request.level if request else None)


def _role(event: AuditEvent, request: ApprovalRequest | None) -> str | None:
    role = event.details.get("role") if event.action in LEVEL_ACTIONS else None
    return str(role) if role is not None else (request.role if request else None)


def _approval_id(event: AuditEvent) -> int | None:
    if event.approval_id is not None:
        return event.approval_id
    return int(event.subject_id) if event.subject_type == "approval_request" and event.subject_id.isdigit() else None


def _by_id(session: Session, model: Any, ids: Iterable[int | None]) -> dict[int, Any]:
    wanted: Sequence[int] = [i for i in ids if i is not None]
    if not wanted:
        return {}
    return {row.id: row for row in session.exec(select(model).where(col(model.id).in_(wanted)))}


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")
