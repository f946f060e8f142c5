"""A locked value that changed after the invoice was issued: the approval cannot be asked again (the invoice
exists), so the change opens an exception for finance with the difference, old -> new per field. The credit and
corrected invoice that app/invoicing/after_invoice.py proposes (when the amount or the taxability changed) carries
the same difference."""
from __future__ import annotations

from sqlmodel import Session

from app.approvals.locks import FieldChange, describe, diff_locked, lock_fingerprint, locked_values
from app.approvals.models import ApprovalRequest, ApprovalStatus
from app.approvals.rules import ApprovalKind
from app.approvals.service import requests_for
from app.audit.service import Links, record_event
from app.clock import Clock
from app.deals.models import Deal
from app.deals.service import deal_facts
from app.exception_queue.service import NewException, find_open, open_exception
from app.invoicing.models import InvoiceJob
from app.policy import ExceptionKind, Policy

FIX = ("Finance: approve the credit and corrected invoice proposed in the approvals channel, or propose one with "
       "/correct-invoice; or have the rep put the approved values back in Salesforce. Then resolve this exception.")
_APPROVAL_KINDS = frozenset(kind.value for kind in ApprovalKind)


def check_locks_after_invoice(session: Session, *, deal: Deal, job: InvoiceJob, policy: Policy,
                              clock: Clock) -> str | None:
    """Open (once per new set of values) the exception that says which approved values changed; the difference
    in words, or None when every approved value still holds."""
    changes = changed_since_approval(session, deal=deal, policy=policy)
    if not changes or deal.id is None:
        return None
    text = describe(changes)
    now_locked = locked_values(deal_facts(session, deal))
    approved = _newest_approved(session, deal)
    key = f"locked:{deal.id}:{lock_fingerprint(now_locked)[:16]}"
    if find_open(session, key) is None:
        number = job.doc_number or job.qbo_invoice_id
        item = open_exception(session, new=NewException(
            kind=ExceptionKind.INVALID_FIELD, dedupe_key=key, deal_id=deal.id, account_id=deal.account_id,
            reason=f"Approved values of '{deal.name}' changed after invoice {number} was issued: {text}",
            fix=FIX, code="invalid_field:changed_after_invoice"), policy=policy, clock=clock)
        record_event(session, actor="system", action="approval.changed_after_invoice", subject_type="deal",
                     subject_id=deal.sf_id,
                     details={"deal_id": deal.id, "invoice_id": job.qbo_invoice_id, "doc_number": job.doc_number,
                              "changes": [{"field": c.key, "label": c.label, "old": c.old, "new": c.new}
                                          for c in changes]}, clock=clock,
                     before={c.key: (approved.locked_values or {}).get(c.key, c.old) if approved else c.old
                             for c in changes},
                     after={c.key: now_locked.get(c.key, c.new) for c in changes},
                     links=Links(deal_id=deal.id, approval_id=approved.id if approved else None,
                                 invoice_id=job.qbo_invoice_id, exception_id=item.id))
    return text


def changed_since_approval(session: Session, *, deal: Deal, policy: Policy) -> tuple[FieldChange, ...]:
    """The locked values that differ from those of the deal's newest approved request (none: nothing locked)."""
    newest = _newest_approved(session, deal)
    if newest is None:
        return ()
    now = locked_values(deal_facts(session, deal))
    return diff_locked(newest.locked_values or {}, now,
                       tolerance_percent=policy.field_locks.amount_tolerance_percent)


def _newest_approved(session: Session, deal: Deal) -> ApprovalRequest | None:
    approved = [request for request in requests_for(session, deal_id=deal.id)
                if request.kind in _APPROVAL_KINDS and request.status == ApprovalStatus.APPROVED
                and request.locked_values is not None]
    return max(approved, key=lambda request: (request.decided_at or request.created_at, request.id or 0),
               default=None)
