"""The daily exceptions digest message: counts by kind and cause, breached first, then due soon, with controls."""
from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from slack_sdk.models.blocks import Block

from app.exception_queue.digest import Count, DigestContent
from app.policy import Policy
from app.slack.blocks.common import context, header, section
from app.slack.blocks.exceptions import item_blocks
from app.slack.blocks.format import CONTEXT_TEXT_LIMIT, MESSAGE_BLOCK_LIMIT, escape, join_within, link, slack_time

_COUNTS_LIMIT = 1400


def digest_blocks(content: DigestContent, *, policy: Policy, tz: ZoneInfo, dashboard_url: str | None,
                  now: datetime) -> list[Block]:
    """At most MESSAGE_BLOCK_LIMIT blocks whatever the queue size (the content is already capped)."""
    local = content.generated_at.astimezone(tz)
    blocks: list[Block] = [header(f"Billing exceptions · {local:%a %d %b %Y}"), section(_summary(content))]
    if content.total_open == 0 and not content.sections:
        blocks.append(section("_Nothing open. :tada:_"))
        return blocks
    for part in content.sections:
        blocks.append(section(f"*{escape(part.title)}*"))
        for view in part.items:
            blocks.extend(item_blocks(view, policy=policy, tz=tz, now=now))
    blocks.append(context(_footer(content, dashboard_url, tz)))
    if len(blocks) > MESSAGE_BLOCK_LIMIT:      # a guard: the item budget should make this impossible
        blocks = blocks[:MESSAGE_BLOCK_LIMIT - 1] + [blocks[-1]]
    return blocks


def digest_text(content: DigestContent) -> str:
    """Notification / fallback text."""
    return (f"Billing exceptions: {content.total_open} open, {content.breached} SLA breached, "
            f"{content.due_soon} due soon")


def _summary(content: DigestContent) -> str:
    head = (f"*{content.total_open} open* · :rotating_light: *{content.breached} SLA breached* · "
            f":hourglass_flowing_sand: {content.due_soon} due soon")
    if content.total_open == 0:
        return head
    return "\n".join([head, f"*By kind:* {_counts(content.by_kind)}", f"*By root cause:* {_counts(content.by_cause)}"])


def _counts(counts: tuple[Count, ...]) -> str:
    parts = [f"{escape(count.label)} {count.count}" for count in counts]
    return join_within(parts, _COUNTS_LIMIT).replace("\n", " · ") if parts else "none"


def _footer(content: DigestContent, dashboard_url: str | None, tz: ZoneInfo) -> str:
    more = f"{content.not_shown} more not shown. " if content.not_shown else ""
    dashboard = f" · {link(dashboard_url, 'dashboard')}" if dashboard_url else ""
    updated = f" · updated {slack_time(content.updated_at)}" if content.updated_at else ""
    text = f"{more}{content.more_hint}{dashboard} · as of {slack_time(content.generated_at)}{updated}"
    return text[:CONTEXT_TEXT_LIMIT]
