"""The Slack emulator's scopes (x-oauth-scopes, missing_scope) and channel membership, through the real WebClient."""
from __future__ import annotations

import httpx
import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from starlette.applications import Starlette

from app.sandbox.server import RunningServer
from app.sandbox.slack import SlackState
from app.sandbox.slack.scopes import DEFAULT_BOT_SCOPES

TOKEN = "xoxb-test-scopes"


@pytest.fixture
def state(slack_emulator: tuple[Starlette, RunningServer]) -> SlackState:
    app, server = slack_emulator
    fresh = SlackState(tokens=[TOKEN], base_url=server.url)
    fresh.add_user("U1ANN", "ann", real_name="Ann Lee", email="ann@example.com")
    fresh.add_channel("C0BILLING", "billing")
    fresh.add_channel("C0OUTSIDE", "outside", bot_member=False)
    fresh.add_channel("G0SECRET", "secret-finance", is_private=True)
    fresh.add_channel("G0HIDDEN", "hidden", is_private=True, bot_member=False)
    app.state.slack = fresh
    return fresh


@pytest.fixture
def client(state: SlackState, slack_emulator: tuple[Starlette, RunningServer]) -> WebClient:
    return WebClient(token=TOKEN, base_url=f"{slack_emulator[1].url}/api/")


def test_every_answer_carries_the_granted_scopes_in_x_oauth_scopes(client: WebClient, state: SlackState) -> None:
    response = client.auth_test()
    assert set(response.headers["x-oauth-scopes"].split(",")) == DEFAULT_BOT_SCOPES
    state.set_token_scopes(TOKEN, ["chat:write", "commands"])
    assert client.chat_postMessage(channel="C0BILLING", text="hi").headers["x-oauth-scopes"] == "chat:write,commands"


def test_a_method_without_its_scope_is_missing_scope_with_needed_and_provided(client: WebClient,
                                                                              state: SlackState) -> None:
    state.set_token_scopes(TOKEN, ["chat:write"])
    with pytest.raises(SlackApiError) as raised:
        client.users_info(user="U1ANN")
    assert raised.value.response.status_code == 200
    assert raised.value.response.data == {"ok": False, "error": "missing_scope", "needed": "users:read",
                                          "provided": "chat:write"}
    assert raised.value.response.headers["x-accepted-oauth-scopes"] == "users:read"


def test_history_of_a_private_channel_needs_groups_history(client: WebClient, state: SlackState) -> None:
    state.set_token_scopes(TOKEN, ["channels:history"])
    assert client.conversations_history(channel="C0BILLING")["ok"] is True
    with pytest.raises(SlackApiError) as raised:
        client.conversations_history(channel="G0SECRET")
    assert raised.value.response["needed"] == "groups:history"


def test_users_conversations_lists_the_bots_channels_page_by_page(client: WebClient) -> None:
    first = client.users_conversations(types="public_channel,private_channel", limit=2)
    second = client.users_conversations(types="public_channel,private_channel", limit=2,
                                        cursor=first["response_metadata"]["next_cursor"])
    listed = [c["id"] for c in first["channels"] + second["channels"]]
    assert listed == ["C0001", "C0BILLING", "G0SECRET"]
    assert second["response_metadata"]["next_cursor"] == ""
    assert [c["id"] for c in client.users_conversations()["channels"]] == ["C0001", "C0BILLING"]   # public only


def test_conversations_info_says_whether_the_bot_is_a_member(client: WebClient) -> None:
    assert client.conversations_info(channel="C0BILLING")["channel"]["is_member"] is True
    outside = client.conversations_info(channel="C0OUTSIDE")["channel"]
    assert (outside["is_member"], outside["is_private"], outside["name"]) == (False, False, "outside")
    assert client.conversations_info(channel="G0SECRET")["channel"]["is_private"] is True
    for unseen in ("G0HIDDEN", "C0NOSUCH"):       # a private channel without the bot looks like no channel
        with pytest.raises(SlackApiError) as raised:
            client.conversations_info(channel=unseen)
        assert raised.value.response["error"] == "channel_not_found"


def test_the_bot_posts_only_where_it_was_invited(client: WebClient, state: SlackState,
                                                slack_emulator: tuple[Starlette, RunningServer]) -> None:
    with pytest.raises(SlackApiError) as raised:
        client.chat_postMessage(channel="C0OUTSIDE", text="hello")
    assert raised.value.response["error"] == "not_in_channel"
    invited = httpx.post(f"{slack_emulator[1].url}/_admin/channels/bot_member",
                         json={"channel": "C0OUTSIDE", "member": True})
    assert invited.json() == {"ok": True}
    assert client.chat_postMessage(channel="C0OUTSIDE", text="hello")["ok"] is True
    with pytest.raises(SlackApiError) as hidden:
        client.chat_postMessage(channel="G0HIDDEN", text="hello")
    assert hidden.value.response["error"] == "channel_not_found"    # a private channel without the bot: unseen


def test_scopes_are_set_over_the_admin_api(client: WebClient, slack_emulator: tuple[Starlette, RunningServer]) -> None:
    answer = httpx.post(f"{slack_emulator[1].url}/_admin/tokens/scopes", json={"token": TOKEN, "scopes": ["commands"]})
    assert answer.json() == {"ok": True}
    assert client.auth_test().headers["x-oauth-scopes"] == "commands"


def test_users_conversations_lists_limited_objects_and_needs_the_scope_of_each_type(client: WebClient,
                                                                                   state: SlackState) -> None:
    listed = client.users_conversations(types="public_channel,private_channel")["channels"]
    assert listed and all("is_member" not in channel and "num_members" not in channel for channel in listed)
    state.set_token_scopes(TOKEN, ["channels:read"])
    assert [c["id"] for c in client.users_conversations(types="public_channel")["channels"]] == ["C0001", "C0BILLING"]
    with pytest.raises(SlackApiError) as raised:
        client.users_conversations(types="public_channel,private_channel")
    assert raised.value.response.data == {"ok": False, "error": "missing_scope", "needed": "groups:read",
                                          "provided": "channels:read"}
