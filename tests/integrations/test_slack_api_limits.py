"""SlackApi under Slack's limits: paced by a (shared) throttle, and for a worker no sleeping on a 429."""
from __future__ import annotations

import pytest
from pyrate_limiter import Duration, Rate
from slack_sdk.http_retry.builtin_handlers import ConnectionErrorRetryHandler
from starlette.applications import Starlette

from app.config import Settings, load_settings
from app.errors import RateLimited, ThrottleFull
from app.integrations.slack_api import SlackApi, build_slack_api, build_web_client
from app.integrations.throttle import DEFAULT_LIMITS, Limit, Throttle
from app.integrations.throttle_buckets import MemoryBuckets, throttle_for_database
from app.sandbox.server import RunningServer
from app.sandbox.slack import SlackState

TOKEN = "xoxb-limits-test"


@pytest.fixture
def state(slack_emulator: tuple[Starlette, RunningServer]) -> SlackState:
    fresh = SlackState(tokens=[TOKEN], post_message_burst=5)
    fresh.add_channel("C0BILLING", "billing")
    fresh.add_channel("C0OPS", "ops")
    for group in ("S1", "S2"):
        fresh.add_usergroup(group, ["U1"])
    slack_emulator[0].state.slack = fresh
    return fresh


@pytest.fixture
def settings(slack_emulator: tuple[Starlette, RunningServer]) -> Settings:
    return load_settings(slack_bot_token=TOKEN, slack_api_url=f"{slack_emulator[1].url}/api/",
                         ledgerbridge_http_timeout=5)


def _tier2_once_a_minute() -> dict[str, Limit]:
    return {**DEFAULT_LIMITS, "slack_tier2": Limit("slack_tier2", "slack", (Rate(1, Duration.MINUTE),))}


def test_a_worker_client_raises_rate_limited_at_the_first_429(settings: Settings, state: SlackState) -> None:
    client = build_web_client(settings, rate_limit_retries=0)
    assert [type(handler) for handler in client.retry_handlers] == [ConnectionErrorRetryHandler]
    state.set_rate_limit(rate=0.01, burst=1)
    api = SlackApi(client)
    api.post_message("C0BILLING", text="first")
    with pytest.raises(RateLimited) as caught:
        api.post_message("C0BILLING", text="second")
    assert caught.value.retry_after == 100 and [c.status for c in state.calls_to("chat.postMessage")] == [200, 429]


def test_post_message_is_paced_per_channel(settings: Settings, state: SlackState) -> None:
    api = build_slack_api(settings, throttle=Throttle(MemoryBuckets()), max_wait=0)
    api.post_message("C0BILLING", text="one")
    with pytest.raises(ThrottleFull) as caught:
        api.post_message("C0BILLING", text="two")
    assert caught.value.key == "slack_channel:C0BILLING" and 0.9 < caught.value.retry_after <= 1.001
    api.post_message("C0OPS", text="another channel goes at once")
    assert [m.text for m in state.messages()] == ["one", "another channel goes at once"]


def test_tier_methods_are_paced_and_remembered_answers_take_no_slot(settings: Settings, state: SlackState) -> None:
    api = build_slack_api(settings, throttle=Throttle(MemoryBuckets(), limits=_tier2_once_a_minute()), max_wait=0)
    assert api.usergroup_members("S1") == ["U1"]
    assert api.usergroup_members("S1") == ["U1"]  # remembered: no call, no slot
    with pytest.raises(ThrottleFull) as caught:
        api.usergroup_members("S2")
    assert caught.value.key == "slack_tier2:usergroups.users.list" and caught.value.retry_after > 59
    assert len(state.calls_to("usergroups.users.list")) == 1


def test_two_clients_on_one_postgres_throttle_count_together(settings: Settings, state: SlackState,
                                                           fresh_pg_database: str) -> None:
    throttles = [throttle_for_database(fresh_pg_database, limits=_tier2_once_a_minute()) for _ in range(2)]
    try:
        first, second = (build_slack_api(settings, throttle=throttle, max_wait=0) for throttle in throttles)
        first.usergroup_members("S1")
        with pytest.raises(ThrottleFull):
            second.usergroup_members("S2")
        first.post_message("C0BILLING", text="chat.postMessage has its own limit")
    finally:
        for throttle in throttles:
            throttle.close()
