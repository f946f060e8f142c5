"""A deal that changed after its invoice was issued: Ledgerbridge proposes the correction (credit the invoice in
full and issue a corrected one) for finance to approve, instead of leaving only an exception.

What counts as a change here: the deal's net total no longer equals the invoice's (a price, quantity, product
or discount changed), or the account became tax exempt while the invoice carries tax. The same change is
proposed once: a pending, rejected, failed or made rebill for the same observed total is not proposed again.
"""
from __future__ import annotations

from decimal import Decimal

from sqlmodel import Session, col, select

from app.approvals.models import ApprovalRequest
from app.clock import Clock
from app.deals.facts import DealFacts
from app.deals.models import Deal
from app.deals.service import deal_facts
from app.invoicing.correction_models import Correction, CorrectionKind
from app.invoicing.correction_rules import Proposal, Valued
from app.invoicing.corrections import Proposer, open_correction
from app.invoicing.models import InvoiceJob
from app.policy import Policy, TaxCalculation

TOLERANCE = Decimal("0.01")
LEDGERBRIDGE = Proposer(slack_id=None, name="Ledgerbridge", source="change_after_invoice")


def propose_after_invoice(session: Session, *, deal: Deal, job: InvoiceJob, policy: Policy, clock: Clock,
                          locked_changes: str | None = None) -> ApprovalRequest | None:
    """The approval request to post when the deal no longer matches its invoice; None when it does.
    `locked_changes` (the approved values that changed, old -> new) is added to the reason."""
    if policy.corrections is None or job.qbo_invoice_id is None or job.total is None:
        return None
    facts = deal_facts(session, deal)
    observed, invoiced = _net(facts), _invoiced_net(job, policy)
    why = _what_changed(facts, job, observed=observed, invoiced=invoiced)
    if why is None or _already_proposed(session, deal_id=job.deal_id, observed=observed):
        return None
    if locked_changes:
        why = f"{why}. Approved values changed: {locked_changes}"
    proposal = Proposal(kind=CorrectionKind.REBILL, reason=why, root_cause=None)
    correction, request = open_correction(session, deal=deal, job=job, proposal=proposal,
                                          valued=Valued(amount=invoiced, estimate=job.total), proposer=LEDGERBRIDGE,
                                          policy=policy, clock=clock)
    correction.observed_total = observed
    session.add(correction)
    session.flush()
    return request


def _net(facts: DealFacts) -> Decimal:
    if facts.lines:
        return sum((line.total_price for line in facts.lines), Decimal("0.00"))
    return facts.amount if facts.amount is not None else Decimal("0.00")


def _invoiced_net(job: InvoiceJob, policy: Policy) -> Decimal:
    """What the deal's lines came to on the invoice: its total less tax (the total, when prices include tax)."""
    total = job.total or Decimal("0.00")
    if policy.tax is not None and policy.tax.calculation is TaxCalculation.INCLUSIVE:
        return total
    return total - (job.tax_total or Decimal("0.00"))


def _what_changed(facts: DealFacts, job: InvoiceJob, *, observed: Decimal, invoiced: Decimal) -> str | None:
    number = job.doc_number or job.qbo_invoice_id
    if abs(observed - invoiced) > TOLERANCE:
        return (f"The deal changed after invoice {number} was issued: its lines now come to {observed:,.2f} "
                f"{facts.currency}, the invoice to {invoiced:,.2f}")
    if facts.account.tax_exempt and (job.tax_total or Decimal(0)) > 0:
        return (f"Account '{facts.account.name}' became tax exempt after invoice {number} was issued with "
                f"{job.tax_total:,.2f} {facts.currency} of tax")
    return None


def _already_proposed(session: Session, *, deal_id: int, observed: Decimal) -> bool:
    rebills = session.exec(select(Correction).where(Correction.deal_id == deal_id,
                                                    Correction.kind == CorrectionKind.REBILL)
                           .order_by(col(Correction.id))).all()
    pending = {"proposed", "approved", "creating"}
    return any(rebill.status in pending or rebill.observed_total == observed for rebill in rebills)
