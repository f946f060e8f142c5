"""Who a Slack user is in Salesforce, remembered (audit_identity). Workers look it up; events read it."""
from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from app.audit.models import AuditIdentity

MATCHED_FOR = timedelta(days=1)
"""A match is looked up again after a day (people change e-mail or leave)."""
UNMATCHED_FOR = timedelta(hours=1)
"""No match (or Slack gave no e-mail) is tried again after an hour."""


def needs_lookup(session: Session, *, slack_user_id: str, now: datetime) -> bool:
    identity = session.get(AuditIdentity, slack_user_id)
    if identity is None:
        return True
    return now - identity.checked_at > (MATCHED_FOR if identity.sf_user_id else UNMATCHED_FOR)


def remember_identity(session: Session, *, slack_user_id: str, slack_name: str | None, email: str | None,
                      sf_user_id: str | None, now: datetime) -> None:
    """Insert or refresh one row; another worker storing the same user at the same moment is fine."""
    identity = session.get(AuditIdentity, slack_user_id) or AuditIdentity(slack_user_id=slack_user_id,
                                                                          checked_at=now)
    identity.slack_name, identity.email, identity.sf_user_id, identity.checked_at = slack_name, email, sf_user_id, now
    try:
        with session.begin_nested():
            session.add(identity)
    except IntegrityError:
        pass
