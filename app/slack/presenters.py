"""What the flows return (plain values) -> the view models the pure Block Kit builders take: labels and links."""
from __future__ import annotations

from decimal import Decimal
from typing import cast

from app.deals.models import Account
from app.exception_queue.customers import LookAlike
from app.invoicing.models import InvoiceJob
from app.links import invoice_url, record_url
from app.pipeline.activation import ActivationForm
from app.pipeline.summaries import DecisionSummary, RequestSummary
from app.slack.blocks.activation import ActivationModal, Alike
from app.slack.blocks.approval import ApprovalCard, Ask, DecidedOutcome, Decision
from app.slack.blocks.format import money
from app.slack.blocks.home import HomeView, PendingApprovalRow, RecentInvoiceRow
from app.slack.blocks.invoice import InvoiceConfirmation
from app.slack.blocks.levels import LevelLine
from app.slack.blocks.status import ApprovalLine, Candidate, CorrectionLine, InvoiceStatusView
from app.status.home import HomeSummary
from app.status.service import ApprovalState, DealMatch, DealStanding

KIND_LABELS = {"customer_activation": "New customer", "payment_terms": "Payment terms",
               "discount": "Discount", "credit_limit": "Credit limit", "credit_memo": "Credit memo",
               "write_off": "Write-off", "rebill": "Credit and re-invoice"}
CORRECTION_STATUS_LABELS = {"proposed": "awaiting approval", "approved": "approved, being made",
                            "creating": "being made in QuickBooks", "done": "made and applied",
                            "rejected": "rejected", "failed": "failed: see the exception"}
STATUS_LABELS = {"not_won": "Not won yet", "not_eligible": "Won, not yet billable", "blocked": "Blocked: data to fix",
                 "awaiting_approval": "Awaiting approval", "rejected": "Rejected: needs rework",
                 "billable": "Billable: invoice being created", "invoiced": "Invoiced",
                 "simulated": "Shadow mode: invoice simulated, not created",
                 "out_of_scope": "Skipped: outside the pilot", "before_live": "Skipped: won before going live"}
SKIPPED_STATUSES = ("out_of_scope", "before_live")


def approval_card(request: RequestSummary, *, instance_url: str | None) -> ApprovalCard:
    return ApprovalCard(
        request_id=request.request_id, customer_name=request.customer_name, deal_name=request.deal_name,
        opportunity_id=request.opportunity_id,
        opportunity_url=record_url(instance_url, "Opportunity", request.opportunity_id),
        amount=request.amount, currency=request.currency,
        asks=(Ask(KIND_LABELS.get(request.kind, request.kind), request.ask),),
        requester_name=request.requester_name, requester_slack_id=request.requester_slack_id,
        required_role=request.role_label, created_at=request.created_at, levels=level_lines(request),
        changes=request.changes, proposed_customer=request.proposed_customer,
    )


def level_lines(request: RequestSummary) -> tuple[LevelLine, ...]:
    """A request's levels for its message; a one-level request shows none (its role and outcome say it all)."""
    if len(request.levels) < 2:
        return ()
    return tuple(LevelLine(position=level.position, role_label=level.role_label, status=level.status,
                           decider_slack_id=level.decider_slack_id, decider_name=level.decider_name,
                           decided_at=level.decided_at, parallel=level.parallel, open_now=level.open_now)
                 for level in request.levels)


def activation_modal_model(form: ActivationForm) -> ActivationModal:
    proposed = form.proposed

    def alike(found: LookAlike) -> Alike:
        return Alike(customer_id=found.customer_id, name=found.name, email=found.email, address=found.address,
                     why=found.why)
    return ActivationModal(deal_name=form.deal_name, name=proposed.name, email=proposed.email,
                           bill_to=proposed.bill_to, ship_to=proposed.ship_to, tax_status=proposed.tax_status,
                           terms=form.terms, credit_limit=form.credit_limit, currency=form.currency,
                           terms_options=form.terms_options, exact=alike(form.exact) if form.exact else None,
                           look_alikes=tuple(alike(found) for found in form.look_alikes))


def decided_outcome(decision: DecisionSummary) -> DecidedOutcome:
    return DecidedOutcome(decision=cast(Decision, decision.decision),     # DecidedOutcome checks the value
                          decider_slack_id=decision.decider_slack_id, decider_name=decision.decider_name,
                          decided_at=decision.decided_at, comment=decision.comment)


def invoice_confirmation(job: InvoiceJob, account: Account | None, *, qbo_app_url: str | None) -> InvoiceConfirmation:
    return InvoiceConfirmation(invoice_number=job.doc_number or job.qbo_invoice_id or "?",
                               invoice_id=job.qbo_invoice_id or "?",
                               qbo_url=invoice_url(qbo_app_url, job.qbo_invoice_id),
                               amount=job.total if job.total is not None else Decimal("0.00"),
                               currency=job.currency or "USD", tax=job.tax_total,
                               due_date=job.due_date, customer_name=account.name if account else "")


def invoice_status_view(standing: DealStanding, *, instance_url: str | None,
                        can_correct: bool = False) -> InvoiceStatusView:
    return InvoiceStatusView(
        deal_name=standing.deal_name, opportunity_id=standing.opportunity_id,
        opportunity_url=record_url(instance_url, "Opportunity", standing.opportunity_id), stage=standing.stage,
        gate_status=STATUS_LABELS.get(standing.gate_status, standing.gate_status),
        gate_problems=standing.gate_problems, approvals=tuple(_approval_line(state) for state in standing.approvals),
        invoice_number=standing.invoice_number, amount=standing.amount, balance=standing.balance,
        due_date=standing.due_date, invoice_status=standing.invoice_status, currency=standing.currency,
        tax=standing.tax, can_correct=can_correct,
        problems_title="Why it is skipped" if standing.gate_status in SKIPPED_STATUSES else "Blocking the invoice",
        milestones=tuple(f"• {m.number}. {m.name}: {money(m.amount, standing.currency)}, "
                         + (f"invoice {m.invoice_number}" if m.status == "created" else "invoice being created")
                         for m in standing.milestones),
        corrections=tuple(CorrectionLine(KIND_LABELS.get(c.kind, c.kind),
                                         CORRECTION_STATUS_LABELS.get(c.status, c.status), c.amount,
                                         c.credit_memo_number) for c in standing.corrections),
    )


def status_candidates(matches: tuple[DealMatch, ...]) -> tuple[Candidate, ...]:
    return tuple(Candidate(match.opportunity_id, match.name, match.stage, match.amount, match.currency)
                 for match in matches)


def home_view_model(summary: HomeSummary) -> HomeView:
    return HomeView(
        is_approver=summary.is_approver,
        pending_approvals=tuple(PendingApprovalRow(row.deal_name, row.ask, row.waiting, waiting_for=row.waiting_for)
                                for row in summary.waiting_approvals),
        recent_invoices=tuple(RecentInvoiceRow(row.invoice_number, row.customer_name, row.amount, row.currency)
                              for row in summary.recent_invoices),
        open_exceptions=summary.open_exceptions, deals_awaiting_data=summary.deals_awaiting_data,
    )


def _approval_line(state: ApprovalState) -> ApprovalLine:
    return ApprovalLine(kind=KIND_LABELS.get(state.kind, state.kind), status=state.status,
                        decider_name=state.decider_name, decided_at=state.decided_at, comment=state.comment,
                        decider_slack_id=state.decider_slack_id)
