"""trigger_ids and response_urls the Slack side hands out, with Slack's expiry and use limits."""
from __future__ import annotations

import secrets
from datetime import datetime, timedelta
from typing import Any

from app.sandbox.slack.models import ResponseUrl, Trigger

TRIGGER_TTL = timedelta(seconds=3)
RESPONSE_URL_TTL = timedelta(minutes=30)
RESPONSE_URL_MAX_USES = 5


class TriggerBook:
    """views.open must exchange a trigger_id within 3 s, once."""

    def __init__(self, *, ttl: timedelta = TRIGGER_TTL) -> None:
        self.ttl = ttl
        self._triggers: dict[str, Trigger] = {}
        self._counter = 0

    def issue(self, user_id: str, now: datetime) -> str:
        self._counter += 1
        trigger_id = f"{int(now.timestamp())}.{self._counter}.{secrets.token_hex(8)}"
        self._triggers[trigger_id] = Trigger(trigger_id, user_id, now)
        return trigger_id

    def exchange(self, trigger_id: Any, now: datetime) -> str | None:
        """None when the trigger may open a view, else Slack's error code."""
        trigger = self._triggers.get(trigger_id) if isinstance(trigger_id, str) else None
        if trigger is None:
            return "invalid_trigger_id"
        if trigger.exchanged:
            return "exchanged_trigger_id"
        if now - trigger.issued_at > self.ttl:
            return "expired_trigger_id"
        trigger.exchanged = True
        return None

    def user_of(self, trigger_id: str) -> str | None:
        trigger = self._triggers.get(trigger_id)
        return trigger.user_id if trigger else None


class ResponseUrlBook:
    """response_urls are valid for 30 minutes and 5 uses."""

    def __init__(self, *, ttl: timedelta = RESPONSE_URL_TTL, max_uses: int = RESPONSE_URL_MAX_USES) -> None:
        self.ttl, self.max_uses = ttl, max_uses
        self._urls: dict[str, ResponseUrl] = {}

    def issue(self, *, user_id: str, channel_id: str, message_ts: str | None, now: datetime) -> ResponseUrl:
        url_id = secrets.token_urlsafe(12)
        issued = ResponseUrl(url_id, user_id, channel_id, now, message_ts)
        self._urls[url_id] = issued
        return issued

    def use(self, url_id: str, now: datetime) -> ResponseUrl | str:
        """The response URL, its use counted; or Slack's error text."""
        issued = self._urls.get(url_id)
        if issued is None:
            return "no_service"
        if now - issued.created_at > self.ttl:
            return "expired_url"
        if issued.uses >= self.max_uses:
            return "used_url"
        issued.uses += 1
        return issued

    def get(self, url_id: str) -> ResponseUrl | None:
        return self._urls.get(url_id)

    def all(self) -> list[ResponseUrl]:
        return list(self._urls.values())
