"""A made-up 120-day history for the demo's dashboard: a few hundred deals across segments, with spread in cycle
times, exceptions with root causes, late payments and credit memos made in QuickBooks. Deterministic (seeded RNG).

It is written straight into the demo's database (its deals are not in the Salesforce emulator, its invoices not in
the QuickBooks emulator: ids start with HIST), and an audit event `demo.history_seeded` tells the dashboard to say
the history is demo data. Its exceptions are all closed, so the live queue, digest and reminders show only the
walkthrough's own.
"""
from __future__ import annotations

import math
import random
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

from sqlalchemy.engine import Engine
from sqlmodel import Session

from app.audit.service import record_event
from app.clock import FixedClock, SystemClock
from app.config import Settings
from app.db import make_engine, persisted_id, session_scope
from app.db_migrate import upgrade
from app.deals.models import Account, Deal, DealStatus
from app.exception_queue.models import ExceptionItem, ExceptionStatus
from app.invoicing.models import InvoiceJob, InvoiceJobStatus
from app.invoicing.qbo_change_models import QboCreditMemoSeen
from app.metrics.dashboard import SEEDED_HISTORY_ACTION

HISTORY_DAYS = 120
SEGMENTS = {"Enterprise": (5, 40_000, 240_000, 6.0), "Mid-Market": (7, 12_000, 60_000, 3.0),
            "SMB": (10, 1_500, 14_000, 1.5)}
"""segment -> (accounts, smallest and largest deal, typical days to invoice)."""
CAUSES = (("missing_field", "missing_po"), ("missing_field", "rep_data_entry"), ("invalid_field", "rep_data_entry"),
          ("unmapped_product", "new_product"), ("unmapped_terms", "non_standard_terms"),
          ("duplicate_customer", "duplicate_account"), ("vendor_error", "integration_outage"))
PEOPLE = ("U0ANN00001", "U0BOB00002")


@dataclass(frozen=True)
class SeededHistory:
    deals: int
    invoices: int
    exceptions: int
    credit_memos: int


def seed_history(engine: Engine, *, now: datetime, realm_id: str, seed: int = 12,
                 deals: int = 320) -> SeededHistory:
    rng, counts = random.Random(seed), {"invoices": 0, "exceptions": 0, "credit_memos": 0}
    with session_scope(engine) as session:
        accounts = _accounts(session, now=now, realm_id=realm_id)
        for number in range(deals):
            account = rng.choice(accounts)
            deal = _deal(rng, number, account, now=now)
            session.add(deal)
            session.flush()
            if deal.is_won:
                _won_story(session, rng, deal, account, now=now, realm_id=realm_id, counts=counts)
        record_event(session, actor="demo", action=SEEDED_HISTORY_ACTION, subject_type="demo", subject_id="history",
                     details={"deals": deals, "days": HISTORY_DAYS, "seed": seed, **counts}, clock=FixedClock(now))
    return SeededHistory(deals, counts["invoices"], counts["exceptions"], counts["credit_memos"])


def _accounts(session: Session, *, now: datetime, realm_id: str) -> list[Account]:
    accounts: list[Account] = []
    for segment, (count, *_rest) in SEGMENTS.items():
        for index in range(count):
            number = len(accounts) + 1
            account = Account(sf_id=f"001HIST{number:011d}", name=f"{segment} customer {index + 1}",
                              segment=segment, qbo_customer_id=f"HIST{number}", qbo_realm_id=realm_id,
                              qbo_currency="USD", created_at=now, updated_at=now)
            session.add(account)
            accounts.append(account)
    session.flush()
    return accounts


def _deal(rng: random.Random, number: int, account: Account, *, now: datetime) -> Deal:
    _, low, high, _ = SEGMENTS[account.segment or "SMB"]
    close = now.date() - timedelta(days=rng.randint(0, HISTORY_DAYS - 1))
    draw = rng.random()
    stage, won = (("Closed Lost", False) if draw < 0.15 else ("Negotiation", False) if draw < 0.2
                  else ("Closed Won", True))
    if stage == "Negotiation":
        close = now.date() + timedelta(days=rng.randint(5, 60))
    amount = Decimal(round(math.exp(rng.uniform(math.log(low), math.log(high))), -1)).quantize(Decimal("0.01"))
    seen = min(now, _midnight(close) + timedelta(hours=rng.uniform(1, 10))) if won else None
    first_seen = min(now, _midnight(min(close, now.date())) - timedelta(days=rng.randint(10, 60)))
    return Deal(sf_id=f"006HIST{number:011d}", name=f"{account.name} - order {number + 1}", stage=stage, is_won=won,
                billing_status="Delivered" if won else None, amount=amount, close_date=close, payment_terms="Net 30",
                po_number=f"PO-{number + 1:05d}", owner_name="Sam Seller", sf_modstamp=seen or first_seen,
                account_id=account.id, gate_status=DealStatus.NOT_WON, first_seen_at=first_seen, won_seen_at=seen,
                updated_at=seen or first_seen, snapshot={"history": True})


def _won_story(session: Session, rng: random.Random, deal: Deal, account: Account, *, now: datetime, realm_id: str,
               counts: dict[str, int]) -> None:
    assert deal.close_date is not None and deal.won_seen_at is not None
    typical = SEGMENTS[account.segment or "SMB"][3]
    age = (now.date() - deal.close_date).days
    troubled = rng.random() < (0.35 if account.segment == "Enterprise" else 0.22)
    days = rng.lognormvariate(math.log(typical), 0.6) * (0.5 + age / HISTORY_DAYS)   # faster as the team adopts
    invoiced_at = _midnight(deal.close_date) + timedelta(days=days)
    exception = _exception(rng, deal) if troubled else None
    if exception is not None and exception.resolved_at is not None:    # invoiced once the problem was fixed
        invoiced_at = max(invoiced_at, exception.resolved_at + timedelta(hours=rng.uniform(0.2, 30)))
    stuck = rng.random() < 0.04
    if invoiced_at > now or stuck:
        deal.gate_status = (DealStatus.NOT_ELIGIBLE if stuck or rng.random() < 0.4 else DealStatus.BLOCKED
                            if troubled else DealStatus.AWAITING_APPROVAL)
        session.add(deal)
        return
    deal.gate_status = DealStatus.INVOICED
    job = _invoice(rng, deal, account, invoiced_at=invoiced_at, now=now, realm_id=realm_id)
    session.add_all([deal, job])
    session.flush()
    counts["invoices"] += 1
    if exception is not None:
        session.add(exception)
        counts["exceptions"] += 1
    if rng.random() < 0.07:
        credited = invoiced_at + timedelta(days=rng.uniform(2, 40))
        if credited < now:
            session.add(QboCreditMemoSeen(
                realm_id=realm_id, qbo_id=f"HISTCM{deal.id}", doc_number=f"HIST-CM{deal.id}",
                customer_id=account.qbo_customer_id, txn_date=credited.date(), currency="USD", seen_at=credited,
                total=(job.total or Decimal(0)) * Decimal(rng.choice(("0.1", "0.25", "1"))),
                created_in_qbo_at=credited, invoice_job_id=persisted_id(job), updated_at=credited))
            counts["credit_memos"] += 1


def _invoice(rng: random.Random, deal: Deal, account: Account, *, invoiced_at: datetime, now: datetime,
             realm_id: str) -> InvoiceJob:
    due = invoiced_at.date() + timedelta(days=30)
    lateness = rng.choice((-5, -2, 0, 0, 0, 3, 10, 25, 45, 75, 110))
    paid = due + timedelta(days=lateness) <= now.date()
    balance = Decimal("0.00") if paid else deal.amount
    status = "Paid" if paid else "Overdue" if due < now.date() else "Open"
    return InvoiceJob(deal_id=persisted_id(deal), idempotency_key=f"hist-{deal.sf_id}", status=InvoiceJobStatus.CREATED,
                      attempts=2 if rng.random() < 0.05 else 1, qbo_realm_id=realm_id,
                      qbo_customer_id=account.qbo_customer_id, qbo_invoice_id=f"HIST{deal.id}",
                      doc_number=f"HIST-{deal.id:04d}", total=deal.amount, balance=balance, due_date=due,
                      currency="USD", qbo_status=status, writeback_done=True, created_at=invoiced_at,
                      updated_at=invoiced_at, created_in_qbo_at=invoiced_at)


def _exception(rng: random.Random, deal: Deal) -> ExceptionItem:
    """Closed within hours to days: most inside their SLA (24 to 48 hours), a few well after it."""
    assert deal.won_seen_at is not None
    kind, cause = rng.choice(CAUSES)
    opened = deal.won_seen_at + timedelta(hours=rng.uniform(0.1, 4))
    resolved = opened + timedelta(hours=rng.lognormvariate(math.log(14), 0.9))
    by = "system" if rng.random() < 0.6 else rng.choice(PEOPLE)
    return ExceptionItem(kind=kind, dedupe_key=f"hist:{deal.sf_id}:{kind}", open_marker=None, deal_id=deal.id,
                         account_id=deal.account_id, reason=f"Demo history: {kind.replace('_', ' ')}",
                         root_cause=cause if by != "system" else None, suggested_root_cause=cause,
                         sla_due_at=opened + timedelta(hours=rng.choice((24, 32, 48))),
                         status=ExceptionStatus.RESOLVED, resolved_by=by, resolution="Fixed (demo history)",
                         created_at=opened, resolved_at=resolved)


def _midnight(day: date) -> datetime:
    return datetime.combine(day, time(5, 0), tzinfo=UTC)        # midnight in New York (EST), the demo's zone


def seed_demo_history(settings: Settings) -> SeededHistory:
    """Migrate the demo's fresh database and seed the history, before the web and worker processes start."""
    upgrade(settings.database_url)
    engine = make_engine(settings.database_url)
    try:
        return seed_history(engine, now=SystemClock().now(), realm_id=settings.qbo_realm_id or "demo")
    finally:
        engine.dispose()
