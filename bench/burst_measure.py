"""What the burst benchmark reads back: our database (invoice jobs, confirmations) and the QuickBooks
emulator's own counters, call log and invoices (its admin API)."""
from __future__ import annotations

import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

import httpx
from sqlalchemy import Engine, func
from sqlmodel import select

from app.db import session_scope
from app.invoicing.models import InvoiceJob, InvoiceJobStatus
from app.sandbox.quickbooks.demo import DEMO_REALM_ID
from app.work_queue.models import WorkItem, WorkStatus
from bench.burst_processes import Child

POLL_SECONDS = 0.5
ANNOUNCE_INVOICE = "announce_invoice"   # the work kind of a Slack invoice confirmation


@dataclass(frozen=True)
class Measured:
    label: str
    deals: int
    invoiced: int
    created_after: list[float]      # seconds from the workers' launch to each invoice's record
    lags: list[float | None]        # per invoice: its Slack confirmation's lag, None when still queued
    calls: int                      # every QuickBooks API request of the burst (OAuth aside)
    counters: dict[str, int]        # the emulator's throttle counters for the realm
    duplicates: int
    losses: int

    @property
    def seconds(self) -> float:
        return max(self.created_after, default=0.0)


def created_count(engine: Engine) -> int:
    with session_scope(engine) as session:
        statement = select(func.count()).select_from(InvoiceJob).where(InvoiceJob.status == InvoiceJobStatus.CREATED)
        return int(session.exec(statement).one())


def announced_count(engine: Engine) -> int:
    with session_scope(engine) as session:
        statement = select(func.count()).select_from(WorkItem).where(
            WorkItem.kind == ANNOUNCE_INVOICE, WorkItem.status == WorkStatus.DONE)
        return int(session.exec(statement).one())


def wait_for_invoices(engine: Engine, count: int, *, timeout: float, workers: Sequence[Child]) -> bool:
    """True once every invoice is recorded; False past the timeout (the run is reported as it stands)."""
    deadline = time.monotonic() + timeout
    while created_count(engine) < count:
        dead = [child.name for child in workers if child.process.poll() is not None]
        if dead:
            raise RuntimeError(f"{created_count(engine)} of {count} invoices; stopped workers: {dead}")
        if time.monotonic() > deadline:
            return False
        time.sleep(POLL_SECONDS)
    return True


def wait_for_announcements(engine: Engine, count: int, *, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while announced_count(engine) < count and time.monotonic() < deadline:
        time.sleep(POLL_SECONDS)


def collect(label: str, engine: Engine, quickbooks_url: str, deal_ids: list[str], *, launched: float) -> Measured:
    start = datetime.fromtimestamp(launched, UTC)
    with session_scope(engine) as session:
        jobs = session.exec(select(InvoiceJob).where(InvoiceJob.status == InvoiceJobStatus.CREATED)).all()
        announced = {item.payload["deal_id"]: item.updated_at for item in session.exec(
            select(WorkItem).where(WorkItem.kind == ANNOUNCE_INVOICE, WorkItem.status == WorkStatus.DONE))}
        created = {job.deal_id: job.created_in_qbo_at for job in jobs if job.created_in_qbo_at}
    lags = [(announced[deal] - at).total_seconds() if deal in announced else None for deal, at in created.items()]
    with httpx.Client(base_url=quickbooks_url, timeout=60) as admin:
        counters = admin.get("/_admin/throttle").raise_for_status().json()["realms"].get(DEMO_REALM_ID, {})
        calls = len(admin.get("/_admin/calls").raise_for_status().json())
        invoices = admin.get(f"/_admin/realms/{DEMO_REALM_ID}/objects/Invoice").raise_for_status().json()
    numbers = Counter(str(invoice.get("DocNumber")) for invoice in invoices)
    return Measured(label=label, deals=len(deal_ids), invoiced=len(created),
                    created_after=sorted((at - start).total_seconds() for at in created.values()), lags=lags,
                    calls=calls, counters=counters, duplicates=sum(seen - 1 for seen in numbers.values() if seen > 1),
                    losses=sum(1 for deal_id in deal_ids if deal_id not in numbers))
