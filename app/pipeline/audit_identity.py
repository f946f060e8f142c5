"""Before a worker records what a person did, it matches their Slack user to a Salesforce User by e-mail
(cached in audit_identity), so the event names both. Runs in the worker only: the web process calls no vendor."""
from __future__ import annotations

import logging

from app.audit.identities import needs_lookup, remember_identity
from app.db import session_scope
from app.errors import IntegrationError
from app.runtime import Runtime

log = logging.getLogger(__name__)


def identify_actor(rt: Runtime, *, slack_user_id: str) -> None:
    """Store what Slack and Salesforce say; a vendor that fails now leaves the event without the Salesforce id
    (the export reads this cache, so a later match still shows there)."""
    with session_scope(rt.engine) as session:
        if not needs_lookup(session, slack_user_id=slack_user_id, now=rt.clock.now()):
            return
    try:
        person = rt.slack.person(slack_user_id)
        email = person.email if person else None
        sf_user_id = rt.salesforce.user_id_by_email(email) if email else None
    except IntegrationError as error:
        log.warning("could not match Slack user %s to Salesforce: %s", slack_user_id, error.__class__.__name__)
        return
    with session_scope(rt.engine) as session:
        remember_identity(session, slack_user_id=slack_user_id, slack_name=person.real_name if person else None,
                          email=email, sf_user_id=sf_user_id, now=rt.clock.now())
