"""The worker process: the work queue in lanes, and the scheduler that queues the periodic jobs' ticks.

Run as many as you like (`ledgerbridge worker`): claims are row-level, throttles are shared on PostgreSQL,
and each scheduled job runs once per slot whichever worker's scheduler fires first.
"""
from __future__ import annotations

import logging
import signal
import threading
from dataclasses import dataclass
from types import FrameType

from apscheduler.schedulers.background import BackgroundScheduler

from app.jobs.assembly import build_worker
from app.jobs.scheduler import build_scheduler
from app.jobs.worker import Worker
from app.processes.policy_record import record_policy_at_start
from app.runtime import Runtime

log = logging.getLogger(__name__)


@dataclass
class WorkerProcess:
    worker: Worker
    scheduler: BackgroundScheduler | None

    def start(self) -> None:
        self.worker.start()
        if self.scheduler is not None:
            self.scheduler.start()
        lanes = ", ".join(f"{lane.name} x{lane.threads}" for lane in self.worker.lanes)
        log.info("worker %s started: lanes %s; scheduler %s", self.worker.worker_id, lanes,
                 "on" if self.scheduler is not None else "off")

    def stop(self) -> None:
        if self.scheduler is not None:
            self.scheduler.shutdown(wait=False)
        self.worker.stop()
        log.info("worker %s stopped", self.worker.worker_id)


def build_worker_process(runtime: Runtime, *, run_scheduler: bool) -> WorkerProcess:
    record_policy_at_start(runtime)
    worker = build_worker(runtime)
    return WorkerProcess(worker=worker, scheduler=build_scheduler(runtime) if run_scheduler else None)


def run_until_stopped(process: WorkerProcess) -> int:
    """Start, then wait for SIGTERM or SIGINT (Ctrl-C) and stop cleanly: items in flight finish or keep
    their lease, which a restarted worker takes over."""
    stopping = threading.Event()

    def on_signal(signum: int, _frame: FrameType | None) -> None:
        log.info("worker: %s received, stopping", signal.Signals(signum).name)
        stopping.set()

    previous = {sig: signal.signal(sig, on_signal) for sig in (signal.SIGTERM, signal.SIGINT)}
    process.start()
    try:
        stopping.wait()
    finally:
        process.stop()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    return 0
