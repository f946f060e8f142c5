"""Intake: read changed opportunities from Salesforce, store them, and move each deal forward."""
from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from sqlalchemy import Engine
from sqlmodel import Session, select

from app.clock import Clock
from app.db import session_scope
from app.deals.models import Account
from app.deals.service import upsert_from_salesforce
from app.errors import IntegrationError
from app.exactly_once.models import SyncWatermark
from app.intake.unreadable import clear_unreadable, report_unreadable
from app.intake.watermark import Watermark, content_digest
from app.integrations.quickbooks_models import QboCustomer
from app.integrations.salesforce_models import SfOpportunity
from app.pipeline.advance import advance_deal
from app.pipeline.follow_ups import enqueue_follow_ups
from app.policy import Policy

OPPORTUNITY_WATERMARK = "salesforce.opportunity"
log = logging.getLogger(__name__)
Progress = Callable[[int], None]


class CustomerDirectory(Protocol):
    def find_customer_by_display_name(self, display_name: str) -> QboCustomer | None: ...


class OpportunitySource(Protocol):
    def opportunities_changed_since(self, watermark: datetime | None, *,
                                    limit: int | None = None) -> Iterator[SfOpportunity]: ...
    def opportunities_by_ids(self, ids: list[str]) -> list[SfOpportunity]: ...


@dataclass(frozen=True)
class IntakeReport:
    read: int
    processed: int
    queued: int


def poll_changes(*, engine: Engine, source: OpportunitySource, customers: CustomerDirectory, policy: Policy,
                 clock: Clock, progress: Progress | None = None) -> IntakeReport:
    """Everything changed since the watermark, one committed transaction per record (with the mark).

    A failure halfway leaves the mark at the last committed record, so the next poll resumes there.
    No LIMIT: with `>=`, a limit smaller than a group sharing one SystemModstamp would never get past it.
    """
    with session_scope(engine) as session:
        mark = load_watermark(session)
    read = processed = queued = 0
    lookup = _CustomerLookup(engine, customers)
    for opportunity in source.opportunities_changed_since(mark.modstamp):
        read += 1
        stamp = opportunity.system_modstamp or clock.now()
        digest = content_digest(opportunity.raw)
        if mark.already_seen(opportunity.id, stamp, digest):
            continue
        mark = mark.advanced(opportunity.id, stamp, digest)
        queued += _ingest_with_mark(engine, opportunity, mark, lookup(opportunity), policy=policy, clock=clock)
        processed += 1
        if progress is not None:
            progress(processed)
    return IntakeReport(read=read, processed=processed, queued=queued)


def _ingest_with_mark(engine: Engine, opportunity: SfOpportunity, mark: Watermark, customer_id: str | None, *,
                      policy: Policy, clock: Clock) -> int:
    """Store the record and move the mark in one transaction. A record that cannot be stored (bad data,
    a bug) becomes an exception and the mark moves past it; vendor errors propagate (retry next poll)."""
    try:
        with session_scope(engine) as session:
            queued = ingest(session, opportunity, policy=policy, clock=clock, qbo_customer_id=customer_id)
            clear_unreadable(session, opportunity_id=opportunity.id, clock=clock)
            save_watermark(session, mark, clock=clock)
        return queued
    except IntegrationError:
        raise
    except Exception as error:  # reported as an exception item below and logged with the record id
        log.exception("could not store Salesforce opportunity %s", opportunity.id)
        with session_scope(engine) as session:
            report_unreadable(session, opportunity_id=opportunity.id, error=error, policy=policy, clock=clock)
            save_watermark(session, mark, clock=clock)
        return 0


def read_opportunities(*, engine: Engine, source: OpportunitySource, customers: CustomerDirectory,
                       ids: Iterable[str], policy: Policy, clock: Clock) -> IntakeReport:
    """The push path: read these ids now (the watermark is left alone; the poll sees them again, harmlessly)."""
    opportunities = source.opportunities_by_ids(list(ids))
    queued = 0
    lookup = _CustomerLookup(engine, customers)
    for opportunity in opportunities:
        with session_scope(engine) as session:
            queued += ingest(session, opportunity, policy=policy, clock=clock, qbo_customer_id=lookup(opportunity))
    return IntakeReport(read=len(opportunities), processed=len(opportunities), queued=queued)


def ingest(session: Session, opportunity: SfOpportunity, *, policy: Policy, clock: Clock,
           qbo_customer_id: str | None = None) -> int:
    """Store one opportunity, link its account to a QuickBooks customer found by exact name, step it forward."""
    deal = upsert_from_salesforce(session, opportunity, now=clock.now())
    account = session.get(Account, deal.account_id) if deal.account_id else None
    if account is not None and account.qbo_customer_id is None and qbo_customer_id:
        account.qbo_customer_id = qbo_customer_id
        session.add(account)
    advance = advance_deal(session, deal=deal, policy=policy, clock=clock)
    return enqueue_follow_ups(session, deal=deal, advance=advance, clock=clock)


def load_watermark(session: Session) -> Watermark:
    row = session.get(SyncWatermark, OPPORTUNITY_WATERMARK)
    if row is None:
        return Watermark()
    return Watermark(row.modstamp, frozenset(row.ids_at_modstamp))


def save_watermark(session: Session, mark: Watermark, *, clock: Clock) -> None:
    row = session.get(SyncWatermark, OPPORTUNITY_WATERMARK) or SyncWatermark(
        name=OPPORTUNITY_WATERMARK, updated_at=clock.now())
    row.modstamp = mark.modstamp
    row.ids_at_modstamp = sorted(mark.ids_at_modstamp)
    row.updated_at = clock.now()
    session.add(row)
    session.flush()


class _CustomerLookup:
    """Per poll: one QuickBooks lookup per account name, not one per deal of that account."""

    def __init__(self, engine: Engine, customers: CustomerDirectory) -> None:
        self._engine, self._customers = engine, customers
        self._seen: dict[str, str | None] = {}

    def __call__(self, opportunity: SfOpportunity) -> str | None:
        account = opportunity.account
        key = account.id if account is not None else ""
        if key not in self._seen:
            self._seen[key] = _existing_customer(self._engine, self._customers, opportunity)
        return self._seen[key]


def _existing_customer(engine: Engine, customers: CustomerDirectory, opportunity: SfOpportunity) -> str | None:
    """The QuickBooks customer already bearing the account's exact name, when we have no mapping yet."""
    account = opportunity.account
    if account is None or not account.name:
        return None
    with session_scope(engine) as session:
        linked = session.exec(select(Account).where(Account.sf_id == account.id)).first()
        if linked is not None and linked.qbo_customer_id:
            return None
    found = customers.find_customer_by_display_name(account.name)
    return found.id if found else None
