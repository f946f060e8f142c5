"""The worker's side of the owner's pre-flight message: find the owner in Slack by email, open the DM
(conversations.open) and post the message once; later renders update it in place. An owner Slack does not know
gets it in the exceptions channel instead."""
from __future__ import annotations

from functools import partial
from typing import Any

from sqlmodel import Session

from app.db import session_scope
from app.deals.models import Deal
from app.exactly_once.slack_posts import SlackPost
from app.jobs.keyed_posts import Shown, show_post
from app.pipeline.owner_notices import notice_content, notice_key
from app.runtime import Runtime
from app.slack.blocks.owner_notice import FixLine, OwnerNoticeView, owner_notice_blocks, owner_notice_text


def show_owner_notice(rt: Runtime, payload: dict[str, Any]) -> None:
    post_id = int(payload["post_id"])
    with session_scope(rt.engine) as session:
        post = session.get(SlackPost, post_id)
        deal = session.get(Deal, post.deal_id) if post is not None and post.deal_id is not None else None
        if post is None or deal is None or post.key != notice_key(post.deal_id or 0, deal.owner_email):
            return                  # the deal is gone, or has another owner now (who has a message of their own)
        email = deal.owner_email
    show_post(rt, post_id=post_id, render=partial(_render, rt, post_id),
              channel_for=partial(_owner_conversation, rt, email))


def _owner_conversation(rt: Runtime, email: str | None) -> str:
    """The owner's DM with the app, or the exceptions channel when Slack has nobody with that email."""
    owner = rt.slack.lookup_user_by_email(email) if email else None
    return rt.slack.open_dm(owner.id) if owner is not None else rt.policy.channels.exceptions


def _render(rt: Runtime, post_id: int, session: Session, channel: str) -> Shown | None:
    post = session.get(SlackPost, post_id)
    deal = session.get(Deal, post.deal_id) if post is not None and post.deal_id is not None else None
    if deal is None:
        return None
    content = notice_content(session, deal=deal, policy=rt.policy, instance_url=rt.settings.salesforce_base_url)
    view = OwnerNoticeView(
        state=content.state, deal_name=content.deal_name, deal_url=content.opportunity_url, amount=content.amount,
        currency=content.currency, owner_not_in_slack=channel == rt.policy.channels.exceptions,
        owner_name=content.owner_name, owner_email=content.owner_email,
        fixes=tuple(FixLine(fix.message, fix.record_label, fix.record_url) for fix in content.fixes),
        waiting_for=content.waiting_for, invoice_number=content.invoice_number, reason=content.reason,
        updated_at=deal.sf_modstamp)
    return Shown(owner_notice_text(view), owner_notice_blocks(view))
