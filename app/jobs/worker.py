"""The worker that drains the durable work queue, in lanes, one item per short transaction.

A lane is a set of work kinds that call the same vendor (QuickBooks, Salesforce, Slack). Each lane has its
own threads and claims only its own kinds, so a lane that waits for a vendor never holds up another. A
vendor's "not now" (429 with Retry-After, QuickBooks' 60 s throttle wait) reschedules the item instead of
sleeping in the worker. Running items keep short leases alive with a heartbeat; a crashed worker's items
are claimable again within the lease, and at once when a worker on the same host sees the holder is gone.
"""
from __future__ import annotations

import logging
import os
import socket
import threading
import uuid
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import Engine

from app.clock import Clock
from app.db import session_scope
from app.errors import IntegrationError, RateLimited, WaitingOnWork
from app.logging_setup import log_ids
from app.work_queue import service as queue
from app.work_queue.models import WorkItem

log = logging.getLogger(__name__)
Handler = Callable[[dict[str, Any]], None]
FailureHook = Callable[[WorkItem, BaseException], None]
SuccessHook = Callable[[WorkItem], None]
MAX_ATTEMPTS = 8
PAYLOAD_IDS = ("deal_id", "approval_id", "invoice_id", "exception_id")
"""Ids a payload may carry that every log line of its work names (LEDGERBRIDGE_LOG_FORMAT=json)."""
IDLE_WAIT_SECONDS = 0.5


@dataclass(frozen=True)
class BatchHandler:
    """Runs up to `max_items` queued items of one kind together; answers one outcome per payload, in order:
    None for done, or the exception that item failed with (recorded like a single item's failure)."""

    max_items: int
    run: Callable[[list[dict[str, Any]]], list[BaseException | None]]


@dataclass(frozen=True)
class Lane:
    """A named set of work kinds with its own threads. `kinds=None` takes every kind (tests, one-shots).

    `idle_wait`: how long an idle thread of this lane waits before it looks again (the worker's default when
    None). Work queued by another process cannot wake this one, so a lane people wait on looks more often."""

    name: str
    kinds: frozenset[str] | None = None
    threads: int = 1
    idle_wait: float | None = None


ANY_LANE = Lane("any")


def worker_id_for(host: str, pid: int) -> str:
    return f"{host}:{pid}:{uuid.uuid4().hex[:8]}"


def holder_is_dead(holder: str, *, host: str, pid_alive: Callable[[int], bool]) -> bool:
    """True only when `holder` names a process on this host that no longer exists (never guesses elsewhere)."""
    parts = holder.split(":")
    if len(parts) < 3 or parts[0] != host or not parts[1].isdigit():
        return False
    return not pid_alive(int(parts[1]))


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:         # exists, owned by someone else
        return True
    return True


class Worker:
    def __init__(self, *, engine: Engine, handlers: Mapping[str, Handler], clock: Clock,
                 on_final_failure: FailureHook | None = None, on_success: SuccessHook | None = None,
                 lanes: Sequence[Lane] = (ANY_LANE,), idle_wait: float = IDLE_WAIT_SECONDS,
                 batch_handlers: Mapping[str, BatchHandler] | None = None,
                 lease: timedelta = queue.LEASE, heartbeat: timedelta = queue.HEARTBEAT) -> None:
        self._engine, self._handlers, self._clock = engine, dict(handlers), clock
        self._on_final_failure, self._on_success = on_final_failure, on_success
        self._lanes = tuple(lanes)
        self._batch_handlers = dict(batch_handlers or {})
        self._idle_wait, self._lease, self._heartbeat = idle_wait, lease, heartbeat
        self._host = socket.gethostname()
        self.worker_id = worker_id_for(self._host, os.getpid())
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self._running: dict[int, str] = {}
        self._running_lock = threading.Lock()

    @property
    def lanes(self) -> tuple[Lane, ...]:
        return self._lanes

    def run_once(self, lane: Lane = ANY_LANE) -> bool:
        """Process one runnable item of the lane (or one batch of a kind that has a batch handler)."""
        holder = f"{self.worker_id}:{uuid.uuid4().hex[:6]}"   # one per claim: a late answer of a lost lease
        item = self._claim(holder, _kinds(lane))               # never passes for the new holder's
        if item is None:
            return False
        batch = self._batch_handlers.get(item.kind)
        items = [item]
        try:
            if batch is not None:
                self._claim_more(holder, items, up_to=batch.max_items)
                self._run_batch(batch, items, holder)
            else:
                self._run(item, stored_id(item), holder)
        finally:
            with self._running_lock:
                for claimed in items:
                    self._running.pop(stored_id(claimed), None)
        return True

    def _claim(self, holder: str, kinds: Collection[str] | None) -> WorkItem | None:
        """One claim at a time in this process, registered as running before the next claim looks: else a lease
        that ran out meanwhile (a clock moved ahead, a long pause) lets another lane thread take the same item."""
        with self._running_lock:
            with session_scope(self._engine) as session:
                item = queue.claim_next(session, worker_id=holder, clock=self._clock, kinds=kinds, lease=self._lease,
                                        running=set(self._running))
            if item is not None:
                self._running[stored_id(item)] = holder
        return item

    def _claim_more(self, holder: str, items: list[WorkItem], *, up_to: int) -> None:
        """A backlog goes out together: claim more items of the first one's kind that are runnable now, in one
        UPDATE, into `items` (so that each one claimed is released however this ends), up to `up_to` in all."""
        if len(items) >= up_to:
            return
        with self._running_lock:
            with session_scope(self._engine) as session:
                claimed = queue.claim_more(session, worker_id=holder, clock=self._clock, kind=items[0].kind,
                                           count=up_to - len(items), lease=self._lease, running=set(self._running))
            self._running.update(dict.fromkeys((stored_id(item) for item in claimed), holder))
        items.extend(claimed)

    def _run_batch(self, batch: BatchHandler, items: list[WorkItem], holder: str) -> None:
        try:
            outcomes = batch.run([dict(item.payload) for item in items])
            if len(outcomes) != len(items):
                raise ValueError(f"batch handler answered {len(outcomes)} outcomes for {len(items)} items")
        except Exception as error:  # the whole batch failed before any outcome: each item records it
            outcomes = [error] * len(items)
        for item, outcome in zip(items, outcomes, strict=True):
            if outcome is None:
                with session_scope(self._engine) as session:
                    queue.complete(session, item_id=stored_id(item), worker_id=holder, clock=self._clock)
                self._after_success(item)
            else:
                self._record_failure(item, stored_id(item), holder, outcome)

    def run_now(self, kind: str, payload: dict[str, Any]) -> None:
        """Run one kind of step here, in the calling lane thread, outside the queue (no claim, no retries): Retry on
        an exception runs the step that failed for good this way, from a retry item queued in that step's lane."""
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
        self.release_dead_holders()
        self._threads = [threading.Thread(target=self._heartbeat_loop, name="ledgerbridge-heartbeat", daemon=True)]
        for lane in self._lanes:
            for number in range(max(lane.threads, 1)):
                self._threads.append(threading.Thread(target=self._loop, args=(lane,), daemon=True,
                                                      name=f"ledgerbridge-worker-{lane.name}-{number}"))
        for thread in self._threads:
            thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        for thread in self._threads:
            thread.join(timeout=30)

    def release_dead_holders(self) -> int:
        """At start: items whose worker process on this host is gone (kill -9, OOM) are resumed at once."""
        with session_scope(self._engine) as session:
            dead = [holder for holder in queue.running_holders(session)
                    if holder_is_dead(holder, host=self._host, pid_alive=pid_alive)]
            released = queue.release_leases_of(session, worker_ids=dead, clock=self._clock)
        if released:
            log.info("work queue: resumed %s item(s) of stopped worker(s) %s", released, ", ".join(dead))
        return released

    def renew_leases(self) -> int:
        with self._running_lock:
            running = dict(self._running)
        renewed = 0
        with session_scope(self._engine) as session:
            for item_id, holder in running.items():
                renewed += queue.renew_leases(session, worker_id=holder, item_ids=[item_id], clock=self._clock,
                                              lease=self._lease)
        return renewed

    def _run(self, item: WorkItem, item_id: int, holder: str) -> None:
        handler = self._handlers.get(item.kind)
        try:
            if handler is None:
                raise LookupError(f"no handler for work kind {item.kind!r}")
            with log_ids(**ids_of(item, item_id)):
                handler(dict(item.payload))
        except Exception as error:  # every failure is recorded on the item; none kills the worker
            with log_ids(**ids_of(item, item_id)):
                self._record_failure(item, item_id, holder, error)
        else:
            with session_scope(self._engine) as session:
                queue.complete(session, item_id=item_id, worker_id=holder, clock=self._clock)
            self._after_success(item)

    def _loop(self, lane: Lane) -> None:
        while not self._stop.is_set():
            try:
                busy = self.run_once(lane)
            except Exception:  # a database hiccup: log, pause, go on
                log.exception("work queue: claiming failed in lane %s", lane.name)
                busy = False
            if not busy:
                self._wake.wait(self._idle_wait if lane.idle_wait is None else lane.idle_wait)
                self._wake.clear()

    def _heartbeat_loop(self) -> None:
        while not self._stop.wait(self._heartbeat.total_seconds()):
            try:
                self.renew_leases()
            except Exception:  # the next beat tries again; the lease outlives a few missed beats
                log.exception("work queue: renewing leases failed")

    def _record_failure(self, item: WorkItem, item_id: int, holder: str, error: BaseException) -> None:
        if isinstance(error, RateLimited):
            self._reschedule(item, item_id, holder, error)
            return
        if isinstance(error, WaitingOnWork):
            with session_scope(self._engine) as session:
                queue.fail(session, item_id=item_id, worker_id=holder, error=f"WaitingOnWork: {error}",
                           clock=self._clock, retry_in=timedelta(seconds=error.retry_after), count_attempt=False)
            return
        retryable = isinstance(error, IntegrationError) and error.retryable
        final = not retryable or item.attempts >= MAX_ATTEMPTS
        log.warning("work item %s (%s, attempt %s) failed: %s", item_id, item.kind, item.attempts, error,
                    exc_info=not isinstance(error, IntegrationError))
        with session_scope(self._engine) as session:
            failed = queue.fail(session, item_id=item_id, worker_id=holder, clock=self._clock,
                                error=f"{type(error).__name__}: {error}",
                                retry_in=None if final else retry_delay(error, item.attempts))
        if final and failed and self._on_final_failure is not None:
            try:
                self._on_final_failure(item, error)
            except Exception:  # the item is already recorded as failed; the hook must not kill the worker
                log.exception("work item %s: the final-failure hook failed", item_id)

    def _reschedule(self, item: WorkItem, item_id: int, holder: str, error: RateLimited) -> None:
        """The vendor said "not now": run again after its wait, without using up an attempt."""
        wait = throttle_wait(error)
        log.info("work item %s (%s): %s asked us to wait %.1f s", item_id, item.kind, error.vendor or "vendor",
                 wait.total_seconds())
        with session_scope(self._engine) as session:
            queue.fail(session, item_id=item_id, worker_id=holder, error=f"RateLimited: {error}",
                       clock=self._clock, retry_in=wait, count_attempt=False)

    def _after_success(self, item: WorkItem) -> None:
        if self._on_success is None:
            return
        try:
            self._on_success(item)
        except Exception:  # the work itself succeeded and is recorded; a hook failure is only logged
            log.exception("work item %s: the success hook failed", item.id)


def _kinds(lane: Lane) -> Collection[str] | None:
    return lane.kinds


def ids_of(item: WorkItem, item_id: int) -> dict[str, object]:
    payload = item.payload if isinstance(item.payload, dict) else {}
    return {"work_item_id": item_id, **{name: payload[name] for name in PAYLOAD_IDS if isinstance(payload.get(name),
                                                                                                   int | str)}}


def stored_id(item: WorkItem) -> int:
    """The id of an item read from the queue (SQLModel types it `int | None` until the row is stored)."""
    if item.id is None:
        raise ValueError(f"work item {item.kind} has no id: it was never stored")
    return item.id


QUICKBOOKS_THROTTLE_WAIT = timedelta(seconds=60)
"""Intuit's documented answer to a 429: wait 60 seconds (contracts §2.7), when no Retry-After is given."""


def throttle_wait(error: RateLimited) -> timedelta:
    if error.retry_after:
        return timedelta(seconds=max(float(error.retry_after), 0.0))
    if error.vendor == "quickbooks":
        return QUICKBOOKS_THROTTLE_WAIT
    return timedelta(seconds=1)


def retry_delay(error: BaseException, attempts: int) -> timedelta:
    """The backoff, but never sooner than a vendor's Retry-After."""
    delay = queue.backoff(attempts)
    retry_after = getattr(error, "retry_after", None) if isinstance(error, RateLimited) else None
    return max(delay, timedelta(seconds=retry_after)) if retry_after else delay
