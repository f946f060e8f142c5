"""What a proposed correction is worth and whether it may be proposed (pure): checked against the invoice as
QuickBooks has it, before anyone is asked to approve it."""
from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from app.integrations.quickbooks_models import QboInvoice
from app.invoicing.correction_models import CorrectionKind
from app.policy import Policy

CENT = Decimal("0.01")
MIN_REASON = 5
MAX_REASON = 1000


class ProposalRefused(ValueError):
    """The proposal cannot be made as it stands; the message says why and what would do."""


@dataclass(frozen=True)
class Proposal:
    """What a finance user asked for: `line_indexes` for a line credit, `amount` for an amount credit."""

    kind: CorrectionKind
    reason: str
    root_cause: str | None
    line_indexes: tuple[int, ...] = ()
    amount: Decimal | None = None


@dataclass(frozen=True)
class Valued:
    """The proposal valued against the invoice: `amount` decides the approver; `estimate` includes tax."""

    amount: Decimal
    estimate: Decimal
    lines: tuple[dict[str, object], ...] = ()


def value_proposal(proposal: Proposal, invoice: QboInvoice, policy: Policy) -> Valued:
    _check_words(proposal, policy)
    if invoice.balance <= 0:
        raise ProposalRefused(f"Invoice {invoice.doc_number or invoice.id} has no open balance: a credit would "
                              "need a refund, which Ledgerbridge does not make")
    if proposal.kind is CorrectionKind.WRITE_OFF:
        return Valued(invoice.balance, invoice.balance)
    if proposal.line_indexes:
        return _line_credit(proposal, invoice)
    if proposal.amount is None or proposal.amount <= 0:
        raise ProposalRefused("Pick the invoice lines to credit, or give an amount more than zero")
    if proposal.amount > invoice.balance:
        raise ProposalRefused(f"A credit of {proposal.amount:,.2f} is more than the invoice's open balance "
                              f"{invoice.balance:,.2f}")
    return Valued(proposal.amount.quantize(CENT), proposal.amount.quantize(CENT))


def _line_credit(proposal: Proposal, invoice: QboInvoice) -> Valued:
    if any(index < 0 or index >= len(invoice.lines) for index in proposal.line_indexes):
        raise ProposalRefused("The invoice's lines changed since the form opened: open it again")
    chosen = [(index, invoice.lines[index]) for index in sorted(set(proposal.line_indexes))]
    net = sum((line.amount for _, line in chosen), Decimal("0.00"))
    all_net = sum((line.amount for line in invoice.lines), Decimal("0.00"))
    share = (invoice.total_tax * net / all_net).quantize(CENT, ROUND_HALF_UP) if all_net else Decimal("0.00")
    if net + share > invoice.balance:
        raise ProposalRefused(f"Those lines come to about {net + share:,.2f} with tax, more than the invoice's open "
                              f"balance {invoice.balance:,.2f}: credit an amount instead")
    lines = tuple({"index": index, "label": line.description or f"line {index + 1}", "amount": str(line.amount)}
                  for index, line in chosen)
    return Valued(net, net + share, lines)


def _check_words(proposal: Proposal, policy: Policy) -> None:
    if len(proposal.reason.strip()) < MIN_REASON:
        raise ProposalRefused(f"Give a reason of at least {MIN_REASON} characters")
    known = {cause.key for cause in policy.root_causes}
    if known and proposal.root_cause not in known:
        raise ProposalRefused("Pick a root cause from the policy's list")


def ask_text(kind: CorrectionKind, amount: Decimal, currency: str, invoice_number: str, lines: int) -> str:
    what = {CorrectionKind.CREDIT_MEMO: "Credit memo", CorrectionKind.WRITE_OFF: "Write-off",
            CorrectionKind.REBILL: "Credit and re-invoice"}[kind]
    of = f" for {lines} line{'s' if lines != 1 else ''}" if lines else ""
    return f"{what} of {amount:,.2f} {currency}{of} on invoice {invoice_number}"


def doc_number_for(opportunity_id: str, number: int) -> str:
    """The credit memo's DocNumber (at most 21 characters): the opportunity's 15-character id and the count."""
    return f"{opportunity_id[:15]}-C{number}"


def rebill_doc_number_for(opportunity_id: str, number: int) -> str:
    return f"{opportunity_id[:15]}-R{number}"


def idempotency_key_for(opportunity_id: str, number: int) -> str:
    """Sent as `requestid` (at most 50 characters); the application and the rebill derive theirs from it."""
    return f"lb-cm-{opportunity_id}-{number}"
