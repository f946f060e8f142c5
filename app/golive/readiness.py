"""The data readiness report (pure): what the current Salesforce and QuickBooks data would do once connected.

Built from what `readiness_read` read: the open pipeline and the deals won in the last N months, the QuickBooks
customers, items and terms. The rules are the product's own: the billing gate, the approval rules, the
look-alike customer rule and the policy mappings.
"""
from __future__ import annotations

import calendar
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

from app.approvals.rules import required_approvals
from app.deals.from_salesforce import deal_facts_from
from app.golive.customer_matches import CustomerMatches, match_customers
from app.golive.mapping_gaps import MappingGap, mapping_gaps
from app.golive.readiness_deals import (
    Completeness,
    NameUse,
    ReadDeal,
    completeness,
    gate_problems,
    unmapped_products,
    unmapped_terms,
)
from app.integrations.quickbooks_models import QboCustomer, QboItem, QboTerm
from app.integrations.salesforce_models import SfOpportunity
from app.policy import ExceptionKind, Policy


@dataclass(frozen=True)
class Window:
    today: date
    months: int
    won_since: date                 # the first close date of the won deals measured
    last_month: tuple[date, date]   # the calendar month before today's, first and last day

    @property
    def read_since(self) -> date:
        """What to read: the won window, widened to the whole of last month."""
        return min(self.won_since, self.last_month[0])

    @property
    def weeks(self) -> Decimal:
        return Decimal((self.today - self.won_since).days or 1) / 7


def window(today: date, months: int) -> Window:
    first_of_month = today.replace(day=1)
    last_month_end = first_of_month - timedelta(days=1)
    return Window(today, months, months_before(today, months), (last_month_end.replace(day=1), last_month_end))


def months_before(day: date, months: int) -> date:
    year, month = divmod(day.year * 12 + day.month - 1 - months, 12)
    return date(year, month + 1, min(day.day, calendar.monthrange(year, month + 1)[1]))


# What invoicing opens when QuickBooks has no active item or term of the mapped name.
REFUSED_AS = {"item": ExceptionKind.UNMAPPED_PRODUCT, "term": ExceptionKind.UNMAPPED_TERMS}


@dataclass(frozen=True)
class RoleLoad:
    role: str
    label: str
    approvals: int
    by_kind: tuple[tuple[str, int], ...]


@dataclass(frozen=True)
class ExceptionEstimate:
    per_week: Decimal
    total: int                              # exceptions the won deals of the window would have raised
    by_kind: tuple[tuple[str, int], ...]


@dataclass(frozen=True)
class ReadinessReport:
    window: Window
    pipeline: Completeness
    won: Completeness
    customers: CustomerMatches
    unmapped_products: tuple[NameUse, ...]
    unmapped_terms: tuple[NameUse, ...]
    mapping_gaps: tuple[MappingGap, ...]
    approvals: tuple[RoleLoad, ...]
    approval_deals: int                     # deals won last month
    exceptions: ExceptionEstimate


def build_report(*, opportunities: Sequence[SfOpportunity], customers: Sequence[QboCustomer],
                 items: Sequence[QboItem], terms: Sequence[QboTerm], policy: Policy, when: Window) -> ReadinessReport:
    accounts = [opportunity.account for opportunity in opportunities if opportunity.account is not None]
    matches = match_customers(accounts, customers)
    deals = [_read_deal(opportunity, matches) for opportunity in opportunities]
    pipeline = [deal for deal in deals if not deal.facts.is_won and not deal.closed]
    won = [deal for deal in deals if deal.facts.is_won and _closed_on_or_after(deal, when.won_since)]
    last_month = [deal for deal in deals if deal.facts.is_won and deal.facts.close_date is not None
                  and when.last_month[0] <= deal.facts.close_date <= when.last_month[1]]
    gaps = tuple(mapping_gaps(policy, items, terms))
    return ReadinessReport(
        window=when, pipeline=completeness("open pipeline", pipeline, policy),
        won=completeness(f"won in the last {when.months} month{'s' if when.months != 1 else ''}", won, policy),
        customers=matches, unmapped_products=unmapped_products(pipeline + won, policy),
        unmapped_terms=unmapped_terms(pipeline + won, policy), mapping_gaps=gaps,
        approvals=approval_load(last_month, policy), approval_deals=len(last_month),
        exceptions=estimate_exceptions(won, policy, matches, gaps, when))


def _read_deal(opportunity: SfOpportunity, matches: CustomerMatches) -> ReadDeal:
    account = opportunity.account
    facts = deal_facts_from(opportunity, has_qbo_customer=account is not None and account.id in matches.exact)
    return ReadDeal(facts=facts, owner=opportunity.owner_name or opportunity.owner_email or "(no owner)",
                    segment=(account.segment if account else None) or "(no segment)", closed=opportunity.is_closed)


def _closed_on_or_after(deal: ReadDeal, since: date) -> bool:
    return deal.facts.close_date is not None and deal.facts.close_date >= since


def approval_load(deals: Sequence[ReadDeal], policy: Policy) -> tuple[RoleLoad, ...]:
    """Approvals the policy would have asked for on these deals, per role (every role a rule names, even at 0)."""
    asked = [need for deal in deals for need in required_approvals(deal.facts, policy)]
    roles = dict.fromkeys(role for path, role in policy.role_references() if path.startswith("approval_rules."))
    loads = []
    for role in roles:
        kinds = Counter(str(need.kind) for need in asked if need.role == role)
        label = policy.approver_roles[role].label or role
        loads.append(RoleLoad(role, label, sum(kinds.values()), tuple(sorted(kinds.items()))))
    return tuple(loads)


def estimate_exceptions(won: Sequence[ReadDeal], policy: Policy, matches: CustomerMatches,
                        gaps: Sequence[MappingGap], when: Window) -> ExceptionEstimate:
    """One exception per gate problem code (as the queue opens them), one per new customer whose name looks like an
    existing customer's, and one per missing or inactive item or term a deal names: invoicing opens it as an
    unmapped product or terms (`invoicing.service`: QuickBooks' name look-ups skip inactive entries)."""
    kinds: Counter[str] = Counter()
    refused = {(gap.kind, _key(gap.quickbooks_name)) for gap in gaps}
    for deal in won:
        kinds.update(str(problem.kind) for problem in gate_problems(deal.facts, policy))
        if matches.duplicates_for(deal.facts.account.name):
            kinds[str(ExceptionKind.DUPLICATE_CUSTOMER)] += 1
        kinds.update(str(REFUSED_AS[kind]) for kind, _ in refused & _quickbooks_names(deal, policy))
    total = sum(kinds.values())
    per_week = (Decimal(total) / when.weeks).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
    return ExceptionEstimate(per_week, total, tuple(sorted(kinds.items(), key=lambda item: (-item[1], item[0]))))


def _quickbooks_names(deal: ReadDeal, policy: Policy) -> set[tuple[str, str]]:
    """("item" | "term", name) of every QuickBooks item and term the deal's invoice would name."""
    mappings = policy.mappings
    items = {mappings.quickbooks_item_for(product_name=line.product_name, product_code=line.product_code)
             for line in deal.facts.lines}
    term = mappings.quickbooks_term_for(deal.facts.payment_terms)
    return {("item", _key(name)) for name in items if name} | ({("term", _key(term))} if term else set())


def _key(name: str) -> str:
    return name.strip().casefold()
