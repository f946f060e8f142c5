"""Approval levels, pure: which levels a request needs, which are open now, who may decide which, and the outcome.

A request has one or more levels. Each level names a role and a step: levels of the same step run in parallel,
a later step opens once every level of the steps before it approved. A rejection at any level ends the request.
A kind with no levels configured is one level of its role (`role` in the policy), as before levels existed.

Separation of duties (checked for every level): whoever asked (the opportunity owner, and the submitter when the
policy names a field for it) decides no level; nobody decides two levels of one request; and, when the policy
says so, nobody decides both the customer activation and the credit limit of one account.
"""
from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from enum import StrEnum

from app.policy import Policy
from app.policy.controls import LevelOrder

ACTIVATION_KIND = "customer_activation"
CREDIT_LIMIT_KIND = "credit_limit"
_ROLE_RULES = ("customer_activation", "payment_terms", "credit_limit")
_CORRECTION_KINDS = ("credit_memo", "write_off", "rebill")


class LevelStatus(StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"


@dataclass(frozen=True, slots=True)
class LevelSpec:
    """One level to open: `position` is 1-based and unique in the request; levels sharing a `step` are parallel."""

    position: int
    step: int
    role: str


@dataclass(frozen=True, slots=True)
class LevelState:
    position: int
    step: int
    role: str
    status: LevelStatus = LevelStatus.PENDING
    decided_by: str | None = None
    decided_by_name: str | None = None
    decided_at: datetime | None = None
    comment: str | None = None


class RefusalReason(StrEnum):
    NOT_IN_ROLE = "not_in_role"
    OWN_REQUEST = "own_request"
    SUBMITTED = "submitted"
    """The actor submitted the deal (the policy's `approval_controls.submitter_field`)."""
    SECOND_LEVEL = "second_level"
    OTHER_CONTROL = "other_control"


@dataclass(frozen=True, slots=True)
class Refusal:
    """Why the actor may not decide, and the roles of the levels open now (whose members may decide instead)."""

    reason: RefusalReason
    roles: tuple[str, ...]
    decided_position: int | None = None
    """SECOND_LEVEL: the level the actor already decided."""
    excluded: frozenset[str] = frozenset()
    """People who may not decide this request (whoever asked, whoever decided a level): never suggested."""


@dataclass(frozen=True, slots=True)
class Choice:
    """The level the actor decides (the first open level of a role they hold), or why they may not."""

    level: LevelState | None
    refusal: Refusal | None


class Outcome(StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"


# ---- which levels -----------------------------------------------------------------------------------------------

def levels_needed(kind: str, role: str, policy: Policy, *, discount_percent: Decimal | None = None,
                  amount: Decimal | None = None) -> tuple[LevelSpec, ...]:
    """The levels of a request of `kind` whose first (or only) role is `role` (`amount`: a correction's)."""
    rules, corrections = policy.approval_rules, policy.corrections
    if kind in _CORRECTION_KINDS and corrections is not None and amount is not None:
        crossed = corrections.roles_crossed(kind, amount)
        if crossed and corrections.order != LevelOrder.HIGHEST:
            return _specs(crossed, corrections.order)
    if kind == "discount" and rules.discount is not None and discount_percent is not None:
        crossed = [level.role for level in rules.discount.levels if discount_percent > level.above_percent]
        if crossed and rules.discount.order != LevelOrder.HIGHEST:
            return _specs(crossed, rules.discount.order)
    rule = getattr(rules, kind, None) if kind in _ROLE_RULES else None
    if rule is not None and rule.role == role:
        return _specs([rule.role, *rule.also], rule.order)
    return (LevelSpec(1, 1, role),)


def _specs(roles: Sequence[str], order: LevelOrder) -> tuple[LevelSpec, ...]:
    parallel = order == LevelOrder.PARALLEL
    return tuple(LevelSpec(number, 1 if parallel else number, role) for number, role in enumerate(roles, start=1))


# ---- where the request stands -----------------------------------------------------------------------------------

def outcome(levels: Sequence[LevelState]) -> Outcome:
    if any(level.status == LevelStatus.REJECTED for level in levels):
        return Outcome.REJECTED
    if levels and all(level.status == LevelStatus.APPROVED for level in levels):
        return Outcome.APPROVED
    return Outcome.PENDING


def open_levels(levels: Sequence[LevelState]) -> tuple[LevelState, ...]:
    """The pending levels of the first step not yet fully approved (none once the request is decided)."""
    if outcome(levels) != Outcome.PENDING:
        return ()
    step = min(level.step for level in levels if level.status == LevelStatus.PENDING)
    return tuple(level for level in levels if level.step == step and level.status == LevelStatus.PENDING)


def deciders(levels: Sequence[LevelState]) -> frozenset[str]:
    return frozenset(level.decided_by for level in levels if level.decided_by)


# ---- who may decide ---------------------------------------------------------------------------------------------

def choose_level(*, actor_id: str, levels: Sequence[LevelState], requesters: Collection[str | None],
                 members_by_role: Mapping[str, frozenset[str]], barred: Collection[str] = (),
                 submitters: Collection[str | None] = ()) -> Choice:
    """The open level `actor_id` decides, or the refusal. `requesters`: the opportunity owner; `submitters`:
    whoever submitted the deal; neither decides any level. `barred`: people another control keeps off this request
    (e.g. whoever decided the same account's customer activation, when it and the credit limit must differ)."""
    waiting = open_levels(levels)
    roles = tuple(dict.fromkeys(level.role for level in waiting))
    asked = frozenset(who for who in requesters if who)
    submitted = frozenset(who for who in submitters if who)
    excluded = asked | submitted | deciders(levels)
    if not actor_id or actor_id in asked:
        return _refused(RefusalReason.OWN_REQUEST, roles, excluded)
    if actor_id in submitted:
        return _refused(RefusalReason.SUBMITTED, roles, excluded)
    decided = next((level for level in levels if level.decided_by == actor_id), None)
    if decided is not None:
        return Choice(None, Refusal(RefusalReason.SECOND_LEVEL, roles, decided.position, excluded))
    mine = next((level for level in waiting if actor_id in members_by_role.get(level.role, frozenset())), None)
    if mine is None:
        return _refused(RefusalReason.NOT_IN_ROLE, roles, excluded)
    if actor_id in barred:
        return _refused(RefusalReason.OTHER_CONTROL, roles, excluded | frozenset(barred))
    return Choice(mine, None)


def may_open(*, actor_id: str, levels: Sequence[LevelState], requesters: Collection[str | None],
             submitters: Collection[str | None] = ()) -> Refusal | None:
    """What is known without the roles' members (they come from Slack), before a reject modal opens."""
    choice = choose_level(actor_id=actor_id, levels=levels, requesters=requesters, submitters=submitters,
                          members_by_role={level.role: frozenset({actor_id}) for level in levels})
    return choice.refusal


def _refused(reason: RefusalReason, roles: tuple[str, ...], excluded: frozenset[str]) -> Choice:
    return Choice(None, Refusal(reason, roles, excluded=excluded))


def decide(levels: Sequence[LevelState], level: LevelState, *, decision: LevelStatus, actor_id: str,
           actor_name: str | None, at: datetime, comment: str | None = None) -> tuple[LevelState, ...]:
    """The levels after `actor_id` decided `level` (pure: the service stores the changed level)."""
    decided = LevelState(level.position, level.step, level.role, decision, actor_id, actor_name, at, comment)
    return tuple(decided if other.position == level.position else other for other in levels)
