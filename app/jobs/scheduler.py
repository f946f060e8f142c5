"""The scheduler and its explicit JOBS list. Each worker process may run it: a due job only queues a tick."""
from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from app.db import Transactions, session_scope
from app.errors import IntegrationError
from app.intake.service import poll_changes
from app.invoicing.payments import refresh_payments
from app.invoicing.qbo_changes import read_quickbooks_changes
from app.jobs.digest import MAX_LATENESS, run_digest
from app.jobs.exception_feed import flush_exception_feed
from app.jobs.reminders import run_reminders
from app.jobs.weekly_review import run_weekly_review, weekly_trigger
from app.pipeline.expiry import expire_due_requests
from app.runtime import Runtime
from app.work_queue.kinds import WorkKind
from app.work_queue.service import FINISHED_WORK_KEPT, enqueue, purge_finished

log = logging.getLogger(__name__)
REMINDER_INTERVAL_SECONDS = 300
INVOICE_STATUS_INTERVAL_SECONDS = 300
APPROVAL_EXPIRY_INTERVAL_SECONDS = 300
DEFAULT_MISFIRE_GRACE = timedelta(seconds=60)
CATCH_UP_JOB_ID = "exception_digest_catch_up"
WEEKLY_CATCH_UP_JOB_ID = "weekly_review_catch_up"


@dataclass(frozen=True)
class Job:
    """A scheduled job. Its trigger only queues a tick (`kind`); whichever worker claims the tick runs `run`."""

    id: str
    kind: WorkKind
    run: Callable[[Runtime], None]
    trigger: Callable[[Runtime], BaseTrigger]
    misfire_grace_time: timedelta = DEFAULT_MISFIRE_GRACE
    every: Callable[[Runtime], timedelta] | None = None
    """For interval jobs: the period, so that every replica's tick in one period shares one dedupe key."""


def poll_salesforce(rt: Runtime) -> None:
    """Read what changed since the watermark; a vendor failure waits for the next tick (nothing is lost)."""
    try:
        report = poll_changes(transactions=Transactions(rt.engine), source=rt.salesforce, customers=rt.quickbooks,
                              policy=rt.policy, clock=rt.clock)
    except IntegrationError as error:
        log.warning("Salesforce poll failed, will retry next tick: %s", error)
        return
    if report.processed:
        log.info("Salesforce poll: %s read, %s processed, %s queued", report.read, report.processed, report.queued)
        rt.wake_worker()


def exception_digest(rt: Runtime) -> None:
    """The daily digest; the JobRun slot row makes it exactly once per slot across replicas and restarts.
    Also run at scheduler start (a restart spanning the slot) and on each reminder tick (a failed or crashed
    run), both within MAX_LATENESS of the slot; a slot already sent costs one read."""
    try:
        if run_digest(rt):
            log.info("exception digest posted")
    except IntegrationError as error:
        log.warning("exception digest failed; the slot stays claimable after a failure: %s", error)


def weekly_review(rt: Runtime) -> None:
    """The weekly metric review; the JobRun slot row makes it once per slot across replicas and restarts."""
    try:
        if run_weekly_review(rt):
            log.info("weekly review posted")
    except IntegrationError as error:
        log.warning("weekly review failed; the slot stays claimable after a failure: %s", error)


def sla_reminders(rt: Runtime) -> None:
    exception_digest(rt)            # retakes a failed or crashed digest slot within MAX_LATENESS
    weekly_review(rt)               # the same for the weekly review's slot
    try:
        flush_exception_feed(rt, {})    # posts any new exception whose own flush was missed
    except IntegrationError as error:
        log.warning("exception feed flush failed, will retry next tick: %s", error)
    sent = run_reminders(rt)
    if sent:
        log.info("SLA reminders: %s queued", sent)


def invoice_statuses(rt: Runtime) -> None:
    """Payments happen in QuickBooks: bring balance and Paid back, then on to Salesforce."""
    try:
        report = refresh_payments(transactions=Transactions(rt.engine), quickbooks=rt.quickbooks, clock=rt.clock,
                                  write_back_kind=WorkKind.WRITE_BACK_INVOICE)
    except IntegrationError as error:
        log.warning("QuickBooks invoice status sync failed, will retry next tick: %s", error)
        return
    if report.updated:
        log.info("QuickBooks invoice statuses: %s changed", report.updated)
        rt.wake_worker()


def approval_expiry(rt: Runtime) -> None:
    """Pending requests older than the policy's limit expire; each gets one fresh request (see app/pipeline/expiry)."""
    if rt.policy.approval_controls.expire_after_hours is None:
        return
    with session_scope(rt.engine) as session:
        expired = expire_due_requests(session, policy=rt.policy, clock=rt.clock)
    if expired:
        log.info("approval requests expired and posted again: %s", [item.expired_id for item in expired])
        rt.wake_worker()


def quickbooks_changes(rt: Runtime) -> None:
    """Credit memos (ours and made by hand) and invoice edits or voids in QuickBooks, for first-pass acceptance."""
    realm_id = rt.settings.qbo_realm_id or rt.policy.mappings.entities.default_realm_id
    try:
        report = read_quickbooks_changes(transactions=Transactions(rt.engine), quickbooks=rt.quickbooks,
                                         clock=rt.clock, realm_id=realm_id)
    except IntegrationError as error:
        log.warning("QuickBooks credit memo read failed, will retry next tick: %s", error)
        return
    if report.credit_memos or report.invoices_changed:
        log.info("QuickBooks changes: %s new credit memo(s), %s invoice(s) changed after issue",
                 report.credit_memos, report.invoices_changed)


def purge_finished_work(rt: Runtime) -> None:
    with session_scope(rt.engine) as session:
        purged = purge_finished(session, older_than=rt.clock.now() - FINISHED_WORK_KEPT)
    if purged:
        log.info("work queue: purged %s finished item(s) older than %s days", purged, FINISHED_WORK_KEPT.days)


def digest_trigger(rt: Runtime) -> CronTrigger:
    digest = rt.policy.digest
    days = ",".join(day.short_name for day in digest.days)
    return CronTrigger(hour=digest.hour, minute=digest.minute, day_of_week=days, timezone=rt.policy.zone)


def _poll_every(rt: Runtime) -> timedelta:
    return timedelta(seconds=rt.settings.ledgerbridge_poll_seconds)


JOBS: list[Job] = [
    Job("salesforce_poll", WorkKind.TICK_SALESFORCE_POLL, poll_salesforce,
        lambda rt: IntervalTrigger(seconds=rt.settings.ledgerbridge_poll_seconds), every=_poll_every),
    Job("exception_digest", WorkKind.TICK_EXCEPTION_DIGEST, exception_digest, digest_trigger,
        misfire_grace_time=MAX_LATENESS),
    Job("sla_reminders", WorkKind.TICK_SLA_REMINDERS, sla_reminders,
        lambda rt: IntervalTrigger(seconds=REMINDER_INTERVAL_SECONDS),
        every=lambda rt: timedelta(seconds=REMINDER_INTERVAL_SECONDS)),
    Job("invoice_statuses", WorkKind.TICK_INVOICE_STATUSES, invoice_statuses,
        lambda rt: IntervalTrigger(seconds=INVOICE_STATUS_INTERVAL_SECONDS),
        every=lambda rt: timedelta(seconds=INVOICE_STATUS_INTERVAL_SECONDS)),
    Job("quickbooks_changes", WorkKind.TICK_QUICKBOOKS_CHANGES, quickbooks_changes,
        lambda rt: IntervalTrigger(seconds=INVOICE_STATUS_INTERVAL_SECONDS),
        every=lambda rt: timedelta(seconds=INVOICE_STATUS_INTERVAL_SECONDS)),
    Job("weekly_review", WorkKind.TICK_WEEKLY_REVIEW, weekly_review, weekly_trigger, misfire_grace_time=MAX_LATENESS),
    Job("approval_expiry", WorkKind.TICK_APPROVAL_EXPIRY, approval_expiry,
        lambda rt: IntervalTrigger(seconds=APPROVAL_EXPIRY_INTERVAL_SECONDS),
        every=lambda rt: timedelta(seconds=APPROVAL_EXPIRY_INTERVAL_SECONDS)),
    Job("purge_finished_work", WorkKind.TICK_PURGE_FINISHED_WORK, purge_finished_work,
        lambda rt: IntervalTrigger(hours=6), every=lambda rt: timedelta(hours=6)),
]
JOBS_BY_KIND: dict[str, Job] = {job.kind.value: job for job in JOBS}


def tick_key(job: Job, rt: Runtime, *, now: datetime, label: str = "") -> str:
    """One key per period (interval jobs, aligned to the epoch) or per minute (cron jobs), for every replica."""
    period = job.every(rt) if job.every is not None else timedelta(minutes=1)
    seconds = max(int(period.total_seconds()), 1)
    slot = int(now.timestamp()) // seconds * seconds
    return f"tick:{job.id}{label}:{slot}"


def queue_tick(rt: Runtime, job: Job, *, label: str = "") -> None:
    """What the scheduler does when a job is due: queue its tick once per slot, however many replicas fire."""
    with session_scope(rt.engine) as session:
        enqueue(session, kind=job.kind, payload={"job": job.id}, clock=rt.clock,
                dedupe_key=tick_key(job, rt, now=rt.clock.now(), label=label))
    rt.wake_worker()


def tick_handlers(rt: Runtime) -> dict[str, Callable[[dict[str, Any]], None]]:
    """The worker's handlers for the ticks: run the job in the worker lane that owns its vendor."""
    return {kind: functools.partial(_run_tick, rt, job) for kind, job in JOBS_BY_KIND.items()}


def _run_tick(rt: Runtime, job: Job, _payload: dict[str, Any]) -> None:
    job.run(rt)


def build_scheduler(rt: Runtime) -> BackgroundScheduler:
    """The JOBS, plus one-off catch-ups that queue the digest and weekly review ticks at start in case a restart
    spanned a slot.

    Every worker process may run one: ticks are queued under one dedupe key per slot, so a job runs once per
    slot however many schedulers fire it (APScheduler's own job stores cannot be shared, contracts §4.3)."""
    scheduler = BackgroundScheduler(timezone=rt.policy.zone, job_defaults={"coalesce": True, "max_instances": 1})
    for job in JOBS:
        scheduler.add_job(queue_tick, job.trigger(rt), args=(rt, job), id=job.id, replace_existing=True,
                          misfire_grace_time=int(job.misfire_grace_time.total_seconds()))
    for kind, job_id in ((WorkKind.TICK_EXCEPTION_DIGEST, CATCH_UP_JOB_ID),
                         (WorkKind.TICK_WEEKLY_REVIEW, WEEKLY_CATCH_UP_JOB_ID)):
        scheduler.add_job(queue_tick, args=(rt, JOBS_BY_KIND[kind.value]), kwargs={"label": ":catch-up"}, id=job_id,
                          replace_existing=True, misfire_grace_time=None)  # once, at start, however late
    return scheduler
