"""The field lock (pure): the values an approval locks, the difference between two locked sets, and the amount
tolerance.

An approval locks the deal's account, payment terms, every line's discount, the overall discount off list, the account's
taxability, credit limit, bill-to and ship-to, the currency, and the amount. The amount (and with it the overall
discount, which moves with the amount) may drift within the policy's `field_locks.amount_tolerance_percent`
without reopening anything; any other change of a locked value does. Nothing else is locked: a description or a
close date never reopens an approval.

Locked values are plain text (numbers in canonical form), stored with each approval request so that a later
change can be shown as "old -> new" per field.
"""
from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from app.approvals.rules import measure_discount
from app.deals.facts import AccountFacts, DealFacts

LockedValues = Mapping[str, str]

PAYMENT_TERMS = "payment_terms"
OVERALL_DISCOUNT = "overall_discount"
TAXABILITY = "taxability"
CREDIT_LIMIT = "credit_limit"
BILL_TO = "bill_to"
SHIP_TO = "ship_to"
CURRENCY = "currency"
AMOUNT = "amount"
ACCOUNT = "account"
LINE_DISCOUNT = "line_discount:"
"""Prefix: the discount of the line labelled X is "line_discount:X" (a repeated label gets " (2)", " (3)"...)."""

LABELS = {PAYMENT_TERMS: "Payment terms", OVERALL_DISCOUNT: "Overall discount", TAXABILITY: "Taxability",
          CREDIT_LIMIT: "Credit limit", BILL_TO: "Bill-to", SHIP_TO: "Ship-to", CURRENCY: "Currency",
          AMOUNT: "Amount", ACCOUNT: "Account (Salesforce id)"}
_ORDER = (ACCOUNT, AMOUNT, CURRENCY, PAYMENT_TERMS, OVERALL_DISCOUNT, TAXABILITY, CREDIT_LIMIT, BILL_TO, SHIP_TO)
_MONEY = (AMOUNT, CREDIT_LIMIT)
_NONE = ""
_CENT = Decimal("0.01")


@dataclass(frozen=True, slots=True)
class FieldChange:
    """One locked field that changed, as shown to an approver: old and new in words, money with its currency."""

    key: str
    label: str
    old: str
    new: str

    def text(self) -> str:
        return f"{self.label}: {self.old} -> {self.new}"


def locked_values(deal: DealFacts) -> dict[str, str]:
    """What an approval of this deal locks, field by field."""
    account = deal.account
    values = {
        ACCOUNT: account.account_id,
        AMOUNT: _number(deal.amount if deal.amount is not None else sum((line.total_price for line in deal.lines),
                                                                         Decimal(0))),
        CURRENCY: deal.currency,
        PAYMENT_TERMS: (deal.payment_terms or "").strip(),
        OVERALL_DISCOUNT: _number(measure_discount(deal).overall_percent.quantize(_CENT)),
        TAXABILITY: _NONE if account.tax_exempt is None else ("exempt" if account.tax_exempt else "taxable"),
        CREDIT_LIMIT: _number(account.credit_limit),
        BILL_TO: _address(account, "billing"),
        SHIP_TO: _address(account, "shipping"),
    }
    seen: dict[str, int] = {}
    for line in deal.lines:
        seen[line.label] = seen.get(line.label, 0) + 1
        label = line.label if seen[line.label] == 1 else f"{line.label} ({seen[line.label]})"
        values[LINE_DISCOUNT + label] = _number(line.discount_percent or Decimal(0))
    return values


def terms_fingerprint(deal: DealFacts) -> str:
    """The fingerprint of what an approval of this deal locks."""
    return lock_fingerprint(locked_values(deal))


def lock_fingerprint(values: LockedValues) -> str:
    """sha256 of the locked values: the same values always give the same fingerprint."""
    return hashlib.sha256(json.dumps(dict(values), sort_keys=True).encode()).hexdigest()


def within_tolerance(old: str | None, new: str | None, *, tolerance_percent: Decimal) -> bool:
    """Whether an amount moved by at most `tolerance_percent` % of the locked amount (0: any move counts)."""
    before, after = _decimal(old), _decimal(new)
    if before is None or after is None:
        return before == after
    if tolerance_percent <= 0:
        return before == after
    return abs(after - before) <= abs(before) * tolerance_percent / Decimal(100)


def diff_locked(old: LockedValues, new: LockedValues, *, tolerance_percent: Decimal = Decimal(0)
                ) -> tuple[FieldChange, ...]:
    """Every locked field whose value changed beyond the tolerance, in a stable order (lines after the deal)."""
    changes: list[FieldChange] = []
    for key in _keys(old, new):
        before, after = old.get(key), new.get(key)
        if before == after or _tolerated(key, old, new, tolerance_percent):
            continue
        currency = new.get(CURRENCY) or old.get(CURRENCY) or ""
        changes.append(FieldChange(key, label_of(key), _shown(key, before, currency), _shown(key, after, currency)))
    return tuple(changes)


def label_of(key: str) -> str:
    if key.startswith(LINE_DISCOUNT):
        return f"Discount on '{key[len(LINE_DISCOUNT):]}'"
    return LABELS.get(key, key)


def describe(changes: tuple[FieldChange, ...]) -> str:
    """One line for a message: "Taxability: taxable -> exempt; Bill-to: ... -> ..."."""
    return "; ".join(change.text() for change in changes) or "no locked value changed"


def _tolerated(key: str, old: LockedValues, new: LockedValues, tolerance_percent: Decimal) -> bool:
    """The amount within the tolerance (same currency); the overall discount moving with such an amount, by at most
    the tolerance in percentage points (an amount X% off moves the discount off list by at most X points)."""
    if old.get(CURRENCY) != new.get(CURRENCY):
        return False
    if key == AMOUNT:
        return within_tolerance(old.get(key), new.get(key), tolerance_percent=tolerance_percent)
    if key == OVERALL_DISCOUNT and tolerance_percent > 0:
        before, after = _decimal(old.get(key)), _decimal(new.get(key))
        return before is not None and after is not None and abs(after - before) <= tolerance_percent
    return False


def _keys(old: LockedValues, new: LockedValues) -> list[str]:
    lines = sorted({key for key in (*old, *new) if key.startswith(LINE_DISCOUNT)})
    others = sorted({key for key in (*old, *new) if key not in _ORDER and not key.startswith(LINE_DISCOUNT)})
    return [*_ORDER, *lines, *others]


def _shown(key: str, value: str | None, currency: str) -> str:
    if value is None:
        return "(no such line)" if key.startswith(LINE_DISCOUNT) else "(not locked)"
    if value == _NONE:
        return "(none)"
    number = _decimal(value)
    if key in _MONEY and number is not None:
        return f"{number:,.2f} {currency}".strip()
    if (key == OVERALL_DISCOUNT or key.startswith(LINE_DISCOUNT)) and number is not None:
        return f"{number.quantize(_CENT)}%"
    return value


def _address(account: AccountFacts, kind: str) -> str:
    parts = [getattr(account, f"{kind}_{part}") for part in ("street", "city", "state", "postal_code", "country")]
    return ", ".join(" ".join(str(part).split()) for part in parts if part and str(part).strip())


def _number(value: Decimal | None) -> str:
    """Canonical text: 100, 100.0 and 1E+2 are all '100'."""
    if value is None:
        return _NONE
    return "0" if value == 0 else format(value.normalize(), "f")      # -0.00 is 0


def _decimal(value: str | None) -> Decimal | None:
    if value is None or value == _NONE:
        return None
    try:
        return Decimal(value)
    except InvalidOperation:
        return None
