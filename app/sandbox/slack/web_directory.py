"""auth.test, users.info, users.lookupByEmail, usergroups.users.list, conversations.open."""
from __future__ import annotations

import hashlib
from typing import Any

from app.sandbox.slack.state import SlackState
from app.sandbox.slack.web_common import ApiReply, fail, ok, text_param, user_ids_param


def auth_test(state: SlackState, params: dict[str, Any]) -> ApiReply:
    bot = state.user(state.bot_user_id)
    return ok(url=f"https://{state.team_domain}.slack.com/", team=f"{state.team_domain} sandbox",
              user=bot.name if bot else "bot", team_id=state.team_id, user_id=state.bot_user_id,
              bot_id=state.bot_id, is_enterprise_install=False)


def users_info(state: SlackState, params: dict[str, Any]) -> ApiReply:
    user = state.user(text_param(params, "user") or "")
    if user is None:
        return fail("user_not_found")
    return ok(user=user.to_api(state.team_id, state.now()))


def users_lookup_by_email(state: SlackState, params: dict[str, Any]) -> ApiReply:
    email = text_param(params, "email")
    user = state.user_by_email(email) if email else None
    if user is None:
        return fail("users_not_found")
    return ok(user=user.to_api(state.team_id, state.now()))


def usergroups_users_list(state: SlackState, params: dict[str, Any]) -> ApiReply:
    members = state.usergroups.get(text_param(params, "usergroup") or "")
    if members is None:
        return fail("no_such_subteam")
    return ok(users=list(members))


def conversations_open(state: SlackState, params: dict[str, Any]) -> ApiReply:
    existing = text_param(params, "channel")
    if existing:
        found = state.resolve_channel(existing)
        return ok(channel={"id": found}) if found else fail("channel_not_found")
    users = user_ids_param(params.get("users"))
    if not users:
        return fail("users_list_not_supplied")
    if any(state.user(user) is None for user in users):
        return fail("user_not_found")
    if len(users) == 1:
        return ok(channel={"id": state.open_dm(users[0])})
    group_id = "G" + hashlib.sha1(",".join(sorted(users)).encode()).hexdigest()[:8].upper()
    state.add_channel(group_id, "mpdm-" + "--".join(sorted(users)))
    return ok(channel={"id": group_id})
