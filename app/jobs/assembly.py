"""The worker as every process kind builds it: the lanes, every handler, the batch handlers, the hooks."""
from __future__ import annotations

import functools

from app.jobs.handlers import build_batch_handlers, build_handlers, record_final_failure, resolve_after_success
from app.jobs.interactive import build_interactive_handlers, is_interactive, report_final_failure
from app.jobs.lanes import LANES
from app.jobs.notice_handlers import build_notice_handlers
from app.jobs.retries import build_retry_handlers
from app.jobs.scheduler import tick_handlers
from app.jobs.worker import Worker
from app.runtime import Runtime
from app.work_queue.models import WorkItem


def build_worker(runtime: Runtime) -> Worker:
    """Queued work, interactive steps and scheduled ticks, in the lanes; the runtime learns to wake it and to run
    one step now."""
    handlers = {**build_handlers(runtime), **build_notice_handlers(runtime), **build_interactive_handlers(runtime),
                **build_retry_handlers(runtime), **tick_handlers(runtime)}
    worker = Worker(engine=runtime.engine, handlers=handlers, batch_handlers=build_batch_handlers(runtime),
                    clock=runtime.clock, lanes=LANES, on_final_failure=functools.partial(_final_failure, runtime),
                    on_success=functools.partial(resolve_after_success, runtime))
    runtime.wake_worker, runtime.run_step = worker.wake, worker.run_now
    return worker


def _final_failure(runtime: Runtime, item: WorkItem, error: BaseException) -> None:
    """A person's request that failed for good is answered; any other step becomes an exception."""
    if is_interactive(item):
        report_final_failure(runtime, item, error)
    else:
        record_final_failure(runtime, item, error)
