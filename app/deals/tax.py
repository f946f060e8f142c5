"""How a deal is taxed under the policy (pure): each line's tax code, the invoice's tax code, the calculation,
the customer's taxability, and every mapping the policy lacks (each becomes one exception naming it).

- us_automated: each line TAX or NON by its product's category (category `non_taxable` is NON; every line of a
  tax-exempt account is NON, so a corrected invoice is untaxed even for a QuickBooks customer still taxable);
  QuickBooks computes the tax from the ship-to.
- us_manual: lines TAX or NON as above, and the invoice's one tax code from `tax.codes` by ship-to region.
- global (VAT/GST): every line's tax code from `tax.codes` by ship-to region and the product's category.
"""
from __future__ import annotations

from dataclasses import dataclass

from app.deals.facts import AccountFacts, DealFacts, LineFacts
from app.deals.regions import Region, ship_to_region
from app.policy import NON_TAXABLE, TaxModel, TaxPolicy


@dataclass(frozen=True, slots=True)
class TaxProblem:
    code: str
    message: str


@dataclass(frozen=True, slots=True)
class CustomerTax:
    """What the QuickBooks customer is created with."""

    taxable: bool
    exemption_reason_id: int | None = None
    resale_number: str | None = None


@dataclass(frozen=True, slots=True)
class TaxTreatment:
    """`line_codes[i]` is "TAX"/"NON" (US) or a QuickBooks tax code *name* (global), for `deal.lines[i]`."""

    model: TaxModel
    line_codes: tuple[str, ...]
    transaction_code: str | None = None
    calculation: str | None = None
    region: Region | None = None
    problems: tuple[TaxProblem, ...] = ()


def tax_treatment(deal: DealFacts, tax: TaxPolicy) -> TaxTreatment:
    region = ship_to_region(deal.account)
    categories = [tax.category_for(product_name=line.product_name, product_code=line.product_code)
                  for line in deal.lines]
    problems = list(_exemption_problems(deal.account, tax))
    if deal.account.tax_exempt and tax.model is not TaxModel.GLOBAL:
        categories = [NON_TAXABLE] * len(categories)   # an exempt sale is NON even for a customer still taxable
    if tax.model is TaxModel.US_AUTOMATED:
        codes = tuple("NON" if category == NON_TAXABLE else "TAX" for category in categories)
        return TaxTreatment(tax.model, codes, region=region, problems=tuple(problems))
    if region is None:
        problems.append(TaxProblem("missing_field:tax_region", f"The ship-to country of account "
                                   f"'{deal.account.name}' is missing: fill its Shipping (or Billing) Country so "
                                   "the tax code can be chosen"))
        return TaxTreatment(tax.model, (), region=None, problems=tuple(problems))
    if tax.model is TaxModel.US_MANUAL:
        return _us_manual(deal, tax, region, categories, problems)
    codes = tuple(_mapped(tax, region, category, line, problems) for line, category in zip(deal.lines, categories,
                                                                                           strict=True))
    return TaxTreatment(tax.model, codes, calculation=tax.calculation.quickbooks, region=region,
                        problems=tuple(problems))


def customer_tax(account: AccountFacts, tax: TaxPolicy | None) -> CustomerTax:
    """Taxable unless the account says it is exempt; an exempt customer carries its reason and resale number."""
    if not account.tax_exempt:
        return CustomerTax(taxable=True)
    reason = tax.exemption_reason_id(account.tax_exemption_reason) if tax else None
    return CustomerTax(taxable=False, exemption_reason_id=reason, resale_number=account.resale_number or None)


def _us_manual(deal: DealFacts, tax: TaxPolicy, region: Region, categories: list[str],
               problems: list[TaxProblem]) -> TaxTreatment:
    codes = tuple("NON" if category == NON_TAXABLE else "TAX" for category in categories)
    taxed = [(line, category) for line, category in zip(deal.lines, categories, strict=True)
             if category != NON_TAXABLE]
    chosen = {_mapped(tax, region, category, line, problems) for line, category in taxed}
    chosen.discard("")
    if len(chosen) > 1:
        problems.append(TaxProblem(f"unmapped_tax:{region}:several", f"The taxable products of '{deal.name}' map "
                                   f"to several tax codes for {region} ({', '.join(sorted(chosen))}): a US invoice "
                                   "without automated sales tax has one tax code; map them to one in tax.codes"))
    code = next(iter(chosen)) if len(chosen) == 1 else None
    return TaxTreatment(tax.model, codes, transaction_code=code, region=region, problems=tuple(problems))


def _mapped(tax: TaxPolicy, region: Region, category: str, line: LineFacts, problems: list[TaxProblem]) -> str:
    code = tax.code_for(region.keys, category)
    if code is None:
        problems.append(TaxProblem(
            f"unmapped_tax:{region}:{category}",
            f"No QuickBooks tax code for ship-to region {region} and tax category '{category}' (product "
            f"'{line.label}'): add tax.codes.{region}.{category} (or tax.codes.{region.country}.{category}) to the "
            "policy"))
        return ""
    return code


def _exemption_problems(account: AccountFacts, tax: TaxPolicy) -> list[TaxProblem]:
    reason = (account.tax_exemption_reason or "").strip()
    if account.tax_exempt and reason and tax.exemption_reason_id(reason) is None:
        return [TaxProblem(f"unmapped_tax:exemption:{reason}",
                           f"Account '{account.name}' is tax exempt for '{reason}', which has no QuickBooks "
                           "exemption reason in the policy: add it to tax.exemption_reasons")]
    return []
