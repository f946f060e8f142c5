"""Small Block Kit constructors shared by the surfaces; each enforces its Block Kit length limit."""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from slack_sdk.models.blocks import (
    Block,
    ButtonElement,
    ContextBlock,
    DividerBlock,
    HeaderBlock,
    MarkdownTextObject,
    PlainTextObject,
    SectionBlock,
)

from app.slack.blocks.format import (
    BUTTON_TEXT_LIMIT,
    CONTEXT_TEXT_LIMIT,
    FIELD_TEXT_LIMIT,
    HEADER_TEXT_LIMIT,
    SECTION_TEXT_LIMIT,
    truncate,
)

MAX_SECTION_FIELDS = 10


def header(text: str) -> HeaderBlock:
    """A header from plain text (not parsed by Slack, so truncated but not escaped)."""
    return HeaderBlock(text=PlainTextObject(text=truncate(text, HEADER_TEXT_LIMIT), emoji=True))


def section(mrkdwn: str, *, block_id: str | None = None) -> SectionBlock:
    """A section from already-escaped mrkdwn."""
    text = MarkdownTextObject(text=truncate(mrkdwn, SECTION_TEXT_LIMIT))
    return SectionBlock(text=text, block_id=block_id)


def fields_section(fields: Sequence[tuple[str, str]]) -> SectionBlock:
    """A two-column section of '*label*\\nvalue' fields; values must be already-escaped mrkdwn."""
    if not 0 < len(fields) <= MAX_SECTION_FIELDS:
        raise ValueError(f"a section holds 1 to {MAX_SECTION_FIELDS} fields, got {len(fields)}")
    objects = [
        MarkdownTextObject(text=truncate(f"*{label}*\n{value}", FIELD_TEXT_LIMIT)) for label, value in fields
    ]
    return SectionBlock(fields=objects)


def context(mrkdwn: str, *, block_id: str | None = None) -> ContextBlock:
    """A one-element context line from already-escaped mrkdwn."""
    element = MarkdownTextObject(text=truncate(mrkdwn, CONTEXT_TEXT_LIMIT))
    return ContextBlock(elements=[element], block_id=block_id)


def button(label: str, *, action_id: str, value: str, style: str | None = None) -> ButtonElement:
    """A button; `style` is None, "primary" or "danger"."""
    text = PlainTextObject(text=truncate(label, BUTTON_TEXT_LIMIT), emoji=True)
    return ButtonElement(text=text, action_id=action_id, value=value, style=style)


def divider() -> DividerBlock:
    return DividerBlock()


def to_dicts(blocks: Sequence[Block]) -> list[dict[str, Any]]:
    """JSON-ready dicts for the Web API; slack_sdk validates every length limit here."""
    return [block.to_dict() for block in blocks]
