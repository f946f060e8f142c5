"""What each kind of queued work does. Vendor calls happen between short transactions."""
from __future__ import annotations

import functools
from typing import Any

from sqlmodel import Session, col, select

from app.approvals.models import ApprovalRequest, ApprovalStatus
from app.approvals.roles import role_label
from app.db import session_scope
from app.deals.models import Deal
from app.deals.service import account_of
from app.intake.service import read_opportunities
from app.invoicing import service as invoicing
from app.jobs.worker import Handler
from app.pipeline.follow_ups import WorkKind
from app.runtime import Runtime
from app.slack.blocks.approval import approval_request_blocks, approval_request_text, approval_superseded_blocks
from app.slack.blocks.invoice import invoice_created_blocks, invoice_created_text
from app.slack.presenters import approval_card, invoice_confirmation
from app.work_queue.service import enqueue

Payload = dict[str, Any]


def build_handlers(runtime: Runtime) -> dict[str, Handler]:
    table = {
        WorkKind.READ_OPPORTUNITIES: read_opportunity_ids,
        WorkKind.POST_APPROVAL_REQUEST: post_approval_request,
        WorkKind.WITHDRAW_APPROVAL_MESSAGE: withdraw_approval_message,
        WorkKind.CREATE_INVOICE: create_invoice,
        WorkKind.WRITE_BACK_INVOICE: write_back_invoice,
        WorkKind.ANNOUNCE_INVOICE: announce_invoice,
    }
    return {kind.value: functools.partial(handler, runtime) for kind, handler in table.items()}


def read_opportunity_ids(rt: Runtime, payload: Payload) -> None:
    read_opportunities(engine=rt.engine, source=rt.salesforce, customers=rt.quickbooks, ids=payload["ids"], policy=rt.policy, clock=rt.clock)


def post_approval_request(rt: Runtime, payload: Payload) -> None:
    with session_scope(rt.engine) as session:
        request = session.get(ApprovalRequest, payload["request_id"])
        if request is None or request.slack_ts or request.status != ApprovalStatus.PENDING:
            return
        email = request.requester_email
    requester = rt.slack.lookup_user_by_email(email) if email else None
    with session_scope(rt.engine) as session:      # store the requester before anyone can click
        request = session.get(ApprovalRequest, payload["request_id"])
        request.requester_slack_id = requester.id if requester else None
        deal = session.get(Deal, request.deal_id)
        card = approval_card(request, deal, account_of(session, deal), instance_url=_instance_url(rt),
                             role_label=role_label(rt.policy, request.role))
    posted = rt.slack.post_message(rt.policy.channels.approvals, text=approval_request_text(card),
                                   blocks=approval_request_blocks(card))
    with session_scope(rt.engine) as session:
        request = session.get(ApprovalRequest, payload["request_id"])
        request.slack_channel, request.slack_ts = posted.channel, posted.ts
        session.add(request)


def withdraw_approval_message(rt: Runtime, payload: Payload) -> None:
    with session_scope(rt.engine) as session:
        request = session.get(ApprovalRequest, payload["request_id"])
        if request is None or not request.slack_ts:
            return
        deal = session.get(Deal, request.deal_id)
        card = approval_card(request, deal, account_of(session, deal), instance_url=_instance_url(rt))
    reason = "The deal's terms changed after this request; a new request replaces it."
    rt.slack.update_message(request.slack_channel, request.slack_ts, text=f"Superseded: {card.deal_name}",
                            blocks=approval_superseded_blocks(card, reason))


def create_invoice(rt: Runtime, payload: Payload) -> None:
    deal_id = payload["deal_id"]
    with session_scope(rt.engine) as session:
        plan = invoicing.begin_attempt(session, deal_id=deal_id, realm_id=rt.settings.qbo_realm_id or "",
                                       clock=rt.clock)
    if plan is not None:
        try:
            result = invoicing.create_in_quickbooks(plan, quickbooks=rt.quickbooks, policy=rt.policy,
                                                    txn_date=rt.clock.now().astimezone(rt.policy.zone).date())
        except Exception as error:
            with session_scope(rt.engine) as session:
                invoicing.record_failure(session, job_id=plan.job_id, error=str(error), final=False, clock=rt.clock)
            raise
        with session_scope(rt.engine) as session:
            invoicing.record_created(session, plan=plan, result=result, clock=rt.clock)
    with session_scope(rt.engine) as session:
        for kind in (WorkKind.WRITE_BACK_INVOICE, WorkKind.ANNOUNCE_INVOICE):
            enqueue(session, kind=kind, payload={"deal_id": deal_id}, dedupe_key=f"{kind}:{deal_id}", clock=rt.clock)
    rt.wake_worker()


def write_back_invoice(rt: Runtime, payload: Payload) -> None:
    """Only the status fields flow back to Salesforce: invoice id, number, status, balance."""
    with session_scope(rt.engine) as session:
        job = invoicing.job_for(session, deal_id=payload["deal_id"])
        deal = session.get(Deal, payload["deal_id"])
        if job is None or job.writeback_done or job.qbo_invoice_id is None:
            return
    rt.salesforce.write_invoice_status(deal.sf_id, invoice_id=job.qbo_invoice_id, invoice_number=job.doc_number,
                                       status=job.qbo_status, balance=job.balance)
    with session_scope(rt.engine) as session:
        invoicing.mark_written_back(session, job_id=job.id, clock=rt.clock)


def announce_invoice(rt: Runtime, payload: Payload) -> None:
    """Confirm in the thread of the deal's approval request, or in the approvals channel without one."""
    with session_scope(rt.engine) as session:
        job = invoicing.job_for(session, deal_id=payload["deal_id"])
        deal = session.get(Deal, payload["deal_id"])
        confirmation = invoice_confirmation(job, account_of(session, deal), qbo_app_url=None)
        thread = _approval_thread(session, deal.id)
    channel, thread_ts = thread or (rt.policy.channels.approvals, None)
    rt.slack.post_message(channel, text=invoice_created_text(confirmation),
                          blocks=invoice_created_blocks(confirmation), thread_ts=thread_ts)


def _approval_thread(session: Session, deal_id: int) -> tuple[str, str] | None:
    statement = (select(ApprovalRequest).where(ApprovalRequest.deal_id == deal_id,
                                               col(ApprovalRequest.slack_ts).is_not(None))
                 .order_by(col(ApprovalRequest.id).desc()))
    request = session.exec(statement).first()
    return (request.slack_channel, request.slack_ts) if request else None


def _instance_url(rt: Runtime) -> str | None:
    return str(rt.settings.salesforce_instance_url) if rt.settings.salesforce_instance_url else None
