"""The daily exceptions digest: exactly one per scheduled slot, even with several schedulers or a restart.

A slot is claimed by inserting its JobRun row. A FAILED slot, or a RUNNING claim older than CLAIM_LEASE
(its run crashed), may be taken over by exactly one later run (a conditional UPDATE), as long as the slot
is at most MAX_LATENESS old: the next reminder tick or the catch-up at scheduler start sends it then.
"""
from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable
from datetime import datetime, timedelta
from functools import partial

from sqlalchemy import Engine, and_, or_, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from app.db import session_scope
from app.exactly_once.models import JobRun, JobRunStatus
from app.exception_queue import queries
from app.exception_queue.digest import MAX_DIGEST_ITEMS, DigestContent, ItemView, build_digest, split_by_due
from app.exception_queue.models import ExceptionItem
from app.exception_queue.rules import due_soon_until, latest_digest_slot
from app.links import record_url
from app.runtime import Runtime
from app.slack.blocks.digest import digest_blocks, digest_text

log = logging.getLogger(__name__)
JOB_NAME = "exception_digest"
MAX_LATENESS = timedelta(hours=1)
CLAIM_LEASE = timedelta(minutes=10)
"""A RUNNING claim older than this is a crashed run: another run may take the slot over."""


def run_digest(rt: Runtime) -> bool:
    """Post the digest for the current slot unless another run owns it. True when this call posted it."""
    now = rt.clock.now()
    slot = open_slot(rt, now=now)
    if slot is None:
        return False
    claimed_at = claim_slot(rt.engine, job_name=JOB_NAME, slot=slot, now=now)
    if claimed_at is None:
        log.info("digest for %s already handled by another run", slot.isoformat())
        return False
    try:
        post_digest(rt, now=now)
    except BaseException:
        finish_slot(rt.engine, job_name=JOB_NAME, slot=slot, claimed_at=claimed_at, status=JobRunStatus.FAILED,
                    now=rt.clock.now())
        raise
    finish_slot(rt.engine, job_name=JOB_NAME, slot=slot, claimed_at=claimed_at, status=JobRunStatus.SUCCEEDED,
                now=rt.clock.now())
    return True


def open_slot(rt: Runtime, *, now: datetime) -> datetime | None:
    """The latest slot if it is at most MAX_LATENESS old and not yet sent (a cheap read before any claim)."""
    slot = latest_digest_slot(now, rt.policy.digest, rt.policy.zone)
    if slot is None or now - slot > MAX_LATENESS:
        return None
    with session_scope(rt.engine) as session:
        run = session.exec(select(JobRun).where(JobRun.job_name == JOB_NAME,
                                                col(JobRun.scheduled_for) == slot)).first()
        return None if run is not None and run.status == JobRunStatus.SUCCEEDED else slot


def post_digest(rt: Runtime, *, now: datetime) -> None:
    with session_scope(rt.engine) as session:
        content = digest_content(session, rt, now=now)
    blocks = digest_blocks(content, policy=rt.policy, tz=rt.policy.zone, dashboard_url=dashboard_url(rt), now=now)
    posted = rt.slack.post_message(rt.policy.digest_channel, text=digest_text(content), blocks=blocks)
    _remember_message(rt.engine, content, posted.channel, posted.ts)


def digest_content(session: Session, rt: Runtime, *, now: datetime,
                   max_items: int = MAX_DIGEST_ITEMS) -> DigestContent:
    soon_until = due_soon_until(now, rt.policy)
    breached, soon, others = queries.digest_rows(session, now=now, limit=max_items, soon_until=soon_until)

    def as_views(rows: list[tuple]) -> list[ItemView]:
        return queries.views(rows, now=now, policy=rt.policy, record_link=_link(rt))
    return build_digest(counts=queries.queue_counts(session, now=now, soon_until=soon_until),
                        breached=as_views(breached), due_soon=as_views(soon), others=as_views(others),
                        policy=rt.policy, now=now, max_items=max_items)


def refresh_message(rt: Runtime, *, channel: str, ts: str) -> bool:
    """Re-render a posted digest from the database: its items keep their sections, closed ones lose their
    controls, the counts are as of now. False when no item points at that message any more."""
    now = rt.clock.now()
    with session_scope(rt.engine) as session:
        rows = queries.rows_in_message(session, channel=channel, ts=ts)
        if not rows:
            return False
        posted_at = rows[0][0].slack_posted_at or now
        views = queries.views(rows, now=now, policy=rt.policy, record_link=_link(rt))
        counts = queries.queue_counts(session, now=now, soon_until=due_soon_until(now, rt.policy))
    breached, soon, others = split_by_due(views, at=posted_at, soon_until=due_soon_until(posted_at, rt.policy))
    content = dataclasses.replace(build_digest(counts=counts, breached=breached, due_soon=soon, others=others,
                                               policy=rt.policy, now=posted_at, max_items=len(views)),
                                  updated_at=now)
    blocks = digest_blocks(content, policy=rt.policy, tz=rt.policy.zone, dashboard_url=dashboard_url(rt), now=now)
    rt.slack.update_message(channel, ts, text=digest_text(content), blocks=blocks)
    return True


def claim_slot(engine: Engine, *, job_name: str, slot: datetime, now: datetime,
               lease: timedelta = CLAIM_LEASE) -> datetime | None:
    """Insert the slot's row first; else take over a FAILED run or a RUNNING one older than `lease`.

    Returns the claim's token (its started_at) or None when another run owns the slot. The takeover is one
    conditional UPDATE on status and started_at: of two concurrent takers only one matches."""
    try:
        with session_scope(engine) as session:
            session.add(JobRun(job_name=job_name, scheduled_for=slot, started_at=now))
        return now
    except IntegrityError:
        pass
    retakeable = or_(col(JobRun.status) == JobRunStatus.FAILED,
                     and_(col(JobRun.status) == JobRunStatus.RUNNING, col(JobRun.started_at) < now - lease))
    with session_scope(engine) as session:
        taken = session.exec(update(JobRun).where(
            col(JobRun.job_name) == job_name, col(JobRun.scheduled_for) == slot, retakeable,
        ).values(status=JobRunStatus.RUNNING, started_at=now, finished_at=None))
        return now if taken.rowcount == 1 else None


def finish_slot(engine: Engine, *, job_name: str, slot: datetime, claimed_at: datetime, status: JobRunStatus,
                now: datetime) -> bool:
    """Record the outcome, only if this run still holds the claim (a taken-over run changes nothing)."""
    with session_scope(engine) as session:
        finished = session.exec(update(JobRun).where(
            col(JobRun.job_name) == job_name, col(JobRun.scheduled_for) == slot,
            col(JobRun.status) == JobRunStatus.RUNNING, col(JobRun.started_at) == claimed_at,
        ).values(status=status, finished_at=now))
        return finished.rowcount == 1


def dashboard_url(rt: Runtime) -> str:
    return f"{str(rt.settings.ledgerbridge_public_url).rstrip('/')}/dashboard/exceptions"


def _link(rt: Runtime) -> Callable[[str], str | None]:
    return partial(record_url, rt.settings.salesforce_base_url, "Opportunity")


def _remember_message(engine: Engine, content: DigestContent, channel: str, ts: str) -> None:
    """Items shown with controls remember the message, so later clicks, closes and pings can find it."""
    ids = [view.id for part in content.sections for view in part.items]
    if not ids:
        return
    with session_scope(engine) as session:
        session.exec(update(ExceptionItem).where(col(ExceptionItem.id).in_(ids))
                     .values(slack_channel=channel, slack_ts=ts, slack_posted_at=content.generated_at))
