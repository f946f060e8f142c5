"""views.open, views.update, views.publish: modals need a fresh trigger_id, Home tabs are per user."""
from __future__ import annotations

import secrets
from typing import Any

from app.sandbox.slack.block_kit_limits import view_too_large, view_violations
from app.sandbox.slack.state import SlackState
from app.sandbox.slack.web_common import (
    ApiReply,
    BadArgument,
    fail,
    invalid_blocks,
    json_param,
    ok,
    text_param,
)


def _view_param(params: dict[str, Any], *, kind: str) -> dict[str, Any]:
    view = json_param(params, "view", error="invalid_arguments")
    if not isinstance(view, dict):
        raise BadArgument("invalid_arguments", "[ERROR] missing required field: view [json-pointer:/view]")
    if view.get("type") != kind:
        raise BadArgument("invalid_arguments", f"[ERROR] must be {kind} [json-pointer:/view/type]")
    return view


def _check(view: dict[str, Any]) -> ApiReply | None:
    if view_too_large(view):
        return fail("view_too_large")
    violations = view_violations(view)
    return invalid_blocks(violations) if violations else None


def stored_view(state: SlackState, view: dict[str, Any], *, view_id: str,
                root_view_id: str | None = None, previous_view_id: str | None = None) -> dict[str, Any]:
    """The view object Slack returns (keys as fixtures/slack/web_views.open_ok.json)."""
    return {
        "id": view_id, "team_id": state.team_id, "type": view["type"],
        "blocks": view.get("blocks", []), "private_metadata": view.get("private_metadata", ""),
        "callback_id": view.get("callback_id", ""), "state": {"values": {}},
        "hash": f"{int(state.now().timestamp())}.{secrets.token_hex(4)}",
        "title": view.get("title"), "close": view.get("close"), "submit": view.get("submit"),
        "clear_on_close": bool(view.get("clear_on_close", False)),
        "notify_on_close": bool(view.get("notify_on_close", False)),
        "external_id": view.get("external_id", ""), "root_view_id": root_view_id or view_id,
        "previous_view_id": previous_view_id, "app_id": state.app_id,
        "app_installed_team_id": state.team_id, "bot_id": state.bot_id,
    }


def views_open(state: SlackState, params: dict[str, Any]) -> ApiReply:
    trigger_id = text_param(params, "trigger_id")
    if trigger_id is None:
        return fail("invalid_arguments", ["[ERROR] missing required field: trigger_id"])
    view = _view_param(params, kind="modal")
    problem = _check(view)
    if problem is None and view.get("external_id") and state.view_by_external_id(view["external_id"]):
        problem = fail("duplicate_external_id")
    problem = problem or _exchange(state, trigger_id)
    if problem:
        return problem
    user_id = state.triggers.user_of(trigger_id) or ""
    saved = state.save_view(stored_view(state, view, view_id=state.new_view_id()), user_id=user_id)
    return ok(view=saved)


def _exchange(state: SlackState, trigger_id: str) -> ApiReply | None:
    error = state.triggers.exchange(trigger_id, state.now())
    return fail(error) if error else None


def views_update(state: SlackState, params: dict[str, Any]) -> ApiReply:
    view_id, external_id = text_param(params, "view_id"), text_param(params, "external_id")
    if not view_id and not external_id:
        return fail("invalid_arguments", ["[ERROR] either view_id or external_id is required"])
    current = state.view(view_id) if view_id else state.view_by_external_id(external_id or "")
    if current is None:
        return fail("not_found")
    view = _view_param(params, kind=current["type"])
    view.setdefault("external_id", current.get("external_id", ""))
    problem = _check(view) or _hash_conflict(current, params)
    if problem:
        return problem
    replaced = stored_view(state, view, view_id=current["id"], root_view_id=current["root_view_id"],
                           previous_view_id=current.get("previous_view_id"))
    return ok(view=state.save_view(replaced, user_id=state.view_user(current["id"]) or ""))


def _hash_conflict(current: dict[str, Any], params: dict[str, Any]) -> ApiReply | None:
    given = text_param(params, "hash")
    return fail("hash_conflict") if given and given != current["hash"] else None


def views_publish(state: SlackState, params: dict[str, Any]) -> ApiReply:
    user_id = text_param(params, "user_id")
    if user_id is None or state.user(user_id) is None:
        return fail("user_not_found")
    view = _view_param(params, kind="home")
    home_id = state.home_view_id(user_id)
    current = state.view(home_id) if home_id else None
    problem = _check(view) or (_hash_conflict(current, params) if current else None)
    if problem:
        return problem
    published = stored_view(state, view, view_id=home_id or state.new_view_id())
    return ok(view=state.save_view(published, user_id=user_id))
