"""The worker's Salesforce poll keeps to our own QuickBooks pace instead of ending early on it: a poll that must
look many new accounts up in QuickBooks waits for the throttle's slots (the worker never waits for a queued item,
but the poll is one tick: ending it at the first full slot would leave the rest of the page to later ticks)."""
from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal

import pytest
from sqlmodel import func, select

from app.db import session_scope
from app.deals.models import Deal
from app.jobs.scheduler import poll_salesforce
from app.sandbox.book import Book, Line
from app.sandbox.stack import Stack, sandbox_settings, start_app, start_emulators
from app.wiring import WORKER_VENDOR_WAIT


@pytest.fixture
def paced(sqlite_url: str) -> Iterator[Stack]:
    emulators = start_emulators()
    emulators.slack.retry_after_override = 0
    emulators.slack.set_rate_limit(rate=1000.0, burst=1000)
    try:
        running = start_app(emulators, sandbox_settings(emulators, database_url=sqlite_url, qbo_limit_per_second=2),
                            vendor_wait=WORKER_VENDOR_WAIT)
    except BaseException:
        emulators.stop()
        raise
    yield running
    running.stop()


def stored(stack: Stack) -> int:
    with session_scope(stack.runtime.engine) as session:
        return session.exec(select(func.count()).select_from(Deal)).one()


def test_one_poll_stores_every_deal_of_many_new_accounts_at_our_quickbooks_pace(paced: Stack):
    book = Book(paced.emulators.salesforce)
    for index in range(8):
        book.add_account(f"New Account {index}", Segment__c="SMB")
        book.add_deal(f"New Account {index} - First order", account=f"New Account {index}",
                      owner_id=paced.emulators.sf_user_ids["sam"], lines=[Line("Support Plan", Decimal(1))])
    poll_salesforce(paced.runtime)      # the scheduler's poll tick, as `ledgerbridge worker` runs it
    assert stored(paced) == 8
