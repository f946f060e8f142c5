"""The deal owner's pre-flight message: when a won deal is blocked by the billing gate, its Salesforce owner gets
one Slack message listing every problem (with a link to the record that holds each field), updated in place as
they are fixed, until it says the deal is ready for invoicing, waiting for approval, or invoiced.

One message per deal and owner (its SlackPost key holds both); the step forward that changes the deal queues its
re-render in the same transaction. What the message says is read here as plain values; the worker renders and
posts it (app/jobs/owner_notices.py).
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from decimal import Decimal

from sqlmodel import Session

from app.approvals.models import ApprovalStatus
from app.approvals.roles import role_label
from app.approvals.service import decision_for, requests_for
from app.clock import Clock
from app.db import persisted_id, require
from app.deals.models import Deal, DealStatus
from app.deals.rules import Problem, evaluate_gate
from app.deals.service import account_of, deal_facts, lines_of
from app.exactly_once.slack_posts import SlackPost, bump, ensure_post, posts_of_deal
from app.invoicing.service import job_for
from app.links import record_url
from app.pipeline.advance import Advance
from app.policy import Policy, RequiredField
from app.work_queue.kinds import WorkKind
from app.work_queue.service import enqueue

NOTICE_KIND = "owner_notice"
_ACCOUNT_FIELDS = frozenset({RequiredField.BILL_TO_ADDRESS, RequiredField.SHIP_TO_ADDRESS, RequiredField.TAXABILITY})


@dataclass(frozen=True)
class FieldFix:
    """One problem in words a sales rep can act on, and the Salesforce record where the field lives."""

    message: str
    record_label: str
    record_url: str | None


@dataclass(frozen=True, kw_only=True)
class OwnerNoticeContent:
    """Where the deal stands for its owner. `state`: blocked, waiting, rejected, ready, invoiced or on_hold."""

    state: str
    deal_name: str
    opportunity_url: str | None
    amount: Decimal | None
    currency: str
    owner_name: str | None
    owner_email: str | None
    fixes: tuple[FieldFix, ...] = ()
    waiting_for: tuple[tuple[str, tuple[str, ...]], ...] = ()
    """(role label, the role's named Slack users) per pending approval."""
    invoice_number: str | None = None
    reason: str = ""


def notice_key(deal_id: int, owner_email: str | None) -> str:
    return f"{NOTICE_KIND}:{deal_id}:{(owner_email or '').strip().lower()[:150]}"


def queue_owner_notice(session: Session, *, deal: Deal, advance: Advance, clock: Clock) -> int:
    """A blocked deal gets its owner's message (created once); a deal that has one gets it re-rendered."""
    deal_id = persisted_id(deal)
    key = notice_key(deal_id, deal.owner_email)
    post = next((post for post in posts_of_deal(session, deal_id=deal_id, kind=NOTICE_KIND) if post.key == key), None)
    if post is None and advance.status == DealStatus.BLOCKED:
        post = ensure_post(session, key=key, kind=NOTICE_KIND, clock=clock, deal_id=deal_id)
    if post is None:
        return 0
    _queue_render(session, post, clock)
    return 1


def queue_notice_refresh(session: Session, *, deal_id: int, clock: Clock) -> None:
    """The deal moved on without a step forward (its invoice was created): re-render its owner's message."""
    deal = require(session, Deal, deal_id)
    key = notice_key(deal_id, deal.owner_email)
    for post in posts_of_deal(session, deal_id=deal_id, kind=NOTICE_KIND):
        if post.key == key:
            _queue_render(session, post, clock)


def _queue_render(session: Session, post: SlackPost, clock: Clock) -> None:
    version = bump(session, post_id=persisted_id(post), clock=clock)
    enqueue(session, kind=WorkKind.SHOW_OWNER_NOTICE, payload={"post_id": post.id}, clock=clock,
            dedupe_key=f"{post.key}:v{version}")


def notice_content(session: Session, *, deal: Deal, policy: Policy, instance_url: str | None) -> OwnerNoticeContent:
    base = OwnerNoticeContent(state="on_hold", deal_name=deal.name,
                              opportunity_url=record_url(instance_url, "Opportunity", deal.sf_id), amount=deal.amount,
                              currency=deal.currency or "USD", owner_name=deal.owner_name, owner_email=deal.owner_email)
    status = deal.gate_status
    if status == DealStatus.BLOCKED:
        gate = evaluate_gate(deal_facts(session, deal), policy)
        return replace(base, state="blocked", fixes=_fixes(session, deal, gate.problems, instance_url))
    if status == DealStatus.AWAITING_APPROVAL:
        return replace(base, state="waiting", waiting_for=_waiting_for(session, deal, policy))
    if status == DealStatus.REJECTED:
        return replace(base, state="rejected", reason=_rejection(session, deal))
    if status == DealStatus.INVOICED:
        job = job_for(session, deal_id=persisted_id(deal))
        return replace(base, state="invoiced", invoice_number=job.doc_number if job else None)
    if status == DealStatus.BILLABLE:
        return replace(base, state="ready")
    return replace(base, reason="; ".join(deal.gate_problems) or status)


def _fixes(session: Session, deal: Deal, problems: tuple[Problem, ...],
           instance_url: str | None) -> tuple[FieldFix, ...]:
    account = account_of(session, deal)
    products = {line.product_name: line.product_sf_id for line in lines_of(session, deal)}
    fixes = []
    for problem in problems:
        if problem.field in _ACCOUNT_FIELDS and account is not None:
            fixes.append(FieldFix(problem.message, f"Account {account.name}",
                                  record_url(instance_url, "Account", account.sf_id)))
            continue
        product_id = _product_of(problem, products)
        if product_id is not None:
            name = next(name for name, sf_id in products.items() if sf_id == product_id)
            fixes.append(FieldFix(problem.message, f"Product {name}", record_url(instance_url, "Product2", product_id)))
            continue
        fixes.append(FieldFix(problem.message, "Opportunity", record_url(instance_url, "Opportunity", deal.sf_id)))
    return tuple(fixes)


def _product_of(problem: Problem, products: dict[str, str | None]) -> str | None:
    """Product codes are set on the product record itself; everything else about a line is on the opportunity."""
    if not problem.code.startswith("missing_field:item_codes:"):
        return None
    return products.get(problem.code.split(":", 2)[2])


def _waiting_for(session: Session, deal: Deal, policy: Policy) -> tuple[tuple[str, tuple[str, ...]], ...]:
    pending = [request for request in requests_for(session, deal_id=deal.id)
               if request.status == ApprovalStatus.PENDING]
    roles = dict.fromkeys(request.role for request in pending)
    return tuple((role_label(policy, role), tuple(policy.approver_roles[role].users) if role in policy.approver_roles
                  else ()) for role in roles)


def _rejection(session: Session, deal: Deal) -> str:
    rejected = [request for request in requests_for(session, deal_id=deal.id)
                if request.status == ApprovalStatus.REJECTED]
    if not rejected:
        return ""
    decision = decision_for(session, request_id=rejected[0].id)
    why = decision.comment if decision and decision.comment else "no reason given"
    return f"{rejected[0].ask}: {why}"
