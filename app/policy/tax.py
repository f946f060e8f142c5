"""Policy for tax treatment and currency: which tax model the QuickBooks company uses, each product's tax
category, the tax code per region and category, and the company's home currency."""
from __future__ import annotations

import re
from collections.abc import Mapping
from enum import StrEnum
from typing import Annotated, TypeVar

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator

from app.policy.fields import NonEmptyText, Slug, policy_error

T = TypeVar("T")
NON_TAXABLE = "non_taxable"
"""The category whose lines are never taxed (QuickBooks US code NON)."""
_REGION = re.compile(r"[A-Z]{2}(-[A-Z0-9]{1,3})?")
_CURRENCY = re.compile(r"[A-Z]{3}")


def _region(value: str) -> str:
    if not _REGION.fullmatch(value):
        raise policy_error(f"{value!r} is not a region: write an ISO country code like 'GB', or a country and "
                           "state or province like 'US-CA' or 'CA-ON'")
    return value


def _currency(value: str) -> str:
    if not _CURRENCY.fullmatch(value):
        raise policy_error(f"{value!r} is not an ISO 4217 currency code like 'USD' or 'EUR'")
    return value


RegionKey = Annotated[str, AfterValidator(_region)]
CurrencyCode = Annotated[str, AfterValidator(_currency)]
ExemptionReasonId = Annotated[int, Field(ge=1, le=15)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class TaxModel(StrEnum):
    US_AUTOMATED = "us_automated"
    """United States with automated sales tax: lines are TAX or NON; QuickBooks computes the tax."""
    US_MANUAL = "us_manual"
    """United States without automated sales tax: lines TAX or NON, and one tax code per invoice by region."""
    GLOBAL = "global"
    """VAT/GST: a tax code on every line, by region and category; amounts exclusive or inclusive of tax."""


class TaxCalculation(StrEnum):
    EXCLUSIVE = "exclusive"
    INCLUSIVE = "inclusive"

    @property
    def quickbooks(self) -> str:
        return "TaxInclusive" if self is TaxCalculation.INCLUSIVE else "TaxExcluded"


class TaxPolicy(_Strict):
    model: TaxModel
    calculation: TaxCalculation = TaxCalculation.EXCLUSIVE
    default_category: Slug = "taxable"
    product_categories: dict[NonEmptyText, Slug] = {}
    codes: dict[RegionKey, dict[Slug, NonEmptyText]] = {}
    exemption_reasons: dict[NonEmptyText, ExemptionReasonId] = {}

    @model_validator(mode="after")
    def _fits_the_model(self) -> TaxPolicy:
        if self.model is TaxModel.US_AUTOMATED and self.codes:
            raise policy_error("automated sales tax picks the codes itself: leave 'codes' out for us_automated",
                               at=".codes")
        if self.model is not TaxModel.GLOBAL and self.calculation is TaxCalculation.INCLUSIVE:
            raise policy_error("US sales tax is always added on top: 'inclusive' needs model 'global'",
                               at=".calculation")
        if self.model is not TaxModel.US_AUTOMATED and not self.codes:
            raise policy_error(f"model {self.model.value} needs 'codes': the QuickBooks tax code per region "
                               "and category", at=".codes")
        return self

    def category_for(self, *, product_name: str | None, product_code: str | None) -> str:
        """A ProductCode match wins over a name match, as in mappings.products."""
        return (_lookup(self.product_categories, product_code) or _lookup(self.product_categories, product_name)
                or self.default_category)

    def code_for(self, region_keys: tuple[str, ...], category: str) -> str | None:
        for key in region_keys:
            found = self.codes.get(key, {}).get(category)
            if found is not None:
                return found
        return None

    def exemption_reason_id(self, reason: str | None) -> int | None:
        return _lookup(self.exemption_reasons, reason)


class CurrencyPolicy(_Strict):
    home: CurrencyCode = "USD"
    """The QuickBooks company's home currency; an org without multi-currency is taken to sell in it."""


def _lookup(mapping: Mapping[str, T], name: str | None) -> T | None:
    if not name:
        return None
    wanted = " ".join(name.split()).casefold()
    return next((value for key, value in mapping.items() if " ".join(key.split()).casefold() == wanted), None)
