"""The shape of what Slack sends us, checked before bolt sees it: sizes, types, required fields.

bolt reads the decoded body without checking types (`body["event"]["type"]`, `"id" in body["team"]`,
`body["actions"][0]`), and a body of the wrong shape crashes inside bolt, which answers 500 itself.
Each payload type Slack sends is a strict model in app/slack/envelope_shapes.py (extra fields are
allowed: Slack adds fields over time); anything else is refused with a message naming the field,
never its value.
The body is decoded exactly as bolt decodes it (slack_bolt/request/internals.py `parse_body`), so the
payload checked is the payload bolt will read.
"""
from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any
from urllib.parse import parse_qsl

from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from app.slack.envelope_shapes import EVENTS, OBJECT_KEYS, PAYLOADS, SlashCommandForm

MAX_BODY_BYTES = 1_000_000
MAX_DEPTH = 48                      # Block Kit nests about 12 levels deep; JSON bombs nest thousands


class MalformedEnvelope(ValueError):
    """Signed, but not a payload Slack sends: the message names the first wrong field (never its value)."""


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
