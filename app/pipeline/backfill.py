"""Backfill: the deals held back at the switch to live (won before it, or simulated in shadow) are let through."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from app.db import session_scope
from app.pipeline.advance import advance_deal
from app.pipeline.follow_ups import enqueue_follow_ups
from app.rollout.service import backfill_candidates, grant_backfill
from app.runtime import Runtime


@dataclass(frozen=True)
class BackfillDeal:
    opportunity_id: str
    name: str
    close_date: date | None
    amount: Decimal | None


def backfill(rt: Runtime, *, since: date, dry_run: bool) -> list[BackfillDeal]:
    """List them (dry run), or grant each and step it forward so its invoice is queued; the invoice's idempotency
    key is the deal's, so running it twice never makes a second invoice."""
    with session_scope(rt.engine) as session:
        deals = backfill_candidates(session, since=since)
        listed = [BackfillDeal(deal.sf_id, deal.name, deal.close_date, deal.amount) for deal in deals]
        if not dry_run:
            for deal in deals:
                grant_backfill(session, deal=deal, since=since, clock=rt.clock)
                advance = advance_deal(session, deal=deal, policy=rt.policy, clock=rt.clock)
                enqueue_follow_ups(session, deal=deal, advance=advance, clock=rt.clock)
    if not dry_run:
        rt.wake_worker()
    return listed
