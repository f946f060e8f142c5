"""app.integrations.slack_api against the Slack emulator: real WebClient/AsyncWebClient, real HTTP, our errors."""
from __future__ import annotations

import socket
from datetime import UTC, datetime

import pytest
from slack_sdk import WebClient
from slack_sdk.http_retry.builtin_handlers import ConnectionErrorRetryHandler, RateLimitErrorRetryHandler
from slack_sdk.models.blocks import ActionsBlock, ButtonElement, SectionBlock
from slack_sdk.models.views import View
from starlette.applications import Starlette

from app.clock import FixedClock
from app.config import Settings, load_settings
from app.errors import (
    AuthenticationFailed,
    ConfigError,
    RateLimited,
    VendorNotFound,
    VendorUnavailable,
    VendorValidationError,
)
from app.integrations.slack_api import (
    AsyncSlackApi,
    PostedMessage,
    SlackApi,
    SlackUser,
    build_async_web_client,
    build_web_client,
)
from app.sandbox.server import RunningServer
from app.sandbox.slack import SlackState

TOKEN = "xoxb-wrapper-test"


@pytest.fixture
def state(slack_emulator: tuple[Starlette, RunningServer]) -> SlackState:
    fresh = SlackState(tokens=[TOKEN], post_message_burst=3)
    fresh.add_user("U1ANN", "ann", real_name="Ann Lee", email="ann@example.com", tz="Europe/Paris")
    fresh.add_channel("C0BILLING", "billing")
    fresh.add_usergroup("S0FINANCE", ["U1ANN"])
    slack_emulator[0].state.slack = fresh
    return fresh


@pytest.fixture
def settings(slack_emulator: tuple[Starlette, RunningServer]) -> Settings:
    return load_settings(slack_bot_token=TOKEN, slack_api_url=f"{slack_emulator[1].url}/api/",
                         ledgerbridge_http_timeout=5)


@pytest.fixture
def api(settings: Settings, state: SlackState) -> SlackApi:
    return SlackApi(build_web_client(settings))


def test_build_web_client_uses_the_settings_and_retries_429(settings: Settings) -> None:
    client = build_web_client(settings)
    assert client.token == TOKEN and client.base_url == str(settings.slack_api_url) and client.timeout == 5
    assert [type(h) for h in client.retry_handlers] == [ConnectionErrorRetryHandler, RateLimitErrorRetryHandler]
    assert client.retry_handlers[1].max_retry_count == 2
    with pytest.raises(ConfigError, match="SLACK_BOT_TOKEN"):
        build_web_client(load_settings(slack_bot_token=None))


def test_messages_with_slack_sdk_blocks(api: SlackApi, state: SlackState) -> None:
    blocks = [SectionBlock(block_id="req-42", text="Invoice *1037*"),
              ActionsBlock(block_id="decide", elements=[ButtonElement(text="Approve", action_id="approve")])]
    posted = api.post_message("C0BILLING", text="Invoice 1037", blocks=blocks)
    assert isinstance(posted, PostedMessage) and posted.channel == "C0BILLING"
    assert state.find_message("C0BILLING", posted.ts).blocks == [b.to_dict() for b in blocks]
    reply = api.post_message("C0BILLING", text="in thread", thread_ts=posted.ts)
    assert state.find_message("C0BILLING", reply.ts).thread_ts == posted.ts
    api.update_message("C0BILLING", posted.ts, text="Approved", blocks=[{"type": "divider"}])
    assert state.find_message("C0BILLING", posted.ts).blocks == [{"type": "divider"}]
    api.post_ephemeral("C0BILLING", "U1ANN", text="only you")
    assert state.ephemerals("U1ANN")[0].text == "only you"


def test_views_users_groups_and_dms(api: SlackApi, state: SlackState) -> None:
    modal = View(type="modal", title="Reject", callback_id="reject", blocks=[SectionBlock(text="Why?")])
    view_id = api.open_view(state.issue_trigger("U1ANN"), modal)
    assert state.view(view_id)["callback_id"] == "reject"
    home_id = api.publish_home("U1ANN", {"type": "home", "blocks": []})
    assert state.home_views["U1ANN"]["id"] == home_id
    assert api.user_info("U1ANN") == SlackUser("U1ANN", "ann", "Ann Lee", "ann@example.com", "Europe/Paris")
    assert api.lookup_user_by_email("ANN@example.com") == api.user_info("U1ANN")
    assert api.lookup_user_by_email("nobody@example.com") is None
    assert api.usergroup_members("S0FINANCE") == ["U1ANN"]
    assert api.open_dm("U1ANN").startswith("D")


def test_slack_errors_become_ours(api: SlackApi, state: SlackState, settings: Settings) -> None:
    cases = [
        (lambda: api.post_message("C404", text="x"), VendorNotFound, "channel_not_found"),
        (lambda: api.update_message("C0BILLING", "1.000001", text="x"), VendorNotFound, "message_not_found"),
        (lambda: api.user_info("U404"), VendorNotFound, "user_not_found"),
        (lambda: api.usergroup_members("S404"), VendorNotFound, "no_such_subteam"),
        (lambda: api.post_message("C0BILLING", text="x", blocks=[{"type": "divider"}] * 51),
         VendorValidationError, "invalid_blocks"),
        (lambda: api.open_view("1.2.unknown", {"type": "modal", "title": {"type": "plain_text", "text": "t"}}),
         VendorValidationError, "invalid_trigger_id"),
    ]
    for call, kind, code in cases:
        with pytest.raises(kind) as caught:
            call()
        assert (caught.value.code, caught.value.vendor, caught.value.retryable) == (code, "slack", False)
    stranger = SlackApi(WebClient(token="xoxb-nope", base_url=str(settings.slack_api_url)))
    with pytest.raises(AuthenticationFailed) as caught:
        stranger.user_info("U1ANN")
    assert caught.value.code == "invalid_auth" and "xoxb" not in str(caught.value)


def test_invalid_blocks_message_names_the_json_pointer(api: SlackApi) -> None:
    with pytest.raises(VendorValidationError, match=r"/blocks/0/text/text"):
        api.post_message("C0BILLING", text="x", blocks=[{"type": "section", "text": {"type": "mrkdwn",
                                                                                     "text": "y" * 3001}}])
    with pytest.raises(VendorValidationError, match="75"):
        api.post_message("C0BILLING", text="x", blocks=[
            ActionsBlock(elements=[ButtonElement(text="z" * 80, action_id="a")])])


def test_rate_limited_without_retry_handler(state: SlackState, settings: Settings) -> None:
    bare = SlackApi(WebClient(token=TOKEN, base_url=str(settings.slack_api_url)))
    state.set_rate_limit(rate=0.01, burst=1)
    bare.post_message("C0BILLING", text="first")
    with pytest.raises(RateLimited) as caught:
        bare.post_message("C0BILLING", text="second")
    assert (caught.value.retry_after, caught.value.status, caught.value.retryable) == (100.0, 429, True)


def test_the_retry_handler_waits_out_a_429_and_succeeds(api: SlackApi, state: SlackState) -> None:
    state.set_rate_limit(rate=20, burst=1)
    state.retry_after_override = 0  # slack_sdk then sleeps 0..1 s instead of 1..2 s
    api.post_message("C0BILLING", text="first")
    api.post_message("C0BILLING", text="second")
    statuses = [c.status for c in state.calls_to("chat.postMessage")]
    # slack_sdk waits a random 0..1 s, which may still be inside the 50 ms refill: one or two 429s
    assert statuses[0] == 200 and statuses[-1] == 200 and set(statuses[1:-1]) == {429} and len(statuses) <= 4
    assert [m.text for m in state.messages("C0BILLING")] == ["first", "second"]


def test_the_retry_handler_gives_up_with_rate_limited(api: SlackApi, state: SlackState) -> None:
    state.clock = FixedClock(datetime.now(UTC))  # a frozen clock never refills the bucket
    state.set_rate_limit(rate=1, burst=1)
    state.retry_after_override = 0
    api.post_message("C0BILLING", text="first")
    with pytest.raises(RateLimited):
        api.post_message("C0BILLING", text="never")
    assert [c.status for c in state.calls_to("chat.postMessage")] == [200, 429, 429, 429]


def test_unreachable_slack_is_vendor_unavailable() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    settings = load_settings(slack_bot_token=TOKEN, slack_api_url=f"http://127.0.0.1:{port}/api/",
                             ledgerbridge_http_timeout=2)
    with pytest.raises(VendorUnavailable) as caught:
        SlackApi(build_web_client(settings)).user_info("U1ANN")
    assert caught.value.retryable and TOKEN not in str(caught.value)


@pytest.mark.asyncio
async def test_async_wrapper(settings: Settings, state: SlackState) -> None:
    client = build_async_web_client(settings)
    assert client.token == TOKEN and len(client.retry_handlers) == 2
    api = AsyncSlackApi(client)
    posted = await api.post_message("C0BILLING", text="async", blocks=[SectionBlock(text="hi")])
    await api.update_message("C0BILLING", posted.ts, text="async edited")
    assert state.find_message("C0BILLING", posted.ts).text == "async edited"
    assert (await api.user_info("U1ANN")).email == "ann@example.com"
    assert await api.lookup_user_by_email("nobody@example.com") is None
    assert await api.usergroup_members("S0FINANCE") == ["U1ANN"]
    assert (await api.open_dm("U1ANN")).startswith("D")
    with pytest.raises(VendorNotFound):
        await api.post_ephemeral("C404", "U1ANN", text="x")
    with pytest.raises(VendorValidationError):
        await api.open_view("1.2.unknown", {"type": "modal", "title": {"type": "plain_text", "text": "t"}})


def _response_url(state: SlackState, server: RunningServer, *, message_ts: str | None = None) -> str:
    state.base_url = server.url
    return state.issue_response_url(user_id="U1ANN", channel_id="C0BILLING", message_ts=message_ts)


def test_respond_posts_to_the_response_url(api: SlackApi, state: SlackState,
                                           slack_emulator: tuple[Starlette, RunningServer]) -> None:
    posted = api.post_message("C0BILLING", text="original")
    url = _response_url(state, slack_emulator[1], message_ts=posted.ts)
    api.respond(url, text="only you", blocks=[SectionBlock(text="hi")], response_type="ephemeral")
    api.respond(url, text="replaced", blocks=[], replace_original=True)
    assert state.responses(url) == [
        {"text": "only you", "blocks": [SectionBlock(text="hi").to_dict()], "response_type": "ephemeral"},
        {"text": "replaced", "replace_original": True}]                  # empty blocks left out, as bolt does
    assert state.ephemerals("U1ANN")[0].text == "only you"
    assert state.find_message("C0BILLING", posted.ts).text == "replaced"


def test_respond_errors_become_ours(api: SlackApi, state: SlackState,
                                    slack_emulator: tuple[Starlette, RunningServer]) -> None:
    url = _response_url(state, slack_emulator[1])
    with pytest.raises(VendorValidationError, match="no_text"):
        api.respond(url, text="")
    for _ in range(5):
        api.respond(url, text="again")
    with pytest.raises(VendorNotFound, match="used_url") as caught:
        api.respond(url, text="a sixth time")
    assert caught.value.status == 404 and not caught.value.retryable


@pytest.mark.asyncio
async def test_async_respond(settings: Settings, state: SlackState,
                             slack_emulator: tuple[Starlette, RunningServer]) -> None:
    api = AsyncSlackApi(build_async_web_client(settings))
    url = _response_url(state, slack_emulator[1])
    await api.respond(url, text="async note", response_type="ephemeral", replace_original=False)
    assert state.responses(url) == [{"text": "async note", "response_type": "ephemeral", "replace_original": False}]
    with pytest.raises(VendorNotFound, match="no_service"):
        await api.respond(f"{slack_emulator[1].url}/_responses/unknown", text="x")
