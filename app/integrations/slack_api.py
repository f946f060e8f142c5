"""The narrow Slack Web API wrapper: our types in and out, our errors, rate-limit retries configured once."""
from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import aiohttp
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError, SlackObjectFormationError
from slack_sdk.http_retry.builtin_async_handlers import (
    AsyncConnectionErrorRetryHandler,
    AsyncRateLimitErrorRetryHandler,
)
from slack_sdk.http_retry.builtin_handlers import ConnectionErrorRetryHandler, RateLimitErrorRetryHandler
from slack_sdk.models.blocks import Block
from slack_sdk.models.views import View
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.webhook import WebhookClient, WebhookResponse
from slack_sdk.webhook.async_client import AsyncWebhookClient

from app.config import Settings
from app.errors import (
    AuthenticationFailed,
    ConfigError,
    IntegrationError,
    RateLimited,
    VendorNotFound,
    VendorUnavailable,
    VendorValidationError,
)
from app.integrations.call_outcomes import recording
from app.integrations.slack_directory import DirectoryCache
from app.integrations.slack_models import SlackChannel, SlackIdentity, granted_scopes, parse_channel
from app.integrations.throttle import Throttle, ThrottleKey, slack_channel, slack_method

VENDOR = "slack"
RATE_LIMIT_RETRIES = 2
INLINE_MAX_WAIT = 2.0  # seconds a call may wait for a throttle slot before ThrottleFull
HISTORY_PAGES, HISTORY_PAGE_SIZE = 10, 200
AUTH_ERRORS = frozenset({"invalid_auth", "not_authed", "token_revoked", "token_expired", "account_inactive"})
NOT_FOUND_ERRORS = frozenset({"users_not_found", "user_not_found", "channel_not_found", "message_not_found",
                              "no_such_subteam", "not_found"})
VALIDATION_ERRORS = frozenset({"invalid_blocks", "invalid_blocks_format", "invalid_arguments", "no_text",
                               "msg_too_long", "view_too_large", "cant_update_message", "invalid_trigger_id",
                               "expired_trigger_id", "exchanged_trigger_id", "duplicate_external_id",
                               "hash_conflict", "invalid_json", "users_list_not_supplied"})

BlockLike = Block | dict[str, Any]
ViewLike = View | dict[str, Any]


@dataclass(frozen=True)
class PostedMessage:
    channel: str
    ts: str


@dataclass(frozen=True)
class SlackUser:
    id: str
    name: str
    real_name: str
    email: str | None
    tz: str | None
    deleted: bool = False


def _token(settings: Settings) -> str:
    if settings.slack_bot_token is None or not settings.slack_bot_token.get_secret_value():
        raise ConfigError("SLACK_BOT_TOKEN is not set")
    return settings.slack_bot_token.get_secret_value()


def build_web_client(settings: Settings, *, rate_limit_retries: int = RATE_LIMIT_RETRIES) -> WebClient:
    """A WebClient that retries connection errors and, `rate_limit_retries` times, HTTP 429 after sleeping
    Retry-After. A worker that reschedules instead of sleeping passes 0: a 429 then raises RateLimited at once."""
    handlers: list[Any] = [ConnectionErrorRetryHandler()]
    if rate_limit_retries:
        handlers.append(RateLimitErrorRetryHandler(max_retry_count=rate_limit_retries))
    return WebClient(token=_token(settings), base_url=str(settings.slack_api_url),
                     timeout=settings.ledgerbridge_http_timeout,  # type: ignore[arg-type]  # float is fine
                     retry_handlers=handlers)


def build_slack_api(settings: Settings, *, throttle: Throttle | None = None, max_wait: float = INLINE_MAX_WAIT,
                    rate_limit_retries: int = RATE_LIMIT_RETRIES) -> SlackApi:
    """SlackApi over build_web_client; `throttle` (throttle_for_database) paces every call by Slack's limits."""
    return SlackApi(build_web_client(settings, rate_limit_retries=rate_limit_retries), throttle=throttle,
                    max_wait=max_wait)


def build_async_web_client(settings: Settings) -> AsyncWebClient:
    """The AsyncWebClient twin of `build_web_client` (for Bolt's AsyncApp)."""
    return AsyncWebClient(token=_token(settings), base_url=str(settings.slack_api_url),
                          timeout=settings.ledgerbridge_http_timeout,  # type: ignore[arg-type]
                          retry_handlers=[AsyncConnectionErrorRetryHandler(),
                                          AsyncRateLimitErrorRetryHandler(max_retry_count=RATE_LIMIT_RETRIES)])


def translate_api_error(error: SlackApiError, method: str) -> IntegrationError:
    """slack_sdk's SlackApiError as one of our errors (the message never contains the token)."""
    response = error.response
    status = response.status_code
    code = str(response.get("error") or "unknown_error") if isinstance(response.data, dict) else "unknown_error"
    details = response.get("response_metadata", {}).get("messages", []) if isinstance(response.data, dict) else []
    message = f"Slack {method} failed: {code}" + (f" ({'; '.join(map(str, details))})" if details else "")
    if status == 429 or code == "ratelimited":
        return RateLimited(message, vendor=VENDOR, retry_after=_retry_after(response.headers),
                           code=code, status=status)
    kind: type[IntegrationError] = IntegrationError
    if code in AUTH_ERRORS:
        kind = AuthenticationFailed
    elif code in NOT_FOUND_ERRORS:
        kind = VendorNotFound
    elif code in VALIDATION_ERRORS:
        kind = VendorValidationError
    elif status >= 500:
        kind = VendorUnavailable
    return kind(message, vendor=VENDOR, code=code, status=status)


def _retry_after(headers: Any) -> float | None:
    for name, value in dict(headers or {}).items():
        if name.lower() == "retry-after":
            raw = value[0] if isinstance(value, list) else value
            try:
                return float(raw)
            except (TypeError, ValueError):
                return None
    return None


@recording(VENDOR)
@contextmanager
def slack_errors(method: str) -> Iterator[None]:
    """Translate whatever slack_sdk raises during one Web API call into our errors (and note the outcome for
    /readyz: the Web API with our bot token is what readiness is about)."""
    with response_url_errors(method):
        yield


@contextmanager
def response_url_errors(method: str) -> Iterator[None]:
    """The same translation for a response_url post, which needs no token: its outcome says nothing about
    whether Slack's Web API accepts us, so it is not noted for readiness."""
    try:
        yield
    except SlackApiError as error:
        raise translate_api_error(error, method) from error
    except SlackObjectFormationError as error:
        raise VendorValidationError(f"Slack {method}: invalid Block Kit: {error}", vendor=VENDOR) from error
    except (OSError, aiohttp.ClientError) as error:  # URLError, timeouts, refused connections
        raise VendorUnavailable(f"Slack {method}: {type(error).__name__}: {error}", vendor=VENDOR) from error
    except SlackClientError as error:
        raise IntegrationError(f"Slack {method}: {error}", vendor=VENDOR) from error


RESPONSE_URL_GONE = frozenset({"expired_url", "used_url", "no_active_hooks", "channel_not_found"})


def check_response_url(response: WebhookResponse) -> None:
    """A response_url POST answers with a status and a plain-text code (not the Web API's JSON): ours, translated."""
    status, code = response.status_code, (response.body or "").strip()[:100] or "unknown_error"
    if status == 200:
        return
    message = f"Slack response_url failed: HTTP {status} {code}"
    if status == 429:
        raise RateLimited(message, vendor=VENDOR, retry_after=_retry_after(response.headers), code=code, status=status)
    kind: type[IntegrationError] = IntegrationError
    if status == 404 or code in RESPONSE_URL_GONE:
        kind = VendorNotFound
    elif status in (401, 403):
        kind = AuthenticationFailed
    elif status == 400:
        kind = VendorValidationError
    elif status >= 500:
        kind = VendorUnavailable
    raise kind(message, vendor=VENDOR, code=code, status=status)


def response_message(*, text: str, blocks: Sequence[BlockLike] | None, response_type: str | None,
                     replace_original: bool | None, delete_original: bool | None) -> dict[str, Any]:
    """The JSON a response_url takes; empty blocks are left out, as bolt's respond() does."""
    return {"text": text, **_with_optional(blocks=as_dicts(blocks) or None, response_type=response_type,
                                           replace_original=replace_original, delete_original=delete_original)}


def as_dicts(blocks: Sequence[BlockLike] | None) -> list[dict[str, Any]] | None:
    if blocks is None:
        return None
    return [block.to_dict() if isinstance(block, Block) else dict(block) for block in blocks]


def as_dict(view: ViewLike) -> dict[str, Any]:
    return view.to_dict() if isinstance(view, View) else dict(view)


def slack_user(data: dict[str, Any]) -> SlackUser:
    profile = data.get("profile") or {}
    return SlackUser(id=data["id"], name=data.get("name", ""),
                     real_name=data.get("real_name") or profile.get("real_name", ""),
                     email=profile.get("email"), tz=data.get("tz"), deleted=data.get("deleted") is True)


def _with_optional(**kwargs: Any) -> dict[str, Any]:
    return {key: value for key, value in kwargs.items() if value is not None}


class SlackApi:
    """The Slack calls the app makes, over a (sync) WebClient.

    `throttle`: every call first takes a slot (chat.postMessage per channel, other methods by their tier); past
    `max_wait` seconds ThrottleFull is raised and nothing is sent. `directory`: user-group members and e-mail
    look-ups are remembered (120 s by default; see slack_directory for what happens when Slack throttles).
    """

    def __init__(self, client: WebClient, *, throttle: Throttle | None = None, max_wait: float = INLINE_MAX_WAIT,
                 directory: DirectoryCache | None = None) -> None:
        self._client = client
        self._throttle, self._max_wait = throttle, max_wait
        self._directory = directory or DirectoryCache()
        self._once = _without_connection_retries(client)

    def _pace(self, method: str, *, channel: str | None = None) -> None:
        key: ThrottleKey | None = slack_channel(channel) if channel else slack_method(method)
        if self._throttle is not None and key is not None:
            self._throttle.acquire(key, max_wait=self._max_wait)

    def post_message(self, channel: str, *, text: str, blocks: Sequence[BlockLike] | None = None,
                     thread_ts: str | None = None) -> PostedMessage:
        self._pace("chat.postMessage", channel=channel)
        with slack_errors("chat.postMessage"):
            response = self._client.chat_postMessage(
                **_with_optional(channel=channel, text=text, blocks=as_dicts(blocks), thread_ts=thread_ts))
        return PostedMessage(channel=response["channel"], ts=response["ts"])

    def update_message(self, channel: str, ts: str, *, text: str, blocks: Sequence[BlockLike] | None = None) -> None:
        self._pace("chat.update")
        with slack_errors("chat.update"):
            self._client.chat_update(**_with_optional(channel=channel, ts=ts, text=text, blocks=as_dicts(blocks)))

    def post_ephemeral(self, channel: str, user: str, *, text: str, blocks: Sequence[BlockLike] | None = None) -> None:
        self._pace("chat.postEphemeral")
        with slack_errors("chat.postEphemeral"):
            self._client.chat_postEphemeral(**_with_optional(channel=channel, user=user, text=text,
                                                             blocks=as_dicts(blocks)))

    def open_view(self, trigger_id: str, view: ViewLike) -> str:
        """Opens a modal; returns its view id."""
        self._pace("views.open")
        with slack_errors("views.open"):
            return self._client.views_open(trigger_id=trigger_id, view=as_dict(view))["view"]["id"]

    def publish_home(self, user_id: str, view: ViewLike) -> str:
        self._pace("views.publish")
        with slack_errors("views.publish"):
            return self._client.views_publish(user_id=user_id, view=as_dict(view))["view"]["id"]

    def user_info(self, user_id: str) -> SlackUser:
        self._pace("users.info")
        with slack_errors("users.info"):
            return slack_user(self._client.users_info(user=user_id)["user"])

    def lookup_user_by_email(self, email: str) -> SlackUser | None:
        """None when Slack has no such user; RateLimited (never None) when Slack throttles and nothing is
        remembered."""
        return self._directory.read(("email", email.strip().lower()), lambda: self._lookup_user_by_email(email))

    def usergroup_members(self, group_id: str) -> list[str]:
        return list(self._directory.read(("usergroup", group_id), lambda: self._usergroup_members(group_id)))

    def person(self, user_id: str) -> SlackUser | None:
        """users.info, remembered like the other look-ups (a name and a time zone change rarely); None when Slack
        has no such user."""
        return self._directory.read(("user", user_id), lambda: self._user_or_none(user_id))

    def _user_or_none(self, user_id: str) -> SlackUser | None:
        try:
            return self.user_info(user_id)
        except VendorNotFound:
            return None

    def _lookup_user_by_email(self, email: str) -> SlackUser | None:
        self._pace("users.lookupByEmail")
        try:
            with slack_errors("users.lookupByEmail"):
                return slack_user(self._client.users_lookupByEmail(email=email)["user"])
        except VendorNotFound:
            return None

    def _usergroup_members(self, group_id: str) -> tuple[str, ...]:
        self._pace("usergroups.users.list")
        with slack_errors("usergroups.users.list"):
            return tuple(self._client.usergroups_users_list(usergroup=group_id)["users"])

    def identity(self) -> SlackIdentity:
        """auth.test: the bot's user id, its workspace, and the scopes in the `x-oauth-scopes` header."""
        self._pace("auth.test")
        with slack_errors("auth.test"):
            response = self._client.auth_test()
        return SlackIdentity(user_id=str(response["user_id"]), team=str(response.get("team") or ""),
                             scopes=granted_scopes(response.headers))

    def member_channels(self) -> list[SlackChannel]:
        """Public and private channels the bot is a member of (users.conversations, every page)."""
        found: list[SlackChannel] = []
        cursor = None
        while True:
            self._pace("users.conversations")
            with slack_errors("users.conversations"):
                page = self._client.users_conversations(types="public_channel,private_channel", limit=200,
                                                        exclude_archived=True, cursor=cursor)
            found += [parse_channel(channel) for channel in page.get("channels") or []]
            cursor = (page.get("response_metadata") or {}).get("next_cursor")
            if not cursor:
                return found

    def channel_info(self, channel_id: str) -> SlackChannel:
        """conversations.info; VendorNotFound when the channel does not exist or is private without the bot."""
        self._pace("conversations.info")
        with slack_errors("conversations.info"):
            return parse_channel(self._client.conversations_info(channel=channel_id)["channel"])

    def open_dm(self, user_id: str) -> str:
        self._pace("conversations.open")
        with slack_errors("conversations.open"):
            return self._client.conversations_open(users=user_id)["channel"]["id"]

    def respond(self, response_url: str, *, text: str, blocks: Sequence[BlockLike] | None = None,
                response_type: str | None = None, replace_original: bool | None = None,
                delete_original: bool | None = None) -> None:
        """Post to a response_url (a slash command's or a click's), with the Web API client's timeout and retries."""
        hook = WebhookClient(response_url, timeout=self._client.timeout, ssl=self._client.ssl,
                             proxy=self._client.proxy, retry_handlers=self._client.retry_handlers)
        message = response_message(text=text, blocks=blocks, response_type=response_type,
                                   replace_original=replace_original, delete_original=delete_original)
        with response_url_errors("response_url"):
            response = hook.send_dict(message)
        check_response_url(response)

    def post_tagged(self, channel: str, *, text: str, blocks: Sequence[BlockLike] | None, event_type: str,
                    key: str) -> PostedMessage:
        """chat.postMessage with message metadata {event_type, event_payload: {"key": key}}, sent at most once
        per call: a connection error is not retried here, since Slack may have stored the message."""
        metadata = {"event_type": event_type, "event_payload": {"key": key}}
        self._pace("chat.postMessage", channel=channel)
        with slack_errors("chat.postMessage"):
            response = self._once.chat_postMessage(**_with_optional(channel=channel, text=text,
                                                                    blocks=as_dicts(blocks), metadata=metadata))
        return PostedMessage(channel=response["channel"], ts=response["ts"])

    def find_tagged(self, channel: str, *, event_type: str, key: str, since: datetime) -> PostedMessage | None:
        """The message with that metadata key posted in `channel` since `since` (conversations.history)."""
        cursor = None
        for _ in range(HISTORY_PAGES):
            with slack_errors("conversations.history"):
                page = self._client.conversations_history(channel=channel, oldest=f"{since.timestamp():.6f}",
                                                          include_all_metadata=True, limit=HISTORY_PAGE_SIZE,
                                                          cursor=cursor)
            for message in page.get("messages") or []:
                metadata = message.get("metadata") or {}
                if metadata.get("event_type") == event_type and \
                        (metadata.get("event_payload") or {}).get("key") == key:
                    return PostedMessage(channel=channel, ts=message["ts"])
            cursor = (page.get("response_metadata") or {}).get("next_cursor")
            if not page.get("has_more") or not cursor:
                return None
        return None


def _without_connection_retries(client: WebClient) -> WebClient:
    """The same client minus its connection-error retries (a reset may come after Slack stored the post)."""
    kept = [handler for handler in client.retry_handlers if not isinstance(handler, ConnectionErrorRetryHandler)]
    return WebClient(token=client.token, base_url=client.base_url, timeout=client.timeout, ssl=client.ssl,
                     proxy=client.proxy, headers=client.headers, retry_handlers=kept)


class AsyncSlackApi:
    """`SlackApi` over an AsyncWebClient, for listeners running in Bolt's AsyncApp."""

    def __init__(self, client: AsyncWebClient) -> None:
        self._client = client

    async def post_message(self, channel: str, *, text: str, blocks: Sequence[BlockLike] | None = None,
                           thread_ts: str | None = None) -> PostedMessage:
        with slack_errors("chat.postMessage"):
            response = await self._client.chat_postMessage(
                **_with_optional(channel=channel, text=text, blocks=as_dicts(blocks), thread_ts=thread_ts))
        return PostedMessage(channel=response["channel"], ts=response["ts"])

    async def update_message(self, channel: str, ts: str, *, text: str,
                             blocks: Sequence[BlockLike] | None = None) -> None:
        with slack_errors("chat.update"):
            await self._client.chat_update(**_with_optional(channel=channel, ts=ts, text=text,
                                                            blocks=as_dicts(blocks)))

    async def post_ephemeral(self, channel: str, user: str, *, text: str,
                             blocks: Sequence[BlockLike] | None = None) -> None:
        with slack_errors("chat.postEphemeral"):
            await self._client.chat_postEphemeral(**_with_optional(channel=channel, user=user, text=text,
                                                                   blocks=as_dicts(blocks)))

    async def open_view(self, trigger_id: str, view: ViewLike) -> str:
        with slack_errors("views.open"):
            return (await self._client.views_open(trigger_id=trigger_id, view=as_dict(view)))["view"]["id"]

    async def publish_home(self, user_id: str, view: ViewLike) -> str:
        with slack_errors("views.publish"):
            return (await self._client.views_publish(user_id=user_id, view=as_dict(view)))["view"]["id"]

    async def user_info(self, user_id: str) -> SlackUser:
        with slack_errors("users.info"):
            return slack_user((await self._client.users_info(user=user_id))["user"])

    async def lookup_user_by_email(self, email: str) -> SlackUser | None:
        try:
            with slack_errors("users.lookupByEmail"):
                return slack_user((await self._client.users_lookupByEmail(email=email))["user"])
        except VendorNotFound:
            return None

    async def usergroup_members(self, group_id: str) -> list[str]:
        with slack_errors("usergroups.users.list"):
            return list((await self._client.usergroups_users_list(usergroup=group_id))["users"])

    async def open_dm(self, user_id: str) -> str:
        with slack_errors("conversations.open"):
            return (await self._client.conversations_open(users=user_id))["channel"]["id"]

    async def respond(self, response_url: str, *, text: str, blocks: Sequence[BlockLike] | None = None,
                      response_type: str | None = None, replace_original: bool | None = None,
                      delete_original: bool | None = None) -> None:
        hook = AsyncWebhookClient(response_url, timeout=self._client.timeout, ssl=self._client.ssl,
                                  proxy=self._client.proxy, retry_handlers=self._client.retry_handlers)
        message = response_message(text=text, blocks=blocks, response_type=response_type,
                                   replace_original=replace_original, delete_original=delete_original)
        with response_url_errors("response_url"):
            response = await hook.send_dict(message)
        check_response_url(response)
