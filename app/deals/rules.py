"""The billing gate (pure): may this won deal become an invoice, and if not, what must the rep fix?

Each `Problem` has a stable `code` ("<exception kind>:<what>", e.g. "missing_field:po_number" or
"unmapped_product:SUB-ANN") so the exception queue can open one exception per code and close it when the
code disappears. Messages speak to a sales rep: what is wrong and where to fix it.
"""
from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum

from app.deals.facts import AccountFacts, DealFacts, LineFacts
from app.deals.tax import tax_treatment
from app.policy import ExceptionKind, Policy, RequiredField, normalize_name

AMOUNT_TOLERANCE = Decimal("0.01")
_ADDRESS_PARTS = (("street", "street"), ("city", "city"), ("postal_code", "postal code"), ("country", "country"))
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
_NET_DAYS = re.compile(r"net\s*(\d{1,4})")


class GateStatus(StrEnum):
    NOT_WON = "not_won"
    NOT_ELIGIBLE = "not_eligible"
    INVALID = "invalid"
    BILLABLE = "billable"


@dataclass(frozen=True, slots=True)
class Problem:
    field: str
    code: str
    message: str

    @property
    def kind(self) -> ExceptionKind:
        return ExceptionKind(self.code.partition(":")[0])


@dataclass(frozen=True, slots=True)
class GateResult:
    status: GateStatus
    problems: tuple[Problem, ...] = ()
    reason: str = ""

    @property
    def billable(self) -> bool:
        return self.status is GateStatus.BILLABLE


def evaluate_gate(deal: DealFacts, policy: Policy) -> GateResult:
    """NOT_WON and NOT_ELIGIBLE carry a `reason` and no problems; INVALID lists everything to fix at once."""
    gate = policy.billing_gate
    if not (deal.is_won or normalize_name(deal.stage) == normalize_name(gate.won_stage)):
        return GateResult(GateStatus.NOT_WON, reason=f"Stage is '{deal.stage}'; invoicing starts at '{gate.won_stage}'")
    if not gate.is_eligible(deal.billing_status):
        status = deal.billing_status or "empty"
        return GateResult(GateStatus.NOT_ELIGIBLE, reason=(
            f"{gate.eligibility_field} is '{status}'; invoicing starts when it is {_either(gate.eligible_values)}"))
    problems = _unique(problem for check in _CHECKS for problem in check(deal, policy))
    if problems:
        count = f"{len(problems)} problem{'s' if len(problems) > 1 else ''}"
        return GateResult(GateStatus.INVALID, problems, reason=f"{count} to fix before invoicing")
    return GateResult(GateStatus.BILLABLE, reason="Ready to invoice")


def term_days(payment_terms: str | None) -> int | None:
    """Days until payment for terms like 'Net 45' (0 for 'Due on receipt'); None when the words are unknown."""
    text = normalize_name(payment_terms or "")
    if text == "due on receipt":
        return 0
    match = _NET_DAYS.fullmatch(text)
    return int(match.group(1)) if match else None


def _address_problems(deal: DealFacts, policy: Policy) -> Iterator[Problem]:
    for field, prefix, label in ((RequiredField.BILL_TO_ADDRESS, "billing", "Bill-to"),
                                 (RequiredField.SHIP_TO_ADDRESS, "shipping", "Ship-to")):
        if policy.billing_gate.requires(field):
            yield from _address(deal.account, field, prefix, label)


def _address(account: AccountFacts, field: str, prefix: str, label: str) -> Iterator[Problem]:
    missing = [(part, words) for part, words in _ADDRESS_PARTS if _blank(getattr(account, f"{prefix}_{part}"))]
    where = f"the {prefix.title()} Address of account '{account.name}'"
    if len(missing) == len(_ADDRESS_PARTS):
        yield Problem(field, f"missing_field:{field}", f"{label} address is missing: fill {where}")
        return
    for part, words in missing:
        yield Problem(field, f"missing_field:{field}.{part}",
                      f"{label} address is missing its {words}: fill it in {where}")


def _terms_problems(deal: DealFacts, policy: Policy) -> Iterator[Problem]:
    field, terms = RequiredField.PAYMENT_TERMS, _clean(deal.payment_terms)
    if terms is None:
        if policy.billing_gate.requires(field):
            yield Problem(field, f"missing_field:{field}",
                          "Payment terms are missing: pick them (e.g. Net 30) on the opportunity")
        return
    if policy.mappings.quickbooks_term_for(terms) is None:
        known = _either(tuple(policy.mappings.payment_terms)) or "none yet"
        yield Problem(field, f"unmapped_terms:{terms}", f"Payment terms '{terms}' have no QuickBooks mapping: "
                      f"use {known}, or ask finance to add them to the policy")
    rule, days = policy.approval_rules.payment_terms, term_days(terms)
    if rule is not None and rule.max_days is not None and days is not None and days > rule.max_days:
        yield Problem(field, f"invalid_field:{field}", f"Payment terms '{terms}' exceed the {rule.max_days}-day "
                      "maximum finance allows: agree shorter terms with the customer")


def _line_problems(deal: DealFacts, policy: Policy) -> Iterator[Problem]:
    if not deal.lines and policy.billing_gate.requires(RequiredField.LINE_ITEMS):
        yield Problem(RequiredField.LINE_ITEMS, "missing_field:line_items",
                      "The opportunity has no products: add them so the invoice has lines")
    for line in deal.lines:
        yield from _line_values(line, deal.currency)
        yield from _line_mapping(line, policy)


def _line_values(line: LineFacts, currency: str) -> Iterator[Problem]:
    field, name = RequiredField.LINE_ITEMS, line.label
    if line.quantity <= 0:
        yield Problem(field, f"invalid_field:line_items.quantity:{name}",
                      f"Product '{name}' has quantity {line.quantity}: the quantity must be more than zero")
    if line.unit_price < 0:
        yield Problem(field, f"invalid_field:line_items.unit_price:{name}",
                      f"Product '{name}' has a negative sales price ({_money(line.unit_price, currency)}): correct it")
    if line.discount_percent is not None and not 0 <= line.discount_percent <= 100:
        yield Problem(field, f"invalid_field:line_items.discount:{name}",
                      f"Product '{name}' has a discount of {line.discount_percent}%: it must be between 0 and 100%")


def _line_mapping(line: LineFacts, policy: Policy) -> Iterator[Problem]:
    code, name = _clean(line.product_code), line.label
    if code is None and policy.billing_gate.requires(RequiredField.ITEM_CODES):
        yield Problem(RequiredField.ITEM_CODES, f"missing_field:item_codes:{name}",
                      f"Product '{name}' has no product code: ask sales ops to set its Product Code")
    if policy.mappings.quickbooks_item_for(product_name=line.product_name, product_code=code) is None:
        yield Problem(RequiredField.LINE_ITEMS, f"unmapped_product:{code or name}",
                      f"Product '{name}' has no QuickBooks item mapping: ask finance to add it to the policy")


def _amount_problems(deal: DealFacts, policy: Policy) -> Iterator[Problem]:
    field = RequiredField.AMOUNT
    if deal.amount is None:
        if policy.billing_gate.requires(field):
            yield Problem(field, "missing_field:amount", "The opportunity amount is empty: fill Amount")
        return
    if deal.amount <= 0:
        yield Problem(field, "invalid_field:amount",
                      f"The opportunity amount is {_money(deal.amount, deal.currency)}: it must be more than zero")
        return
    lines_total = sum((line.total_price for line in deal.lines), Decimal(0))
    if deal.lines and abs(deal.amount - lines_total) > AMOUNT_TOLERANCE:
        yield Problem(field, "invalid_field:amount", f"The opportunity amount ({_money(deal.amount, deal.currency)}) "
                      f"does not match its products (total {_money(lines_total, deal.currency)}): correct the "
                      "products or the amount")


def _account_and_owner_problems(deal: DealFacts, policy: Policy) -> Iterator[Problem]:
    gate = policy.billing_gate
    if gate.requires(RequiredField.TAXABILITY) and deal.account.tax_exempt is None:
        yield Problem(RequiredField.TAXABILITY, "missing_field:taxability", f"Tax status of account "
                      f"'{deal.account.name}' is unknown: set Tax Exempt (yes or no) on the account")
    if gate.requires(RequiredField.CLOSE_DATE) and deal.close_date is None:
        yield Problem(RequiredField.CLOSE_DATE, "missing_field:close_date", "The close date is empty: fill Close Date")
    if gate.requires(RequiredField.OWNER_EMAIL):
        yield from _owner_email(_clean(deal.owner_email))
    if gate.po_number_required_for(deal.account.segment) and _blank(deal.po_number):
        yield Problem("po_number", "missing_field:po_number", f"PO number is required for {deal.account.segment} "
                      f"accounts: fill {gate.po_number_field} on the opportunity")


def _owner_email(email: str | None) -> Iterator[Problem]:
    field = RequiredField.OWNER_EMAIL
    if email is None:
        yield Problem(field, "missing_field:owner_email", "The opportunity owner has no email address in Salesforce")
    elif not _EMAIL.fullmatch(email):
        yield Problem(field, "invalid_field:owner_email",
                      f"The opportunity owner's email '{email}' is not a valid address")


def _tax_problems(deal: DealFacts, policy: Policy) -> Iterator[Problem]:
    """A region or product the tax policy cannot place: one problem per missing mapping, named."""
    if policy.tax is None:
        return
    for problem in tax_treatment(deal, policy.tax).problems:
        yield Problem("tax", problem.code, problem.message)


_CHECKS = (_address_problems, _terms_problems, _line_problems, _amount_problems, _account_and_owner_problems,
           _tax_problems)


def _unique(problems: Iterator[Problem]) -> tuple[Problem, ...]:
    by_code: dict[str, Problem] = {}
    for problem in problems:
        by_code.setdefault(problem.code, problem)
    return tuple(by_code.values())


def _clean(text: str | None) -> str | None:
    return (text.strip() or None) if text is not None else None


def _blank(text: str | None) -> bool:
    return _clean(text) is None


def _money(amount: Decimal, currency: str | None = None) -> str:
    return f"{amount:,.2f}" + (f" {currency}" if currency else "")


def _either(values: tuple[str, ...]) -> str:
    quoted = [f"'{value}'" for value in values]
    if len(quoted) < 2:
        return "".join(quoted)
    return f"{', '.join(quoted[:-1])} or {quoted[-1]}"
