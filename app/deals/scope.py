"""Is this deal in the pilot? (pure): the policy's pilot filter against a deal's plain values."""
from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from app.policy import PilotScope, normalize_name


@dataclass(frozen=True, slots=True, kw_only=True)
class ScopeFacts:
    """What a pilot filter reads of a deal."""

    business_unit: str | None = None
    record_type: str | None = None
    owner_id: str | None = None
    owner_email: str | None = None
    account_id: str | None = None
    account_name: str | None = None
    segment: str | None = None
    amount: Decimal | None = None


@dataclass(frozen=True)
class ScopeVerdict:
    in_scope: bool
    reasons: tuple[str, ...] = ()
    """Why the deal is out of scope (one per criterion it fails); empty when in scope."""


IN_SCOPE = ScopeVerdict(True)


def pilot_verdict(deal: ScopeFacts, pilot: PilotScope | None) -> ScopeVerdict:
    """In scope when there is no pilot, or when the deal passes every criterion the pilot sets."""
    if pilot is None:
        return IN_SCOPE
    reasons = [reason for reason in (
        _listed("business unit", (deal.business_unit,), pilot.business_units),
        _listed("record type", (deal.record_type,), pilot.record_types),
        _listed("owner", (deal.owner_id, deal.owner_email), pilot.owners, shown=deal.owner_email or deal.owner_id),
        _listed("account", (deal.account_id, deal.account_name), pilot.accounts, shown=deal.account_name),
        _listed("segment", (deal.segment,), pilot.segments),
        _amount(deal.amount, pilot),
    ) if reason]
    return ScopeVerdict(not reasons, tuple(reasons))


def _listed(what: str, values: tuple[str | None, ...], allowed: tuple[str, ...], *,
            shown: str | None = None) -> str | None:
    if not allowed:
        return None
    wanted = {normalize_name(value) for value in allowed}
    if any(value and normalize_name(value) in wanted for value in values):
        return None
    label = shown if shown is not None else values[0]
    return f"{what} {label or '(none)'} is not in the pilot ({', '.join(allowed)})"


def _amount(amount: Decimal | None, pilot: PilotScope) -> str | None:
    low, high = pilot.min_amount, pilot.max_amount
    if low is None and high is None:
        return None
    if amount is None:
        return "the deal has no amount, and the pilot has an amount range"
    if low is not None and amount < low:
        return f"amount {amount:,.2f} is below the pilot's minimum {low:,.2f}"
    if high is not None and amount > high:
        return f"amount {amount:,.2f} is above the pilot's maximum {high:,.2f}"
    return None
