"""bolt's authorize step, without a 500 for every command and click while Slack's Web API is unreachable.

bolt's single-workspace authorization calls auth.test on the first request and, when Slack cannot be
reached, raises: bolt then answers 500 to every request until an auth.test succeeds. Here a successful
auth.test is kept; until there is one, a request gets a provisional result built from our own settings
(the bot token we were given, the request's team), so it is acked as usual, and auth.test is tried again
at most every RETRY_INTERVAL. An outage is logged once when it starts and once when it ends.
"""
from __future__ import annotations

import asyncio
import logging
from datetime import datetime, timedelta
from typing import Any

from slack_bolt.authorization import AuthorizeResult
from slack_bolt.authorization.async_authorize import AsyncAuthorize
from slack_sdk.web.async_client import AsyncWebClient

from app.clock import Clock
from app.errors import AuthenticationFailed, IntegrationError
from app.integrations.slack_api import slack_errors

log = logging.getLogger(__name__)
RETRY_INTERVAL = timedelta(seconds=30)
AUTH_TEST_WAIT_SECONDS = 1.5         # an ack must leave within 3 s, whatever auth.test does


class CachedAuthorize(AsyncAuthorize):
    def __init__(self, client: AsyncWebClient, *, clock: Clock) -> None:
        self._client, self._clock = client, clock
        self._identity: dict[str, Any] | None = None
        self._next_try: datetime | None = None
        self._failing = False
        self._pending: asyncio.Task[None] | None = None      # kept so the task is not collected mid-flight

    async def __call__(self, *, context: Any, enterprise_id: str | None, team_id: str | None,
                       user_id: str | None, **_: Any) -> AuthorizeResult:
        if self._identity is None and (self._next_try is None or self._clock.now() >= self._next_try):
            # in the background: no ack ever waits for Slack (the token is ours; auth.test only confirms it)
            self._next_try = self._clock.now() + RETRY_INTERVAL       # concurrent requests do not pile on
            self._pending = asyncio.get_running_loop().create_task(self._auth_test())
        known = self._identity or {}
        return AuthorizeResult(enterprise_id=known.get("enterprise_id") or enterprise_id,
                               team_id=known.get("team_id") or team_id, team=known.get("team"),
                               url=known.get("url"), bot_id=known.get("bot_id"), bot_user_id=known.get("user_id"),
                               bot_token=self._client.token, user_id=user_id)

    async def _auth_test(self) -> None:
        try:
            with slack_errors("auth.test"):
                response = await asyncio.wait_for(self._client.auth_test(), timeout=AUTH_TEST_WAIT_SECONDS)
        except (IntegrationError, TimeoutError) as error:
            self._note_failure(error)
            return
        self._identity = dict(response.data) if isinstance(response.data, dict) else {}
        if self._failing:
            log.warning("Slack's Web API answers again (auth.test ok): authorization restored")
        self._failing = False

    def _note_failure(self, error: BaseException) -> None:
        if self._failing:
            log.debug("auth.test still failing: %s", error)
            return
        self._failing = True
        reason = str(error) or f"no answer within {AUTH_TEST_WAIT_SECONDS} s"
        what = "refuses SLACK_BOT_TOKEN" if isinstance(error, AuthenticationFailed) else "is unreachable"
        log.warning("Slack's Web API %s at %s (%s). Commands and clicks are still acked; "
                    "auth.test is retried every %d s.", what, self._client.base_url, reason,
                    RETRY_INTERVAL.total_seconds())


def without_token(client: AsyncWebClient) -> AsyncWebClient:
    """The app's client minus its token: with `authorize` given, bolt takes the token from the result
    (and warns at start-up when the client carries one too)."""
    return AsyncWebClient(base_url=client.base_url, timeout=client.timeout, ssl=client.ssl, proxy=client.proxy,
                          headers=client.headers, logger=client.logger, retry_handlers=client.retry_handlers)
