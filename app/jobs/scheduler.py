"""The scheduler and its explicit JOBS list. One process runs it (LEDGERBRIDGE_SCHEDULER_ENABLED)."""
from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from app.errors import IntegrationError
from app.intake.service import poll_changes
from app.invoicing.status_sync import sync_invoice_statuses
from app.jobs.digest import MAX_LATENESS, run_digest
from app.jobs.reminders import run_reminders
from app.jobs.worker import Worker
from app.pipeline.follow_ups import WorkKind
from app.runtime import Runtime

log = logging.getLogger(__name__)
REMINDER_INTERVAL_SECONDS = 300
INVOICE_STATUS_INTERVAL_SECONDS = 300
DEFAULT_MISFIRE_GRACE = timedelta(seconds=60)
CATCH_UP_JOB_ID = "exception_digest_catch_up"


@dataclass(frozen=True)
class Job:
    id: str
    run: Callable[[Runtime, Worker], None]
    trigger: Callable[[Runtime], object]
    misfire_grace_time: timedelta = DEFAULT_MISFIRE_GRACE


def poll_salesforce(rt: Runtime, worker: Worker) -> None:
    """Read what changed since the watermark; a vendor failure waits for the next tick (nothing is lost)."""
    try:
        report = poll_changes(engine=rt.engine, source=rt.salesforce, customers=rt.quickbooks, policy=rt.policy,
                              clock=rt.clock)
    except IntegrationError as error:
        log.warning("Salesforce poll failed, will retry next tick: %s", error)
        return
    if report.processed:
        log.info("Salesforce poll: %s read, %s processed, %s queued", report.read, report.processed, report.queued)
        worker.wake()


def exception_digest(rt: Runtime, worker: Worker) -> None:
    """The daily digest; the JobRun slot row makes it exactly once per slot across replicas and restarts.
    Also run at scheduler start (a restart spanning the slot) and on each reminder tick (a failed or crashed
    run), both within MAX_LATENESS of the slot; a slot already sent costs one read."""
    try:
        if run_digest(rt):
            log.info("exception digest posted")
    except IntegrationError as error:
        log.warning("exception digest failed; the slot stays claimable after a failure: %s", error)


def sla_reminders(rt: Runtime, worker: Worker) -> None:
    exception_digest(rt, worker)            # retakes a failed or crashed digest slot within MAX_LATENESS
    sent = run_reminders(rt)
    if sent:
        log.info("SLA reminders: %s queued", sent)


def invoice_statuses(rt: Runtime, worker: Worker) -> None:
    """Payments happen in QuickBooks: bring balance and Paid back, then on to Salesforce."""
    try:
        report = sync_invoice_statuses(engine=rt.engine, quickbooks=rt.quickbooks, clock=rt.clock,
                                       write_back_kind=WorkKind.WRITE_BACK_INVOICE)
    except IntegrationError as error:
        log.warning("QuickBooks invoice status sync failed, will retry next tick: %s", error)
        return
    if report.updated:
        log.info("QuickBooks invoice statuses: %s changed", report.updated)
        worker.wake()


def digest_trigger(rt: Runtime) -> CronTrigger:
    digest = rt.policy.digest
    days = ",".join(day.short_name for day in digest.days)
    return CronTrigger(hour=digest.hour, minute=digest.minute, day_of_week=days, timezone=rt.policy.zone)


JOBS: list[Job] = [
    Job("salesforce_poll", poll_salesforce,
        lambda rt: IntervalTrigger(seconds=rt.settings.ledgerbridge_poll_seconds)),
    Job("exception_digest", exception_digest, digest_trigger, misfire_grace_time=MAX_LATENESS),
    Job("sla_reminders", sla_reminders, lambda rt: IntervalTrigger(seconds=REMINDER_INTERVAL_SECONDS)),
    Job("invoice_statuses", invoice_statuses, lambda rt: IntervalTrigger(seconds=INVOICE_STATUS_INTERVAL_SECONDS)),
]


def build_scheduler(rt: Runtime, worker: Worker) -> BackgroundScheduler:
    """The JOBS, plus a one-off catch-up that sends the latest digest slot if a restart spanned it."""
    scheduler = BackgroundScheduler(timezone=rt.policy.zone, job_defaults={"coalesce": True, "max_instances": 1})
    for job in JOBS:
        scheduler.add_job(job.run, job.trigger(rt), args=(rt, worker), id=job.id, replace_existing=True,
                          misfire_grace_time=int(job.misfire_grace_time.total_seconds()))
    scheduler.add_job(exception_digest, args=(rt, worker), id=CATCH_UP_JOB_ID, replace_existing=True,
                      misfire_grace_time=None)      # once, as soon as the scheduler starts, however late
    return scheduler
