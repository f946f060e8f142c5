"""At start-up, each process records the policy it runs with when it differs from the last one recorded."""
from __future__ import annotations

import logging

from sqlalchemy.exc import SQLAlchemyError

from app.audit.policy_versions import record_policy_in_force
from app.db import session_scope
from app.runtime import Runtime

log = logging.getLogger(__name__)


def record_policy_at_start(runtime: Runtime) -> None:
    """A database that cannot be written now does not stop the start: the next start records the change."""
    try:
        with session_scope(runtime.engine) as session:
            event = record_policy_in_force(session, policy=runtime.policy, clock=runtime.clock,
                                           source=str(runtime.settings.ledgerbridge_policy))
            changed = None if event is None else (event.details["new_hash"], event.details["changed_keys"])
    except SQLAlchemyError as error:
        log.error("could not record the policy version in the audit log: %s", error.__class__.__name__)
        return
    if changed is not None:
        log.info("policy version %s recorded in the audit log (%d keys changed)", changed[0][:12], len(changed[1]))
