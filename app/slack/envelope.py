"""The shape of what Slack sends us, checked before bolt sees it: sizes, types, required fields.

bolt reads the decoded body without checking types (`body["event"]["type"]`, `"id" in body["team"]`,
`body["actions"][0]`), and a body of the wrong shape crashes inside bolt, which answers 500 itself.
Each payload type Slack sends is described here as a strict model (extra fields are allowed: Slack
adds fields over time); anything else is refused with a message naming the field, never its value.
The body is decoded exactly as bolt decodes it (slack_bolt/request/internals.py `parse_body`), so the
payload checked is the payload bolt will read.
"""
from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Annotated, Any, Literal
from urllib.parse import parse_qsl

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, StringConstraints, ValidationError
from pydantic_core import ErrorDetails, PydanticCustomError

MAX_BODY_BYTES = 1_000_000
MAX_DEPTH = 48                      # Block Kit nests about 12 levels deep; JSON bombs nest thousands
MAX_ACTIONS = 25                    # an actions block holds at most 25 elements

Id = Annotated[str, StringConstraints(max_length=255)]          # ids, ts, action/block/callback ids
Value = Annotated[str, StringConstraints(max_length=2000)]      # button and option values (Block Kit limit)
Metadata = Annotated[str, StringConstraints(max_length=3000)]   # a view's private_metadata (Block Kit limit)
Url = Annotated[str, StringConstraints(max_length=3000)]
Command = Annotated[str, StringConstraints(pattern=r"^/[^\s/]{1,63}$")]
Blocks = list[dict[str, Any]]


class MalformedEnvelope(ValueError):
    """Signed, but not a payload Slack sends: the message names the first wrong field (never its value)."""


def _id_or_object(value: Any) -> Any:
    """bolt reads `team`, `user`, `channel`, `enterprise` either as an id or as an object's "id"."""
    if value is None or (isinstance(value, str) and len(value) <= 255):
        return value
    if isinstance(value, dict):
        inner = value.get("id")
        if inner is None or (isinstance(inner, str) and len(inner) <= 255):
            return value
    raise PydanticCustomError("id_or_object", "must be an id or an object with a text id")


IdOrObject = Annotated[Any, BeforeValidator(_id_or_object)]


class _Shape(BaseModel):
    model_config = ConfigDict(strict=True, extra="allow")


class UserRef(_Shape):
    id: Id
    name: Id | None = None
    username: Id | None = None
    team_id: Id | None = None


class Authorization(_Shape):
    enterprise_id: Id | None = None
    team_id: Id | None = None
    user_id: Id | None = None
    is_bot: bool | None = None
    is_enterprise_install: bool | None = None


class ResponseUrlRef(_Shape):
    response_url: Url
    block_id: Id | None = None
    action_id: Id | None = None
    channel_id: Id | None = None


class Option(_Shape):
    value: Value
    text: dict[str, Any] | None = None


class ElementState(_Shape):
    """One `state.values[block_id][action_id]` entry; what the listeners read from a submitted form."""

    type: Id | None = None
    value: str | None = None
    selected_option: Option | None = None
    selected_options: list[Option] | None = None
    selected_user: Id | None = None
    selected_users: list[Id] | None = None
    selected_channel: Id | None = None
    selected_conversation: Id | None = None
    selected_date: Id | None = None
    selected_time: Id | None = None


class State(_Shape):
    values: dict[Id, dict[Id, ElementState]]


class Message(_Shape):
    ts: Id | None = None
    thread_ts: Id | None = None
    text: str | None = None
    user: Id | None = None
    bot_id: Id | None = None
    blocks: Blocks | None = None


class Container(_Shape):
    type: Id | None = None
    message_ts: Id | None = None
    channel_id: Id | None = None
    view_id: Id | None = None
    thread_ts: Id | None = None
    is_ephemeral: bool | None = None


class View(_Shape):
    id: Id | None = None
    type: Id | None = None
    team_id: Id | None = None
    app_installed_team_id: Id | None = None
    callback_id: Id | None = None
    private_metadata: Metadata | None = None
    external_id: Id | None = None
    hash: Id | None = None
    root_view_id: Id | None = None
    previous_view_id: Id | None = None
    state: State | None = None
    blocks: Blocks | None = None


class SubmittedView(View):
    callback_id: Id
    private_metadata: Metadata
    state: State


class _Fields(_Shape):
    """Fields bolt's extractors read on a payload and, again, on its `event`."""

    team: IdOrObject = None
    enterprise: IdOrObject = None
    user: IdOrObject = None
    channel: IdOrObject = None
    authorizations: list[Authorization] | None = None
    enterprise_id: Id | None = None
    team_id: Id | None = None
    user_id: Id | None = None
    channel_id: Id | None = None
    thread_ts: Id | None = None
    message: Message | None = None
    previous_message: Message | None = None
    item: dict[str, Any] | None = None
    assistant_thread: dict[str, Any] | None = None
    function_execution_id: Id | None = None
    function_data: dict[str, Any] | None = None
    bot_access_token: Id | None = None
    view: View | None = None


class _Payload(_Fields):
    type: Id
    token: Id | None = None
    api_app_id: Id | None = None
    trigger_id: Id | None = None
    response_url: Url | None = None
    response_urls: list[ResponseUrlRef] | None = None
    is_enterprise_install: bool | None = None
    is_ext_shared_channel: bool | None = None


class Event(_Fields):
    type: Id
    event_ts: Id | None = None
    user_team: Id | None = None
    subtype: Id | None = None
    channel_type: Id | None = None
    bot_id: Id | None = None
    inputs: dict[str, Any] | None = None


class AppHomeOpened(Event):
    type: Literal["app_home_opened"]
    user: Id
    tab: Id | None = None


class EventCallback(_Payload):
    type: Literal["event_callback"]
    event: Event
    event_id: Id
    event_time: int | None = None


class UrlVerification(_Payload):
    type: Literal["url_verification"]
    challenge: Annotated[str, StringConstraints(min_length=1, max_length=1000)]


class AppRateLimited(_Payload):
    type: Literal["app_rate_limited"]
    minute_rate_limited: int | None = None


class Action(_Shape):
    """bolt matches on action_id; the values a control sends are the listeners' to judge (junk there gets the
    clicker a polite "Nothing was changed" note, not a 400 that Slack would show as an error)."""

    action_id: Id
    block_id: Id | None = None
    type: Id | None = None
    action_ts: Id | None = None


class _Interaction(_Payload):
    user: UserRef


class BlockActions(_Interaction):
    type: Literal["block_actions"]
    actions: Annotated[list[Action], Field(min_length=1, max_length=MAX_ACTIONS)]
    container: Container | None = None
    state: State | None = None


class ViewSubmission(_Interaction):
    type: Literal["view_submission"]
    view: SubmittedView


class ViewClosed(_Interaction):
    type: Literal["view_closed"]
    view: SubmittedView
    is_cleared: bool | None = None


class Shortcut(_Interaction):
    type: Literal["shortcut", "message_action"]
    callback_id: Id


class BlockSuggestion(_Interaction):
    type: Literal["block_suggestion"]
    action_id: Id
    block_id: Id | None = None
    value: str | None = None


class LegacyInteraction(_Payload):
    """Attachments' buttons, dialogs and workflow-step edits: bolt matches them on callback_id."""

    type: Literal["interactive_message", "dialog_submission", "dialog_cancellation", "dialog_suggestion",
                  "workflow_step_edit"]
    callback_id: Id
    actions: Annotated[list[dict[str, Any]], Field(min_length=1, max_length=MAX_ACTIONS)] | None = None
    submission: dict[str, Any] | None = None


class SlashCommandForm(_Shape):
    command: Command
    user_id: Id
    text: str = ""
    team_id: Id | None = None
    channel_id: Id | None = None
    enterprise_id: Id | None = None
    response_url: Url | None = None
    trigger_id: Id | None = None


PAYLOADS: dict[str, type[_Payload]] = {
    "event_callback": EventCallback, "url_verification": UrlVerification, "app_rate_limited": AppRateLimited,
    "block_actions": BlockActions, "view_submission": ViewSubmission, "view_closed": ViewClosed,
    "shortcut": Shortcut, "message_action": Shortcut, "block_suggestion": BlockSuggestion,
    **{kind: LegacyInteraction for kind in ("interactive_message", "dialog_submission", "dialog_cancellation",
                                             "dialog_suggestion", "workflow_step_edit")},
}
EVENTS: dict[str, type[Event]] = {"app_home_opened": AppHomeOpened}
# Keys bolt and the listeners read as objects or lists: a form-encoded body can only carry text.
OBJECT_KEYS = frozenset({"type", "event", "actions", "view", "message", "previous_message", "authorizations",
                         "response_urls", "item", "assistant_thread", "function_data", "container", "state"})


def check_request(body: bytes, content_type: str | None) -> dict[str, Any]:
    """The payload bolt will read from these bytes, if it is one Slack sends; else MalformedEnvelope."""
    if len(body) > MAX_BODY_BYTES:
        raise MalformedEnvelope(f"the body is larger than {MAX_BODY_BYTES} bytes")
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise MalformedEnvelope("the body is not UTF-8 text") from None
    media_type = content_type.split(";")[0] if content_type else None
    if not text:
        raise MalformedEnvelope("the body is empty")
    if media_type == "application/json" or text.startswith("{"):     # bolt's own test, verbatim
        payload = _json(text, "the JSON body")
    elif "payload" in text:
        payload = _json(dict(parse_qsl(text, keep_blank_values=True)).get("payload"), "the payload field")
    else:
        form = dict(parse_qsl(text, keep_blank_values=True))
        check_form(form)
        return form
    check_payload(payload)
    return payload


def check_form(form: Mapping[str, str]) -> None:
    """A form-encoded body without `payload` is a slash command (or Slack's ssl_check)."""
    if form.get("ssl_check") == "1" and "command" not in form:
        return
    objects = sorted(OBJECT_KEYS & form.keys())
    if objects:
        raise MalformedEnvelope(f"a form-encoded body cannot carry {objects[0]}")
    _validate(SlashCommandForm, form)


def check_payload(payload: Any) -> None:
    """A JSON payload (an Events API body, or the `payload` field of an interaction)."""
    if not isinstance(payload, dict):
        raise MalformedEnvelope("the payload must be a JSON object")
    if "command" in payload:                # bolt takes any body with `command` for a slash command
        raise MalformedEnvelope("command is only sent form-encoded")
    if _depth(payload) > MAX_DEPTH:
        raise MalformedEnvelope(f"the payload is nested more than {MAX_DEPTH} levels deep")
    kind = payload.get("type")
    model = PAYLOADS.get(kind) if isinstance(kind, str) else None
    if model is None:
        raise MalformedEnvelope("type is missing or not a payload type Slack sends")
    _validate(model, payload)
    event_model = EVENTS.get(payload["event"]["type"]) if kind == "event_callback" else None
    if event_model is not None:
        _validate(event_model, payload["event"], prefix="event.")


def _json(text: str | None, what: str) -> Any:
    if text is None:
        raise MalformedEnvelope(f"{what} is missing")
    try:
        return json.loads(text)
    except ValueError:
        raise MalformedEnvelope(f"{what} is not valid JSON") from None
    except RecursionError:
        raise MalformedEnvelope(f"{what} is nested too deeply") from None


def _depth(value: Any) -> int:
    """How deeply objects and lists nest (iteratively: the input decides the depth)."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        current, depth = stack.pop()
        deepest = max(deepest, depth)
        if deepest > MAX_DEPTH:
            return deepest
        children = current.values() if isinstance(current, dict) else current if isinstance(current, list) else ()
        stack.extend((child, depth + 1) for child in children if isinstance(child, dict | list))
    return deepest


def _validate(model: type[BaseModel], data: Mapping[str, Any], *, prefix: str = "") -> None:
    try:
        model.model_validate(data)
    except ValidationError as invalid:
        raise MalformedEnvelope(prefix + _describe(invalid.errors(include_url=False, include_input=False)[0])) \
            from None


_WORDS = {
    "missing": "is required", "string_type": "must be text", "int_type": "must be a whole number",
    "bool_type": "must be true or false", "list_type": "must be a list", "dict_type": "must be an object",
    "model_type": "must be an object", "model_attributes_type": "must be an object",
    "too_short": "must not be empty", "too_long": "has too many items",
    "string_pattern_mismatch": "is not in the expected form", "literal_error": "is not the expected value",
}


def _describe(error: ErrorDetails) -> str:
    """`actions[0].action_id must be text`: the place and the rule, in our words."""
    path = ""
    for part in error["loc"]:
        path += f"[{part}]" if isinstance(part, int) else (f".{part}" if path else str(part))
    kind = error["type"]
    if kind == "string_too_long":
        rule = f"is too long (at most {(error.get('ctx') or {}).get('max_length')} characters)"
    else:
        rule = _WORDS.get(kind) or error["msg"].lower()
    return f"{path or 'the payload'} {rule}"
