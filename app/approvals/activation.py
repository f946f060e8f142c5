"""Customer activation ("sales creates, finance approves"): the customer proposed from the Salesforce account, the
QuickBooks customers it could duplicate (pure), and the approver's terms, credit limit and choice, audited.

Never a duplicate: the QuickBooks customers that match (app/exception_queue/customers.py `match_customers`) are
stored with the request; the approver picks "use this one" or "create new" in the approval modal.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass
from decimal import Decimal, InvalidOperation

from sqlmodel import Session, select

from app.approvals.activation_models import CREATE_NEW, ActivationStatus, CustomerActivation
from app.approvals.models import ApprovalRequest
from app.audit.service import Links, record_event
from app.clock import Clock
from app.db import require
from app.deals.facts import AccountFacts
from app.deals.models import Account, Deal

MAX_CREDIT_LIMIT = Decimal("999999999999.99")


@dataclass(frozen=True, slots=True)
class ProposedCustomer:
    name: str
    email: str
    bill_to: str
    ship_to: str
    terms: str
    tax_status: str
    credit_limit: str


def proposed_customer(account: AccountFacts, *, terms: str | None) -> ProposedCustomer:
    tax = "not stated" if account.tax_exempt is None else ("tax exempt" if account.tax_exempt else "taxable")
    if account.tax_exempt and account.tax_exemption_reason:
        tax += f" ({account.tax_exemption_reason})"
    return ProposedCustomer(
        name=account.name, email=account.billing_email or "", terms=(terms or "").strip(), tax_status=tax,
        bill_to=_joined(account.billing_street, account.billing_city, account.billing_state,
                        account.billing_postal_code, account.billing_country),
        ship_to=_joined(account.shipping_street, account.shipping_city, account.shipping_state,
                        account.shipping_postal_code, account.shipping_country),
        credit_limit="" if account.credit_limit is None else f"{account.credit_limit:.2f}")


def parse_credit_limit(text: str | None) -> Decimal:
    """The approver's credit limit: a non-negative amount with at most 2 decimals. Raises ValueError (its words
    are shown under the field)."""
    cleaned = (text or "").replace(",", "").replace("$", "").strip()
    try:
        amount = Decimal(cleaned)
    except InvalidOperation:
        raise ValueError(f"'{(text or '').strip()[:40]}' is not an amount: write it like 50000.00") from None
    if not amount.is_finite() or amount < 0:
        raise ValueError("A credit limit is zero or more")
    if amount > MAX_CREDIT_LIMIT or amount != amount.quantize(Decimal("0.01")):
        raise ValueError("Write the credit limit with at most 2 decimals, like 50000.00")
    return amount.quantize(Decimal("0.01"))


def activation_for(session: Session, *, request_id: int | None) -> CustomerActivation | None:
    return session.exec(select(CustomerActivation).where(CustomerActivation.request_id == request_id)).first()


def store_proposal(session: Session, *, request: ApprovalRequest, account: Account, proposed: ProposedCustomer,
                   exact: dict[str, str] | None, look_alikes: list[dict[str, str]],
                   clock: Clock) -> CustomerActivation:
    """Keep (or refresh, while undecided) what the approval request shows: the proposal and its look-alikes."""
    row = activation_for(session, request_id=request.id)
    if row is None:
        row = CustomerActivation(request_id=_id(request.id), account_id=_id(account.id), created_at=clock.now(),
                                 updated_at=clock.now())
    if row.status == ActivationStatus.PROPOSED:
        row.proposed = {**asdict(proposed), "exact": exact}
        row.look_alikes = look_alikes
        row.updated_at = clock.now()
    session.add(row)
    session.flush()
    return row


def approve(session: Session, *, request: ApprovalRequest, terms: str | None, credit_limit: Decimal | None,
            choice: str | None, actor: str, actor_name: str | None, clock: Clock) -> CustomerActivation:
    """The approver's values become the account's (while Salesforce still says what it said), audited with the
    Salesforce values they replace."""
    account_id = request_account(session, request)
    row = activation_for(session, request_id=request.id) or CustomerActivation(
        request_id=_id(request.id), account_id=account_id, created_at=clock.now(), updated_at=clock.now())
    account = require(session, Account, account_id)
    offered = {str(alike.get("customer_id")) for alike in row.look_alikes}
    if choice not in offered:
        choice = CREATE_NEW if offered else None
    proposed_terms = str(row.proposed.get("terms") or "") or None
    row.terms, row.credit_limit, row.choice = terms or proposed_terms, credit_limit, choice
    row.status, row.updated_at = ActivationStatus.APPROVED, clock.now()
    before = {"payment_terms": proposed_terms, "credit_limit": account.credit_limit}
    account.activated_terms, account.activated_credit_limit = row.terms, credit_limit
    account.activated_over = {key: _plain(value) for key, value in before.items()}
    session.add_all([row, account])
    session.flush()
    record_event(session, actor=actor, actor_name=actor_name, action="customer.activation_approved",
                 subject_type="account", subject_id=account.sf_id,
                 details={"request_id": request.id, "deal_id": request.deal_id, "before": before,
                          "after": {"payment_terms": row.terms, "credit_limit": credit_limit},
                          "choice": choice, "look_alikes": row.look_alikes}, clock=clock,
                 before=before, after={"payment_terms": row.terms, "credit_limit": credit_limit, "choice": choice},
                 links=Links(deal_id=request.deal_id, approval_id=request.id))
    return row


def link_customer(session: Session, *, activation_id: int, customer_id: str, created: bool,
                  clock: Clock) -> CustomerActivation:
    row = require(session, CustomerActivation, activation_id)
    account = require(session, Account, row.account_id)
    if account.qbo_customer_id is None:
        account.qbo_customer_id = customer_id
    row.qbo_customer_id, row.status, row.updated_at = account.qbo_customer_id, ActivationStatus.DONE, clock.now()
    session.add_all([row, account])
    session.flush()
    record_event(session, actor="system", action="customer.activated", subject_type="account",
                 subject_id=account.sf_id,
                 details={"request_id": row.request_id, "qbo_customer_id": account.qbo_customer_id,
                          "created": created, "terms": row.terms, "credit_limit": row.credit_limit}, clock=clock,
                 before={"qbo_customer_id": None},
                 after={"qbo_customer_id": account.qbo_customer_id, "created": created, "payment_terms": row.terms,
                        "credit_limit": row.credit_limit},
                 links=Links(deal_id=_deal_of(session, row.request_id), approval_id=row.request_id))
    return row


def request_account(session: Session, request: ApprovalRequest) -> int:
    deal = require(session, Deal, request.deal_id)
    if deal.account_id is None:
        raise ValueError(f"deal {deal.id} has no account to activate")
    return deal.account_id


def _deal_of(session: Session, request_id: int | None) -> int | None:
    request = session.get(ApprovalRequest, request_id) if request_id is not None else None
    return request.deal_id if request else None


def _joined(*parts: str | None) -> str:
    return ", ".join(" ".join(part.split()) for part in parts if part and part.strip())


def _plain(value: object) -> object:
    return format(value, "f") if isinstance(value, Decimal) else value


def _id(value: int | None) -> int:
    if value is None:
        raise ValueError("a stored row was expected")
    return value
