"""Who may do what to an exception (pure).

The finance team (every member of an approver role in the policy: its users plus its Slack user group)
may tag, assign, resolve, dismiss and retry any exception. The exception's owner may tag, resolve and
retry their own item. Anyone may list the queue. Nobody else may change anything.
"""
from __future__ import annotations

from collections.abc import Iterable
from enum import StrEnum


class Control(StrEnum):
    LIST = "list"
    TAG = "tag"
    ASSIGN = "assign"
    RESOLVE = "resolve"
    DISMISS = "dismiss"
    RETRY = "retry"


OWNER_CONTROLS = frozenset({Control.TAG, Control.RESOLVE, Control.RETRY})
_VERBS = {Control.LIST: "list exceptions", Control.TAG: "tag the cause of", Control.ASSIGN: "assign",
          Control.RESOLVE: "resolve", Control.DISMISS: "dismiss", Control.RETRY: "retry"}


def finance_team(members_by_role: Iterable[frozenset[str]]) -> frozenset[str]:
    """Everyone who holds any approver role."""
    return frozenset().union(*members_by_role)


def may_act(control: Control, *, actor: str, owner: str | None, finance: frozenset[str]) -> bool:
    if control is Control.LIST or actor in finance:
        return True
    return bool(owner) and actor == owner and control in OWNER_CONTROLS


def refusal(control: Control, *, item_id: int, owner: str | None) -> str:
    """Why the actor may not: said plainly, with who may."""
    who = "the finance team (an approver role in the policy)"
    if control in OWNER_CONTROLS:
        who += " or the exception's owner" + ("" if owner else " (it has none yet)")
    return f"Only {who} may {_VERBS[control]} exception #{item_id}"
