"""The emulator's small tax tables (illustrative rates, not a real tax engine's): automated sales tax by US
ship-to state and postal-code prefix, and the VAT/GST codes a new non-US company starts with."""
from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal


@dataclass(frozen=True)
class Jurisdiction:
    """One rate automated sales tax adds for a ship-to: a state's, or a local one for postal codes with `prefix`."""

    name: str
    percent: Decimal
    prefix: str | None = None


AST_TABLE: dict[str, tuple[Jurisdiction, ...]] = {
    "CA": (Jurisdiction("California", Decimal("7.25")),
           Jurisdiction("Santa Clara County", Decimal("2.0"), "950"),
           Jurisdiction("San Francisco", Decimal("1.375"), "941")),
    "AZ": (Jurisdiction("Arizona", Decimal("5.6")), Jurisdiction("Tucson", Decimal("2.6"), "857")),
    "NY": (Jurisdiction("New York State", Decimal("4.0")), Jurisdiction("New York City", Decimal("4.875"), "100")),
    "TX": (Jurisdiction("Texas", Decimal("6.25")), Jurisdiction("Austin", Decimal("2.0"), "787")),
    "WA": (Jurisdiction("Washington", Decimal("6.5")), Jurisdiction("Seattle", Decimal("3.85"), "981")),
    "MA": (Jurisdiction("Massachusetts", Decimal("6.25")),),
    "IL": (Jurisdiction("Illinois", Decimal("6.25")), Jurisdiction("Chicago", Decimal("4.0"), "606")),
    "OR": (), "DE": (), "MT": (), "NH": (), "AK": (),
}
"""States without a sales tax map to no jurisdictions; a state not listed is taxed at 0 (documented)."""


def ast_jurisdictions(state: str | None, postal_code: str | None) -> tuple[Jurisdiction, ...]:
    rates = AST_TABLE.get((state or "").strip().upper(), ())
    postal = (postal_code or "").strip()
    return tuple(rate for rate in rates if rate.prefix is None or postal.startswith(rate.prefix))


@dataclass(frozen=True)
class SeedCode:
    """A sales tax code of a non-US company and its rates (name, percent)."""

    name: str
    description: str
    rates: tuple[tuple[str, Decimal], ...]
    taxable: bool = True


GLOBAL_CODES: dict[str, tuple[SeedCode, ...]] = {
    "GB": (SeedCode("20.0% S", "Standard rated", (("20.0% S", Decimal("20")),)),
           SeedCode("5.0% R", "Reduced rate", (("5.0% R", Decimal("5")),)),
           SeedCode("0.0% Z", "Zero rated", (("0.0% Z", Decimal("0")),)),
           SeedCode("Exempt", "Exempt", (("Exempt", Decimal("0")),), taxable=False)),
    "CA": (SeedCode("GST", "GST only", (("GST", Decimal("5")),)),
           SeedCode("HST ON", "Harmonized sales tax, Ontario", (("HST ON", Decimal("13")),)),
           SeedCode("GST/PST BC", "GST and PST, British Columbia", (("GST", Decimal("5")), ("PST BC", Decimal("7")))),
           SeedCode("Exempt", "Exempt", (("Exempt", Decimal("0")),), taxable=False)),
    "AU": (SeedCode("GST", "Goods and services tax", (("GST (sales)", Decimal("10")),)),
           SeedCode("FRE", "GST free", (("GST free", Decimal("0")),)),),
}
HOME_CURRENCY = {"US": "USD", "GB": "GBP", "CA": "CAD", "AU": "AUD"}
CURRENCY_NAMES = {"USD": "United States Dollar", "EUR": "Euro", "GBP": "British Pound Sterling",
                  "CAD": "Canadian Dollar", "AUD": "Australian Dollar", "JPY": "Japanese Yen",
                  "CHF": "Swiss Franc", "MXN": "Mexican Peso"}
