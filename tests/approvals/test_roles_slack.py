"""Who holds a role when Slack throttles the user-group read: the real SlackApi against the Slack emulator
answering 429. A throttled read is never "not a member": a recent remembered list is used, else it raises."""
from __future__ import annotations

import socket
from datetime import UTC, datetime, timedelta

import pytest
from slack_sdk import WebClient
from starlette.applications import Starlette

from app.approvals.roles import members_by_role, role_members
from app.clock import FixedClock
from app.errors import RateLimited, VendorUnavailable
from app.integrations.slack_api import SlackApi
from app.integrations.slack_directory import DirectoryCache
from app.policy import load_policy
from app.sandbox.server import RunningServer
from app.sandbox.slack import SlackState

POLICY = load_policy("app/sandbox/demo_policy.yaml")
TOKEN = "xoxb-roles-test"
NAMED = {"U05ANNFIN01", "U05BOBFIN02"}  # finance_approver's users in the policy
GROUP = "S05FINTEAM1"


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(datetime(2024, 5, 1, 9, 0, tzinfo=UTC))


@pytest.fixture
def slack(slack_emulator: tuple[Starlette, RunningServer], clock: FixedClock) -> SlackState:
    state = SlackState(tokens=[TOKEN], clock=clock)
    state.add_user("U05NEWHIRE1", "newhire", email="new.hire@example.com")
    state.add_usergroup(GROUP, ["U05NEWHIRE1"])
    # one call an hour: every later call in a test is a 429, even after the shared clock moves on
    state.set_method_limits({"usergroups.users.list": 1, "users.lookupByEmail": 1}, window_seconds=3600)
    slack_emulator[0].state.slack = state
    return state


@pytest.fixture
def api(slack_emulator: tuple[Starlette, RunningServer], slack: SlackState, clock: FixedClock) -> SlackApi:
    client = WebClient(token=TOKEN, base_url=f"{slack_emulator[1].url}/api/")  # no 429 retries: answers at once
    return SlackApi(client, directory=DirectoryCache(clock=clock))


def _spend_the_one_allowed_call(api: SlackApi, slack: SlackState) -> None:
    slack.add_usergroup("S0WARMUP", [])
    assert api.usergroup_members("S0WARMUP") == []


def _statuses(slack: SlackState, method: str = "usergroups.users.list") -> list[int]:
    return [call.status for call in slack.calls_to(method)]


def test_a_fresh_answer_is_remembered_for_two_minutes(api: SlackApi, slack: SlackState, clock: FixedClock) -> None:
    assert role_members(POLICY, "finance_approver", directory=api) == NAMED | {"U05NEWHIRE1"}
    clock.advance(timedelta(seconds=119))
    assert role_members(POLICY, "finance_approver", directory=api) == NAMED | {"U05NEWHIRE1"}
    assert _statuses(slack) == [200]


def test_a_429_uses_the_list_remembered_up_to_15_minutes_ago(api: SlackApi, slack: SlackState,
                                                           clock: FixedClock) -> None:
    role_members(POLICY, "finance_approver", directory=api)
    clock.advance(timedelta(minutes=14))
    assert role_members(POLICY, "finance_approver", directory=api) == NAMED | {"U05NEWHIRE1"}
    assert _statuses(slack) == [200, 429]


def test_a_429_with_nothing_remembered_raises_instead_of_refusing_members(api: SlackApi, slack: SlackState) -> None:
    _spend_the_one_allowed_call(api, slack)
    with pytest.raises(RateLimited) as caught:
        role_members(POLICY, "finance_approver", directory=api)
    assert caught.value.retry_after == 3600 and caught.value.status == 429
    with pytest.raises(RateLimited):
        members_by_role(POLICY, directory=api)
    assert _statuses(slack) == [200, 429, 429]


def test_a_429_after_the_stale_limit_raises(api: SlackApi, slack: SlackState, clock: FixedClock) -> None:
    role_members(POLICY, "finance_approver", directory=api)
    clock.advance(timedelta(minutes=15, seconds=1))
    slack.set_method_limits({"usergroups.users.list": 1}, window_seconds=3600)  # a new hour's allowance
    _spend_the_one_allowed_call(api, slack)
    with pytest.raises(RateLimited):
        role_members(POLICY, "finance_approver", directory=api)
    assert _statuses(slack) == [200, 200, 429]


def test_an_unreachable_slack_raises_vendor_unavailable(clock: FixedClock) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    down = SlackApi(WebClient(token=TOKEN, base_url=f"http://127.0.0.1:{port}/api/", timeout=2),
                    directory=DirectoryCache(clock=clock))
    with pytest.raises(VendorUnavailable):
        role_members(POLICY, "finance_approver", directory=down)


def test_an_unknown_group_still_fails_closed_to_the_named_users(api: SlackApi, slack: SlackState) -> None:
    slack.usergroups.pop(GROUP)
    assert role_members(POLICY, "finance_approver", directory=api) == NAMED
    assert [call.response["error"] for call in slack.calls_to("usergroups.users.list")] == ["no_such_subteam"]


def test_email_look_ups_are_remembered_and_a_429_is_never_no_such_user(api: SlackApi, slack: SlackState,
                                                                       clock: FixedClock) -> None:
    assert api.lookup_user_by_email("New.Hire@example.com").id == "U05NEWHIRE1"
    assert api.lookup_user_by_email("new.hire@example.com").id == "U05NEWHIRE1"
    assert _statuses(slack, "users.lookupByEmail") == [200]
    with pytest.raises(RateLimited):
        api.lookup_user_by_email("someone.else@example.com")
    clock.advance(timedelta(minutes=5))
    assert api.lookup_user_by_email("new.hire@example.com").id == "U05NEWHIRE1"  # stale but known, while throttled
    assert _statuses(slack, "users.lookupByEmail") == [200, 429, 429]
