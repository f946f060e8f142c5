"""From a billable deal to a QuickBooks invoice draft (pure): items, terms, DocNumber, Decimal amounts."""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from app.deals.facts import DealFacts, LineFacts
from app.integrations.quickbooks_models import InvoiceDraft, InvoiceLineDraft, QboAddress
from app.policy import InvoiceNumbering, Policy

CENT = Decimal("0.01")
IDEMPOTENCY_PREFIX = "lb-inv-"


@dataclass(frozen=True)
class MappingProblem:
    code: str
    message: str


def doc_number_for(opportunity_id: str) -> str:
    """QuickBooks DocNumber (at most 21 characters): the 18-character opportunity id, stable across retries."""
    return opportunity_id[:21]


def uses_custom_doc_numbers(policy: Policy) -> bool:
    """Whether invoices carry our own DocNumber (`invoice_number: opportunity`), which QuickBooks keeps only with
    Custom transaction numbers on; with `quickbooks` no DocNumber is sent and QuickBooks numbers each invoice."""
    return policy.invoice_number == InvoiceNumbering.OPPORTUNITY


def key_marker(idempotency_key: str) -> str:
    """How an invoice's PrivateNote carries its idempotency key: bracketed, so no key matches inside another
    (`[lb-inv-X]` is not found in `[lb-inv-X-M1]`)."""
    return f"[{idempotency_key}]"


def carries_key(private_note: str | None, idempotency_key: str) -> bool:
    return key_marker(idempotency_key) in (private_note or "")


def idempotency_key_for(opportunity_id: str) -> str:
    """One key per deal, sent as QuickBooks `requestid` (at most 50 characters)."""
    return f"{IDEMPOTENCY_PREFIX}{opportunity_id}"


def customer_request_id_for(account_id: str) -> str:
    return f"lb-cus-{account_id}"


def item_names(deal: DealFacts, policy: Policy) -> tuple[dict[str, str], list[MappingProblem]]:
    """QuickBooks item name per line label, and a problem per product the policy does not map."""
    names, problems = {}, []
    for line in deal.lines:
        item = policy.mappings.quickbooks_item_for(product_name=line.product_name, product_code=line.product_code)
        if item is None:
            problems.append(MappingProblem(f"unmapped_product:{line.product_code or line.label}",
                                           f"Product '{line.label}' has no QuickBooks item in the policy mappings"))
        else:
            names[line.label] = item
    return names, problems


def term_name(deal: DealFacts, policy: Policy) -> tuple[str | None, list[MappingProblem]]:
    if not deal.payment_terms:
        return None, []
    name = policy.mappings.quickbooks_term_for(deal.payment_terms)
    if name is None:
        return None, [MappingProblem(f"unmapped_terms:{deal.payment_terms}",
                                     f"Payment terms '{deal.payment_terms}' have no QuickBooks term in the policy")]
    return name, []


def invoice_draft(deal: DealFacts, *, customer_id: str, item_ids: Mapping[str, str], term_id: str | None,
                  txn_date: date, extras: SaleExtras | None = None, idempotency_key: str | None = None,
                  own_number: bool = True) -> InvoiceDraft:
    """The draft QuickBooks receives. Each line's amount is Salesforce's TotalPrice, exactly (tax comes on top,
    or is inside it when the policy says amounts are tax-inclusive). `own_number`: DocNumber is the opportunity
    id, else none is sent and QuickBooks numbers it. The PrivateNote carries the idempotency key, so the invoice
    is found again after a lost answer whichever numbering is used."""
    note = f"Salesforce opportunity {deal.opportunity_id} ({deal.name})"
    if idempotency_key:
        note = f"{key_marker(idempotency_key)} {note}"
    extras = extras or SaleExtras(line_codes=tuple(None for _ in deal.lines))
    lines = tuple(replace(_line(line, item_ids[line.label]), tax_code=code, tax_inclusive=extras.inclusive)
                  for line, code in zip(deal.lines, extras.line_codes, strict=True))
    return InvoiceDraft(
        customer_id=customer_id, doc_number=doc_number_for(deal.opportunity_id) if own_number else None,
        txn_date=txn_date, lines=lines, terms_id=term_id, private_note=note[:4000],
        customer_memo=f"PO {deal.po_number}" if deal.po_number else None,
        currency=extras.currency, global_tax_calculation=extras.calculation,
        transaction_tax_code=extras.transaction_code, bill_address=extras.bill_address,
        ship_address=extras.ship_address,
    )


@dataclass(frozen=True)
class SaleExtras:
    """Tax codes (one per deal line), currency and addresses an invoice carries beyond its lines."""

    line_codes: tuple[str | None, ...]
    transaction_code: str | None = None
    calculation: str | None = None
    currency: str | None = None
    bill_address: QboAddress | None = None
    ship_address: QboAddress | None = None

    @property
    def inclusive(self) -> bool:
        return self.calculation == "TaxInclusive"


def _line(line: LineFacts, item_id: str) -> InvoiceLineDraft:
    description = line.label
    if line.discount_percent:
        description += f" ({line.discount_percent.normalize():f}% discount)"
    quantity, unit_price = _quantity_and_unit_price(line.total_price, line.quantity)
    if quantity != line.quantity:
        description += f" ({line.quantity.normalize():f} units)"
    return InvoiceLineDraft(item_id=item_id, description=description, quantity=quantity,
                            unit_price=unit_price, amount=line.total_price)


def _quantity_and_unit_price(total: Decimal, quantity: Decimal) -> tuple[Decimal, Decimal]:
    """QuickBooks refuses a line whose Qty x UnitPrice does not round to its Amount (6070).

    Net unit prices after a discount rarely divide evenly: use the fewest places that work, up to 7
    (QuickBooks' unit price precision), else bill the line as one unit at its total and keep the
    real quantity in the description.
    """
    for places in range(2, 8):
        unit_price = (total / quantity).quantize(Decimal(1).scaleb(-places))
        if (quantity * unit_price).quantize(CENT, rounding=ROUND_HALF_UP) == total:
            return quantity, unit_price
    return Decimal(1), total
