"""The weekly metric review: posted once per scheduled slot (policy `weekly_review`, default Monday 09:00 in the
policy's time zone), however many schedulers fire it.

The slot is claimed with its JobRun row as the digest's is (app/jobs/digest.py: a failed or crashed claim can be
taken over within MAX_LATENESS), and the message itself is a keyed post (one per slot), so even a claim taken over
after a lost answer never posts twice.
"""
from __future__ import annotations

import logging
from datetime import datetime, timedelta
from functools import partial

from apscheduler.triggers.cron import CronTrigger

from app.db import persisted_id, session_scope
from app.exactly_once.models import JobRunStatus
from app.exactly_once.slack_posts import ensure_post
from app.exception_queue.rules import cause_label
from app.jobs.digest import MAX_LATENESS, claim_slot, finish_slot
from app.jobs.keyed_posts import Shown, show_post
from app.metrics.weekly import latest_slot, weekly_numbers
from app.runtime import Runtime
from app.slack.blocks.weekly_review import weekly_review_blocks, weekly_review_text

log = logging.getLogger(__name__)
JOB_NAME = "weekly_review"


def weekly_trigger(rt: Runtime) -> CronTrigger:
    review = rt.policy.weekly_review
    days = ",".join(day.short_name for day in review.days)
    return CronTrigger(hour=review.hour, minute=review.minute, day_of_week=days, timezone=rt.policy.zone)


def current_slot(rt: Runtime, now: datetime) -> datetime | None:
    review = rt.policy.weekly_review
    if not review.enabled:
        return None
    slot = latest_slot(now, days=review.days, hour=review.hour, minute=review.minute, tz=rt.policy.zone)
    return slot if slot is not None and now - slot <= MAX_LATENESS else None


def run_weekly_review(rt: Runtime) -> bool:
    """Post the review of the current slot unless it is not due or another run owns it; True when this run did."""
    now = rt.clock.now()
    slot = current_slot(rt, now)
    if slot is None:
        return False
    claimed_at = claim_slot(rt.engine, job_name=JOB_NAME, slot=slot, now=now)
    if claimed_at is None:
        return False
    try:
        post_weekly_review(rt, slot=slot)
    except BaseException:
        finish_slot(rt.engine, job_name=JOB_NAME, slot=slot, claimed_at=claimed_at, status=JobRunStatus.FAILED,
                    now=rt.clock.now())
        raise
    finish_slot(rt.engine, job_name=JOB_NAME, slot=slot, claimed_at=claimed_at, status=JobRunStatus.SUCCEEDED,
                now=rt.clock.now())
    return True


def post_weekly_review(rt: Runtime, *, slot: datetime) -> None:
    with session_scope(rt.engine) as session:
        numbers = weekly_numbers(session, until=slot, tz=rt.policy.zone,
                                 window=timedelta(days=rt.policy.metrics.first_pass_window_days))
        post_id = persisted_id(ensure_post(session, key=f"{JOB_NAME}:{slot.isoformat()}", kind=JOB_NAME,
                                           clock=rt.clock))
    label = partial(_cause, rt)
    shown = Shown(weekly_review_text(numbers),
                  weekly_review_blocks(numbers, cause_label=label, dashboard_url=_dashboard(rt)))
    show_post(rt, post_id=post_id, render=lambda _session, _channel: shown,
              channel_for=lambda: rt.policy.weekly_review_channel)
    log.info("weekly review for %s posted", slot.isoformat())


def _cause(rt: Runtime, key: str) -> str:
    return (cause_label(key, rt.policy) or key) if key != "untagged" else "Untagged"


def _dashboard(rt: Runtime) -> str:
    return f"{str(rt.settings.ledgerbridge_public_url).rstrip('/')}/dashboard"
