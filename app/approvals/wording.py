"""How a refusal to decide reads: one builder, so a button, a modal and a command all say the same words.

Every refusal names the role by its label (never its policy key) and says who may decide instead: the role's
named people and its Slack user group, less whoever may not decide this request.
"""
from __future__ import annotations

from app.approvals.levels import Refusal, RefusalReason
from app.approvals.roles import role_label
from app.policy import Policy

OWN_REQUEST = "You cannot approve your own request"
SUBMITTED = "You submitted this deal, so you cannot approve its requests"
MAX_NAMED = 6


def refusal_text(refusal: Refusal, policy: Policy) -> str:
    """The whole sentence, e.g. "Only a Finance approver may decide this request now. Ask <@U1> or <!subteam^S1>"."""
    labels = _either([role_label(policy, role) for role in refusal.roles]) or "approver"
    if refusal.reason == RefusalReason.OWN_REQUEST:
        first = f"{OWN_REQUEST}: {_a(labels)} other than you decides it"
    elif refusal.reason == RefusalReason.SUBMITTED:
        first = f"{SUBMITTED}: {_a(labels)} other than you decides it"
    elif refusal.reason == RefusalReason.SECOND_LEVEL:
        first = (f"You already decided level {refusal.decided_position} of this request, and nobody decides two "
                 f"levels: a different {labels} decides the next one")
    elif refusal.reason == RefusalReason.OTHER_CONTROL:
        first = (f"You decided this account's customer activation, so the policy keeps you off its credit limit: "
                 f"a different {labels} decides it")
    else:
        first = f"Only {_a(labels)} may decide this request now"
    who = who_may_decide(refusal, policy)
    return f"{first}. {who}" if who else first


def who_may_decide(refusal: Refusal, policy: Policy) -> str:
    """'Ask <@U1>, <@U2> or <!subteam^S1>' (empty when the policy names nobody else). No final period: the note
    that carries a refusal ends the sentence ("... Nothing was changed.")."""
    people: list[str] = []
    groups: list[str] = []
    for role in refusal.roles:
        definition = policy.approver_roles.get(role)
        if definition is None:
            continue
        people.extend(user for user in definition.users if user not in refusal.excluded and user not in people)
        if definition.usergroup and definition.usergroup not in groups:
            groups.append(definition.usergroup)
    named = [f"<@{user}>" for user in people[:MAX_NAMED]] + [f"<!subteam^{group}>" for group in groups]
    return f"Ask {_either(named)}" if named else ""


def _a(noun: str) -> str:
    return f"{'an' if noun[:1].lower() in 'aeiou' else 'a'} {noun}"


def _either(items: list[str]) -> str:
    if len(items) <= 1:
        return "".join(items)
    return f"{', '.join(items[:-1])} or {items[-1]}"
