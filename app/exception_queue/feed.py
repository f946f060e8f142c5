"""Exceptions posted as they happen: which new exceptions are announced where, decided in one transaction.

A new exception queues a flush (`queue_flush`); the flush takes every exception not announced yet
(`take_pending`) and groups them by deal: one threaded Slack message per deal (a `SlackPost` keyed by the
deal), or, when more deals than the policy's `exception_feed.burst_limit` have new exceptions at once, one
summary message for all of them. A change to an announced exception (closed, assigned, tagged, retried)
queues a re-render of its deal's message (`queue_refresh`). The Slack calls happen in the worker.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlmodel import Field, Session, SQLModel, col, select

from app.clock import Clock
from app.db import UTCDateTime, persisted_id
from app.exactly_once.slack_posts import SlackPost, bump, ensure_post
from app.exception_queue.models import OPEN, ExceptionItem
from app.policy import Policy
from app.policy.posting import FeedMode
from app.work_queue.kinds import WorkKind
from app.work_queue.models import WorkItem, WorkStatus
from app.work_queue.service import enqueue

THREAD_KIND = "exception_thread"
BURST_KIND = "exception_burst"
FLUSH_DELAY = timedelta(0)
"""None needed: the flush is queued in the transaction that opens the exceptions, so it sees all of them (a poll
commits a page of records at once)."""
MAX_PENDING = 2000
MAX_SUMMARY_DEALS_NAMED = 8


class Announced(SQLModel, table=True):
    """One exception, announced once: in its deal's thread, in a burst summary, or deliberately not at all."""

    __tablename__ = "exception_announcement"

    id: int | None = Field(default=None, primary_key=True)
    exception_id: int = Field(foreign_key="exception_item.id", unique=True)
    post_id: int | None = Field(default=None, foreign_key="slack_post.id", index=True)
    how: str = Field(max_length=16)
    """thread, summary, digest_only (the policy's mode then), closed (closed before any flush saw it)."""
    announced_at: datetime = Field(sa_type=UTCDateTime)
    reply_wanted: bool = False
    """The deal's message was already posted: a reply in its thread tells its readers about this one."""
    new_reply_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    closed_reply_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


@dataclass(frozen=True)
class FeedPlan:
    """What one flush decided: the posts to render now (threads, or one summary)."""

    post_ids: tuple[int, ...] = ()
    summary: bool = False
    announced: int = 0


def subject_key(item: ExceptionItem) -> str:
    """The deal's thread, or the exception's own when it belongs to no deal (a vendor error on other work)."""
    return f"{THREAD_KIND}:deal:{item.deal_id}" if item.deal_id is not None else f"{THREAD_KIND}:item:{item.id}"


def queue_flush(session: Session, *, item: ExceptionItem, clock: Clock) -> None:
    """After a new exception: one flush soon, unless one is already waiting (it will see this one too)."""
    waiting = session.exec(select(WorkItem.id).where(WorkItem.kind == WorkKind.FLUSH_EXCEPTION_FEED,
                                                     WorkItem.status == WorkStatus.QUEUED)).first()
    if waiting is None:
        enqueue(session, kind=WorkKind.FLUSH_EXCEPTION_FEED, payload={}, clock=clock, delay=FLUSH_DELAY,
                dedupe_key=f"exception_feed:{persisted_id(item)}")


def queue_refresh(session: Session, *, item: ExceptionItem, clock: Clock) -> bool:
    """Re-render the message that shows `item` (its deal's thread), if one does; False when none does."""
    announced = session.exec(select(Announced).where(Announced.exception_id == persisted_id(item),
                                                     Announced.how == "thread")).first()
    if announced is None or announced.post_id is None:
        return False
    queue_render(session, post_id=announced.post_id, clock=clock)
    return True


def queue_render(session: Session, *, post_id: int, clock: Clock) -> None:
    version = bump(session, post_id=post_id, clock=clock)
    enqueue(session, kind=WorkKind.REFRESH_EXCEPTION_THREAD, payload={"post_id": post_id}, clock=clock,
            dedupe_key=f"exception_thread:{post_id}:v{version}")


def take_pending(session: Session, *, policy: Policy, clock: Clock) -> FeedPlan:
    """Announce every exception not announced yet, grouped by deal (or in one summary for a burst)."""
    pending = _unannounced(session)
    now = clock.now()
    open_items = [item for item in pending if item.open_marker == OPEN]
    for item in pending:
        if item.open_marker != OPEN:
            session.add(Announced(exception_id=persisted_id(item), how="closed", announced_at=now))
    if not open_items:
        return FeedPlan()
    if policy.exception_feed.mode == FeedMode.DIGEST_ONLY:
        for item in open_items:
            session.add(Announced(exception_id=persisted_id(item), how="digest_only", announced_at=now))
        return FeedPlan(announced=len(open_items))
    groups: dict[str, list[ExceptionItem]] = defaultdict(list)
    for item in open_items:
        groups[subject_key(item)].append(item)
    if len(groups) > policy.exception_feed.burst_limit:
        return _summary(session, open_items, clock)
    return FeedPlan(post_ids=tuple(_thread(session, key, items, clock) for key, items in groups.items()),
                    announced=len(open_items))


def _summary(session: Session, items: list[ExceptionItem], clock: Clock) -> FeedPlan:
    post = ensure_post(session, key=f"{BURST_KIND}:{persisted_id(items[0])}", kind=BURST_KIND, clock=clock)
    for item in items:
        session.add(Announced(exception_id=persisted_id(item), post_id=persisted_id(post), how="summary",
                              announced_at=clock.now()))
    session.flush()
    return FeedPlan(post_ids=(persisted_id(post),), summary=True, announced=len(items))


def _thread(session: Session, key: str, items: list[ExceptionItem], clock: Clock) -> int:
    post = ensure_post(session, key=key, kind=THREAD_KIND, clock=clock, deal_id=items[0].deal_id)
    already_posted = post.slack_ts is not None
    for item in items:
        session.add(Announced(exception_id=persisted_id(item), post_id=persisted_id(post), how="thread",
                              announced_at=clock.now(), reply_wanted=already_posted))
    session.flush()
    bump(session, post_id=persisted_id(post), clock=clock)
    return persisted_id(post)


def _unannounced(session: Session) -> list[ExceptionItem]:
    announced = select(Announced.exception_id)
    statement = (select(ExceptionItem).where(col(ExceptionItem.id).not_in(announced))
                 .order_by(col(ExceptionItem.id)).limit(MAX_PENDING))
    return list(session.exec(statement).all())


def items_of_post(session: Session, *, post_id: int) -> list[tuple[ExceptionItem, Announced]]:
    """The exceptions a thread or summary shows, oldest first."""
    statement = (select(ExceptionItem, Announced).join(Announced, col(Announced.exception_id) == ExceptionItem.id)
                 .where(Announced.post_id == post_id).order_by(col(ExceptionItem.id)))
    return [(item, announced) for item, announced in session.exec(statement).all()]


def claim_replies(session: Session, *, post_id: int, clock: Clock) -> list[tuple[ExceptionItem, str]]:
    """Thread replies owed for a posted thread, each claimed once (a reply is a notice; the message itself is
    always up to date, so a reply lost to a crash is not sent again): ("new" | "closed") per exception."""
    now, owed = clock.now(), []
    for item, announced in items_of_post(session, post_id=post_id):
        if announced.reply_wanted and announced.new_reply_at is None:
            announced.new_reply_at = now
            owed.append((item, "new"))
        if item.open_marker != OPEN and announced.closed_reply_at is None:
            announced.closed_reply_at = now
            owed.append((item, "closed"))
        session.add(announced)
    return owed


def release_replies(session: Session, *, post_id: int, owed: list[tuple[int, str]]) -> None:
    """Replies claimed but not posted (Slack said not now): owed again, for the rescheduled render."""
    wanted = dict.fromkeys(owed)
    for item, announced in items_of_post(session, post_id=post_id):
        if (item.id, "new") in wanted:
            announced.new_reply_at = None
        if (item.id, "closed") in wanted:
            announced.closed_reply_at = None
        session.add(announced)


def post_of(session: Session, post_id: int) -> SlackPost | None:
    return session.get(SlackPost, post_id)
