"""The App Home tab: published on app_home_opened and on its Refresh button."""
from __future__ import annotations

import asyncio
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp

from app.approvals.roles import members_by_role
from app.db import session_scope
from app.runtime import Runtime
from app.slack.blocks.home import home_view
from app.slack.ids import ActionId
from app.slack.listeners.failures import after_ack
from app.slack.presenters import home_view_model
from app.status.home import home_for


def register(app: AsyncApp, rt: Runtime) -> None:
    async def on_home_opened(event: dict[str, Any], body: dict[str, Any]) -> None:
        if event.get("tab", "home") == "home":
            await after_ack(asyncio.to_thread(publish_home, rt, event["user"]), body=body)

    async def on_refresh(ack: AsyncAck, body: dict[str, Any]) -> None:
        await ack()
        await after_ack(asyncio.to_thread(publish_home, rt, body["user"]["id"]), body=body)

    app.event("app_home_opened")(on_home_opened)
    app.action(ActionId.HOME_REFRESH.value)(on_refresh)


def publish_home(rt: Runtime, user_id: str) -> None:
    members = members_by_role(rt.policy, directory=rt.slack)
    with session_scope(rt.engine) as session:
        summary = home_for(session, user_id=user_id, members_by_role=members, now=rt.clock.now())
    rt.slack.publish_home(user_id, home_view(home_view_model(summary)))
