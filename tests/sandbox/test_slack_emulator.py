"""The Slack Web API emulator, driven by the real slack_sdk WebClient / AsyncWebClient over real HTTP."""
from __future__ import annotations

import json
import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient
from starlette.applications import Starlette

from app.clock import FixedClock
from app.sandbox.server import RunningServer
from app.sandbox.slack import SlackState

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "slack"
TOKEN = "xoxb-test-emulator"
TS = re.compile(r"^\d{10}\.\d{6}$")


def fixture(name: str) -> Any:
    return json.loads((FIXTURES / name).read_text())


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(datetime.now(UTC))


@pytest.fixture
def state(slack_emulator: tuple[Starlette, RunningServer], clock: FixedClock) -> SlackState:
    """A fresh workspace per test, swapped into the module's running emulator."""
    app, server = slack_emulator
    fresh = SlackState(clock=clock, tokens=[TOKEN], post_message_burst=3, base_url=server.url)
    fresh.add_user("U1ANN", "ann", real_name="Ann Lee", email="ann@example.com", tz="America/New_York",
                   is_admin=True)
    fresh.add_user("U2BOB", "bob", real_name="Bob Ray", email="bob@example.com")
    fresh.add_channel("C0BILLING", "billing")
    fresh.add_usergroup("S0FINANCE", ["U1ANN", "U2BOB"])
    app.state.slack = fresh
    return fresh


@pytest.fixture
def api_url(slack_emulator: tuple[Starlette, RunningServer]) -> str:
    return f"{slack_emulator[1].url}/api/"


@pytest.fixture
def client(state: SlackState, api_url: str) -> WebClient:
    return WebClient(token=TOKEN, base_url=api_url)


def slack_error(call: Callable[[], object]) -> SlackApiError:
    with pytest.raises(SlackApiError) as caught:
        call()
    return caught.value


def error_of(call: Callable[[], object]) -> str:
    return slack_error(call).response["error"]


def modal(**extra: Any) -> dict[str, Any]:
    return {"type": "modal", "callback_id": "reject", "title": {"type": "plain_text", "text": "Reject"},
            "submit": {"type": "plain_text", "text": "Send"}, "private_metadata": "req-42",
            "blocks": [{"type": "input", "block_id": "reason_b", "label": {"type": "plain_text", "text": "Why"},
                        "element": {"type": "plain_text_input", "action_id": "reason_a"}}], **extra}


# ---- auth ----------------------------------------------------------------------------------------
def test_auth_test_answers_with_the_fixture_keys(client: WebClient) -> None:
    response = client.auth_test()
    assert set(fixture("web_auth.test_ok.json")) <= set(response.data)
    assert response["user_id"] == "U0BOT" and response["team_id"] == "T0001"


def test_unknown_missing_and_revoked_tokens_are_refused(state: SlackState, api_url: str) -> None:
    bad = slack_error(WebClient(token="xoxb-wrong", base_url=api_url).auth_test)
    assert bad.response.status_code == 200
    assert bad.response.data == fixture("web_auth.test_error_invalid_auth.json")
    assert error_of(WebClient(base_url=api_url).auth_test) == "not_authed"
    state.revoke_token(TOKEN)
    assert error_of(WebClient(token=TOKEN, base_url=api_url).auth_test) == "token_revoked"


def test_unknown_method(client: WebClient) -> None:
    assert error_of(lambda: client.api_call("chat.teleport")) == "unknown_method"


# ---- chat ----------------------------------------------------------------------------------------
def test_post_message_stores_the_message_and_answers_like_slack(client: WebClient, state: SlackState) -> None:
    response = client.chat_postMessage(channel="C0BILLING", text="Invoice ready",
                                       blocks=[{"type": "section", "text": {"type": "mrkdwn", "text": "*1037*"}}])
    assert set(fixture("web_chat.postMessage_ok.json")) <= set(response.data)
    assert response["channel"] == "C0BILLING" and TS.match(response["ts"])
    assert response["message"]["text"] == "Invoice ready" and response["message"]["bot_id"] == "B0001"
    stored = state.find_message("C0BILLING", response["ts"])
    assert stored is not None and stored.blocks[0]["text"]["text"] == "*1037*"


def test_ts_are_unique_and_increasing_and_threads_are_recorded(client: WebClient, state: SlackState) -> None:
    parent = client.chat_postMessage(channel="#billing", text="parent")["ts"]
    reply = client.chat_postMessage(channel="C0BILLING", text="reply", thread_ts=parent)["ts"]
    third = client.chat_postMessage(channel="C0001", text="general")["ts"]
    assert float(parent) < float(reply) < float(third)
    assert [m.thread_ts for m in state.messages("C0BILLING")] == [None, parent]


def test_posting_to_a_user_goes_to_their_dm_channel(client: WebClient, state: SlackState) -> None:
    dm = client.conversations_open(users="U1ANN")
    assert set(fixture("web_conversations.open_ok.json")) <= set(dm.data)
    posted = client.chat_postMessage(channel="U1ANN", text="please approve")
    assert posted["channel"] == dm["channel"]["id"] and posted["channel"].startswith("D")
    assert client.chat_postMessage(channel=dm["channel"]["id"], text="again")["ok"]
    assert [m.text for m in state.messages(posted["channel"])] == ["please approve", "again"]


def test_post_message_errors(client: WebClient) -> None:
    assert error_of(lambda: client.chat_postMessage(channel="C404", text="x")) == "channel_not_found"
    with pytest.warns(UserWarning, match="text"):  # slack_sdk warns too; the emulator refuses like Slack
        assert error_of(lambda: client.chat_postMessage(channel="C0BILLING")) == "no_text"


@pytest.mark.parametrize(("blocks", "pointer"), [
    ([{"type": "divider"}] * 51, "/blocks"),
    ([{"type": "section", "text": {"type": "mrkdwn", "text": "x" * 3001}}], "/blocks/0/text/text"),
    ([{"type": "actions", "elements": [{"type": "button", "action_id": "a",
                                        "text": {"type": "plain_text", "text": "t" * 76}}]}],
     "/blocks/0/elements/0/text/text"),
    ([{"type": "actions", "elements": [{"type": "button", "action_id": "a",
                                        "text": {"type": "plain_text", "text": "t"}}] * 26}], "/blocks/0/elements"),
    ([{"type": "header", "text": {"type": "plain_text", "text": "h" * 151}}], "/blocks/0/text/text"),
])
def test_block_kit_limits_give_invalid_blocks(client: WebClient, state: SlackState, blocks: list, pointer: str) -> None:
    error = slack_error(lambda: client.chat_postMessage(channel="C0BILLING", text="t", blocks=blocks))
    assert error.response["error"] == "invalid_blocks"
    assert any(pointer in message for message in error.response["response_metadata"]["messages"])
    assert state.messages("C0BILLING") == []


def test_the_block_actions_fixture_blocks_are_accepted(client: WebClient) -> None:
    blocks = fixture("block_actions_button_in_message.json")["message"]["blocks"]
    assert client.chat_postMessage(channel="C0001", text="fallback", blocks=blocks)["ok"]


def test_chat_update_replaces_text_and_blocks(client: WebClient, state: SlackState) -> None:
    ts = client.chat_postMessage(channel="C0BILLING", text="pending",
                                 blocks=[{"type": "section", "text": {"type": "mrkdwn", "text": "old"}}])["ts"]
    response = client.chat_update(channel="C0BILLING", ts=ts, text="approved",
                                  blocks=[{"type": "section", "text": {"type": "mrkdwn", "text": "new"}}])
    assert set(fixture("web_chat.update_ok.json")) <= set(response.data)
    stored = state.find_message("C0BILLING", ts)
    assert stored and stored.text == "approved" and stored.blocks[0]["text"]["text"] == "new"


def test_chat_update_errors(client: WebClient, state: SlackState) -> None:
    assert error_of(lambda: client.chat_update(channel="C0BILLING", ts="1.000001", text="x")) == "message_not_found"
    theirs = state.add_message("C0BILLING", text="human", user="U1ANN")
    assert error_of(lambda: client.chat_update(channel="C0BILLING", ts=theirs.ts, text="x")) == "cant_update_message"
    assert error_of(lambda: client.chat_update(channel="C404", ts=theirs.ts, text="x")) == "channel_not_found"


def test_post_ephemeral(client: WebClient, state: SlackState) -> None:
    response = client.chat_postEphemeral(channel="C0BILLING", user="U2BOB", text="only you")
    assert TS.match(response["message_ts"])
    assert [(e.user, e.text) for e in state.ephemerals("U2BOB")] == [("U2BOB", "only you")]
    assert error_of(lambda: client.chat_postEphemeral(channel="C0BILLING", user="U404", text="x")) == "user_not_found"


# ---- rate limit ----------------------------------------------------------------------------------
def test_post_message_is_limited_per_channel_with_429_and_retry_after(
        client: WebClient, clock: FixedClock) -> None:
    for _ in range(3):
        client.chat_postMessage(channel="C0BILLING", text="burst")
    error = slack_error(lambda: client.chat_postMessage(channel="C0BILLING", text="one too many"))
    assert error.response.status_code == 429
    assert error.response.headers["Retry-After"] == "1"
    assert error.response.data == fixture("web_error_ratelimited_429.json")
    assert client.chat_postMessage(channel="C0001", text="other channel is fine")["ok"]
    clock.advance(timedelta(seconds=1))
    assert client.chat_postMessage(channel="C0BILLING", text="refilled")["ok"]


def test_usergroups_users_list_is_tier_2_with_20_a_minute(client: WebClient, clock: FixedClock) -> None:
    for _ in range(20):
        assert client.usergroups_users_list(usergroup="S0FINANCE")["ok"]
    clock.advance(timedelta(seconds=30))
    error = slack_error(lambda: client.usergroups_users_list(usergroup="S0FINANCE"))
    assert error.response.status_code == 429 and error.response.headers["Retry-After"] == "30"
    assert error.response.data == fixture("web_error_ratelimited_429.json")
    assert client.users_lookupByEmail(email="ann@example.com")["ok"]  # each method counts on its own
    clock.advance(timedelta(seconds=30))
    assert client.usergroups_users_list(usergroup="S0FINANCE")["ok"]


def test_users_lookup_by_email_is_tier_3_and_limits_are_lowered_over_http(
        slack_emulator: tuple[Starlette, RunningServer], client: WebClient, state: SlackState) -> None:
    for _ in range(50):
        client.users_lookupByEmail(email="bob@example.com")
    assert slack_error(lambda: client.users_lookupByEmail(email="bob@example.com")).response.status_code == 429
    admin = slack_emulator[1].url + "/_admin/method_rate_limits"
    lowered = httpx.post(admin, json={"limits": {"usergroups.users.list": 2}, "window_seconds": 10,
                                      "retry_after_override": 0}).json()
    assert lowered["limits"] == {"usergroups.users.list": 2, "users.lookupByEmail": 50}
    assert lowered["window_seconds"] == 10
    client.usergroups_users_list(usergroup="S0FINANCE")
    client.usergroups_users_list(usergroup="S0FINANCE")
    error = slack_error(lambda: client.usergroups_users_list(usergroup="S0FINANCE"))
    assert error.response.status_code == 429 and error.response.headers["Retry-After"] == "0"
    assert [c.status for c in state.calls_to("usergroups.users.list")] == [200, 200, 429]
    assert httpx.post(admin, json={"limits": {"users.lookupByEmail": 0}}).status_code == 400
    assert httpx.post(admin, json={"limits": {"users.lookupByEmail": None}}).json()["limits"] == {
        "usergroups.users.list": 2}


# ---- views ---------------------------------------------------------------------------------------
def test_views_open_with_a_fresh_trigger(client: WebClient, state: SlackState) -> None:
    trigger = state.issue_trigger("U1ANN")
    response = client.views_open(trigger_id=trigger, view=modal())
    assert set(fixture("web_views.open_ok.json")["view"]) <= set(response["view"])
    assert response["view"]["private_metadata"] == "req-42"
    assert [v["id"] for v in state.views] == [response["view"]["id"]]
    assert state.view_user(response["view"]["id"]) == "U1ANN"


def test_trigger_ids_expire_after_3_seconds_and_work_once(
        client: WebClient, state: SlackState, clock: FixedClock) -> None:
    used, stale = state.issue_trigger("U1ANN"), state.issue_trigger("U1ANN")
    client.views_open(trigger_id=used, view=modal())
    assert error_of(lambda: client.views_open(trigger_id=used, view=modal())) == "exchanged_trigger_id"
    clock.advance(timedelta(seconds=3.5))
    assert error_of(lambda: client.views_open(trigger_id=stale, view=modal())) == "expired_trigger_id"
    assert error_of(lambda: client.views_open(trigger_id="1.2.nope", view=modal())) == "invalid_trigger_id"


def test_views_open_argument_errors(client: WebClient, state: SlackState) -> None:
    missing = slack_error(lambda: client.api_call("views.open", json={"view": modal()}))
    assert missing.response["error"] == "invalid_arguments"
    assert set(fixture("web_views.open_error_invalid_arguments.json")) <= set(missing.response.data)
    long_title = modal(title={"type": "plain_text", "text": "t" * 25})
    error = slack_error(lambda: client.views_open(trigger_id=state.issue_trigger("U1ANN"), view=long_title))
    assert error.response["error"] == "invalid_blocks"
    assert "/view/title/text" in error.response["response_metadata"]["messages"][0]


def test_views_update_by_view_id_and_external_id(client: WebClient, state: SlackState) -> None:
    opened = client.views_open(trigger_id=state.issue_trigger("U1ANN"), view=modal(external_id="ext-1"))["view"]
    by_id = client.views_update(view_id=opened["id"], view=modal(private_metadata="v2"))
    assert by_id["view"]["id"] == opened["id"] and by_id["view"]["private_metadata"] == "v2"
    by_ext = client.views_update(external_id="ext-1", view=modal(external_id="ext-1", private_metadata="v3"))
    assert state.view(opened["id"])["private_metadata"] == "v3" and by_ext["view"]["id"] == opened["id"]
    assert error_of(lambda: client.views_update(view_id="V404", view=modal())) == "not_found"


def test_views_publish_stores_one_home_tab_per_user(client: WebClient, state: SlackState) -> None:
    home = {"type": "home", "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": "3 pending"}}]}
    first = client.views_publish(user_id="U1ANN", view=home)["view"]
    again = client.views_publish(user_id="U1ANN", view={**home, "blocks": []})["view"]
    assert first["id"] == again["id"] and state.home_views["U1ANN"]["blocks"] == []
    assert "U2BOB" not in state.home_views
    assert error_of(lambda: client.views_publish(user_id="U404", view=home)) == "user_not_found"


# ---- directory -----------------------------------------------------------------------------------
def test_users_info_and_lookup_by_email(client: WebClient) -> None:
    info = client.users_info(user="U1ANN")
    assert set(fixture("web_users.info_ok.json")["user"]) <= set(info["user"])
    assert info["user"]["profile"]["email"] == "ann@example.com" and info["user"]["tz_offset"] in (-18000, -14400)
    assert client.users_lookupByEmail(email="BOB@example.com")["user"]["id"] == "U2BOB"
    assert error_of(lambda: client.users_info(user="U404")) == "user_not_found"
    assert error_of(lambda: client.users_lookupByEmail(email="nobody@example.com")) == "users_not_found"


def test_usergroup_members(client: WebClient) -> None:
    response = client.usergroups_users_list(usergroup="S0FINANCE")
    assert set(fixture("web_usergroups.users.list_ok.json")) <= set(response.data)
    assert response["users"] == ["U1ANN", "U2BOB"]
    assert error_of(lambda: client.usergroups_users_list(usergroup="S404")) == "no_such_subteam"


def test_conversations_open_unknown_user(client: WebClient) -> None:
    assert error_of(lambda: client.conversations_open(users="U404")) == "user_not_found"


# ---- wire formats and recording ------------------------------------------------------------------
def test_form_bodies_get_queries_and_bad_json(state: SlackState, api_url: str) -> None:
    auth = {"Authorization": f"Bearer {TOKEN}"}
    blocks = json.dumps([{"type": "section", "text": {"type": "mrkdwn", "text": "form"}}])
    form = httpx.post(api_url + "chat.postMessage", data={"channel": "C0001", "text": "f", "blocks": blocks},
                      headers=auth).json()
    assert form["ok"] and state.find_message("C0001", form["ts"]).blocks[0]["text"]["text"] == "form"
    legacy = httpx.post(api_url + "users.info", data={"token": TOKEN, "user": "U2BOB"}).json()
    assert legacy["user"]["name"] == "bob"
    assert httpx.get(api_url + "users.info", params={"user": "U1ANN"}, headers=auth).json()["ok"]
    broken = httpx.post(api_url + "chat.postMessage", content=b"{nope",
                        headers={**auth, "Content-Type": "application/json"})
    assert broken.status_code == 200 and broken.json() == {"ok": False, "error": "invalid_json"}
    bad_blocks = httpx.post(api_url + "chat.postMessage", data={"channel": "C0001", "blocks": "[oops"},
                            headers=auth).json()
    assert bad_blocks["error"] == "invalid_blocks_format"
    weird = httpx.post(api_url + "chat.postMessage", json={"channel": ["C0001"], "text": {"a": 1}}, headers=auth)
    assert weird.status_code == 200 and weird.json()["ok"] is False


def test_every_call_is_recorded_without_the_token(client: WebClient, state: SlackState) -> None:
    client.chat_postMessage(channel="C0001", text="hello")
    error_of(lambda: client.users_info(user="U404"))
    post, info = state.calls
    assert (post.method, post.params["text"], post.status, post.response["ok"]) == (
        "chat.postMessage", "hello", 200, True)
    assert info.method == "users.info" and info.response["error"] == "user_not_found"
    assert TOKEN not in json.dumps([c.params for c in state.calls])
    assert post.at.tzinfo is not None


# ---- admin API -----------------------------------------------------------------------------------
def test_admin_api_seeds_and_inspects_over_http(slack_emulator: tuple[Starlette, RunningServer], state: SlackState,
                                                api_url: str) -> None:
    admin = slack_emulator[1].url + "/_admin"
    assert httpx.post(f"{admin}/users", json={"users": [{"id": "U3CAT", "name": "cat", "email": "c@x.io",
                                                         "tz": "Europe/Paris", "is_admin": True}]}).json()["ok"]
    assert httpx.post(f"{admin}/usergroups", json={"id": "S2", "users": ["U3CAT"]}).json()["ok"]
    assert httpx.post(f"{admin}/channels", json={"id": "C9", "name": "ops"}).json()["ok"]
    assert httpx.post(f"{admin}/tokens", json={"tokens": ["xoxb-other"]}).json()["ok"]
    other = WebClient(token="xoxb-other", base_url=api_url)
    assert other.usergroups_users_list(usergroup="S2")["users"] == ["U3CAT"]
    other.chat_postMessage(channel="C9", text="seeded")
    messages = httpx.get(f"{admin}/messages", params={"channel": "C9"}).json()["items"]
    assert [m["text"] for m in messages] == ["seeded"]
    calls = httpx.get(f"{admin}/calls", params={"method": "chat.postMessage"}).json()["items"]
    assert len(calls) == 1 and calls[0]["status"] == 200
    assert error_of(WebClient(token=TOKEN, base_url=api_url).auth_test) == "invalid_auth"
    assert httpx.post(f"{admin}/reset").json()["ok"]
    assert state.messages() == [] and state.user("U3CAT") is None


def test_admin_api_rejects_bad_input_with_400(slack_emulator: tuple[Starlette, RunningServer],
                                              state: SlackState) -> None:
    admin = slack_emulator[1].url + "/_admin"
    for path, body in [("users", {"users": [{"name": "no id"}]}), ("usergroups", {"id": "S1"}),
                       ("rate_limit", {"rate": -1}), ("tokens", {"tokens": "xoxb"})]:
        response = httpx.post(f"{admin}/{path}", json=body)
        assert response.status_code == 400 and response.json()["ok"] is False, path
    assert httpx.post(f"{admin}/channels", content=b"not json").status_code == 400


# ---- async client --------------------------------------------------------------------------------
@pytest.mark.asyncio
async def test_async_web_client_against_the_emulator(state: SlackState, api_url: str) -> None:
    client = AsyncWebClient(token=TOKEN, base_url=api_url)
    posted = await client.chat_postMessage(channel="C0BILLING", text="async")
    assert state.find_message("C0BILLING", posted["ts"]).text == "async"
    assert (await client.usergroups_users_list(usergroup="S0FINANCE"))["users"] == ["U1ANN", "U2BOB"]
    with pytest.raises(SlackApiError) as caught:
        await client.users_info(user="U404")
    assert caught.value.response["error"] == "user_not_found"
