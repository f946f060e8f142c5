"""The whole product against the three emulators, over real HTTP, with signed Slack deliveries."""
from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlmodel import col, select

from app.clock import Clock, FixedClock
from app.db import session_scope
from app.intake.service import IntakeReport
from app.sandbox.book import Book
from app.sandbox.stack import Stack, sandbox_settings, start_app, start_emulators
from app.work_queue.models import WorkItem, WorkStatus

FIXED_START = datetime(2026, 11, 24, 13, 35, tzinfo=UTC)    # Tuesday 08:35 in New York, after the 08:30 slot


def start_stack(database_url: str, *, clock: Clock | None = None, **overrides: Any) -> Stack:
    emulators = start_emulators()
    emulators.slack.retry_after_override = 0
    emulators.slack.set_rate_limit(rate=1000.0, burst=1000)
    try:
        return start_app(emulators, sandbox_settings(emulators, database_url=database_url, **overrides),
                         clock=clock)
    except BaseException:
        emulators.stop()
        raise


@pytest.fixture
def stack(sqlite_url: str) -> Iterator[Stack]:
    running = start_stack(sqlite_url)
    yield running
    running.stop()


@pytest.fixture
def pg_stack(fresh_pg_database: str) -> Iterator[Stack]:
    running = start_stack(fresh_pg_database)
    yield running
    running.stop()


@pytest.fixture
def book(stack: Stack) -> Book:
    return Book(stack.emulators.salesforce)


@pytest.fixture
def cstack(sqlite_url: str) -> Iterator[Stack]:
    """The whole product with a FixedClock: queue backoff, SLAs and digest slots move only when a test says."""
    running = start_stack(sqlite_url, clock=FixedClock(FIXED_START))
    yield running
    running.stop()


@pytest.fixture
def cbook(cstack: Stack) -> Book:
    return Book(cstack.emulators.salesforce)


def poll(stack: Stack) -> IntakeReport:
    return stack.poll()


def eventually(check: Callable[[], Any], *, timeout: float = 15.0, what: str = "condition") -> Any:
    """Wait for background work (the queue worker, listener threads); return check()'s truthy value."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(0.05)


def settle(stack: Stack, *, timeout: float = 15.0) -> None:
    """Wait until the worker has nothing runnable left (the posts a step queued are out), so that a fault a test
    plans next hits the call it means, not a notice still on its way."""
    def idle() -> bool:
        now = stack.runtime.clock.now()
        with session_scope(stack.runtime.engine) as session:
            return not session.exec(select(WorkItem.id).where(
                col(WorkItem.status).in_([WorkStatus.QUEUED, WorkStatus.RUNNING]),
                col(WorkItem.run_after) <= now)).first()
    eventually(idle, timeout=timeout, what="the worker to settle")


def approval_messages(stack: Stack) -> list[Any]:
    """Approval requests posted in the approvals channel (not invoice confirmations)."""
    return [message for message in stack.emulators.slack.messages("C05APPR0VAL")
            if not message.thread_ts and message.text.startswith("Approval needed")]
