"""The worker's side of exceptions posted as they happen: flush the new ones, re-render a deal's message, and
reply in its thread when an exception is added to it or closes."""
from __future__ import annotations

import logging
from functools import partial
from typing import Any

from sqlmodel import Session

from app.db import persisted_id, session_scope
from app.deals.models import Deal
from app.errors import IntegrationError, RateLimited
from app.exception_queue import feed, queries
from app.exception_queue.digest import ItemView
from app.exception_queue.feed import MAX_SUMMARY_DEALS_NAMED
from app.integrations.slack_api import PostedMessage
from app.jobs.digest import dashboard_url
from app.jobs.keyed_posts import Shown, show_post
from app.links import record_url
from app.runtime import Runtime
from app.slack.blocks.exception_feed import (
    BurstView,
    ThreadView,
    burst_blocks,
    burst_text,
    kind_counts,
    reply_text,
    thread_blocks,
    thread_text,
)

log = logging.getLogger(__name__)


def flush_exception_feed(rt: Runtime, _payload: dict[str, Any]) -> None:
    """Announce what opened since the last flush (also run by the reminder tick, in case a flush was missed).

    Each message to show is queued as its own work item, in the transaction that decides it: a 429 or an outage
    on one message reschedules that message alone, and never loses the others (a second flush finds nothing)."""
    with session_scope(rt.engine) as session:
        plan = feed.take_pending(session, policy=rt.policy, clock=rt.clock)
        for post_id in plan.post_ids:
            feed.queue_render(session, post_id=post_id, clock=rt.clock)
    if plan.announced:
        log.info("exception feed: %s new exception(s) in %s message(s)%s", plan.announced, len(plan.post_ids),
                 " (a burst summary)" if plan.summary else "")
    if plan.post_ids:
        rt.wake_worker()


def refresh_exception_thread(rt: Runtime, payload: dict[str, Any]) -> None:
    show_feed_post(rt, int(payload["post_id"]))


def show_feed_post(rt: Runtime, post_id: int) -> None:
    owner = _owner_in_slack(rt, post_id)
    posted = show_post(rt, post_id=post_id, render=partial(_render, rt, post_id, owner),
                       channel_for=lambda: rt.policy.channels.exceptions)
    if posted is not None:
        _reply_in_thread(rt, post_id, posted)


def _owner_in_slack(rt: Runtime, post_id: int) -> str | None:
    """The deal owner's Slack id (found by email, remembered by the directory), read before the render's session;
    None when Slack does not know them or cannot say now (the message then names them)."""
    with session_scope(rt.engine) as session:
        post = feed.post_of(session, post_id)
        deal = session.get(Deal, post.deal_id) if post is not None and post.deal_id is not None else None
        email = deal.owner_email if deal is not None else None
    if not email:
        return None
    try:
        user = rt.slack.lookup_user_by_email(email)
    except IntegrationError as error:
        log.info("deal owner not looked up in Slack (%s); the message names them", error)
        return None
    return user.id if user is not None else None


def _render(rt: Runtime, post_id: int, owner_slack_id: str | None, session: Session, _channel: str) -> Shown | None:
    post = feed.post_of(session, post_id)
    rows = feed.items_of_post(session, post_id=post_id)
    if post is None or not rows:
        return None
    now = rt.clock.now()
    deals = {deal.id: deal for deal in (session.get(Deal, item.deal_id) for item, _ in rows if item.deal_id)
             if deal is not None}
    views = [_view(rt, item, deals.get(item.deal_id), now) for item, _ in rows]
    if post.kind == feed.BURST_KIND:
        return _burst(rt, views, opened_at=rows[0][1].announced_at)
    deal = deals.get(post.deal_id) if post.deal_id is not None else None
    thread = ThreadView(deal_name=deal.name if deal else None, deal_url=views[0].opportunity_url,
                        owner_name=deal.owner_name if deal else None, items=tuple(views),
                        owner_slack_id=owner_slack_id)
    return Shown(thread_text(thread), thread_blocks(thread, policy=rt.policy, tz=rt.policy.zone, now=now))


def _burst(rt: Runtime, views: list[ItemView], *, opened_at) -> Shown:
    names = list(dict.fromkeys(view.deal_name or f"exception #{view.id}" for view in views))
    burst = BurstView(total=len(views), deals=len(names), by_kind=kind_counts(views),
                      deal_names=tuple(names[:MAX_SUMMARY_DEALS_NAMED]), opened_at=opened_at,
                      dashboard_url=dashboard_url(rt))
    return Shown(burst_text(burst), burst_blocks(burst))


def _view(rt: Runtime, item, deal: Deal | None, now) -> ItemView:
    return queries.item_view(item, deal, now=now, policy=rt.policy,
                             record_link=partial(record_url, rt.settings.salesforce_base_url, "Opportunity"))


def _reply_in_thread(rt: Runtime, post_id: int, posted: PostedMessage) -> None:
    """At most once each: the message itself already shows the change, the reply only notifies its readers."""
    with session_scope(rt.engine) as session:
        post = feed.post_of(session, post_id)
        if post is None or post.kind != feed.THREAD_KIND:
            return
        owed = feed.claim_replies(session, post_id=post_id, clock=rt.clock)
        replies = [(persisted_id(item), event, reply_text(_view(rt, item, None, rt.clock.now()), event))
                   for item, event in owed]
    for index, (_, _, text) in enumerate(replies):
        try:
            rt.slack.post_message(posted.channel, text=text, thread_ts=posted.ts)
        except RateLimited:
            # Slack's "not now" (or our own pace): these replies are owed again, and the item is rescheduled
            with session_scope(rt.engine) as session:
                feed.release_replies(session, post_id=post_id,
                                     owed=[(item_id, event) for item_id, event, _ in replies[index:]])
            raise
        except Exception as error:  # a lost notice, logged; the message above it is up to date
            log.warning("exception thread reply not posted (%s): %s", posted.ts, error)
