"""Currencies as QuickBooks enforces them: CurrencyRef only in a multicurrency company, one currency per customer
(fixed once it has transactions), a transaction in its customer's currency, and ExchangeRate / home amounts."""
from __future__ import annotations

from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from app.sandbox.quickbooks.books import RealmBook
from app.sandbox.quickbooks.faults import QboFault, business_rule
from app.sandbox.quickbooks.tax_rates import CURRENCY_NAMES
from app.sandbox.quickbooks.values import CENT, as_amount, ref_id

RATE_PLACES = Decimal("0.000001")


def currency_ref(code: str) -> dict[str, str]:
    return {"value": code, "name": CURRENCY_NAMES.get(code, code)}


def customer_currency(book: RealmBook, obj: dict[str, Any], existing: dict[str, Any] | None) -> None:
    """Set the customer's CurrencyRef (home by default); refuse a foreign one without multicurrency, and a change
    of currency once the customer has transactions."""
    home = book.company.home_currency
    wanted = ref_id(obj, "CurrencyRef") or (ref_id(existing, "CurrencyRef") if existing else None) or home
    _allowed(book, wanted, "CurrencyRef")
    if existing is not None and ref_id(existing, "CurrencyRef") not in (None, wanted) and \
            _has_transactions(book, str(existing["Id"])):
        raise business_rule(f"The currency of customer {existing['Id']} cannot change once it has transactions "
                            f"(it is {ref_id(existing, 'CurrencyRef')})")
    obj["CurrencyRef"] = currency_ref(wanted)


def transaction_currency(book: RealmBook, obj: dict[str, Any], customer: dict[str, Any], txn_date: date) -> Decimal:
    """Set CurrencyRef (the customer's by default) and, in a multicurrency company, ExchangeRate; return the rate
    (1 for the home currency)."""
    theirs = ref_id(customer, "CurrencyRef") or book.company.home_currency
    wanted = ref_id(obj, "CurrencyRef") or theirs
    _allowed(book, wanted, "CurrencyRef")
    if wanted != theirs:
        raise business_rule(f"The transaction is in {wanted} but customer {customer['Id']} "
                            f"({customer['DisplayName']}) is billed in {theirs}: a customer has one currency")
    obj["CurrencyRef"] = currency_ref(wanted)
    if not book.company.multicurrency:
        obj.pop("ExchangeRate", None)
        return Decimal(1)
    rate = _rate(book, wanted, obj.get("ExchangeRate"), txn_date)
    obj["ExchangeRate"] = rate
    return rate


def home_amounts(book: RealmBook, obj: dict[str, Any], rate: Decimal, entity: str) -> None:
    """HomeTotalAmt (and, for an invoice, HomeBalance): the amounts in the company's home currency."""
    if not book.company.multicurrency:
        return
    obj["HomeTotalAmt"] = (Decimal(obj["TotalAmt"]) * rate).quantize(CENT, ROUND_HALF_UP)
    if entity == "Invoice":
        obj["HomeBalance"] = (Decimal(obj["Balance"]) * rate).quantize(CENT, ROUND_HALF_UP)


def rate_on(book: RealmBook, code: str, as_of: date) -> Decimal | None:
    """The newest rate stored for `code` on or before `as_of` (1 for the home currency)."""
    if code == book.company.home_currency:
        return Decimal(1)
    known = {day: rate for day, rate in book.exchange_rates.get(code, {}).items() if day <= as_of}
    return known[max(known)] if known else None


def exchange_rate_row(book: RealmBook, code: str, as_of: date) -> dict[str, Any]:
    """GET /exchangerate?sourcecurrencycode=...&asofdate=...: QuickBooks' ExchangeRate object."""
    if not book.company.multicurrency:
        raise business_rule("Multicurrency is not enabled in this company: it has no exchange rates")
    rate = rate_on(book, code, as_of)
    if rate is None:
        raise QboFault("610", "Object Not Found", f"Object Not Found : no exchange rate for {code} on {as_of}")
    return {"SourceCurrencyCode": code, "TargetCurrencyCode": book.company.home_currency, "Rate": rate,
            "AsOfDate": as_of.isoformat(), "domain": "QBO", "sparse": False}


def _rate(book: RealmBook, code: str, sent: Any, txn_date: date) -> Decimal:
    if sent not in (None, "", 0) and code != book.company.home_currency:
        return as_amount(sent, "ExchangeRate", places=RATE_PLACES)
    rate = rate_on(book, code, txn_date)
    if rate is None:
        raise business_rule(f"There is no exchange rate for {code} on {txn_date}: give ExchangeRate")
    return rate


def _allowed(book: RealmBook, code: str, field_name: str) -> None:
    if len(code) != 3 or not code.isalpha() or code != code.upper():
        raise QboFault("2010", "Request has invalid or unsupported property",
                       f"{field_name}: {code!r} is not an ISO 4217 currency code", element=field_name)
    if code != book.company.home_currency and not book.company.multicurrency:
        raise business_rule(f"Multicurrency is not enabled in this company: {field_name} {code} cannot be used "
                            f"(the home currency is {book.company.home_currency})")


def _has_transactions(book: RealmBook, customer_id: str) -> bool:
    return any(ref_id(row, "CustomerRef") == customer_id
               for entity in ("Invoice", "Payment", "CreditMemo") for row in book.rows(entity))
