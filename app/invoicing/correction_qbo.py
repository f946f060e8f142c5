"""A correction's QuickBooks calls (no transaction): the credit memo, its application to the invoice, and for a
rebill the corrected invoice. Each write carries its own `requestid` derived from the correction's key, and any
attempt after the first looks up what an earlier attempt may have made (a lost answer) before sending again."""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal
from typing import Any, Protocol

from app.deals.regions import ship_to_region
from app.integrations.quickbooks_credits import CreditApplication, QboCreditMemo
from app.integrations.quickbooks_models import (
    InvoiceDraft,
    InvoiceLineDraft,
    QboAddress,
    QboCustomer,
    QboInvoice,
    QboInvoiceLine,
)
from app.invoicing import service as invoicing
from app.invoicing.correction_models import CorrectionKind
from app.invoicing.correction_rules import rebill_doc_number_for
from app.invoicing.corrections import CorrectionPlan
from app.invoicing.taxes import MappingFailed
from app.policy import NON_TAXABLE, Policy, TaxModel


class CorrectionQuickBooks(invoicing.QuickBooks, Protocol):
    def get_invoice(self, invoice_id: str) -> QboInvoice: ...
    def create_credit_memo(self, draft: InvoiceDraft, *, request_id: str) -> QboCreditMemo: ...
    def get_credit_memo(self, credit_memo_id: str) -> QboCreditMemo: ...
    def find_credit_memo_by_doc_number(self, doc_number: str) -> QboCreditMemo | None: ...
    def apply_credit_memo(self, application: CreditApplication, *, request_id: str) -> str: ...
    def get_customer(self, customer_id: str) -> QboCustomer: ...
    def sparse_update_customer(self, customer_id: str, sync_token: str, fields: Mapping[str, Any], *,
                               request_id: str) -> QboCustomer: ...


@dataclass(frozen=True)
class CorrectionOutcome:
    credit_memo: QboCreditMemo
    payment_id: str | None
    invoice: QboInvoice
    """The corrected invoice as QuickBooks has it now (its balance after the credit)."""
    rebill: QboInvoice | None = None
    adopted: bool = False


def make_correction(plan: CorrectionPlan, *, quickbooks: CorrectionQuickBooks, policy: Policy,
                    txn_date: date) -> CorrectionOutcome:
    invoice = quickbooks.get_invoice(plan.invoice_id)
    if plan.kind is CorrectionKind.REBILL:
        _customer_taxable_again(plan, invoice, quickbooks=quickbooks, policy=policy)
    found = quickbooks.find_credit_memo_by_doc_number(plan.doc_number) if plan.attempt > 1 else None
    memo = found or quickbooks.create_credit_memo(
        credit_memo_draft(plan, invoice, quickbooks=quickbooks, policy=policy, txn_date=txn_date),
        request_id=plan.idempotency_key)
    payment_id = _apply(plan, memo, invoice, quickbooks)
    rebill = _rebill(plan, quickbooks=quickbooks, policy=policy, txn_date=txn_date) \
        if plan.kind is CorrectionKind.REBILL else None
    return CorrectionOutcome(memo, payment_id, quickbooks.get_invoice(plan.invoice_id), rebill, adopted=bool(found))


def _customer_taxable_again(plan: CorrectionPlan, invoice: QboInvoice, *, quickbooks: CorrectionQuickBooks,
                            policy: Policy) -> None:
    """An account taxable again under automated sales tax: QuickBooks' customer is made taxable (its exemption
    reason cleared) before the corrected invoice, so QuickBooks taxes it. Read first on every attempt, so the update
    is sent once however often the correction is tried."""
    automated = policy.tax is not None and policy.tax.model is TaxModel.US_AUTOMATED
    if not automated or plan.facts.account.tax_exempt is not False:
        return
    customer = quickbooks.get_customer(invoice.customer_id)
    if customer.taxable is not False:
        return
    quickbooks.sparse_update_customer(customer.id, customer.sync_token,
                                      {"Taxable": True, "TaxExemptionReasonId": None, "ResaleNum": None},
                                      request_id=f"{plan.idempotency_key}-t")


def credit_memo_draft(plan: CorrectionPlan, invoice: QboInvoice, *, quickbooks: CorrectionQuickBooks,
                      policy: Policy, txn_date: date) -> InvoiceDraft:
    inclusive = invoice.tax_calculation == "TaxInclusive"
    if plan.kind is CorrectionKind.REBILL:
        untaxed = policy.tax is not None and policy.tax.model is TaxModel.US_AUTOMATED and invoice.total_tax == 0
        lines = tuple(_credited(line, inclusive, untaxed=untaxed) for line in invoice.lines)
    elif plan.line_indexes:
        lines = tuple(_credited(invoice.lines[index], inclusive) for index in plan.line_indexes)
    else:
        amount = invoice.balance if plan.kind is CorrectionKind.WRITE_OFF else plan.amount
        lines = (_amount_line(plan, amount, quickbooks=quickbooks, policy=policy, inclusive=inclusive),)
    manual = policy.tax is not None and policy.tax.model is TaxModel.US_MANUAL
    return InvoiceDraft(
        customer_id=invoice.customer_id, doc_number=plan.doc_number, txn_date=txn_date, lines=lines,
        private_note=f"Correction {plan.number} of invoice {invoice.doc_number or invoice.id}: {plan.reason}"[:4000],
        currency=invoice.currency if invoice.currency not in (None, policy.currency.home) else None,
        global_tax_calculation=invoice.tax_calculation,
        transaction_tax_code=invoice.transaction_tax_code if manual else None, ship_address=invoice.ship_address)


def _credited(line: QboInvoiceLine, inclusive: bool, *, untaxed: bool = False) -> InvoiceLineDraft:
    """`untaxed`: the invoice carried no tax, so neither does its credit (its customer may be taxable by now)."""
    quantity, price = line.quantity or Decimal(1), line.unit_price
    return InvoiceLineDraft(item_id=line.item_id, description=f"Credit: {line.description or 'invoice line'}"[:4000],
                            quantity=quantity, unit_price=price if price is not None else line.amount,
                            amount=line.amount, tax_code="NON" if untaxed else line.tax_code,
                            tax_inclusive=inclusive)


def _amount_line(plan: CorrectionPlan, amount: Decimal, *, quickbooks: CorrectionQuickBooks, policy: Policy,
                 inclusive: bool) -> InvoiceLineDraft:
    """An amount credit or a write-off: one line of the policy's credit or bad-debt item, never taxed again in
    the US (the amount already includes any tax); elsewhere the item's tax category decides its code."""
    assert policy.corrections is not None                   # a correction exists only with the policy section
    name = policy.corrections.bad_debt_item if plan.kind is CorrectionKind.WRITE_OFF else \
        policy.corrections.credit_item
    item = quickbooks.find_item_by_name(name)
    if item is None:
        raise MappingFailed(f"QuickBooks has no item named '{name}' (policy corrections): create it, then press "
                            "Retry", code=f"unmapped_product:{name}")
    label = "Write-off of the unpaid balance" if plan.kind is CorrectionKind.WRITE_OFF else "Credit"
    return InvoiceLineDraft(item_id=item.id, description=f"{label}: {plan.reason}"[:4000], quantity=Decimal(1),
                            unit_price=amount, amount=amount, tax_code=_amount_tax_code(plan, name, quickbooks, policy),
                            tax_inclusive=inclusive)


def _amount_tax_code(plan: CorrectionPlan, item_name: str, quickbooks: CorrectionQuickBooks,
                     policy: Policy) -> str | None:
    tax = policy.tax
    if tax is None:
        return None
    if tax.model is not TaxModel.GLOBAL:
        return "NON"
    region = ship_to_region(plan.facts.account)
    category = tax.category_for(product_name=item_name, product_code=None)
    code = tax.code_for(region.keys, category) if region else None
    if code is None or category == NON_TAXABLE:
        raise MappingFailed(f"No tax code for '{item_name}' (category '{category}') in region {region}: add it to "
                            "tax.codes and press Retry", code=f"unmapped_tax:{region}:{category}")
    found = quickbooks.find_tax_code_by_name(code)
    if found is None:
        raise MappingFailed(f"QuickBooks has no tax code named '{code}'", code=f"unmapped_tax:quickbooks:{code}")
    return found


def _apply(plan: CorrectionPlan, memo: QboCreditMemo, invoice: QboInvoice,
           quickbooks: CorrectionQuickBooks) -> str | None:
    """Apply what the credit memo has left, up to the invoice's open balance (a credit memo found again may be
    applied already: then its payment is the one)."""
    amount = min(memo.remaining_credit, invoice.balance)
    if amount <= 0:
        return memo.payment_ids[0] if memo.payment_ids else None
    application = CreditApplication(customer_id=invoice.customer_id, invoice_id=invoice.id, credit_memo_id=memo.id,
                                    amount=amount, reference=plan.doc_number)
    return quickbooks.apply_credit_memo(application, request_id=f"{plan.idempotency_key}-a")


def _rebill(plan: CorrectionPlan, *, quickbooks: CorrectionQuickBooks, policy: Policy, txn_date: date) -> QboInvoice:
    """The corrected invoice, from the deal as Salesforce has it now, under its own number and requestid."""
    doc_number = rebill_doc_number_for(plan.facts.opportunity_id, plan.number)
    if plan.attempt > 1:
        existing = quickbooks.find_invoice_by_doc_number(doc_number)
        if existing is not None:
            return existing
    invoice_plan = invoicing.InvoicePlan(
        job_id=plan.job_id, deal_id=plan.deal_id, attempt=plan.attempt, idempotency_key=f"{plan.idempotency_key}-r",
        facts=plan.facts, account_name=plan.facts.account.name, qbo_customer_id=plan.customer_id,
        billing_address=QboAddress(), qbo_currency=plan.currency)
    prepared = invoicing.prepare_invoice(invoice_plan, quickbooks=quickbooks, policy=policy, txn_date=txn_date)
    return quickbooks.create_invoice(replace(prepared.draft, doc_number=doc_number),
                                     request_id=invoice_plan.idempotency_key)
