"""Reply type and parameter readers shared by the emulator's Web API methods."""
from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from app.sandbox.slack.block_kit_limits import Violation
from app.sandbox.slack.rate_limit import retry_after_header
from app.sandbox.slack.state import SlackState


@dataclass
class ApiReply:
    body: dict[str, Any]
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)


Handler = Callable[[SlackState, dict[str, Any]], ApiReply]


class BadArgument(Exception):
    """A parameter is malformed; becomes a Slack error reply, never an HTTP 500."""

    def __init__(self, error: str, *messages: str) -> None:
        super().__init__(error)
        self.error, self.messages = error, list(messages)


def ok(**fields: Any) -> ApiReply:
    return ApiReply({"ok": True, **fields})


def fail(error: str, messages: Sequence[str] = ()) -> ApiReply:
    body: dict[str, Any] = {"ok": False, "error": error}
    if messages:
        body["response_metadata"] = {"messages": list(messages)}
    return ApiReply(body)


def rate_limited(wait_seconds: float, retry_after_override: int | None) -> ApiReply:
    """Slack's answer over a limit: HTTP 429, Retry-After in whole seconds, {"ok": false, "error": "ratelimited"}."""
    return ApiReply({"ok": False, "error": "ratelimited"}, status=429,
                    headers={"Retry-After": retry_after_header(wait_seconds, retry_after_override)})


def invalid_blocks(violations: Sequence[Violation]) -> ApiReply:
    return fail("invalid_blocks", [v.render() for v in violations])


def text_param(params: dict[str, Any], name: str) -> str | None:
    value = params.get(name)
    if value is None or value == "":
        return None
    if isinstance(value, (dict, list)):
        raise BadArgument("invalid_arguments", f"[ERROR] must be a string [json-pointer:/{name}]")
    return str(value)


def json_param(params: dict[str, Any], name: str, *, error: str) -> Any:
    """A JSON object/array that arrives decoded (JSON bodies) or as a string (form bodies)."""
    value = params.get(name)
    if not isinstance(value, str):
        return value
    try:
        return json.loads(value) if value else None
    except json.JSONDecodeError:
        raise BadArgument(error, f"[ERROR] {name} is not valid JSON [json-pointer:/{name}]") from None


def blocks_param(params: dict[str, Any]) -> list[dict[str, Any]] | None:
    blocks = json_param(params, "blocks", error="invalid_blocks_format")
    if blocks is not None and not isinstance(blocks, list):
        raise BadArgument("invalid_blocks_format", "[ERROR] must provide an array [json-pointer:/blocks]")
    return blocks


def user_ids_param(value: Any) -> list[str]:
    if isinstance(value, str):
        return [part.strip() for part in value.split(",") if part.strip()]
    if isinstance(value, list) and all(isinstance(part, str) for part in value):
        return value
    return []
