"""Policy mappings that point at QuickBooks items or terms that are missing or inactive (pure).

Shared by `check --live` and `readiness`: an invoice naming such an item or term would be refused."""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

from app.integrations.quickbooks_models import QboItem, QboTerm
from app.policy import Policy

GapState = Literal["missing", "inactive"]
Kind = Literal["item", "term"]


@dataclass(frozen=True)
class MappingGap:
    kind: Kind
    quickbooks_name: str
    salesforce_names: tuple[str, ...]     # the policy keys that map to it
    state: GapState

    @property
    def policy_key(self) -> str:
        return "mappings.products" if self.kind == "item" else "mappings.payment_terms"


def mapping_gaps(policy: Policy, items: Sequence[QboItem], terms: Sequence[QboTerm]) -> list[MappingGap]:
    item_states = {_key(item.name): item.active for item in items}
    term_states = {_key(term.name): term.active for term in terms}
    return [*_gaps("item", policy.mappings.products, item_states),
            *_gaps("term", policy.mappings.payment_terms, term_states)]


def _gaps(kind: Kind, mapping: Mapping[str, str], active_by_name: Mapping[str, bool]) -> list[MappingGap]:
    by_target: dict[str, list[str]] = {}
    for salesforce_name, quickbooks_name in mapping.items():
        by_target.setdefault(quickbooks_name, []).append(salesforce_name)
    gaps = []
    for quickbooks_name, sources in by_target.items():
        active = active_by_name.get(_key(quickbooks_name))
        if active is None or not active:
            gaps.append(MappingGap(kind, quickbooks_name, tuple(sources), "missing" if active is None else "inactive"))
    return gaps


def _key(name: str) -> str:
    """QuickBooks compares names without regard to case."""
    return name.strip().casefold()
