"""The worker process: the work queue in lanes, and the scheduler that queues the periodic jobs' ticks.

Run as many as you like (`ledgerbridge worker`): claims are row-level, throttles are shared on PostgreSQL,
and each scheduled job runs once per slot whichever worker's scheduler fires first.
"""
from __future__ import annotations

import functools
import logging
import signal
import threading
from dataclasses import dataclass
from types import FrameType

from apscheduler.schedulers.background import BackgroundScheduler

from app.jobs.handlers import build_batch_handlers, build_handlers, record_final_failure, resolve_after_success
from app.jobs.lanes import LANES
from app.jobs.scheduler import build_scheduler, tick_handlers
from app.jobs.worker import Worker
from app.runtime import Runtime

log = logging.getLogger(__name__)


def build_worker(runtime: Runtime) -> Worker:
    """The lanes, every handler (queued work and scheduled ticks) and the exception hooks."""
    worker = Worker(engine=runtime.engine, handlers={**build_handlers(runtime), **tick_handlers(runtime)},
                    batch_handlers=build_batch_handlers(runtime), clock=runtime.clock, lanes=LANES,
                    on_final_failure=functools.partial(record_final_failure, runtime),
                    on_success=functools.partial(resolve_after_success, runtime))
    runtime.wake_worker = worker.wake
    return worker


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
