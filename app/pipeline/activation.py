"""Customer activation as use cases: before the request is posted, the proposal and the QuickBooks look-alikes
(worker, QuickBooks lane); what the approval modal shows (database only: the web process opens it); the approver's
values applied in the decision's own transaction; then the QuickBooks customer created or linked, exactly once,
and the account's held deals moved forward (worker)."""
from __future__ import annotations

from dataclasses import asdict, dataclass, replace
from decimal import Decimal

from sqlmodel import Session, select

from app.approvals import activation
from app.approvals.activation_models import CREATE_NEW, ActivationStatus, CustomerActivation
from app.approvals.level_service import refusal_before_opening
from app.approvals.locks import lock_fingerprint, locked_values
from app.approvals.models import ApprovalRequest, ApprovalStatus
from app.approvals.rules import ApprovalKind
from app.approvals.service import record_lock
from app.clock import Clock
from app.db import require, session_scope
from app.deals.facts import DealFacts
from app.deals.models import Account, Deal, DealStatus
from app.deals.service import account_of, deal_facts
from app.errors import InvalidTransition, NotAllowed
from app.exception_queue.customers import LookAlike, check_new_customer, match_customers
from app.integrations.quickbooks_models import QboCustomerDraft
from app.invoicing.mapping import customer_request_id_for
from app.invoicing.taxes import customer_draft
from app.pipeline.advance import advance_deal
from app.pipeline.follow_ups import enqueue_follow_ups
from app.policy import Policy
from app.runtime import Runtime
from app.work_queue.kinds import WorkKind
from app.work_queue.service import enqueue


@dataclass(frozen=True)
class ActivationForm:
    """What the approval modal shows and offers."""

    request_id: int
    deal_name: str
    proposed: activation.ProposedCustomer
    exact: LookAlike | None
    look_alikes: tuple[LookAlike, ...]
    terms_options: tuple[str, ...]
    terms: str | None
    credit_limit: Decimal | None
    currency: str


@dataclass(frozen=True)
class ActivationChoice:
    terms: str | None
    credit_limit: Decimal | None
    choice: str | None


def is_activation(rt: Runtime, *, request_id: int) -> bool:
    with session_scope(rt.engine) as session:
        request = session.get(ApprovalRequest, request_id)
        return request is not None and request.kind == ApprovalKind.CUSTOMER_ACTIVATION


def needs_preparing(session: Session, request: ApprovalRequest) -> bool:
    """An activation request is posted once its proposal and look-alikes are stored."""
    return (request.kind == ApprovalKind.CUSTOMER_ACTIVATION
            and activation.activation_for(session, request_id=request.id) is None)


def prepare(rt: Runtime, *, request_id: int) -> None:
    """Read QuickBooks' customers, store the proposal and its look-alikes, then queue the post."""
    with session_scope(rt.engine) as session:
        request = require(session, ApprovalRequest, request_id)
        if request.status != ApprovalStatus.PENDING:
            return
        facts = deal_facts(session, require(session, Deal, request.deal_id))
    matches = match_customers(facts.account, rt.quickbooks.all_customers())
    with session_scope(rt.engine) as session:
        request = require(session, ApprovalRequest, request_id)
        deal = require(session, Deal, request.deal_id)
        account = account_of(session, deal)
        if account is None:
            return
        activation.store_proposal(session, request=request, account=account, clock=rt.clock,
                                  proposed=activation.proposed_customer(facts.account, terms=facts.payment_terms),
                                  exact=asdict(matches.exact) if matches.exact else None,
                                  look_alikes=[asdict(alike) for alike in matches.look_alikes])
        enqueue(session, kind=WorkKind.POST_APPROVAL_REQUEST, payload={"request_id": request_id},
                dedupe_key=f"post_approval:{request_id}:prepared", clock=rt.clock)
    rt.wake_worker()


def form_for(rt: Runtime, *, request_id: int, actor_id: str) -> ActivationForm:
    """From the database alone (the web process opens the modal): pending, not the actor's own, and prepared.
    Raises NotAllowed / InvalidTransition with words for the clicker."""
    with session_scope(rt.engine) as session:
        request = require(session, ApprovalRequest, request_id)
        if request.status != ApprovalStatus.PENDING:
            raise InvalidTransition(f"This request is already {request.status}")
        refusal = refusal_before_opening(session, request, actor_id=actor_id, policy=rt.policy)
        if refusal is not None:
            raise NotAllowed(refusal)
        row = activation.activation_for(session, request_id=request_id)
        deal = require(session, Deal, request.deal_id)
        facts = deal_facts(session, deal)
        proposed = activation.proposed_customer(facts.account, terms=facts.payment_terms)
        exact = row.proposed.get("exact") if row is not None else None
        return ActivationForm(
            request_id=request_id, deal_name=deal.name, proposed=proposed,
            exact=LookAlike(**exact) if exact else None,
            look_alikes=tuple(LookAlike(**alike) for alike in (row.look_alikes if row else [])),
            terms_options=tuple(rt.policy.mappings.payment_terms), terms=facts.payment_terms,
            credit_limit=facts.account.credit_limit, currency=deal.currency or rt.policy.currency.home)


def apply_choice(session: Session, request: ApprovalRequest, *, choice: ActivationChoice | None, actor: str,
                 actor_name: str | None, clock: Clock) -> None:
    """In the decision's transaction, once approved: the approver's values become the locked ones, audited, and the
    customer's creation is queued. Any approval is locked (the values it was given for are recorded)."""
    if request.status != ApprovalStatus.APPROVED or request.kind not in {kind.value for kind in ApprovalKind}:
        return                              # a correction's approval locks nothing of the deal
    if request.kind == ApprovalKind.CUSTOMER_ACTIVATION:
        picked = choice or ActivationChoice(terms=None, credit_limit=None, choice=None)
        row = activation.approve(session, request=request, terms=picked.terms, credit_limit=picked.credit_limit,
                                 choice=picked.choice, actor=actor, actor_name=actor_name, clock=clock)
        locked = locked_values(deal_facts(session, require(session, Deal, request.deal_id)))
        request.locked_values, request.terms_fingerprint = locked, lock_fingerprint(locked)
        session.add(request)
        enqueue(session, kind=WorkKind.ACTIVATE_CUSTOMER, payload={"activation_id": row.id},
                dedupe_key=f"activate_customer:{row.account_id}", clock=clock)
    record_lock(session, request=request, actor=actor, clock=clock)


def activate_customer(rt: Runtime, *, activation_id: int) -> None:
    """Create or link the QuickBooks customer (a retry finds what an earlier attempt made), store the mapping and
    move the account's waiting deals forward."""
    with session_scope(rt.engine) as session:
        row = require(session, CustomerActivation, activation_id)
        if row.status == ActivationStatus.DONE:
            return
        account = require(session, Account, row.account_id)
        deal = require(session, ApprovalRequest, row.request_id).deal_id
        facts = deal_facts(session, require(session, Deal, deal))
        choice, terms, limit, sf_id = row.choice, row.terms, row.credit_limit, account.sf_id
    customer_id, created = _customer(rt, facts=facts, choice=choice, terms=terms, credit_limit=limit, sf_id=sf_id)
    with session_scope(rt.engine) as session:
        row = activation.link_customer(session, activation_id=activation_id, customer_id=customer_id,
                                       created=created, clock=rt.clock)
        _advance_account(session, account_id=row.account_id, policy=rt.policy, clock=rt.clock)
    rt.wake_worker()


def _customer(rt: Runtime, *, facts: DealFacts, choice: str | None, terms: str | None,
              credit_limit: Decimal | None, sf_id: str) -> tuple[str, bool]:
    """(customer id, created): the look-alike the approver chose, else the customer with exactly this name,
    else a new one (its requestid makes a retried create return the first one)."""
    if choice and choice != CREATE_NEW:
        return rt.quickbooks.get_customer(choice).id, False
    existing = rt.quickbooks.find_customer_by_display_name(facts.account.name)
    if existing is not None:
        return existing.id, False
    if choice is None:          # no look-alike was offered: one made since is a duplicate exception, not a twin
        check_new_customer(facts.account.name, quickbooks=rt.quickbooks)
    draft = _draft(rt, facts=facts, terms=terms, credit_limit=credit_limit)
    made = rt.quickbooks.find_or_create_customer(facts.account.name, request_id=customer_request_id_for(sf_id),
                                                 draft=draft)
    return made.id, True


def _draft(rt: Runtime, *, facts: DealFacts, terms: str | None, credit_limit: Decimal | None) -> QboCustomerDraft:
    base = customer_draft(facts, display_name=facts.account.name, policy=rt.policy)
    qbo_terms = rt.policy.mappings.quickbooks_term_for(terms)
    term = rt.quickbooks.find_term_by_name(qbo_terms) if qbo_terms else None
    notes = (f"Credit limit: {credit_limit:,.2f} {facts.currency} (approved in Ledgerbridge)"
             if credit_limit is not None else None)
    return replace(base, term_id=term.id if term else None, notes=notes)


def _advance_account(session: Session, *, account_id: int, policy: Policy, clock: Clock) -> None:
    """The account's deals that waited for the customer go on (an invoice for those whose approvals are in)."""
    waiting = session.exec(select(Deal).where(Deal.account_id == account_id,
                                              Deal.gate_status != DealStatus.INVOICED)).all()
    for deal in waiting:
        advance = advance_deal(session, deal=deal, policy=policy, clock=clock)
        enqueue_follow_ups(session, deal=deal, advance=advance, clock=clock)
