"""An approval request and its decision as plain values, for whoever shows them (the Slack layer builds cards)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from sqlmodel import Session

from app.approvals.activation import activation_for
from app.approvals.level_service import level_states
from app.approvals.levels import open_levels
from app.approvals.models import ApprovalDecision, ApprovalRequest
from app.approvals.roles import role_label
from app.db import require
from app.deals.models import Deal
from app.deals.service import account_of
from app.invoicing.correction_models import CORRECTION_KINDS
from app.invoicing.corrections import correction_for_request
from app.policy import Policy


@dataclass(frozen=True, kw_only=True)
class LevelSummary:
    """One level of a request: its role, whether it runs beside others, and who decided it when."""

    position: int
    role_label: str
    status: str
    parallel: bool
    open_now: bool
    decider_slack_id: str | None
    decider_name: str | None
    decided_at: datetime | None


@dataclass(frozen=True, kw_only=True)
class RequestSummary:
    """What an approver needs to decide one request: the ask, the deal, who asked, which role decides."""

    request_id: int
    kind: str
    ask: str
    role_label: str
    requester_name: str
    requester_slack_id: str | None
    created_at: datetime
    deal_name: str
    opportunity_id: str
    amount: Decimal
    currency: str
    customer_name: str
    levels: tuple[LevelSummary, ...] = ()
    changes: tuple[str, ...] = ()
    """A re-approval: what changed since the superseded approval, one "Field: old -> new" per locked field."""
    superseded_why: str | None = None
    proposed_customer: tuple[tuple[str, str], ...] = ()
    """A customer activation: the customer as proposed ("Name", ...), and its QuickBooks look-alikes."""


@dataclass(frozen=True, kw_only=True)
class DecisionSummary:
    """How a request was decided; `comment` is the reject reason or an optional approval note."""

    decision: str
    decider_slack_id: str
    decider_name: str
    decided_at: datetime
    comment: str | None


def summarize_request(session: Session, request: ApprovalRequest, *, policy: Policy) -> RequestSummary:
    if request.id is None:
        raise ValueError("an approval request is summarized once it is stored")
    deal = require(session, Deal, request.deal_id)
    account = account_of(session, deal)
    requester = deal.owner_name or request.requester_email or "the opportunity owner"
    amount, currency = (deal.amount if deal.amount is not None else Decimal("0.00")), deal.currency or "USD"
    correction = correction_for_request(session, request.id) if request.kind in CORRECTION_KINDS else None
    if correction is not None:          # a correction: its proposer asked, for its own amount
        requester, amount, currency = correction.proposer_name or "Ledgerbridge", correction.amount, correction.currency
    return RequestSummary(
        request_id=request.id, kind=request.kind, ask=request.ask, role_label=role_label(policy, request.role),
        requester_name=requester, requester_slack_id=request.requester_slack_id, created_at=request.created_at,
        deal_name=deal.name, opportunity_id=deal.sf_id, amount=amount, currency=currency,
        customer_name=account.name if account else "(no account)", levels=summarize_levels(session, request, policy),
        changes=tuple(f"{row.get('label')}: {row.get('old')} -> {row.get('new')}" for row in request.changes or ()),
        superseded_why=request.superseded_why,
        proposed_customer=_proposed_customer(session, request),
    )


def summarize_levels(session: Session, request: ApprovalRequest, policy: Policy) -> tuple[LevelSummary, ...]:
    levels = level_states(session, request)
    steps = [level.step for level in levels]
    waiting = {level.position for level in open_levels(levels)}
    return tuple(LevelSummary(position=level.position, role_label=role_label(policy, level.role),
                              status=level.status, parallel=steps.count(level.step) > 1,
                              open_now=level.position in waiting, decider_slack_id=level.decided_by,
                              decider_name=level.decided_by_name, decided_at=level.decided_at)
                 for level in levels)


def _proposed_customer(session: Session, request: ApprovalRequest) -> tuple[tuple[str, str], ...]:
    row = activation_for(session, request_id=request.id) if request.kind == "customer_activation" else None
    if row is None:
        return ()
    shown = row.proposed
    limit = str(shown.get("credit_limit") or "")
    rows = [("Name", shown.get("name")), ("Email", shown.get("email") or "(none in Salesforce)"),
            ("Bill-to", shown.get("bill_to") or "(none)"), ("Ship-to", shown.get("ship_to") or "(same as bill-to)"),
            ("Terms", shown.get("terms") or "(none)"), ("Tax status", shown.get("tax_status")),
            ("Credit limit", f"{Decimal(limit):,.2f}" if limit else "(none)")]
    exact = shown.get("exact")
    if exact:
        rows.append(("In QuickBooks", f"{exact.get('name')} already exists: approving links it"))
    for alike in row.look_alikes:
        rows.append(("Look-alike in QuickBooks", f"{alike.get('name')} ({alike.get('why')})"))
    return tuple((label, str(value or "")) for label, value in rows)


def summarize_decision(decision: ApprovalDecision) -> DecisionSummary:
    return DecisionSummary(decision=decision.decision, decider_slack_id=decision.slack_user_id,
                           decider_name=decision.slack_user_name or decision.slack_user_id,
                           decided_at=decision.decided_at, comment=decision.comment)
