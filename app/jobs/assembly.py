"""The worker as every process kind builds it: the lanes, every handler, the batch handlers, the hooks."""
from __future__ import annotations

import functools

from app.jobs.handlers import build_batch_handlers, build_handlers, record_final_failure, resolve_after_success
from app.jobs.lanes import LANES
from app.jobs.scheduler import tick_handlers
from app.jobs.worker import Worker
from app.runtime import Runtime


def build_worker(runtime: Runtime) -> Worker:
    """Queued work and scheduled ticks, in the lanes; the runtime learns to wake it and to run one step now."""
    worker = Worker(engine=runtime.engine, handlers={**build_handlers(runtime), **tick_handlers(runtime)},
                    batch_handlers=build_batch_handlers(runtime), clock=runtime.clock, lanes=LANES,
                    on_final_failure=functools.partial(record_final_failure, runtime),
                    on_success=functools.partial(resolve_after_success, runtime))
    runtime.wake_worker, runtime.run_step = worker.wake, worker.run_now
    return worker
