"""What the daily digest and `/exceptions` show (pure): item views, counts, breached first, then due soon.

Content is chosen here, within a fixed item budget, so any queue size renders within Block Kit limits;
whatever does not fit is counted and pointed to (`/exceptions`, the dashboard).
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from app.policy import ExceptionKind, Policy

MAX_DIGEST_ITEMS = 12
PAGE_SIZE = 8
KIND_LABELS = {
    ExceptionKind.MISSING_FIELD: "Missing field", ExceptionKind.INVALID_FIELD: "Invalid field",
    ExceptionKind.UNMAPPED_PRODUCT: "Unmapped product", ExceptionKind.UNMAPPED_TERMS: "Unmapped terms",
    ExceptionKind.DUPLICATE_CUSTOMER: "Duplicate customer", ExceptionKind.VENDOR_ERROR: "Vendor error",
    ExceptionKind.APPROVAL_REJECTED: "Approval rejected", ExceptionKind.UNMAPPED_TAX: "Unmapped tax",
}
UNTAGGED = "Untagged"


@dataclass(frozen=True, slots=True, kw_only=True)
class ItemView:
    """One exception as people read it."""

    id: int
    kind: str
    deal_name: str | None
    opportunity_id: str | None
    opportunity_url: str | None
    reason: str
    fix: str
    owner_slack_id: str | None
    root_cause: str | None
    root_cause_label: str | None
    cause_is_suggestion: bool
    sla_due_at: datetime
    status: str
    breached: bool
    retry_count: int = 0
    resolved_by: str | None = None
    resolution: str | None = None
    note: str | None = None
    last_retry_at: datetime | None = None
    last_retry_by: str | None = None
    last_retry_result: str | None = None

    @property
    def kind_label(self) -> str:
        return kind_label(self.kind)


@dataclass(frozen=True, slots=True)
class Count:
    label: str
    count: int


@dataclass(frozen=True, slots=True)
class Section:
    title: str
    items: tuple[ItemView, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class DigestContent:
    generated_at: datetime
    total_open: int
    breached: int
    due_soon: int
    by_kind: tuple[Count, ...]
    by_cause: tuple[Count, ...]
    sections: tuple[Section, ...] = ()
    not_shown: int = 0
    more_hint: str = ""
    updated_at: datetime | None = None
    """Set when the message is re-rendered after it was posted (counts are as of then)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class QueueCounts:
    total: int
    breached: int
    due_soon: int
    by_kind: dict[str, int] = field(default_factory=dict)
    by_cause: dict[str | None, int] = field(default_factory=dict)


def kind_label(kind: str) -> str:
    try:
        return KIND_LABELS[ExceptionKind(kind)]
    except ValueError:
        return kind.replace("_", " ").capitalize()


def build_digest(*, counts: QueueCounts, breached: Sequence[ItemView], due_soon: Sequence[ItemView],
                 others: Sequence[ItemView], policy: Policy, now: datetime,
                 max_items: int = MAX_DIGEST_ITEMS) -> DigestContent:
    """Breached first (oldest breach first), then due soon, then the rest, up to `max_items` in all."""
    budget, sections = max_items, []
    for title, items in (("SLA breached", breached), ("Due soon", due_soon), ("Other open exceptions", others)):
        shown = tuple(items[:budget])
        budget -= len(shown)
        if shown:
            sections.append(Section(title, shown))
    shown_count = sum(1 for section in sections for view in section.items if view.status == "open")
    return DigestContent(
        generated_at=now, total_open=counts.total, breached=counts.breached, due_soon=counts.due_soon,
        by_kind=kind_counts(counts.by_kind), by_cause=cause_counts(counts.by_cause, policy),
        sections=tuple(sections), not_shown=max(0, counts.total - shown_count),
        more_hint="`/exceptions all` lists every open exception, `/exceptions mine` yours")


def split_by_due(views: Sequence[ItemView], *, at: datetime, soon_until: datetime
                 ) -> tuple[list[ItemView], list[ItemView], list[ItemView]]:
    """(breached, due soon, the rest) as they were at `at`: re-rendering a digest keeps its sections."""
    breached = [view for view in views if view.sla_due_at <= at]
    soon = [view for view in views if at < view.sla_due_at <= soon_until]
    return breached, soon, [view for view in views if view.sla_due_at > soon_until]


def kind_counts(by_kind: dict[str, int]) -> tuple[Count, ...]:
    ordered = sorted(by_kind.items(), key=lambda pair: (-pair[1], kind_label(pair[0])))
    return tuple(Count(kind_label(kind), count) for kind, count in ordered if count)


def cause_counts(by_cause: dict[str | None, int], policy: Policy) -> tuple[Count, ...]:
    labels = {cause.key: cause.label for cause in policy.root_causes}
    ordered = sorted(by_cause.items(), key=lambda pair: (-pair[1], str(pair[0])))
    return tuple(Count(labels.get(key, key) if key else UNTAGGED, count) for key, count in ordered if count)


def page_bounds(total: int, offset: int, page_size: int = PAGE_SIZE) -> tuple[int, int | None, int | None]:
    """(clamped offset, previous offset or None, next offset or None) for one page of a list."""
    last = max(0, (total - 1) // page_size * page_size)
    start = min(max(0, offset), last)
    previous = max(0, start - page_size) if start > 0 else None
    following = start + page_size if start + page_size < total else None
    return start, previous, following
