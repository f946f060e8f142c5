"""Block Kit limits Slack enforces (contracts.md 1.6), as pure checks that return every violation found.

Violations render like Slack's own `response_metadata.messages`:
"[ERROR] must be less than 3001 characters [json-pointer:/blocks/0/text/text]".
"""
from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

MAX_MESSAGE_BLOCKS = 50
MAX_VIEW_BLOCKS = 100
MAX_SECTION_TEXT = 3000
MAX_SECTION_FIELDS = 10
MAX_FIELD_TEXT = 2000
MAX_ACTIONS_ELEMENTS = 25
MAX_CONTEXT_ELEMENTS = 10
MAX_HEADER_TEXT = 150
MAX_ID = 255
MAX_BUTTON_TEXT = 75
MAX_BUTTON_VALUE = 2000
MAX_URL = 3000
MAX_SELECT_OPTIONS = 100
MAX_OPTION_TEXT = 75
MAX_OPTION_VALUE = 150
MAX_VIEW_TITLE = 24
MAX_PRIVATE_METADATA = 3000
MAX_VIEW_BYTES = 250_000
VIEW_TYPES = frozenset({"modal", "home"})
SELECT_TYPES = frozenset({"static_select", "multi_static_select"})


@dataclass(frozen=True)
class Violation:
    pointer: str
    problem: str

    def render(self) -> str:
        return f"[ERROR] {self.problem} [json-pointer:{self.pointer}]"


def _too_long(value: Any, limit: int, pointer: str) -> Iterator[Violation]:
    if isinstance(value, str) and len(value) > limit:
        yield Violation(pointer, f"must be less than {limit + 1} characters")


def _too_many(items: Any, limit: int, pointer: str) -> Iterator[Violation]:
    if isinstance(items, list) and len(items) > limit:
        yield Violation(pointer, f"must contain no more than {limit} items")


def _text_of(obj: Any) -> Any:
    return obj.get("text") if isinstance(obj, Mapping) else None


def _option_violations(options: Any, pointer: str) -> Iterator[Violation]:
    yield from _too_many(options, MAX_SELECT_OPTIONS, pointer)
    for i, option in enumerate(options if isinstance(options, list) else []):
        yield from _too_long(_text_of(option.get("text")), MAX_OPTION_TEXT, f"{pointer}/{i}/text/text")
        yield from _too_long(option.get("value"), MAX_OPTION_VALUE, f"{pointer}/{i}/value")


def element_violations(element: Any, pointer: str) -> Iterator[Violation]:
    """Limits of one interactive element (button, select, input, ...)."""
    if not isinstance(element, Mapping) or not isinstance(element.get("type"), str):
        yield Violation(pointer, "must provide an object with a type")
        return
    yield from _too_long(element.get("action_id"), MAX_ID, f"{pointer}/action_id")
    if element["type"] == "button":
        yield from _too_long(_text_of(element.get("text")), MAX_BUTTON_TEXT, f"{pointer}/text/text")
        yield from _too_long(element.get("value"), MAX_BUTTON_VALUE, f"{pointer}/value")
        yield from _too_long(element.get("url"), MAX_URL, f"{pointer}/url")
    if element["type"] in SELECT_TYPES:
        yield from _option_violations(element.get("options"), f"{pointer}/options")
        yield from _too_many(element.get("option_groups"), MAX_SELECT_OPTIONS, f"{pointer}/option_groups")


def _section_violations(block: Mapping[str, Any], pointer: str) -> Iterator[Violation]:
    yield from _too_long(_text_of(block.get("text")), MAX_SECTION_TEXT, f"{pointer}/text/text")
    fields = block.get("fields")
    yield from _too_many(fields, MAX_SECTION_FIELDS, f"{pointer}/fields")
    for i, field in enumerate(fields if isinstance(fields, list) else []):
        yield from _too_long(_text_of(field), MAX_FIELD_TEXT, f"{pointer}/fields/{i}/text")
    if "accessory" in block:
        yield from element_violations(block["accessory"], f"{pointer}/accessory")


def _elements_violations(block: Mapping[str, Any], pointer: str, limit: int) -> Iterator[Violation]:
    elements = block.get("elements")
    yield from _too_many(elements, limit, f"{pointer}/elements")
    if block.get("type") == "actions":
        for i, element in enumerate(elements if isinstance(elements, list) else []):
            yield from element_violations(element, f"{pointer}/elements/{i}")


BLOCK_TYPES = frozenset({"actions", "context", "divider", "file", "header", "image", "input", "markdown",
                         "rich_text", "section", "table", "video", "context_actions"})
"""Layout block types in https://docs.slack.dev/reference/block-kit/blocks (others are refused)."""


def block_violations(block: Any, pointer: str) -> Iterator[Violation]:
    """Limits of one layout block."""
    if not isinstance(block, Mapping) or not isinstance(block.get("type"), str):
        yield Violation(pointer, "must provide an object with a type")
        return
    yield from _too_long(block.get("block_id"), MAX_ID, f"{pointer}/block_id")
    kind = block["type"]
    if kind not in BLOCK_TYPES:
        yield Violation(f"{pointer}/type", f"unsupported type: {kind}")
    elif kind == "section":
        yield from _section_violations(block, pointer)
    elif kind == "actions":
        yield from _elements_violations(block, pointer, MAX_ACTIONS_ELEMENTS)
    elif kind == "context":
        yield from _elements_violations(block, pointer, MAX_CONTEXT_ELEMENTS)
    elif kind == "header":
        yield from _too_long(_text_of(block.get("text")), MAX_HEADER_TEXT, f"{pointer}/text/text")
    elif kind == "input" and "element" in block:
        yield from element_violations(block["element"], f"{pointer}/element")


def blocks_violations(blocks: Any, *, max_blocks: int, pointer: str = "/blocks") -> list[Violation]:
    """Every limit a list of blocks breaks; an empty list means Slack would accept it."""
    if not isinstance(blocks, list):
        return [Violation(pointer, "must provide an array")]
    found = list(_too_many(blocks, max_blocks, pointer))
    for i, block in enumerate(blocks):
        found.extend(block_violations(block, f"{pointer}/{i}"))
    return found


def message_violations(blocks: Any) -> list[Violation]:
    return blocks_violations(blocks, max_blocks=MAX_MESSAGE_BLOCKS)


def view_violations(view: Any) -> list[Violation]:
    """Limits of a modal or Home tab view (not its size: see `view_too_large`)."""
    if not isinstance(view, Mapping):
        return [Violation("/view", "must provide an object")]
    found: list[Violation] = []
    if view.get("type") not in VIEW_TYPES:
        found.append(Violation("/view/type", "must be one of modal, home"))
    for name in ("title", "submit", "close"):
        found.extend(_too_long(_text_of(view.get(name)), MAX_VIEW_TITLE, f"/view/{name}/text"))
    if view.get("type") == "modal" and not _text_of(view.get("title")):
        found.append(Violation("/view/title", "missing required field: title"))
    found.extend(_too_long(view.get("private_metadata"), MAX_PRIVATE_METADATA, "/view/private_metadata"))
    for name in ("callback_id", "external_id"):
        found.extend(_too_long(view.get(name), MAX_ID, f"/view/{name}"))
    found.extend(blocks_violations(view.get("blocks", []), max_blocks=MAX_VIEW_BLOCKS, pointer="/view/blocks"))
    return found


def view_too_large(view: Any) -> bool:
    return len(json.dumps(view, separators=(",", ":")).encode()) > MAX_VIEW_BYTES
