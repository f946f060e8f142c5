"""`/invoice-status` answered through its response_url, and the App Home tab published: both by the worker."""
from __future__ import annotations

from typing import Any

from app.approvals.roles import members_by_role
from app.db import session_scope
from app.jobs.notes import respond
from app.runtime import Runtime
from app.slack.blocks.common import to_dicts
from app.slack.blocks.home import home_view
from app.slack.blocks.status import (
    invoice_status_blocks,
    status_candidates_blocks,
    status_candidates_text,
    status_not_found_text,
)
from app.slack.intents import AnswerInvoiceStatus, PublishHome
from app.slack.presenters import home_view_model, invoice_status_view, status_candidates
from app.status.home import home_for
from app.status.service import answer


def answer_invoice_status(rt: Runtime, intent: AnswerInvoiceStatus) -> None:
    """Replaces the "Looking up …" the web process acked with."""
    respond(rt, intent.response_url, **status_reply(rt, intent.query), replace_original=True)


def status_reply(rt: Runtime, query: str) -> dict[str, Any]:
    with session_scope(rt.engine) as session:
        result = answer(session, query)
    if result.standing is not None:
        view = invoice_status_view(result.standing, instance_url=rt.settings.salesforce_base_url,
                                   can_correct=rt.policy.corrections is not None)
        blocks = invoice_status_blocks(view, tz=rt.policy.zone)
        return {"text": f"{view.deal_name}: {view.gate_status}", "blocks": to_dicts(blocks),
                "response_type": "ephemeral"}
    if result.matches:
        candidates = status_candidates(result.matches)
        return {"text": status_candidates_text(query, len(candidates)),
                "blocks": to_dicts(status_candidates_blocks(query, candidates)), "response_type": "ephemeral"}
    return {"text": status_not_found_text(query), "response_type": "ephemeral"}


def publish_home(rt: Runtime, intent: PublishHome) -> None:
    members = members_by_role(rt.policy, directory=rt.slack)
    with session_scope(rt.engine) as session:
        summary = home_for(session, user_id=intent.user_id, members_by_role=members, now=rt.clock.now(),
                           policy=rt.policy)
    rt.slack.publish_home(intent.user_id, home_view(home_view_model(summary)))
