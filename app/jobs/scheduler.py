"""The scheduler and its explicit JOBS list. One process runs it (LEDGERBRIDGE_SCHEDULER_ENABLED)."""
from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.interval import IntervalTrigger

from app.errors import IntegrationError
from app.intake.service import poll_changes
from app.jobs.worker import Worker
from app.runtime import Runtime

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Job:
    id: str
    run: Callable[[Runtime, Worker], None]
    trigger: Callable[[Runtime], object]


def poll_salesforce(rt: Runtime, worker: Worker) -> None:
    """Read what changed since the watermark; a vendor failure waits for the next tick (nothing is lost)."""
    try:
        report = poll_changes(engine=rt.engine, source=rt.salesforce, customers=rt.quickbooks, policy=rt.policy, clock=rt.clock)
    except IntegrationError as error:
        log.warning("Salesforce poll failed, will retry next tick: %s", error)
        return
    if report.processed:
        log.info("Salesforce poll: %s read, %s processed, %s queued", report.read, report.processed, report.queued)
        worker.wake()


JOBS: list[Job] = [
    Job("salesforce_poll", poll_salesforce,
        lambda rt: IntervalTrigger(seconds=rt.settings.ledgerbridge_poll_seconds)),
]


def build_scheduler(rt: Runtime, worker: Worker) -> BackgroundScheduler:
    scheduler = BackgroundScheduler(timezone=rt.policy.zone,
                                    job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": 60})
    for job in JOBS:
        scheduler.add_job(job.run, job.trigger(rt), args=(rt, worker), id=job.id, replace_existing=True)
    return scheduler
