"""The levels of an approval request as its message shows them, and the note that pings the next level (pure)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from slack_sdk.models.blocks import Block

from app.slack.blocks.common import section
from app.slack.blocks.format import NAME_LIMIT, SECTION_TEXT_LIMIT, join_within, mention, safe_text, truncate, when_utc
from app.slack.ids import BlockId

_STATUS_MARKS = {"approved": "✅", "rejected": "❌", "pending": "⏳"}


@dataclass(frozen=True, kw_only=True)
class LevelLine:
    """One level: done (who, when) or waiting (which role). `parallel`: decided at the same time as others."""

    position: int
    role_label: str
    status: str
    decider_slack_id: str | None = None
    decider_name: str | None = None
    decided_at: datetime | None = None
    parallel: bool = False
    open_now: bool = False


def levels_block(levels: tuple[LevelLine, ...]) -> Block:
    title = "*Approval levels*\n"
    lines = [_level_text(level) for level in levels]
    return section(title + join_within(lines, SECTION_TEXT_LIMIT - len(title)), block_id=BlockId.APPROVAL_LEVELS.value)


def level_ping_text(*, deal_name: str, decided: LevelLine, waiting: tuple[LevelLine, ...],
                    approvers: tuple[str, ...]) -> str:
    """In the request's thread: the level just approved, and whose turn it is now (mentions)."""
    who = mention(decided.decider_slack_id, decided.decider_name or "an approver")
    roles = " and ".join(_level_name(level) for level in waiting)
    text = (f"{_level_name(decided)} approved by {who}. Next: {roles} for "
            f"{safe_text(deal_name, NAME_LIMIT)}. {_people(approvers)}")
    return truncate(text.strip(), SECTION_TEXT_LIMIT)


def level_dm_text(*, deal_name: str, level: LevelLine, channel: str | None) -> str:
    """By DM to each approver of a level that just opened."""
    where = f" The request is in <#{channel}>, with its buttons." if channel else ""
    return truncate(f"Your approval is needed: {_level_name(level)} of "
                    f"*{safe_text(deal_name, NAME_LIMIT)}*.{where}", SECTION_TEXT_LIMIT)


def _level_text(level: LevelLine) -> str:
    mark = _STATUS_MARKS.get(level.status, "•")
    name = _level_name(level) + (" (in parallel)" if level.parallel else "")
    if level.status in ("approved", "rejected") and level.decided_at is not None:
        who = mention(level.decider_slack_id, level.decider_name or "someone")
        return f"{mark} {name}: {level.status} by {who} {when_utc(level.decided_at)}"
    waiting = "waiting for a decision" if level.open_now else "waits for the level before"
    return f"{mark} {name}: {waiting}"


def _level_name(level: LevelLine) -> str:
    return f"Level {level.position} ({safe_text(level.role_label, NAME_LIMIT)})"


def _people(approvers: tuple[str, ...]) -> str:
    return f"Over to {', '.join(approvers)}." if approvers else ""
