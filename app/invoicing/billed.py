"""What an invoice was issued for, beyond its amount: the account's taxability and ship-to (QuickBooks computes
the tax from both). Recorded with the invoice (and with a corrected one) in the audit trail, so a change of
either after invoicing can be told from the invoice as issued, whether or not the deal needed an approval."""
from __future__ import annotations

from typing import Any

from sqlmodel import Session, col, select

from app.approvals.locks import SHIP_TO, TAXABILITY, locked_values
from app.audit.models import AuditEvent
from app.deals.facts import DealFacts

BILLED_KEYS = (TAXABILITY, SHIP_TO)
_ISSUED = ("invoice.created", "correction.created")


def billed_as(facts: DealFacts) -> dict[str, str]:
    values = locked_values(facts)
    return {key: values[key] for key in BILLED_KEYS}


def last_billed(session: Session, *, opportunity_id: str) -> dict[str, Any] | None:
    """The taxability and ship-to of the deal's newest issued invoice, as recorded; None when none was."""
    events = session.exec(select(AuditEvent).where(AuditEvent.subject_type == "deal",
                                                   AuditEvent.subject_id == opportunity_id,
                                                   col(AuditEvent.action).in_(_ISSUED))
                          .order_by(col(AuditEvent.id).desc())).all()
    for event in events:
        billed = (event.details or {}).get("billed")
        if isinstance(billed, dict):
            return billed
    return None
