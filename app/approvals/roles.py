"""Who holds an approver role: the policy's user ids plus the members of the role's Slack user group."""
from __future__ import annotations

from typing import Protocol

from app.policy import Policy


class UsergroupDirectory(Protocol):
    def usergroup_members(self, group_id: str) -> list[str]: ...


def role_members(policy: Policy, role: str, *, directory: UsergroupDirectory) -> frozenset[str]:
    definition = policy.approver_roles.get(role)
    if definition is None:
        return frozenset()
    members = set(definition.users)
    if definition.usergroup:
        members.update(directory.usergroup_members(definition.usergroup))
    return frozenset(members)


def role_label(policy: Policy, role: str) -> str:
    definition = policy.approver_roles.get(role)
    return (definition.label if definition and definition.label else role.replace("_", " "))
