"""A Salesforce record we cannot store must not block the records after it: report it, move on."""
from __future__ import annotations

from sqlmodel import Session

from app.clock import Clock
from app.db import persisted_id
from app.exception_queue.models import ExceptionStatus
from app.exception_queue.service import NewException, close, find_open, open_exception
from app.policy import ExceptionKind, Policy

FIX = ("Check the opportunity's data in Salesforce (the reason names what failed); any change to it makes "
       "the next poll read it again and close this exception.")


def unreadable_key(opportunity_id: str) -> str:
    return f"intake:{opportunity_id}"


def report_unreadable(session: Session, *, opportunity_id: str, error: BaseException, policy: Policy,
                      clock: Clock) -> None:
    reason = f"Ledgerbridge could not store opportunity {opportunity_id}: {type(error).__name__}: {error}"
    open_exception(session, new=NewException(kind=ExceptionKind.INVALID_FIELD, dedupe_key=unreadable_key(
        opportunity_id), reason=reason[:2000], fix=FIX), policy=policy, clock=clock)


def clear_unreadable(session: Session, *, opportunity_id: str, clock: Clock) -> None:
    item = find_open(session, unreadable_key(opportunity_id))
    if item is not None:
        close(session, item_id=persisted_id(item), status=ExceptionStatus.RESOLVED, actor="system",
              note="The opportunity was read and stored.", clock=clock)
