"""One exception as Block Kit (a section plus Retry / Tag cause / Assign / Resolve), and `/exceptions` pages.

Each item's blocks carry its id in their block_ids ("exception_item:N", "exception_actions:N"), so a
listener can swap one item in place inside a digest or a list without knowing the rest of the message.
"""
from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    InputBlock,
    Option,
    PlainTextInputElement,
    PlainTextObject,
    RadioButtonsElement,
    StaticSelectElement,
    UserSelectElement,
)
from slack_sdk.models.views import View

from app.exception_queue.digest import ItemView
from app.exception_queue.models import ExceptionStatus
from app.policy import ExceptionKind, Policy
from app.slack.blocks.common import button, section
from app.slack.blocks.format import NAME_LIMIT, escape, link, mention, safe_text, slack_time, truncate
from app.slack.ids import ActionId, BlockId, CallbackId, SlashCommand, parse_prefixed_id, prefixed_id

MAX_CAUSE_OPTIONS = 100
OPTION_TEXT_LIMIT = 75
_REASON_LIMIT = 900
_FIX_LIMIT = 600
_NOTE_LIMIT = 400
CLOSE_NOTE_MAX_LENGTH = 1000
AUTOMATIC = "system"


def item_id_of(block_id: object) -> int | None:
    """The exception id inside "exception_actions:42" / "exception_item:42"; None for other blocks."""
    return parse_prefixed_id(block_id, BlockId.EXCEPTION_ACTIONS, BlockId.EXCEPTION_ITEM)


def item_blocks(view: ItemView, *, policy: Policy, tz: ZoneInfo, now: datetime) -> list[Block]:
    """Open items get the four controls; closed ones say who closed them and why, without controls."""
    blocks: list[Block] = [section(_item_text(view, tz, now), block_id=prefixed_id(BlockId.EXCEPTION_ITEM, view.id))]
    if view.status == "open":
        blocks.append(_controls(view, policy))
    return blocks


def replace_item_blocks(blocks: Sequence[dict[str, Any]], item_id: int,
                        new_blocks: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """The message's blocks with exception `item_id`'s blocks swapped for `new_blocks` (others untouched)."""
    result: list[dict[str, Any]] = []
    inserted = False
    for block in blocks:
        if item_id_of(block.get("block_id")) == item_id:
            if not inserted:
                result.extend(new_blocks)
                inserted = True
            continue
        result.append(block)
    return result


def exceptions_list_blocks(views: Sequence[ItemView], *, title: str, total: int, offset: int,
                           previous: int | None, following: int | None, query: str, policy: Policy,
                           tz: ZoneInfo, now: datetime) -> list[Block]:
    """One page of `/exceptions`: the items with their controls, then Previous / Next."""
    if not views:
        return [section(f"*{safe_text(title, NAME_LIMIT)}*\n_No open exceptions match._")]
    shown = f"{offset + 1}–{offset + len(views)} of {total}"
    blocks: list[Block] = [section(f"*{safe_text(title, NAME_LIMIT)}* ({shown}, most urgent first)")]
    for view in views:
        blocks.extend(item_blocks(view, policy=policy, tz=tz, now=now))
    pager = [button(label, action_id=ActionId.EXCEPTIONS_PAGE.value, value=page_value(query, target))
             for label, target in (("Previous", previous), ("Next", following)) if target is not None]
    if pager:
        blocks.append(ActionsBlock(elements=pager, block_id=BlockId.EXCEPTIONS_PAGER.value))
    return blocks


def page_value(query: str, offset: int) -> str:
    return json.dumps({"q": query[:200], "o": offset}, separators=(",", ":"))


def parse_page_value(value: str) -> tuple[str, int]:
    """(query, offset) from a pager button; bad values give the first page of everything."""
    try:
        data = json.loads(value)
        return str(data.get("q", "")), max(0, int(data.get("o", 0)))
    except (ValueError, TypeError, AttributeError):
        return "", 0


def exceptions_usage_text(causes: Sequence[str]) -> str:
    command = SlashCommand.EXCEPTIONS.value
    return (f"Usage: `{command} [mine | all | <root cause>]` lists open exceptions; "
            f"`{command} resolve <id> <what was done>` and `{command} dismiss <id> <why>` close one.\n"
            f"Root causes: {escape(', '.join(causes)) or 'none in the policy'}")


def item_text(view: ItemView) -> str:
    """Notification text for a message about one item."""
    return f"{view.kind_label}: {view.deal_name or 'no deal'} (exception {view.id}, {view.status})"


def _item_text(view: ItemView, tz: ZoneInfo, now: datetime) -> str:
    deal = link(view.opportunity_url, view.deal_name or view.opportunity_id or "no deal")
    lines = [f"{':rotating_light:' if view.breached and view.status == 'open' else ':warning:'} "
             f"*{escape(view.kind_label)}* · {deal} · `#{view.id}`",
             safe_text(view.reason, _REASON_LIMIT)]
    if view.status == "open":
        lines.append(f"_Fix:_ {safe_text(view.fix, _FIX_LIMIT)}")
        lines.append(_status_line(view, tz))
    else:
        lines.append(_closed_line(view))
    if view.last_retry_at is not None and view.last_retry_result:
        lines.append(f"_Last retry {slack_time(view.last_retry_at)} by "
                     f"{mention(view.last_retry_by, view.last_retry_by or 'someone')}: "
                     f"{safe_text(view.last_retry_result, _NOTE_LIMIT)}_")
    if view.note:
        lines.append(f"_{safe_text(view.note, _NOTE_LIMIT)}_")
    return "\n".join(lines)


def _closed_line(view: ItemView) -> str:
    """'✅ Resolved automatically: fixed in Salesforce' or '✅ *Resolved* by @ann: …' (no controls follow)."""
    icon = ":white_check_mark:" if view.status == "resolved" else ":heavy_minus_sign:"
    why = safe_text(view.resolution or "", _NOTE_LIMIT)
    if view.resolved_by == AUTOMATIC:
        return f"{icon} *{escape(view.status.capitalize())} automatically*: {why}"
    closer = mention(view.resolved_by, view.resolved_by or "someone")
    return f"{icon} *{escape(view.status.capitalize())}* by {closer}: {why}"


def _status_line(view: ItemView, tz: ZoneInfo) -> str:
    owner = mention(view.owner_slack_id, "unassigned") if view.owner_slack_id else "_unassigned_"
    due = f"{'*SLA breached* ' if view.breached else 'Due '}{slack_time(view.sla_due_at)}"
    cause = safe_text(view.root_cause_label or "not tagged", NAME_LIMIT)
    cause += " (suggested)" if view.cause_is_suggestion and view.root_cause else ""
    retries = f" · retried {view.retry_count}×" if view.retry_count else ""
    return f"Owner: {owner} · {due} · Cause: {cause}{retries}"


def _controls(view: ItemView, policy: Policy) -> ActionsBlock:
    resolve = button("Resolve", action_id=ActionId.EXCEPTION_RESOLVE.value, value=str(view.id), style="primary")
    elements = [button("Retry", action_id=ActionId.EXCEPTION_RETRY.value, value=str(view.id)),
                _cause_select(view, policy),
                UserSelectElement(action_id=ActionId.EXCEPTION_ASSIGN.value, placeholder="Assign",
                                  initial_user=view.owner_slack_id or None),
                resolve]
    return ActionsBlock(elements=[e for e in elements if e is not None],
                        block_id=prefixed_id(BlockId.EXCEPTION_ACTIONS, view.id))


def _cause_select(view: ItemView, policy: Policy) -> StaticSelectElement | None:
    try:
        causes = policy.root_causes_for(ExceptionKind(view.kind))
    except ValueError:
        causes = policy.root_causes
    options = [Option(value=cause.key, text=PlainTextObject(text=truncate(cause.label, OPTION_TEXT_LIMIT)))
               for cause in causes[:MAX_CAUSE_OPTIONS]]
    if not options:
        return None
    initial = next((option for option in options if option.value == view.root_cause and not view.cause_is_suggestion),
                   None)
    return StaticSelectElement(action_id=ActionId.EXCEPTION_TAG_CAUSE.value, placeholder="Tag cause",
                               options=options, initial_option=initial)


# ---- the Resolve modal -------------------------------------------------------------------------------------

def close_modal(view: ItemView, *, private_metadata: str, may_dismiss: bool) -> View:
    """Resolve (an optional note) or, for the finance team, dismiss (a reason is required: the listener checks)."""
    intro = section(f"*{escape(view.kind_label)}* · {safe_text(view.deal_name or 'no deal', NAME_LIMIT)} · "
                    f"`#{view.id}`\n{safe_text(view.reason, _REASON_LIMIT)}")
    resolve, dismiss = (Option(value=value, text=PlainTextObject(text=label)) for value, label in (
        ("resolved", "Resolved: the problem is fixed"), ("dismissed", "Dismissed: nothing to fix")))
    outcome = InputBlock(block_id=BlockId.EXCEPTION_CLOSE_OUTCOME.value, label=PlainTextObject(text="Outcome"),
                         element=RadioButtonsElement(action_id=ActionId.EXCEPTION_CLOSE_OUTCOME.value,
                                                     options=[resolve, dismiss] if may_dismiss else [resolve],
                                                     initial_option=resolve))
    note = InputBlock(block_id=BlockId.EXCEPTION_CLOSE_NOTE.value, label=PlainTextObject(text="What was done, or why"),
                      optional=True, hint=PlainTextObject(text="Optional when resolving; required to dismiss."),
                      element=PlainTextInputElement(action_id=ActionId.EXCEPTION_CLOSE_NOTE.value, multiline=True,
                                                    max_length=CLOSE_NOTE_MAX_LENGTH))
    return View(type="modal", callback_id=CallbackId.EXCEPTION_CLOSE.value, private_metadata=private_metadata,
                title=PlainTextObject(text=f"Close exception #{view.id}"[:24]),
                submit=PlainTextObject(text="Close it"), close=PlainTextObject(text="Cancel"),
                blocks=[intro, outcome, note])


def close_values(view: dict[str, Any]) -> tuple[ExceptionStatus, str]:
    """(outcome, note) from the submitted modal; anything but an explicit 'dismissed' resolves."""
    values = (view.get("state") or {}).get("values") or {}
    chosen = (values.get(BlockId.EXCEPTION_CLOSE_OUTCOME.value) or {}).get(ActionId.EXCEPTION_CLOSE_OUTCOME.value)
    outcome = str(((chosen or {}).get("selected_option") or {}).get("value") or "")
    note = (values.get(BlockId.EXCEPTION_CLOSE_NOTE.value) or {}).get(ActionId.EXCEPTION_CLOSE_NOTE.value) or {}
    status = ExceptionStatus.DISMISSED if outcome == ExceptionStatus.DISMISSED else ExceptionStatus.RESOLVED
    return status, str(note.get("value") or "").strip()
