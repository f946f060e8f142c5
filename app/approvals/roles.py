"""Who holds an approver role: the policy's user ids plus the members of the role's Slack user group."""
from __future__ import annotations

import logging
from typing import Protocol

from app.errors import IntegrationError, RateLimited, VendorUnavailable
from app.policy import Policy

log = logging.getLogger(__name__)


class UsergroupDirectory(Protocol):
    def usergroup_members(self, group_id: str) -> list[str]: ...


def role_members(policy: Policy, role: str, *, directory: UsergroupDirectory) -> frozenset[str]:
    """The policy's users plus the user group's members.

    Raises RateLimited / VendorUnavailable when Slack cannot answer now (and the directory remembers no recent
    answer): "ask again later" must not be read as "not a member", so the caller reschedules. Any other failure
    to read the group (no such group, a revoked token) fails closed: only the named users may decide meanwhile.
    """
    definition = policy.approver_roles.get(role)
    if definition is None:
        return frozenset()
    members = set(definition.users)
    if definition.usergroup:
        try:
            members.update(directory.usergroup_members(definition.usergroup))
        except (RateLimited, VendorUnavailable):
            raise
        except IntegrationError as error:
            log.warning("approver role %s: cannot read Slack user group %s: %s", role, definition.usergroup, error)
    return frozenset(members)


def members_by_role(policy: Policy, *, directory: UsergroupDirectory) -> dict[str, frozenset[str]]:
    """Every approver role with its members (one user-group read per role)."""
    return {role: role_members(policy, role, directory=directory) for role in policy.approver_roles}


def role_label(policy: Policy, role: str) -> str:
    definition = policy.approver_roles.get(role)
    return (definition.label if definition and definition.label else role.replace("_", " "))
