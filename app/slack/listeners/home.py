"""The App Home tab: app_home_opened and its Refresh button queue a publish; the worker publishes it."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp

from app.runtime import Runtime
from app.slack.ids import ActionId
from app.slack.intents import PublishHome
from app.slack.listeners.failures import after_ack
from app.slack.listeners.record import record

HOME_OPENS_MERGED_SECONDS = 5
"""Opening the tab again within this window (same user) publishes it once."""


def home_dedupe_key(user_id: str, now: datetime) -> str:
    return f"publish_home:{user_id}:{int(now.timestamp()) // HOME_OPENS_MERGED_SECONDS}"


def register(app: AsyncApp, rt: Runtime) -> None:
    async def on_home_opened(event: dict[str, Any], body: dict[str, Any]) -> None:
        user = event.get("user")
        if event.get("tab", "home") == "home" and isinstance(user, str) and user:
            opened = record(rt, PublishHome(user_id=user), dedupe_key=home_dedupe_key(user, rt.clock.now()))
            await after_ack(opened, body=body)           # bolt acked the event already

    async def on_refresh(ack: AsyncAck, body: dict[str, Any]) -> None:
        await record(rt, PublishHome(user_id=str((body.get("user") or {}).get("id") or "")))
        await ack()

    app.event("app_home_opened")(on_home_opened)
    app.action(ActionId.HOME_REFRESH.value)(on_refresh)
