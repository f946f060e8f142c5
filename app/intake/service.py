"""Intake: read changed opportunities from Salesforce, store them, and move each deal forward.

The caller hands in its `Transactions` (app/db.py); intake commits once per page of records, never once per
record. Within a page each record is stored under its own SAVEPOINT: a record that cannot be stored becomes
an exception (app/intake/unreadable.py) and the rest of the page goes on. Vendor calls (the next Salesforce
page, QuickBooks customer look-ups) happen between transactions, never inside one.
"""
from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from itertools import islice
from typing import Protocol, runtime_checkable

from sqlmodel import Session, col, select

from app.clock import Clock
from app.db import Transactions
from app.deals.models import Account
from app.deals.service import upsert_from_salesforce
from app.errors import IntegrationError, ThrottleFull
from app.intake.marks import OPPORTUNITY_WATERMARK, load_watermark, save_watermark, take_watermark
from app.intake.unreadable import clear_unreadable, report_unreadable
from app.intake.watermark import Watermark, content_digest
from app.integrations.quickbooks_models import QboCustomer
from app.integrations.salesforce_models import SfOpportunity
from app.integrations.salesforce_soql import ID_PATTERN
from app.pipeline.advance import advance_deal
from app.pipeline.follow_ups import enqueue_follow_ups
from app.policy import Policy

__all__ = ["OPPORTUNITY_WATERMARK", "IntakeReport", "ingest", "load_watermark", "poll_changes",
           "read_opportunities"]

MAX_PACE_WAIT_SECONDS = 30.0
"""How long one customer look-up may wait for our own QuickBooks throttle (its pace is a few per second)."""
PAGE_SIZE = 200         # records per committed transaction: short transactions, one commit (and fsync) per page
log = logging.getLogger(__name__)
Progress = Callable[[int], None]


class CustomerDirectory(Protocol):
    def find_customer_by_display_name(self, display_name: str) -> QboCustomer | None: ...


class OpportunitySource(Protocol):
    def opportunities_changed_since(self, watermark: datetime | None, *,
                                    limit: int | None = None) -> Iterator[SfOpportunity]: ...
    def opportunities_by_ids(self, ids: list[str]) -> list[SfOpportunity]: ...


@runtime_checkable
class UserDirectory(Protocol):
    def user_emails_by_ids(self, ids: Sequence[str]) -> dict[str, str | None]: ...


Submitters = Mapping[str, str | None]
"""A page's submitters: Salesforce User id (15 characters) -> e-mail."""


@dataclass(frozen=True)
class IntakeReport:
    read: int
    processed: int
    queued: int


def poll_changes(*, transactions: Transactions, source: OpportunitySource, customers: CustomerDirectory,
                 policy: Policy, clock: Clock, progress: Progress | None = None,
                 page_size: int = PAGE_SIZE) -> IntakeReport:
    """Everything changed since the watermark, committed a page at a time together with the mark.

    A failure halfway (Salesforce, QuickBooks) commits the records before it with the mark, then propagates:
    the next poll resumes there. No LIMIT: with `>=`, a limit smaller than a group sharing one SystemModstamp
    would never get past it.
    """
    with transactions.read() as session:
        mark = load_watermark(session)
    intake = _Intake(transactions, _CustomerLookup(customers), policy, clock, progress, users=_users(source))
    changed = source.opportunities_changed_since(mark.modstamp)
    read = queued = 0
    while True:
        page, failure = _next_page(changed, page_size)
        read += len(page)
        if page:
            mark, page_queued, failure = intake.poll_page(page, mark, failure)
            queued += page_queued
        if failure is not None:
            raise failure
        if len(page) < page_size:
            return IntakeReport(read=read, processed=intake.stored, queued=queued)


def read_opportunities(*, transactions: Transactions, source: OpportunitySource, customers: CustomerDirectory,
                       ids: Iterable[str], policy: Policy, clock: Clock) -> IntakeReport:
    """The push path: read these ids now, store them in one transaction, and note each version stored in the
    watermark, so that the next poll moves past those versions instead of storing them again."""
    opportunities = source.opportunities_by_ids(list(ids))
    queued = _Intake(transactions, _CustomerLookup(customers), policy, clock, users=_users(source)).push(opportunities)
    return IntakeReport(read=len(opportunities), processed=len(opportunities), queued=queued)


def ingest(session: Session, opportunity: SfOpportunity, *, policy: Policy, clock: Clock,
           qbo_customer_id: str | None = None, submitters: Submitters | None = None) -> int:
    """Store one opportunity, link its account to a QuickBooks customer found by exact name, step it forward."""
    deal = upsert_from_salesforce(session, opportunity, now=clock.now(), home_currency=policy.currency.home)
    deal.submitter_sf_id = submitter_id(opportunity, policy)
    deal.submitter_email = (submitters or {}).get(deal.submitter_sf_id[:15]) if deal.submitter_sf_id else None
    session.add(deal)
    account = session.get(Account, deal.account_id) if deal.account_id else None
    if account is not None and account.qbo_customer_id is None and qbo_customer_id:
        account.qbo_customer_id = qbo_customer_id
        session.add(account)
    advance = advance_deal(session, deal=deal, policy=policy, clock=clock)
    return enqueue_follow_ups(session, deal=deal, advance=advance, clock=clock)


@dataclass
class _Intake:
    transactions: Transactions
    lookup: _CustomerLookup
    policy: Policy
    clock: Clock
    progress: Progress | None = None
    stored: int = 0
    users: UserDirectory | None = None
    submitters: dict[str, str | None] | None = None
    """This page's submitters' e-mails (one User query per page)."""

    def poll_page(self, page: Sequence[SfOpportunity], mark: Watermark,
                  failure: Exception | None) -> tuple[Watermark, int, Exception | None]:
        """Store the page's new records and the mark in one transaction. A vendor failure ends the page early:
        what came before it is committed, and the failure is handed back to be raised."""
        unseen = [record for record in page if not mark.already_seen(record.id, *_version(record, self.clock))]
        customer_ids, lookup_failure = self.lookup.resolve(unseen, transactions=self.transactions)
        failure = lookup_failure or failure
        try:
            self.submitters = self._submitters(unseen)
        except IntegrationError as error:
            return mark, 0, error
        queued = 0
        with self.transactions.begin() as session:
            stored = take_watermark(session, clock=self.clock)      # what pushes noted since: the row is ours now
            mark = replace(mark, read_ahead=stored.read_ahead)
            for record in page:
                stamp, digest = _version(record, self.clock)
                if mark.already_seen(record.id, stamp, digest) or mark.stored_by_push(record.id, stamp, digest):
                    mark = mark.advanced(record.id, stamp, digest)
                    continue
                if record.id not in customer_ids:           # every unseen record has one, up to a failed look-up
                    break
                try:
                    queued += self._store(session, record, customer_ids[record.id])
                except IntegrationError as error:
                    failure = error
                    break
                mark = mark.advanced(record.id, stamp, digest)
                self.stored += 1
                if self.progress is not None:
                    self.progress(self.stored)
            save_watermark(session, mark, clock=self.clock)
        return mark, queued, failure

    def push(self, opportunities: Sequence[SfOpportunity]) -> int:
        customer_ids, failure = self.lookup.resolve(opportunities, transactions=self.transactions)
        if failure is not None:
            raise failure
        self.submitters = self._submitters(opportunities)
        queued = 0
        with self.transactions.begin() as session:
            mark = take_watermark(session, clock=self.clock)
            for record in opportunities:
                queued += self._store(session, record, customer_ids[record.id])
                mark = mark.pushed(record.id, *_version(record, self.clock))
            save_watermark(session, mark, clock=self.clock)
        return queued

    def _store(self, session: Session, opportunity: SfOpportunity, customer_id: str | None) -> int:
        """One record under its own SAVEPOINT. A record that cannot be stored (bad data, a bug) becomes an
        exception and is counted as handled; vendor errors propagate."""
        try:
            with session.begin_nested():
                queued = ingest(session, opportunity, policy=self.policy, clock=self.clock,
                                qbo_customer_id=customer_id, submitters=self.submitters)
                clear_unreadable(session, opportunity_id=opportunity.id, clock=self.clock)
                session.flush()
            return queued
        except IntegrationError:
            raise
        except Exception as error:  # reported as an exception item below and logged with the record id
            log.exception("could not store Salesforce opportunity %s", opportunity.id)
            with session.begin_nested():
                report_unreadable(session, opportunity_id=opportunity.id, error=error, policy=self.policy,
                                  clock=self.clock)
            return 0


    def _submitters(self, records: Sequence[SfOpportunity]) -> dict[str, str | None]:
        """The e-mail of each submitter the page names, from their Salesforce User records (vendor call: between
        transactions). Nothing to read when the policy names no submitter field."""
        ids = sorted({found[:15] for record in records if (found := submitter_id(record, self.policy))})
        if not ids or self.users is None:
            return {}
        return self.users.user_emails_by_ids(ids)


def submitter_id(opportunity: SfOpportunity, policy: Policy) -> str | None:
    """The submitter's Salesforce User id from the policy's field (None when unnamed, absent or not an id)."""
    field = policy.approval_controls.submitter_field
    value = opportunity.raw.get(field) if field else None
    if not isinstance(value, str) or not ID_PATTERN.match(value):
        return None
    return value


def _users(source: object) -> UserDirectory | None:
    return source if isinstance(source, UserDirectory) else None


class _CustomerLookup:
    """Per poll: one QuickBooks look-up per account name, not one per deal, and none for a linked account."""

    def __init__(self, customers: CustomerDirectory, *, sleep: Callable[[float], None] = time.sleep) -> None:
        self._customers = customers
        self._sleep = sleep
        self._seen: dict[str, str | None] = {}

    def resolve(self, records: Sequence[SfOpportunity], *,
                transactions: Transactions) -> tuple[dict[str, str | None], Exception | None]:
        """Customer id (or None) per record id, in order, until a QuickBooks failure (handed back)."""
        with transactions.read() as session:
            linked = _linked_accounts(session, records)
        found: dict[str, str | None] = {}
        for record in records:
            try:
                found[record.id] = self._customer_for(record, linked)
            except IntegrationError as error:
                return found, error
        return found, None

    def _customer_for(self, opportunity: SfOpportunity, linked: set[str]) -> str | None:
        """The QuickBooks customer already bearing the account's exact name, when we have no mapping yet."""
        account = opportunity.account
        if account is None or not account.name or account.id in linked:
            return None
        if account.id not in self._seen:
            customer = self._at_our_pace(account.name)
            self._seen[account.id] = customer.id if customer else None
        return self._seen[account.id]

    def _at_our_pace(self, name: str) -> QboCustomer | None:
        """A worker's QuickBooks client never waits for a throttle slot (ThrottleFull at once): the poll does, a
        slot at a time, instead of ending the poll at the first full slot. A vendor 429 still ends it."""
        waited = 0.0
        while True:
            try:
                return self._customers.find_customer_by_display_name(name)
            except ThrottleFull as full:
                wait = full.retry_after or 0.1
                if waited + wait > MAX_PACE_WAIT_SECONDS:
                    raise
                self._sleep(wait)
                waited += wait


def _linked_accounts(session: Session, records: Sequence[SfOpportunity]) -> set[str]:
    ids = {record.account.id for record in records if record.account is not None}
    if not ids:
        return set()
    statement = select(Account.sf_id).where(col(Account.sf_id).in_(ids), col(Account.qbo_customer_id).is_not(None))
    return set(session.exec(statement).all())


def _next_page(records: Iterator[SfOpportunity], size: int) -> tuple[list[SfOpportunity], Exception | None]:
    """Up to `size` records; a failure of the source halfway is handed back with what came before it."""
    page: list[SfOpportunity] = []
    try:
        for record in islice(records, size):
            page.append(record)
    except Exception as error:  # raised by the caller once the records read so far are committed
        return page, error
    return page, None


def _version(opportunity: SfOpportunity, clock: Clock) -> tuple[datetime, str]:
    return opportunity.system_modstamp or clock.now(), content_digest(opportunity.raw)
