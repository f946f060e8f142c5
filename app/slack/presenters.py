"""Domain rows -> the view models the pure Block Kit builders take."""
from __future__ import annotations

from decimal import Decimal

from app.approvals.models import ApprovalDecision, ApprovalRequest
from app.deals.models import Account, Deal
from app.invoicing.models import InvoiceJob
from app.slack.blocks.approval import ApprovalCard, Ask, DecidedOutcome
from app.slack.blocks.invoice import InvoiceConfirmation

KIND_LABELS = {"customer_activation": "New customer", "payment_terms": "Payment terms",
               "discount": "Discount", "credit_limit": "Credit limit"}


def record_url(instance_url: str | None, sobject: str, record_id: str) -> str | None:
    if not instance_url:
        return None
    return f"{instance_url.rstrip('/')}/lightning/r/{sobject}/{record_id}/view"


def approval_card(request: ApprovalRequest, deal: Deal, account: Account | None, *,
                  instance_url: str | None, role_label: str | None = None) -> ApprovalCard:
    return ApprovalCard(
        request_id=request.id, customer_name=account.name if account else "(no account)", deal_name=deal.name,
        opportunity_id=deal.sf_id, opportunity_url=record_url(instance_url, "Opportunity", deal.sf_id),
        amount=deal.amount if deal.amount is not None else Decimal("0.00"), currency=deal.currency or "USD",
        asks=(Ask(KIND_LABELS.get(request.kind, request.kind), request.ask),),
        requester_name=deal.owner_name or request.requester_email or "the opportunity owner",
        requester_slack_id=request.requester_slack_id, required_role=role_label or request.role,
        created_at=request.created_at,
    )


def decided_outcome(decision: ApprovalDecision) -> DecidedOutcome:
    return DecidedOutcome(decision=decision.decision, decider_slack_id=decision.slack_user_id,
                          decider_name=decision.slack_user_name or decision.slack_user_id,
                          decided_at=decision.decided_at, comment=decision.comment)


def invoice_confirmation(job: InvoiceJob, account: Account | None, *, qbo_app_url: str | None) -> InvoiceConfirmation:
    url = f"{qbo_app_url.rstrip('/')}/app/invoice?txnId={job.qbo_invoice_id}" if qbo_app_url else None
    return InvoiceConfirmation(invoice_number=job.doc_number or job.qbo_invoice_id or "?",
                               invoice_id=job.qbo_invoice_id or "?", qbo_url=url,
                               amount=job.total if job.total is not None else Decimal("0.00"),
                               due_date=job.due_date, customer_name=account.name if account else "")
