"""The correction form, submitted: the worker checks the proposer, values the correction against the invoice in
QuickBooks and puts it to the approver the policy names; the proposer hears the outcome either way."""
from __future__ import annotations

import logging

from app.errors import InvalidTransition, NotAllowed
from app.jobs.notes import tell_user
from app.pipeline.corrections import ProposalInput, propose
from app.runtime import Runtime
from app.slack.intents import ProposeCorrection, TellUser, refusal_note

log = logging.getLogger(__name__)


def propose_correction(rt: Runtime, intent: ProposeCorrection) -> None:
    asked = ProposalInput(opportunity_id=intent.opportunity_id, form_kind=intent.kind,
                          line_indexes=tuple(intent.line_indexes), amount=intent.amount, reason=intent.reason,
                          root_cause=intent.root_cause, user_id=intent.user_id, user_name=intent.user_name)
    try:
        proposed = propose(rt, asked)
    except (NotAllowed, InvalidTransition) as refusal:
        log.info("correction for %s refused for %s: %s", intent.opportunity_id, intent.user_id, refusal)
        tell_user(rt, TellUser(user_id=intent.user_id, text=refusal_note(refusal), channel=intent.channel))
        return
    tell_user(rt, TellUser(user_id=intent.user_id, channel=intent.channel,
                           text=f":memo: Proposed: {proposed.ask}. Request #{proposed.request_id} waits for "
                                f"{proposed.role_label} in the approvals channel; you cannot approve it yourself."))
