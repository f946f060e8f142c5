from app.approvals.roles import role_label, role_members
from app.errors import VendorNotFound
from app.policy import load_policy

POLICY = load_policy("app/sandbox/demo_policy.yaml")


class Directory:
    def __init__(self, groups: dict[str, list[str]]) -> None:
        self.groups = groups

    def usergroup_members(self, group_id: str) -> list[str]:
        if group_id not in self.groups:
            raise VendorNotFound("no_such_subteam", vendor="slack")
        return self.groups[group_id]


def test_members_are_the_named_users_plus_the_user_group():
    members = role_members(POLICY, "finance_approver", directory=Directory({"S05FINTEAM1": ["U05NEWHIRE1"]}))
    assert members == {"U05ANNFIN01", "U05BOBFIN02", "U05NEWHIRE1"}


def test_an_unreadable_user_group_fails_closed_to_the_named_users():
    assert role_members(POLICY, "finance_approver", directory=Directory({})) == {"U05ANNFIN01", "U05BOBFIN02"}


def test_an_unknown_role_has_nobody_and_labels_read_well():
    assert role_members(POLICY, "auditor", directory=Directory({})) == frozenset()
    assert role_label(POLICY, "finance_approver") == "Finance approver"
