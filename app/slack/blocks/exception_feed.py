"""Exceptions posted as they happen: one message per deal (its exceptions with the digest's controls), the
replies in its thread, and the one summary that stands for a burst."""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from slack_sdk.models.blocks import Block

from app.exception_queue.digest import Count, ItemView
from app.policy import Policy
from app.slack.blocks.common import context, header, section
from app.slack.blocks.exceptions import item_blocks
from app.slack.blocks.format import (
    MESSAGE_BLOCK_LIMIT,
    NAME_LIMIT,
    escape,
    join_within,
    link,
    mention,
    safe_text,
    slack_time,
)
from app.slack.ids import SlashCommand

MAX_THREAD_ITEMS = 20
"""Two blocks each, with the title and footer well under Slack's 50 blocks a message."""
_REASON_LIMIT = 500


@dataclass(frozen=True, kw_only=True)
class ThreadView:
    """The exceptions of one deal (or one exception without a deal), newest state of each."""

    deal_name: str | None
    deal_url: str | None
    owner_name: str | None
    items: tuple[ItemView, ...]
    owner_slack_id: str | None = None
    """The owner found in Slack by email: shown as a mention (each reader sees the name); else owner_name."""


@dataclass(frozen=True, kw_only=True)
class BurstView:
    """Many new exceptions at once: counted, a few deals named, and where to see them all."""

    total: int
    deals: int
    by_kind: tuple[Count, ...]
    deal_names: tuple[str, ...]
    opened_at: datetime
    dashboard_url: str | None


def thread_text(view: ThreadView) -> str:
    still_open = sum(1 for item in view.items if item.status == "open")
    subject = view.deal_name or (view.items[0].kind_label if view.items else "exception")
    return f"Billing exceptions on {subject}: {still_open} open"


def thread_blocks(view: ThreadView, *, policy: Policy, tz: ZoneInfo, now: datetime) -> list[Block]:
    """The deal's exceptions, open ones with Retry / Tag cause / Assign / Resolve; closed ones say who closed them."""
    still_open = sum(1 for item in view.items if item.status == "open")
    deal = link(view.deal_url, view.deal_name) if view.deal_name else "_no deal_"
    title = f":warning: *Billing exceptions* · {deal} · {still_open} open"
    blocks: list[Block] = [section(title)]
    shown = view.items[-MAX_THREAD_ITEMS:]
    for item in shown:
        blocks.extend(item_blocks(item, policy=policy, tz=tz, now=now))
    footer = []
    if view.owner_slack_id or view.owner_name:
        footer.append(f"Opportunity owner: {mention(view.owner_slack_id, view.owner_name or '')}")
    if len(view.items) > len(shown):
        footer.append(f"{len(view.items) - len(shown)} older ones not shown")
    footer.append(f"`{SlashCommand.EXCEPTIONS.value} all` lists every open exception · updates follow in the thread")
    blocks.append(context(" · ".join(footer)))
    return blocks[:MESSAGE_BLOCK_LIMIT]


def reply_text(item: ItemView, event: str) -> str:
    """A thread reply: a new exception on a deal already posted, or one that closed."""
    if event == "new":
        return f":warning: New: *{escape(item.kind_label)}* `#{item.id}`: {safe_text(item.reason, _REASON_LIMIT)}"
    verb = escape(item.status.capitalize())
    why = safe_text(item.resolution or "", _REASON_LIMIT)
    if item.resolved_by in (None, "system"):
        return f":white_check_mark: `#{item.id}` {verb} automatically: {why}"
    return f":white_check_mark: `#{item.id}` {verb} by {mention(item.resolved_by, item.resolved_by or '')}: {why}"


def burst_text(view: BurstView) -> str:
    return f"{view.total} new billing exceptions on {view.deals} deals"


def burst_blocks(view: BurstView) -> list[Block]:
    counts = " · ".join(f"{escape(count.label)} {count.count}" for count in view.by_kind) or "none"
    names = [f"• {safe_text(name, NAME_LIMIT)}" for name in view.deal_names]
    if view.deals > len(names):
        names.append(f"…and {view.deals - len(names)} more deals")
    where = f"`{SlashCommand.EXCEPTIONS.value} all` lists them with their controls"
    if view.dashboard_url:
        where += f" · {link(view.dashboard_url, 'dashboard')}"
    return [header(f"{view.total} new billing exceptions"),
            section(f"*{view.deals} deals* need attention since {slack_time(view.opened_at)}\n*By kind:* {counts}"),
            section(join_within(names, 2000)), context(where)]


def kind_counts(items: Sequence[ItemView]) -> tuple[Count, ...]:
    counted: dict[str, int] = {}
    for item in items:
        counted[item.kind_label] = counted.get(item.kind_label, 0) + 1
    return tuple(Count(label, count) for label, count in sorted(counted.items(), key=lambda pair: (-pair[1], pair[0])))
