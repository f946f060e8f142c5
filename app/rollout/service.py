"""Use cases of the rollout: record a would-be invoice, note mode changes, grant backfills (no commits here)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from sqlmodel import Session, col, select

from app.clock import Clock
from app.db import persisted_id
from app.deals.models import Deal, DealStatus
from app.policy import RolloutMode
from app.rollout.models import BackfillGrant, ModeChange, ShadowInvoice


@dataclass(frozen=True)
class WouldBe:
    """What a live run would have sent to QuickBooks for a deal."""

    deal_id: int
    realm_id: str
    customer_name: str
    qbo_customer_id: str | None
    amount: Decimal
    currency: str
    terms: str | None
    items: tuple[str, ...]
    taxable: bool
    txn_date: date
    due_date: date | None


def record_would_be(session: Session, would_be: WouldBe, *, clock: Clock) -> ShadowInvoice:
    """One row per deal: a later simulation (the deal changed) replaces what it would be."""
    row = shadow_invoice_for(session, deal_id=would_be.deal_id)
    now = clock.now()
    if row is None:
        row = ShadowInvoice(deal_id=would_be.deal_id, qbo_realm_id=would_be.realm_id, customer_name="",
                            amount=Decimal(0), txn_date=would_be.txn_date, created_at=now, updated_at=now)
    row.qbo_realm_id, row.customer_name = would_be.realm_id, would_be.customer_name
    row.qbo_customer_id, row.amount, row.currency = would_be.qbo_customer_id, would_be.amount, would_be.currency
    row.terms, row.items, row.taxable = would_be.terms, list(would_be.items), would_be.taxable
    row.txn_date, row.due_date, row.updated_at = would_be.txn_date, would_be.due_date, now
    session.add(row)
    session.flush()
    return row


def shadow_invoice_for(session: Session, *, deal_id: int) -> ShadowInvoice | None:
    return session.exec(select(ShadowInvoice).where(ShadowInvoice.deal_id == deal_id)).first()


def shadow_invoices(session: Session) -> list[tuple[ShadowInvoice, Deal]]:
    statement = select(ShadowInvoice, Deal).join(Deal, col(Deal.id) == ShadowInvoice.deal_id)
    return [(row, deal) for row, deal in session.exec(statement.order_by(col(ShadowInvoice.txn_date)))]


def live_since(session: Session, *, mode: RolloutMode, clock: Clock) -> datetime | None:
    """When the switch from shadow to live happened (noting this mode if it changed); None when Ledgerbridge has
    never run in shadow mode (nothing then waits for a backfill)."""
    last = session.exec(select(ModeChange).order_by(col(ModeChange.at).desc(), col(ModeChange.id).desc())).first()
    if mode == RolloutMode.SHADOW:
        if last is None or last.mode != RolloutMode.SHADOW:
            session.add(ModeChange(mode=RolloutMode.SHADOW, at=clock.now()))
            session.flush()
        return None
    if last is None:
        return None
    if last.mode == RolloutMode.SHADOW:
        change = ModeChange(mode=RolloutMode.LIVE, at=clock.now())
        session.add(change)
        session.flush()
        return change.at
    return last.at


def is_granted(session: Session, *, deal_id: int) -> bool:
    return session.exec(select(BackfillGrant.id).where(BackfillGrant.deal_id == deal_id)).first() is not None


def backfill_candidates(session: Session, *, since: date) -> list[Deal]:
    """Deals held back at the switch to live (won before it, or simulated in shadow and not seen since), won on or
    after `since`."""
    held = (DealStatus.BEFORE_LIVE, DealStatus.SIMULATED)
    statement = (select(Deal).where(col(Deal.gate_status).in_(held), col(Deal.close_date) >= since)
                 .order_by(col(Deal.close_date), col(Deal.sf_id)))
    return list(session.exec(statement))


def grant_backfill(session: Session, *, deal: Deal, since: date, clock: Clock) -> None:
    if not is_granted(session, deal_id=persisted_id(deal)):
        session.add(BackfillGrant(deal_id=persisted_id(deal), since=since, granted_at=clock.now()))
        session.flush()
