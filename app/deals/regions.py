"""Where an account ships to, as a tax region (pure): ISO 3166 country, and state or province where it matters.

Salesforce stores addresses as free text unless state and country picklists are on: "United States", "USA" and
"US" all mean US; "California" and "CA" both mean US-CA. Unknown words are kept as written (upper-cased), so a
policy can still name them.
"""
from __future__ import annotations

from dataclasses import dataclass

from app.deals.facts import AccountFacts

_COUNTRIES = {
    "US": ("united states", "united states of america", "usa", "u.s.", "u.s.a.", "us", "america"),
    "CA": ("canada", "ca"), "GB": ("united kingdom", "uk", "u.k.", "great britain", "england", "scotland",
                                   "wales", "northern ireland", "gb"),
    "AU": ("australia", "au"), "DE": ("germany", "deutschland", "de"), "FR": ("france", "fr"),
    "IE": ("ireland", "ie"), "NL": ("netherlands", "the netherlands", "holland", "nl"), "MX": ("mexico", "mx"),
    "NZ": ("new zealand", "nz"), "IN": ("india", "in"),
}
_US_STATES = {
    "AL": "alabama", "AK": "alaska", "AZ": "arizona", "AR": "arkansas", "CA": "california", "CO": "colorado",
    "CT": "connecticut", "DE": "delaware", "DC": "district of columbia", "FL": "florida", "GA": "georgia",
    "HI": "hawaii", "ID": "idaho", "IL": "illinois", "IN": "indiana", "IA": "iowa", "KS": "kansas",
    "KY": "kentucky", "LA": "louisiana", "ME": "maine", "MD": "maryland", "MA": "massachusetts", "MI": "michigan",
    "MN": "minnesota", "MS": "mississippi", "MO": "missouri", "MT": "montana", "NE": "nebraska", "NV": "nevada",
    "NH": "new hampshire", "NJ": "new jersey", "NM": "new mexico", "NY": "new york", "NC": "north carolina",
    "ND": "north dakota", "OH": "ohio", "OK": "oklahoma", "OR": "oregon", "PA": "pennsylvania",
    "RI": "rhode island", "SC": "south carolina", "SD": "south dakota", "TN": "tennessee", "TX": "texas",
    "UT": "utah", "VT": "vermont", "VA": "virginia", "WA": "washington", "WV": "west virginia",
    "WI": "wisconsin", "WY": "wyoming",
}
_CA_PROVINCES = {
    "AB": "alberta", "BC": "british columbia", "MB": "manitoba", "NB": "new brunswick",
    "NL": "newfoundland and labrador", "NS": "nova scotia", "NT": "northwest territories", "NU": "nunavut",
    "ON": "ontario", "PE": "prince edward island", "QC": "quebec", "SK": "saskatchewan", "YT": "yukon",
}
_SUBDIVISIONS = {"US": _US_STATES, "CA": _CA_PROVINCES}


@dataclass(frozen=True, slots=True)
class Region:
    country: str
    subdivision: str | None = None

    @property
    def keys(self) -> tuple[str, ...]:
        """Policy keys to look up, most specific first: "US-CA", then "US"."""
        return (f"{self.country}-{self.subdivision}", self.country) if self.subdivision else (self.country,)

    def __str__(self) -> str:
        return self.keys[0]


def country_code(text: str | None) -> str | None:
    words = " ".join((text or "").split()).casefold()
    if not words:
        return None
    return next((code for code, names in _COUNTRIES.items() if words in names), words.upper())


def subdivision_code(country: str, text: str | None) -> str | None:
    words = " ".join((text or "").split()).casefold()
    if not words:
        return None
    known = _SUBDIVISIONS.get(country, {})
    if words.upper() in known:
        return words.upper()
    return next((code for code, name in known.items() if name == words), words.upper())


def ship_to_region(account: AccountFacts) -> Region | None:
    """The ship-to's region, else the bill-to's (QuickBooks taxes where goods and services are delivered)."""
    for prefix in ("shipping", "billing"):
        country = country_code(getattr(account, f"{prefix}_country"))
        if country is not None:
            return Region(country, subdivision_code(country, getattr(account, f"{prefix}_state")))
    return None
