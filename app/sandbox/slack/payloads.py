"""Pure builders of what Slack sends an app when a user clicks, selects or submits (contracts.md 1.3)."""
from __future__ import annotations

from collections.abc import Iterator
from typing import Any

TEXT_INPUTS = frozenset({"plain_text_input", "number_input", "email_text_input", "url_text_input"})
OPTION_PICKERS = frozenset({"static_select", "radio_buttons", "external_select"})
MULTI_OPTION_PICKERS = frozenset({"multi_static_select", "checkboxes", "multi_external_select"})
SIMPLE_PICKERS = {
    "users_select": "selected_user", "conversations_select": "selected_conversation",
    "channels_select": "selected_channel", "datepicker": "selected_date", "timepicker": "selected_time",
    "multi_users_select": "selected_users", "multi_conversations_select": "selected_conversations",
    "multi_channels_select": "selected_channels",
}


class ElementNotFound(LookupError):
    """The message or view has no such element: the app never posted it."""


def elements_of(blocks: list[dict[str, Any]]) -> Iterator[tuple[str, dict[str, Any]]]:
    """(block_id, element) for every interactive element in actions/section/input blocks."""
    for block in blocks:
        block_id = str(block.get("block_id", ""))
        candidates = list(block.get("elements", [])) if block.get("type") == "actions" else []
        candidates += [block[key] for key in ("accessory", "element") if isinstance(block.get(key), dict)]
        for element in candidates:
            if isinstance(element, dict) and "action_id" in element:
                yield block_id, element


def find_element(blocks: list[dict[str, Any]], action_id: str, *, kinds: frozenset[str] | None = None,
                 block_id: str | None = None) -> tuple[str, dict[str, Any]]:
    """The element a user acts on; `block_id` picks one of several with the same action_id (one per item)."""
    for found_block, element in elements_of(blocks):
        if element["action_id"] == action_id and (kinds is None or element.get("type") in kinds) \
                and (block_id is None or found_block == block_id):
            return found_block, element
    raise ElementNotFound(f"no element with action_id {action_id!r} in these blocks")


def _options(element: dict[str, Any]) -> Iterator[dict[str, Any]]:
    yield from element.get("options", [])
    for group in element.get("option_groups", []):
        yield from group.get("options", [])


def _option(element: dict[str, Any], value: str) -> dict[str, Any]:
    if element["type"].endswith("external_select"):
        return {"text": {"type": "plain_text", "text": value}, "value": value}
    for option in _options(element):
        if option.get("value") == value:
            return option
    raise ElementNotFound(f"{element['action_id']!r} offers no option with value {value!r}")


def chosen_value(element: dict[str, Any], value: Any) -> dict[str, Any]:
    """The type-specific value fields Slack reports for an element ("selected_option", "value", ...)."""
    kind = element.get("type", "")
    if kind in TEXT_INPUTS:
        return {"value": value}
    if kind in OPTION_PICKERS:
        return {"selected_option": _option(element, value)}
    if kind in MULTI_OPTION_PICKERS:
        values = value if isinstance(value, list) else [value]
        return {"selected_options": [_option(element, v) for v in values]}
    if kind in SIMPLE_PICKERS:
        return {SIMPLE_PICKERS[kind]: value}
    raise ElementNotFound(f"{element.get('action_id')!r} is a {kind!r}, which holds no value")


def state_entry(element: dict[str, Any], value: Any) -> dict[str, Any]:
    """One `state.values[block_id][action_id]` entry."""
    return {"type": element["type"], **chosen_value(element, value)}


def button_action(block_id: str, element: dict[str, Any], action_ts: str, value: str | None) -> dict[str, Any]:
    action = {"action_id": element["action_id"], "block_id": block_id, "text": element.get("text"),
              "type": "button", "action_ts": action_ts}
    chosen = value if value is not None else element.get("value")
    if chosen is not None:
        action["value"] = chosen
    if "style" in element:
        action["style"] = element["style"]
    return action


def select_action(block_id: str, element: dict[str, Any], action_ts: str, value: Any) -> dict[str, Any]:
    action = {"action_id": element["action_id"], "block_id": block_id, "type": element["type"],
              "action_ts": action_ts, **chosen_value(element, value)}
    if "placeholder" in element:
        action["placeholder"] = element["placeholder"]
    return action


def submission_values(view: dict[str, Any], values: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """state.values for a view_submission from {block_id: {action_id: value}}; every key must exist in the view."""
    by_key = {(block_id, element["action_id"]): element for block_id, element in elements_of(view.get("blocks", []))}
    built: dict[str, dict[str, Any]] = {}
    for block_id, actions in values.items():
        for action_id, value in actions.items():
            element = by_key.get((block_id, action_id))
            if element is None:
                raise ElementNotFound(f"view {view.get('id')} has no input {block_id}/{action_id}")
            built.setdefault(block_id, {})[action_id] = state_entry(element, value)
    return built


def user_ref(user_id: str, user_name: str, team_id: str) -> dict[str, str]:
    return {"id": user_id, "username": user_name, "name": user_name, "team_id": team_id}
