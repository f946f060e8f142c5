"""Which approvals a deal needs and who may decide them (pure; what an approval locks: app/approvals/locks.py).

Discount measure (see `measure_discount`): the deal's discount is the LARGER of
  - its largest line discount (the Salesforce `Discount` percent on a line), which catches one deep discount
    hidden in an otherwise full-price deal, and
  - its overall discount off list: (list total - net) / list total, where list total = sum of quantity x list
    price (the sales price when no list price is known) and net = the deal amount (else the sum of line
    totals), which catches discounts given by lowering sales prices or the amount instead of the Discount field.
"""
from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum

from app.deals.facts import DealFacts
from app.policy import Policy, normalize_name

_HUNDRED = Decimal(100)


class ApprovalKind(StrEnum):
    CUSTOMER_ACTIVATION = "customer_activation"
    PAYMENT_TERMS = "payment_terms"
    DISCOUNT = "discount"
    CREDIT_LIMIT = "credit_limit"


@dataclass(frozen=True, slots=True)
class ApprovalNeed:
    """`level` is 1 except for discounts, where it is the 1-based discount level crossed."""

    kind: ApprovalKind
    role: str
    level: int
    ask: str
    detail: str


@dataclass(frozen=True, slots=True)
class DiscountMeasure:
    percent: Decimal
    largest_line_percent: Decimal
    largest_line: str | None
    overall_percent: Decimal
    list_total: Decimal
    net_total: Decimal


def required_approvals(deal: DealFacts, policy: Policy) -> tuple[ApprovalNeed, ...]:
    """Every approval the deal needs under the policy, in a stable order (one per kind at most)."""
    needs = (_customer_activation(deal, policy), _payment_terms(deal, policy),
             _discount(deal, policy), _credit_limit(deal, policy))
    return tuple(need for need in needs if need is not None)


def measure_discount(deal: DealFacts) -> DiscountMeasure:
    largest = max(deal.lines, key=lambda line: line.discount_percent or 0, default=None)
    largest_percent = (largest.discount_percent or Decimal(0)) if largest else Decimal(0)
    list_total = sum((line.gross for line in deal.lines), Decimal(0))
    net_total = deal.amount if deal.amount is not None else sum((line.total_price for line in deal.lines), Decimal(0))
    overall = (list_total - net_total) / list_total * _HUNDRED if list_total > 0 else Decimal(0)
    return DiscountMeasure(percent=max(largest_percent, overall), largest_line_percent=largest_percent,
                           largest_line=largest.label if largest and largest_percent > 0 else None,
                           overall_percent=overall, list_total=list_total, net_total=net_total)


def _customer_activation(deal: DealFacts, policy: Policy) -> ApprovalNeed | None:
    rule, account = policy.approval_rules.customer_activation, deal.account
    if rule is None or account.has_qbo_customer:
        return None
    place = ", ".join(part for part in (account.billing_city, account.billing_country) if part) or "no address yet"
    return ApprovalNeed(ApprovalKind.CUSTOMER_ACTIVATION, rule.role, 1,
                        ask=f"Activate new customer '{account.name}' in QuickBooks",
                        detail=f"'{account.name}' ({account.segment or 'no segment'}; {place}) has no QuickBooks "
                               "customer yet: approving creates it from the Salesforce account.")


def _payment_terms(deal: DealFacts, policy: Policy) -> ApprovalNeed | None:
    rule, terms = policy.approval_rules.payment_terms, (deal.payment_terms or "").strip()
    if rule is None or not terms or normalize_name(terms) in {normalize_name(std) for std in rule.standard}:
        return None
    standard = " or ".join(rule.standard)
    return ApprovalNeed(ApprovalKind.PAYMENT_TERMS, rule.role, 1,
                        ask=f"{terms} requested where {standard} is standard",
                        detail=f"'{deal.name}' asks for {terms} instead of {standard}.")


def _discount(deal: DealFacts, policy: Policy) -> ApprovalNeed | None:
    rule = policy.approval_rules.discount
    if rule is None:
        return None
    measure = measure_discount(deal)
    crossed = [(number, level) for number, level in enumerate(rule.levels, start=1)
               if measure.percent > level.above_percent]
    if not crossed:
        return None
    number, level = crossed[-1]
    largest = f" on '{measure.largest_line}'" if measure.largest_line else ""
    ask = f"{_percent(measure.percent)}% discount where {_percent(level.above_percent)}% is the limit"
    listed, net = _money(measure.list_total, deal.currency), _money(measure.net_total, deal.currency)
    return ApprovalNeed(ApprovalKind.DISCOUNT, level.role, number, ask=ask,
                        detail=f"Largest line discount {_percent(measure.largest_line_percent)}%{largest}; overall "
                               f"{_percent(measure.overall_percent)}% off list ({listed} list, {net} net). "
                               f"Level {number} of {len(rule.levels)}.")


def _credit_limit(deal: DealFacts, policy: Policy) -> ApprovalNeed | None:
    rule, limit = policy.approval_rules.credit_limit, deal.account.credit_limit
    if rule is None or limit is None or limit <= rule.threshold:
        return None
    return ApprovalNeed(ApprovalKind.CREDIT_LIMIT, rule.role, 1,
                        ask=f"Credit limit {_money(limit)} above the {_money(rule.threshold)} threshold",
                        detail=f"Account '{deal.account.name}' has a credit limit of {_money(limit)}; "
                               f"limits above {_money(rule.threshold)} need approval.")


def _canonical(amount: Decimal | None) -> str:
    """The same number always gives the same text: 100, 100.0 and 1E+2 are all '100'."""
    return "" if amount is None else format(amount.normalize(), "f")


def _percent(value: Decimal) -> str:
    return _canonical(value.quantize(Decimal("0.01")))


def _money(amount: Decimal, currency: str | None = None) -> str:
    return f"{amount:,.2f}" + (f" {currency}" if currency else "")
