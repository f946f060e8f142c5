"""One exception as Slack shows it, read from the database (no Slack call): for the Resolve modal the web
process opens, and for the items the worker re-renders in place."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from app.db import session_scope
from app.errors import NotFound
from app.exception_queue import queries
from app.exception_queue.digest import ItemView
from app.links import record_url
from app.runtime import Runtime
from app.slack.blocks.common import to_dicts
from app.slack.blocks.exceptions import item_blocks, item_text, replace_item_blocks
from app.slack.ids import BlockId, prefixed_id
from app.slack.metadata import SKELETON_LIMIT, CloseExceptionMetadata


@dataclass(frozen=True)
class Rendered:
    text: str
    blocks: list[dict[str, Any]]


def render_item(rt: Runtime, item_id: int) -> Rendered:
    view, now = view_of(rt, item_id), rt.clock.now()
    return Rendered(item_text(view), to_dicts(item_blocks(view, policy=rt.policy, tz=rt.policy.zone, now=now)))


def view_of(rt: Runtime, item_id: int) -> ItemView:
    """Raises NotFound for an id that names no exception."""
    with session_scope(rt.engine) as session:
        rows = queries.rows_by_id(session, [item_id])
        if not rows:
            raise NotFound(f"Exception {item_id} does not exist")
        return queries.item_view(*rows[0], now=rt.clock.now(), policy=rt.policy, record_link=record_link(rt))


def record_link(rt: Runtime) -> Callable[[str], str | None]:
    instance = rt.settings.salesforce_base_url
    return lambda sf_id: record_url(instance, "Opportunity", sf_id)


def close_exception_metadata(body: dict[str, Any], item_id: int) -> CloseExceptionMetadata:
    """Where the clicked item is shown (from a block_actions body), so the submission can update it there."""
    container = body.get("container") or {}
    message = body.get("message") or {}
    where = CloseExceptionMetadata(item_id=item_id, channel=_text(container.get("channel_id")),
                                   message_ts=_text(container.get("message_ts")),
                                   ephemeral=bool(container.get("is_ephemeral")),
                                   response_url=_text(body.get("response_url")))
    placeholder = [{"block_id": prefixed_id(BlockId.EXCEPTION_ITEM, item_id)}]
    skeleton = replace_item_blocks(message.get("blocks") or [], item_id, placeholder)
    with_skeleton = where.model_copy(update={"skeleton": skeleton})
    return with_skeleton if len(with_skeleton.model_dump_json(exclude_none=True)) <= SKELETON_LIMIT else where


def _text(value: object) -> str | None:
    return value if isinstance(value, str) and value else None
