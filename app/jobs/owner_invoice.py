"""The invoice confirmation for the deal's owner, by DM (conversations.open), posted once per deal."""
from __future__ import annotations

import logging
from typing import Any

from app.db import persisted_id, session_scope
from app.deals.models import Deal
from app.deals.service import account_of
from app.exactly_once.slack_posts import ensure_post
from app.invoicing import service as invoicing
from app.jobs.keyed_posts import Shown, show_post
from app.links import record_url
from app.runtime import Runtime
from app.slack.blocks.owner_invoice import owner_invoice_blocks, owner_invoice_text
from app.slack.presenters import invoice_confirmation

log = logging.getLogger(__name__)
OWNER_INVOICE_KIND = "owner_invoice"


def dm_invoice_to_owner(rt: Runtime, payload: dict[str, Any]) -> None:
    deal_id = int(payload["deal_id"])
    with session_scope(rt.engine) as session:
        deal = session.get(Deal, deal_id)
        job = invoicing.job_for(session, deal_id=deal_id)
        if deal is None or job is None or job.qbo_invoice_id is None:
            return
        confirmation = invoice_confirmation(job, account_of(session, deal), qbo_app_url=rt.settings.quickbooks_app_url)
        shown = Shown(owner_invoice_text(confirmation, deal.name), owner_invoice_blocks(
            confirmation, deal_name=deal.name, deal_url=record_url(rt.settings.salesforce_base_url, "Opportunity",
                                                                   deal.sf_id)))
        email = deal.owner_email
        post_id = persisted_id(ensure_post(session, key=f"{OWNER_INVOICE_KIND}:{deal_id}", kind=OWNER_INVOICE_KIND,
                                           clock=rt.clock, deal_id=deal_id))
    owner = rt.slack.lookup_user_by_email(email) if email else None
    if owner is None:           # the approvals channel has the confirmation; an owner Slack does not know gets none
        log.info("invoice of deal %s: owner %s not found in Slack, no DM", deal_id, email)
        return
    show_post(rt, post_id=post_id, render=lambda _session, _channel: shown,
              channel_for=lambda: rt.slack.open_dm(owner.id))
