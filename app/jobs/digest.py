"""The daily exceptions digest: exactly one per scheduled slot, even with several schedulers or a restart."""
from __future__ import annotations

import logging
from datetime import datetime, timedelta
from functools import partial

from sqlalchemy import Engine, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import col

from app.db import session_scope
from app.exception_queue import queries
from app.exception_queue.digest import MAX_DIGEST_ITEMS, DigestContent, build_digest
from app.exception_queue.models import ExceptionItem
from app.exception_queue.rules import latest_digest_slot
from app.runtime import Runtime
from app.slack.blocks.digest import digest_blocks, digest_text
from app.slack.presenters import record_url
from app.sync.models import JobRun, JobRunStatus

log = logging.getLogger(__name__)
JOB_NAME = "exception_digest"
MAX_LATENESS = timedelta(hours=1)


def run_digest(rt: Runtime) -> bool:
    """Post the digest for the current slot unless another run owns it. True when this call posted it."""
    now = rt.clock.now()
    slot = latest_digest_slot(now, rt.policy.digest, rt.policy.zone)
    if slot is None or now - slot > MAX_LATENESS:
        return False
    if not claim_slot(rt.engine, job_name=JOB_NAME, slot=slot, now=now):
        log.info("digest for %s already handled by another run", slot.isoformat())
        return False
    try:
        with session_scope(rt.engine) as session:
            content = digest_content(session, rt, now=now)
        blocks = digest_blocks(content, policy=rt.policy, tz=rt.policy.zone, dashboard_url=dashboard_url(rt),
                               now=now)
        posted = rt.slack.post_message(rt.policy.digest_channel, text=digest_text(content), blocks=blocks)
        _remember_message(rt.engine, content, posted.channel, posted.ts)
    except BaseException:
        finish_slot(rt.engine, job_name=JOB_NAME, slot=slot, status=JobRunStatus.FAILED, now=rt.clock.now())
        raise
    finish_slot(rt.engine, job_name=JOB_NAME, slot=slot, status=JobRunStatus.SUCCEEDED, now=rt.clock.now())
    return True


def digest_content(session, rt: Runtime, *, now: datetime, max_items: int = MAX_DIGEST_ITEMS) -> DigestContent:
    link = partial(record_url, instance_url(rt), "Opportunity")
    breached, soon, others = queries.digest_rows(session, now=now, limit=max_items)

    def as_views(rows: list[tuple]):
        return queries.views(rows, now=now, policy=rt.policy, record_link=link)
    return build_digest(counts=queries.queue_counts(session, now=now), breached=as_views(breached),
                        due_soon=as_views(soon), others=as_views(others), policy=rt.policy, now=now,
                        max_items=max_items)


def claim_slot(engine: Engine, *, job_name: str, slot: datetime, now: datetime) -> bool:
    """Insert the slot's row first; a unique violation means another replica owns it (unless that run failed)."""
    try:
        with session_scope(engine) as session:
            session.add(JobRun(job_name=job_name, scheduled_for=slot, started_at=now))
        return True
    except IntegrityError:
        pass
    with session_scope(engine) as session:        # a failed run may be taken over, by one replica only
        taken = session.exec(update(JobRun).where(
            JobRun.job_name == job_name, col(JobRun.scheduled_for) == slot, JobRun.status == JobRunStatus.FAILED,
        ).values(status=JobRunStatus.RUNNING, started_at=now, finished_at=None))
        return taken.rowcount == 1


def finish_slot(engine: Engine, *, job_name: str, slot: datetime, status: JobRunStatus, now: datetime) -> None:
    with session_scope(engine) as session:
        session.exec(update(JobRun).where(JobRun.job_name == job_name, col(JobRun.scheduled_for) == slot)
                     .values(status=status, finished_at=now))


def instance_url(rt: Runtime) -> str | None:
    return str(rt.settings.salesforce_instance_url) if rt.settings.salesforce_instance_url else None


def dashboard_url(rt: Runtime) -> str:
    return f"{str(rt.settings.ledgerbridge_public_url).rstrip('/')}/dashboard/exceptions"


def _remember_message(engine: Engine, content: DigestContent, channel: str, ts: str) -> None:
    """Items shown with controls remember the message, so later clicks and pings can find it."""
    ids = [view.id for part in content.sections for view in part.items]
    if not ids:
        return
    with session_scope(engine) as session:
        session.exec(update(ExceptionItem).where(col(ExceptionItem.id).in_(ids))
                     .values(slack_channel=channel, slack_ts=ts))
