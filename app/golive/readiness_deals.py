"""Billable completeness of a set of deals against the policy's billing gate, and the Salesforce names the policy
does not map (pure).

A deal is judged as if it were won and eligible today: the gate's own checks (`evaluate_gate`) then list
everything its rep would have to fix before it could be invoiced.
"""
from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

from app.deals.facts import DealFacts
from app.deals.rules import Problem, evaluate_gate
from app.policy import ExceptionKind, Policy

TOP_OFFENDERS = 5


@dataclass(frozen=True)
class ReadDeal:
    facts: DealFacts
    owner: str          # the opportunity owner's name (or email)
    segment: str        # the account's segment
    closed: bool = False


@dataclass(frozen=True)
class FieldGap:
    field: str
    deals: int          # deals with at least one problem on this field
    missing: int
    invalid: int
    unmapped: int


@dataclass(frozen=True)
class Offender:
    name: str
    incomplete: int
    total: int


@dataclass(frozen=True)
class Completeness:
    label: str
    deals: int
    complete: int
    fields: tuple[FieldGap, ...]
    owners: tuple[Offender, ...]
    segments: tuple[Offender, ...]


@dataclass(frozen=True)
class NameUse:
    name: str
    deals: int


def gate_problems(facts: DealFacts, policy: Policy) -> tuple[Problem, ...]:
    """What the billing gate would ask the rep to fix once the deal is won and eligible."""
    eligible = replace(facts, is_won=True, billing_status=policy.billing_gate.eligible_values[0])
    return evaluate_gate(eligible, policy).problems


def completeness(label: str, deals: Sequence[ReadDeal], policy: Policy) -> Completeness:
    problems = {deal.facts.opportunity_id: gate_problems(deal.facts, policy) for deal in deals}
    incomplete = [deal for deal in deals if problems[deal.facts.opportunity_id]]
    return Completeness(label=label, deals=len(deals), complete=len(deals) - len(incomplete),
                        fields=_field_gaps(list(problems.values()), policy),
                        owners=_offenders(deals, incomplete, lambda deal: deal.owner),
                        segments=_offenders(deals, incomplete, lambda deal: deal.segment))


def _field_gaps(per_deal: list[tuple[Problem, ...]], policy: Policy) -> tuple[FieldGap, ...]:
    deals: Counter[str] = Counter()
    kinds: Counter[tuple[str, str]] = Counter()
    for problems in per_deal:
        deals.update({problem.field for problem in problems})
        kinds.update({(problem.field, _kind(problem)) for problem in problems})
    fields = [str(field) for field in policy.billing_gate.required_fields]
    if policy.billing_gate.po_number_required_segments:
        fields.append("po_number")
    fields += sorted(set(deals) - set(fields))
    return tuple(FieldGap(field, deals[field], kinds[(field, "missing")], kinds[(field, "invalid")],
                          kinds[(field, "unmapped")]) for field in fields)


def _kind(problem: Problem) -> str:
    if problem.kind is ExceptionKind.MISSING_FIELD:
        return "missing"
    if problem.kind in (ExceptionKind.UNMAPPED_PRODUCT, ExceptionKind.UNMAPPED_TERMS):
        return "unmapped"
    return "invalid"


def _offenders(deals: Sequence[ReadDeal], incomplete: Sequence[ReadDeal],
               key: Callable[[ReadDeal], str]) -> tuple[Offender, ...]:
    """Who (or which segment) has the most incomplete deals, then the largest share of them."""
    totals, bad = Counter(key(deal) for deal in deals), Counter(key(deal) for deal in incomplete)
    ranked = sorted(bad, key=lambda name: (-bad[name], -bad[name] / totals[name], name))
    return tuple(Offender(name, bad[name], totals[name]) for name in ranked[:TOP_OFFENDERS])


def unmapped_products(deals: Sequence[ReadDeal], policy: Policy) -> tuple[NameUse, ...]:
    """Products on the deals that no mapping names, by how many deals carry them."""
    uses: Counter[str] = Counter()
    for deal in deals:
        uses.update({_product(line.product_name, line.product_code) for line in deal.facts.lines
                     if policy.mappings.quickbooks_item_for(product_name=line.product_name,
                                                            product_code=line.product_code) is None})
    return tuple(NameUse(name, count) for name, count in sorted(uses.items(), key=lambda item: (-item[1], item[0])))


def unmapped_terms(deals: Sequence[ReadDeal], policy: Policy) -> tuple[NameUse, ...]:
    uses = Counter(terms.strip() for deal in deals if (terms := deal.facts.payment_terms) and terms.strip()
                   and policy.mappings.quickbooks_term_for(terms) is None)
    return tuple(NameUse(name, count) for name, count in sorted(uses.items(), key=lambda item: (-item[1], item[0])))


def _product(name: str | None, code: str | None) -> str:
    if name and code:
        return f"{name} ({code})"
    return name or code or "(unnamed product)"
