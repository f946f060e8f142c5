"""Tax and currency on the way to QuickBooks: the sale's tax codes (names resolved to QuickBooks ids), the new
customer's tax status, addresses and currency, and the check that a customer is billed in the deal's currency."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from app.deals.facts import AccountFacts, DealFacts
from app.deals.tax import customer_tax, tax_treatment
from app.errors import IntegrationError
from app.integrations.quickbooks_models import QboAddress, QboCustomerDraft, QboCustomerTax
from app.policy import Policy, TaxModel


class MappingFailed(IntegrationError):
    """The policy or QuickBooks lacks an item, term or tax code this deal needs; a person must fix the mapping."""

    def __init__(self, message: str, *, code: str) -> None:
        super().__init__(message, vendor="quickbooks", code=code, retryable=False)


class TaxCodes(Protocol):
    def find_tax_code_by_name(self, name: str) -> str | None: ...


@dataclass(frozen=True)
class SaleTax:
    """What the invoice carries: a TaxCodeRef per line (None: none sent), the transaction's code, the calculation."""

    line_codes: tuple[str | None, ...]
    transaction_code: str | None = None
    calculation: str | None = None

    @property
    def inclusive(self) -> bool:
        return self.calculation == "TaxInclusive"


def sale_tax(deal: DealFacts, *, policy: Policy, quickbooks: TaxCodes) -> SaleTax:
    """No tax policy: no codes (QuickBooks' defaults). Otherwise the treatment, with names turned into ids."""
    if policy.tax is None:
        return SaleTax(line_codes=tuple(None for _ in deal.lines))
    treatment = tax_treatment(deal, policy.tax)
    if treatment.problems:
        raise MappingFailed(treatment.problems[0].message, code=treatment.problems[0].code)
    if treatment.model is TaxModel.US_AUTOMATED:
        return SaleTax(line_codes=treatment.line_codes)
    if treatment.model is TaxModel.US_MANUAL:
        code = _code_id(quickbooks, treatment.transaction_code) if treatment.transaction_code else None
        return SaleTax(line_codes=treatment.line_codes, transaction_code=code)
    ids = tuple(_code_id(quickbooks, name) for name in treatment.line_codes)
    return SaleTax(line_codes=ids, calculation=treatment.calculation)


def customer_draft(deal: DealFacts, *, display_name: str, policy: Policy) -> QboCustomerDraft:
    """A new customer as the account describes it; with a tax policy, its tax status and ship-to too."""
    account = deal.account
    tax = customer_tax(account, policy.tax) if policy.tax is not None else None
    return QboCustomerDraft(
        display_name, company_name=display_name, email=account.billing_email, billing_address=billing_address(account),
        shipping_address=shipping_address(account) if policy.tax is not None else None,
        tax=QboCustomerTax(tax.taxable, tax.exemption_reason_id, tax.resale_number) if tax else None,
        currency=foreign_currency(deal, policy))


def foreign_currency(deal: DealFacts, policy: Policy) -> str | None:
    """CurrencyRef is sent only for a currency other than the home one (a company without multicurrency
    refuses any CurrencyRef but its own)."""
    return deal.currency if deal.currency != policy.currency.home else None


def check_customer_currency(*, deal: DealFacts, customer_name: str, customer_currency: str | None,
                            policy: Policy) -> None:
    theirs = customer_currency or policy.currency.home
    if theirs == deal.currency:
        return
    raise MappingFailed(
        f"The opportunity is in {deal.currency} but QuickBooks customer '{customer_name}' is billed in {theirs}, "
        f"and a QuickBooks customer has one currency. Fix: change the opportunity's currency to {theirs} in "
        f"Salesforce, or have finance create a {deal.currency} customer in QuickBooks and bill the deal from a "
        "Salesforce account with that customer's exact name; then press Retry.",
        code=f"invalid_field:currency:{deal.currency}")


def check_customer_taxability(*, deal: DealFacts, customer_name: str, taxable: bool | None, policy: Policy) -> None:
    """An exempt account billed to a taxable QuickBooks customer (or the reverse) would tax the invoice wrongly."""
    if policy.tax is None or taxable is None or deal.account.tax_exempt is None:
        return
    if taxable == (not deal.account.tax_exempt):
        return
    said = "tax exempt" if deal.account.tax_exempt else "taxable"
    raise MappingFailed(
        f"Account '{deal.account.name}' is {said} in Salesforce but QuickBooks customer '{customer_name}' is "
        f"{'taxable' if taxable else 'exempt'}. Fix: correct Tax Exempt in Salesforce, or have finance change the "
        "customer's tax status in QuickBooks; then press Retry.", code="invalid_field:taxability")


def billing_address(account: AccountFacts) -> QboAddress:
    return QboAddress(line1=account.billing_street, city=account.billing_city, region=account.billing_state,
                      postal_code=account.billing_postal_code, country=account.billing_country)


def shipping_address(account: AccountFacts) -> QboAddress:
    """The ship-to, else the bill-to (destination-based sales tax needs one)."""
    if not any((account.shipping_street, account.shipping_city, account.shipping_postal_code,
                account.shipping_country)):
        return billing_address(account)
    return QboAddress(line1=account.shipping_street, city=account.shipping_city, region=account.shipping_state,
                      postal_code=account.shipping_postal_code, country=account.shipping_country)


def _code_id(quickbooks: TaxCodes, name: str) -> str:
    found = quickbooks.find_tax_code_by_name(name)
    if found is None:
        raise MappingFailed(f"QuickBooks has no tax code named '{name}' (from the policy's tax.codes): create it "
                            "in QuickBooks or correct the policy, then press Retry",
                            code=f"unmapped_tax:quickbooks:{name}")
    return found
