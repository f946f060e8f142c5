"""Sales tax on an Invoice or CreditMemo as QuickBooks computes it: line tax codes, TxnTaxDetail with TotalTax
and one TaxLine per rate, for the three company tax models (US automated sales tax, US manual, global VAT/GST).

Tax is computed on the lines' amounts before any discount (ApplyTaxAfterDiscount false). See the README's
QuickBooks emulator section for what is modelled and what is not.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from app.sandbox.quickbooks.books import RealmBook
from app.sandbox.quickbooks.faults import business_rule, invalid_reference, invalid_value
from app.sandbox.quickbooks.tax_rates import GLOBAL_CODES, ast_jurisdictions
from app.sandbox.quickbooks.values import CENT, as_amount, ref_id

US_CODES = ("TAX", "NON")
CALCULATIONS = ("TaxExcluded", "TaxInclusive", "NotApplicable")
HUNDRED = Decimal(100)


@dataclass
class Rate:
    rate_id: str
    percent: Decimal


@dataclass
class TaxResult:
    total: Decimal = Decimal("0.00")
    lines: list[dict[str, Any]] = field(default_factory=list)
    code_id: str | None = None


def line_tax_code(book: RealmBook, detail: dict[str, Any], item: dict[str, Any]) -> dict[str, str] | None:
    """The line's TaxCodeRef as sent, else the default: TAX/NON from the item's Taxable in a US company."""
    sent = ref_id(detail, "TaxCodeRef")
    if sent is not None:
        return {"value": sent}
    if book.company.is_us:
        return {"value": "TAX" if item.get("Taxable") is True else "NON"}
    return None


def apply_tax(book: RealmBook, obj: dict[str, Any], sales: list[dict[str, Any]], customer: dict[str, Any],
              now: datetime) -> Decimal:
    """Fill TxnTaxDetail (and GlobalTaxCalculation outside the US); lines of a tax-inclusive sale get their net
    Amount. Returns the total tax."""
    sent = obj.get("TxnTaxDetail")
    sent_detail: dict[str, Any] = sent if isinstance(sent, dict) else {}
    if book.company.is_us:
        obj.pop("GlobalTaxCalculation", None)
        result = _us_tax(book, obj, sales, customer, sent_detail, now)
    else:
        result = _global_tax(book, obj, sales)
    detail: dict[str, Any] = {"TotalTax": result.total}
    if result.code_id is not None:
        detail = {"TxnTaxCodeRef": {"value": result.code_id}, **detail}
    if result.lines:
        detail["TaxLine"] = result.lines
    obj["TxnTaxDetail"] = detail
    return result.total


# ---- United States ---------------------------------------------------------------------------------------

def _us_tax(book: RealmBook, obj: dict[str, Any], sales: list[dict[str, Any]], customer: dict[str, Any],
            sent: dict[str, Any], now: datetime) -> TaxResult:
    for line in sales:
        code = line["SalesItemLineDetail"]["TaxCodeRef"]["value"]
        if code not in US_CODES:
            raise invalid_value("Line.SalesItemLineDetail.TaxCodeRef", f"a US company's lines use TAX or NON, "
                                f"not {code!r}")
    base = sum((line["Amount"] for line in sales if line["SalesItemLineDetail"]["TaxCodeRef"]["value"] == "TAX"),
               Decimal("0.00"))
    if book.company.uses_automated_sales_tax:
        code_id, rates = _ast_rates(book, obj, now)
    else:
        code_id, rates = _sent_code(book, sent)
    if customer.get("Taxable") is False or not rates or base == 0:
        return TaxResult(code_id=code_id)
    explicit = sent.get("TotalTax") if book.company.uses_automated_sales_tax else None
    if explicit not in (None, "") and as_amount(explicit, "TxnTaxDetail.TotalTax") > 0:
        return _prorated(as_amount(explicit, "TxnTaxDetail.TotalTax"), base, rates, code_id)
    return _taxed({rate.rate_id: (rate.percent, base) for rate in rates}, code_id)


def _ast_rates(book: RealmBook, obj: dict[str, Any], now: datetime) -> tuple[str | None, list[Rate]]:
    """Destination-based: the sale's ship-to, else the company's own address (QuickBooks' rule)."""
    ship_to = obj.get("ShipAddr") if isinstance(obj.get("ShipAddr"), dict) and obj["ShipAddr"] else None
    address = ship_to or book.company.address
    found = ast_jurisdictions(address.get("CountrySubDivisionCode"), address.get("PostalCode"))
    if not found:
        return None, []
    rates = [Rate(_rate_row(book, place.name, place.percent, now), place.percent) for place in found]
    code_name = " + ".join(place.name for place in found)
    return _code_row(book, code_name, rates, now), rates


def _sent_code(book: RealmBook, sent: dict[str, Any]) -> tuple[str | None, list[Rate]]:
    code_id = ref_id(sent, "TxnTaxCodeRef")
    if code_id is None:
        return None, []
    return code_id, _rates_of(book, code_id, "TxnTaxDetail.TxnTaxCodeRef")


def _prorated(total: Decimal, base: Decimal, rates: list[Rate], code_id: str | None) -> TaxResult:
    """An explicit TotalTax is honoured and spread over the rates by their share (the last takes the rest)."""
    whole = sum((rate.percent for rate in rates), Decimal(0))
    lines, left = [], total
    for index, rate in enumerate(rates):
        share = left if index == len(rates) - 1 else (total * rate.percent / whole).quantize(CENT, ROUND_HALF_UP)
        left -= share
        lines.append(_tax_line(rate.rate_id, rate.percent, base, share))
    return TaxResult(total, lines, code_id)


# ---- VAT / GST -----------------------------------------------------------------------------------------

def _global_tax(book: RealmBook, obj: dict[str, Any], sales: list[dict[str, Any]]) -> TaxResult:
    calculation = str(obj.get("GlobalTaxCalculation") or "TaxExcluded")
    if calculation not in CALCULATIONS:
        raise invalid_value("GlobalTaxCalculation", f"must be one of {', '.join(CALCULATIONS)}")
    obj["GlobalTaxCalculation"] = calculation
    if calculation == "NotApplicable":
        return TaxResult()
    groups: dict[str, tuple[Decimal, Decimal]] = {}
    fixed_tax: dict[str, Decimal] = defaultdict(lambda: Decimal("0.00"))
    for line in sales:
        rates = _line_rates(book, line)
        if calculation == "TaxInclusive":
            _back_out_tax(line, rates, fixed_tax)
        for rate in rates:
            percent, net = groups.get(rate.rate_id, (rate.percent, Decimal("0.00")))
            groups[rate.rate_id] = (percent, net + line["Amount"])
    return _taxed(groups, None, fixed=fixed_tax if calculation == "TaxInclusive" else None)


def _line_rates(book: RealmBook, line: dict[str, Any]) -> list[Rate]:
    code = line["SalesItemLineDetail"].get("TaxCodeRef")
    if not code:
        tax = "VAT" if book.company.country == "GB" else "GST"
        raise business_rule(f"Make sure all your transactions have a {tax} rate before you save.")
    return _rates_of(book, str(code["value"]), "Line.SalesItemLineDetail.TaxCodeRef")


def _back_out_tax(line: dict[str, Any], rates: list[Rate], fixed_tax: dict[str, Decimal]) -> None:
    """TaxInclusive: the amount sent includes tax; QuickBooks stores the net Amount and the gross apart."""
    detail = line["SalesItemLineDetail"]
    gross = as_amount(detail.get("TaxInclusiveAmt", line["Amount"]), "TaxInclusiveAmt")
    whole = sum((rate.percent for rate in rates), Decimal(0))
    net = (gross * HUNDRED / (HUNDRED + whole)).quantize(CENT, ROUND_HALF_UP)
    line["Amount"], detail["TaxInclusiveAmt"] = net, gross
    left = gross - net
    for index, rate in enumerate(rates):
        share = left if index == len(rates) - 1 else (net * rate.percent / HUNDRED).quantize(CENT, ROUND_HALF_UP)
        left -= share
        fixed_tax[rate.rate_id] += share


# ---- shared ------------------------------------------------------------------------------------------------

def _taxed(groups: dict[str, tuple[Decimal, Decimal]], code_id: str | None, *,
           fixed: dict[str, Decimal] | None = None) -> TaxResult:
    lines, total = [], Decimal("0.00")
    for rate_id, (percent, base) in groups.items():
        amount = fixed[rate_id] if fixed is not None else (base * percent / HUNDRED).quantize(CENT, ROUND_HALF_UP)
        total += amount
        lines.append(_tax_line(rate_id, percent, base, amount))
    return TaxResult(total, lines, code_id)


def _tax_line(rate_id: str, percent: Decimal, base: Decimal, amount: Decimal) -> dict[str, Any]:
    return {"Amount": amount, "DetailType": "TaxLineDetail",
            "TaxLineDetail": {"TaxRateRef": {"value": rate_id}, "PercentBased": True, "TaxPercent": percent,
                              "NetAmountTaxable": base}}


def _rates_of(book: RealmBook, code_id: str, field_name: str) -> list[Rate]:
    code = book.find("TaxCode", code_id)
    if code is None:
        raise invalid_reference("TaxCode", code_id)
    details = (code.get("SalesTaxRateList") or {}).get("TaxRateDetail") or []
    rates = []
    for detail in details:
        row = book.find("TaxRate", detail["TaxRateRef"]["value"])
        if row is None:
            raise invalid_value(field_name, f"tax code {code_id} names a missing tax rate")
        rates.append(Rate(str(row["Id"]), Decimal(row["RateValue"])))
    return rates


def _rate_row(book: RealmBook, name: str, percent: Decimal, now: datetime) -> str:
    for row in book.rows("TaxRate"):
        if row["Name"] == name:
            return str(row["Id"])
    row = book.add_row("TaxRate", {"Name": name, "Description": f"{name} sales tax", "Active": True,
                                   "RateValue": percent, "SpecialTaxType": "NONE", "DisplayType": "ReadOnly"}, now)
    return str(row["Id"])


def _code_row(book: RealmBook, name: str, rates: list[Rate], now: datetime) -> str:
    for row in book.rows("TaxCode"):
        if row["Name"] == name:
            return str(row["Id"])
    details = [{"TaxRateRef": {"value": rate.rate_id}, "TaxTypeApplicable": "TaxOnAmount", "TaxOrder": 0}
               for rate in rates]
    row = book.add_row("TaxCode", {"Name": name, "Description": name, "Active": True, "Taxable": True,
                                   "TaxGroup": len(rates) > 1, "SalesTaxRateList": {"TaxRateDetail": details},
                                   "PurchaseTaxRateList": {"TaxRateDetail": []}}, now)
    return str(row["Id"])


def add_tax_code(book: RealmBook, name: str, rates: tuple[tuple[str, Decimal], ...], now: datetime, *,
                 description: str = "", taxable: bool = True) -> dict[str, Any]:
    """A sales tax code and its rates, as the company's tax setup makes them (TaxService, or seeding)."""
    rate_list = [Rate(_rate_row(book, rate_name, percent, now), percent) for rate_name, percent in rates]
    code_id = _code_row(book, name, rate_list, now)
    code = book.objects["TaxCode"][code_id]
    code.update(Description=description or name, Taxable=taxable)
    return dict(code)


def seed_global_codes(book: RealmBook, now: datetime) -> None:
    """The codes a new company of this country starts with (tax_rates.GLOBAL_CODES)."""
    for seed in GLOBAL_CODES.get(book.company.country, ()):
        add_tax_code(book, seed.name, seed.rates, now, description=seed.description, taxable=seed.taxable)
