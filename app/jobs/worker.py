"""The worker that drains the durable work queue: one item per short transaction, vendor calls in between."""
from __future__ import annotations

import logging
import os
import threading
import uuid
from collections.abc import Callable, Mapping
from datetime import timedelta
from typing import Any

from sqlalchemy import Engine

from app.clock import Clock
from app.db import session_scope
from app.errors import IntegrationError, RateLimited
from app.work_queue import service as queue
from app.work_queue.models import WorkItem

log = logging.getLogger(__name__)
Handler = Callable[[dict[str, Any]], None]
FailureHook = Callable[[WorkItem, BaseException], None]
SuccessHook = Callable[[WorkItem], None]
MAX_ATTEMPTS = 8


class Worker:
    def __init__(self, *, engine: Engine, handlers: Mapping[str, Handler], clock: Clock,
                 on_final_failure: FailureHook | None = None, on_success: SuccessHook | None = None,
                 idle_wait: float = 1.0) -> None:
        self._engine, self._handlers, self._clock = engine, dict(handlers), clock
        self._on_final_failure, self._on_success = on_final_failure, on_success
        self._idle_wait = idle_wait
        self.worker_id = f"{os.getpid()}-{uuid.uuid4().hex[:8]}"
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def run_once(self) -> bool:
        """Process one runnable item; False when there was none."""
        with session_scope(self._engine) as session:
            item = queue.claim_next(session, worker_id=self.worker_id, clock=self._clock)
        if item is None:
            return False
        try:
            self._handlers[item.kind](dict(item.payload))
        except Exception as error:  # every failure is recorded on the item; none kills the worker
            self._record_failure(item, error)
        else:
            with session_scope(self._engine) as session:
                queue.complete(session, item_id=stored_id(item), worker_id=self.worker_id, clock=self._clock)
            self._after_success(item)
        return True

    def run_now(self, kind: str, payload: dict[str, Any]) -> None:
        """Run one kind of step here, outside the queue (no claim, no retries): Retry on an exception."""
        self._handlers[kind](dict(payload))

    def drain(self, limit: int = 1000) -> int:
        """Run items until none is runnable (tests, CLI one-shots). Returns how many ran."""
        count = 0
        while count < limit and self.run_once():
            count += 1
        return count

    def wake(self) -> None:
        self._wake.set()

    def start(self) -> None:
        self._thread = threading.Thread(target=self._loop, name="ledgerbridge-worker", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=30)

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                busy = self.run_once()
            except Exception:  # a database hiccup: log, pause, go on
                log.exception("work queue: claiming failed")
                busy = False
            if not busy:
                self._wake.wait(self._idle_wait)
                self._wake.clear()

    def _record_failure(self, item: WorkItem, error: BaseException) -> None:
        retryable = isinstance(error, IntegrationError) and error.retryable
        final = not retryable or item.attempts >= MAX_ATTEMPTS
        log.warning("work item %s (%s, attempt %s) failed: %s", item.id, item.kind, item.attempts, error,
                    exc_info=not isinstance(error, IntegrationError))
        with session_scope(self._engine) as session:
            queue.fail(session, item_id=stored_id(item), worker_id=self.worker_id,
                       error=f"{type(error).__name__}: {error}", clock=self._clock,
                       retry_in=None if final else retry_delay(error, item.attempts))
        if final and self._on_final_failure is not None:
            try:
                self._on_final_failure(item, error)
            except Exception:  # the item is already recorded as failed; the hook must not kill the worker
                log.exception("work item %s: the final-failure hook failed", item.id)

    def _after_success(self, item: WorkItem) -> None:
        if self._on_success is None:
            return
        try:
            self._on_success(item)
        except Exception:  # the work itself succeeded and is recorded; a hook failure is only logged
            log.exception("work item %s: the success hook failed", item.id)


def stored_id(item: WorkItem) -> int:
    """The id of an item read from the queue (SQLModel types it `int | None` until the row is stored)."""
    if item.id is None:
        raise ValueError(f"work item {item.kind} has no id: it was never stored")
    return item.id


def retry_delay(error: BaseException, attempts: int) -> timedelta:
    """The backoff, but never sooner than a vendor's Retry-After."""
    delay = queue.backoff(attempts)
    retry_after = getattr(error, "retry_after", None) if isinstance(error, RateLimited) else None
    return max(delay, timedelta(seconds=retry_after)) if retry_after else delay
