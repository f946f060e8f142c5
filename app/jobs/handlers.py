"""What each kind of queued work does. Vendor calls happen between short transactions."""
from __future__ import annotations

import functools
import logging
from typing import Any

from sqlmodel import Session, col, select

from app.approvals.models import ApprovalRequest, ApprovalStatus
from app.approvals.service import decision_for
from app.db import Transactions, require, session_scope
from app.deals.models import Deal
from app.deals.service import account_of
from app.errors import NotFound, ThrottleFull
from app.exception_queue import service as exceptions
from app.exception_queue.classify import classify_failure
from app.exception_queue.customers import check_new_customer
from app.exception_queue.rules import work_key
from app.intake.service import read_opportunities
from app.integrations.quickbooks_batch import MAX_BATCH_OPERATIONS
from app.invoicing import batch as batch_invoicing
from app.invoicing import service as invoicing
from app.jobs.corrections import announce_correction, create_correction
from app.jobs.digest import refresh_message
from app.jobs.sla_pings import give_up, send_sla_ping
from app.jobs.worker import BatchHandler, Handler, stored_id
from app.pipeline import activation
from app.pipeline.milestones import invoice_milestones
from app.pipeline.owner_notices import queue_notice_refresh
from app.pipeline.shadow import simulate_invoice
from app.pipeline.summaries import summarize_decision, summarize_request
from app.policy import RolloutMode
from app.runtime import Runtime
from app.slack.blocks.approval import approval_message, approval_request_blocks, approval_request_text
from app.slack.blocks.invoice import invoice_created_blocks, invoice_created_text
from app.slack.presenters import approval_card, decided_outcome, invoice_confirmation
from app.work_queue.kinds import WorkKind
from app.work_queue.models import WorkItem
from app.work_queue.service import enqueue

log = logging.getLogger(__name__)
Payload = dict[str, Any]
TICK_PREFIX = "tick_"
LOGGED_ONLY = frozenset({WorkKind.REFRESH_EXCEPTION_MESSAGE, WorkKind.FLUSH_EXCEPTION_FEED,
                         WorkKind.REFRESH_EXCEPTION_THREAD, WorkKind.SHOW_OWNER_NOTICE, WorkKind.DM_INVOICE_TO_OWNER,
                         WorkKind.RETRY_READ_DEAL, WorkKind.RETRY_QUICKBOOKS_STEP, WorkKind.RETRY_SALESFORCE_STEP,
                         WorkKind.RETRY_SLACK_STEP, WorkKind.PING_APPROVAL_LEVEL})
"""Slack messages about something already tracked (an exception, a deal's state), and a Retry on one (its step's
own failure is the retry's outcome): a final failure is logged, never opened as one more exception."""


def build_handlers(runtime: Runtime) -> dict[str, Handler]:
    table = {
        WorkKind.READ_OPPORTUNITIES: read_opportunity_ids,
        WorkKind.POST_APPROVAL_REQUEST: post_approval_request,
        WorkKind.WITHDRAW_APPROVAL_MESSAGE: redraw_approval_message,
        WorkKind.REDRAW_APPROVAL_MESSAGE: redraw_approval_message,
        WorkKind.CREATE_INVOICE: create_invoice,
        WorkKind.WRITE_BACK_INVOICE: write_back_invoice,
        WorkKind.ANNOUNCE_INVOICE: announce_invoice,
        WorkKind.REFRESH_EXCEPTION_MESSAGE: refresh_exception_message,
        WorkKind.SEND_SLA_PING: send_sla_ping,
        WorkKind.CREATE_CORRECTION: create_correction,
        WorkKind.PREPARE_ACTIVATION: prepare_activation,
        WorkKind.ACTIVATE_CUSTOMER: activate_customer,
        WorkKind.ANNOUNCE_CORRECTION: announce_correction,
    }
    return {kind.value: functools.partial(handler, runtime) for kind, handler in table.items()}


def build_batch_handlers(runtime: Runtime) -> dict[str, BatchHandler]:
    """Kinds whose backlog the worker runs together (one vendor request for many items)."""
    return {WorkKind.CREATE_INVOICE.value: BatchHandler(MAX_BATCH_OPERATIONS,
                                                        functools.partial(create_invoices, runtime))}


def read_opportunity_ids(rt: Runtime, payload: Payload) -> None:
    read_opportunities(transactions=Transactions(rt.engine), source=rt.salesforce, customers=rt.quickbooks,
                       ids=payload["ids"], policy=rt.policy, clock=rt.clock)


def post_approval_request(rt: Runtime, payload: Payload) -> None:
    with session_scope(rt.engine) as session:
        request = session.get(ApprovalRequest, payload["request_id"])
        if request is None or request.slack_ts or request.status != ApprovalStatus.PENDING:
            return
        if activation.needs_preparing(session, request):      # QuickBooks' look-alikes first, in its own lane
            enqueue(session, kind=WorkKind.PREPARE_ACTIVATION, payload={"request_id": request.id},
                    dedupe_key=f"prepare_activation:{request.id}", clock=rt.clock)
            rt.wake_worker()
            return
        email, submitter_email = request.requester_email, request.submitter_email
    requester = rt.slack.lookup_user_by_email(email) if email else None
    submitter = rt.slack.lookup_user_by_email(submitter_email) if submitter_email else None
    with session_scope(rt.engine) as session:      # store the requester before anyone can click
        request = require(session, ApprovalRequest, payload["request_id"])
        if requester is not None or email:          # a correction's proposer came from Slack: keep them
            request.requester_slack_id = requester.id if requester else None
        request.submitter_slack_id = submitter.id if submitter else None
        card = approval_card(summarize_request(session, request, policy=rt.policy),
                             instance_url=rt.settings.salesforce_base_url)
    posted = rt.slack.post_message(rt.policy.channels.approvals, text=approval_request_text(card),
                                   blocks=approval_request_blocks(card))
    with session_scope(rt.engine) as session:
        request = require(session, ApprovalRequest, payload["request_id"])
        request.slack_channel, request.slack_ts = posted.channel, posted.ts
        session.add(request)


def prepare_activation(rt: Runtime, payload: Payload) -> None:
    activation.prepare(rt, request_id=payload["request_id"])


def activate_customer(rt: Runtime, payload: Payload) -> None:
    activation.activate_customer(rt, activation_id=payload["activation_id"])


def redraw_approval_message(rt: Runtime, payload: Payload) -> None:
    """Render the request as it stands now: pending (buttons), decided (outcome), or superseded."""
    with session_scope(rt.engine) as session:
        request = session.get(ApprovalRequest, payload["request_id"])
        if request is None or not (request.slack_channel and request.slack_ts):
            return
        channel, ts = request.slack_channel, request.slack_ts
        card = approval_card(summarize_request(session, request, policy=rt.policy),
                             instance_url=rt.settings.salesforce_base_url)
        decided = decision_for(session, request_id=request.id)
        text, blocks = approval_message(card, status=request.status,
                                        outcome=decided_outcome(summarize_decision(decided)) if decided else None,
                                        expire_after_hours=rt.policy.approval_controls.expire_after_hours,
                                        why=request.superseded_why)
    rt.slack.update_message(channel, ts, text=text, blocks=blocks)


def create_invoice(rt: Runtime, payload: Payload) -> None:
    deal_id = payload["deal_id"]
    if rt.policy.mode == RolloutMode.SHADOW:        # record what would be created; nothing is sent
        simulate_invoice(rt, deal_id=deal_id)
        return
    if payload.get("shadow"):                       # queued in shadow mode: going live decides afresh
        return
    if invoice_milestones(rt, deal_id=deal_id):      # a billing schedule: one invoice per due milestone
        return
    with session_scope(rt.engine) as session:
        plan = invoicing.begin_attempt(session, deal_id=deal_id, realm_id=rt.settings.qbo_realm_id or "",
                                       clock=rt.clock)
    if plan is not None:
        try:
            if plan.qbo_customer_id is None:        # a new customer: refuse to create a look-alike duplicate
                check_new_customer(plan.account_name, quickbooks=rt.quickbooks)
            result = invoicing.create_in_quickbooks(plan, quickbooks=rt.quickbooks, policy=rt.policy,
                                                    txn_date=rt.clock.now().astimezone(rt.policy.zone).date())
        except Exception as error:
            with session_scope(rt.engine) as session:
                if isinstance(error, ThrottleFull):  # our throttle kept the create here: QuickBooks saw nothing
                    invoicing.release_attempt(session, job_id=plan.job_id, clock=rt.clock)
                invoicing.record_failure(session, job_id=plan.job_id, error=str(error), final=False, clock=rt.clock)
            raise
        with session_scope(rt.engine) as session:
            invoicing.record_created(session, plan=plan, result=result, clock=rt.clock)
    _queue_invoice_follow_ups(rt, [deal_id])


def create_invoices(rt: Runtime, payloads: list[Payload]) -> list[BaseException | None]:
    """A backlog of CREATE_INVOICE items: one QuickBooks batch request (a lone item takes the single path)."""
    if (len(payloads) == 1 or rt.policy.mode == RolloutMode.SHADOW or rt.policy.milestones is not None
            or any(p.get("shadow") for p in payloads)):
        return [_one(rt, payload) for payload in payloads]
    context = batch_invoicing.BatchContext(
        engine=rt.engine, quickbooks=rt.quickbooks, policy=rt.policy, clock=rt.clock,
        realm_id=rt.settings.qbo_realm_id or "",
        check_new_customer=functools.partial(check_new_customer, quickbooks=rt.quickbooks))
    deal_ids = [payload["deal_id"] for payload in payloads]
    outcomes = batch_invoicing.create_invoices(context, deal_ids)
    _queue_invoice_follow_ups(rt, [deal_id for deal_id, outcome in zip(deal_ids, outcomes, strict=True)
                                   if outcome is None])
    return outcomes


def _one(rt: Runtime, payload: Payload) -> BaseException | None:
    try:
        create_invoice(rt, payload)
    except Exception as error:  # the worker records it on the item, as for a single handler
        return error
    return None


def _queue_invoice_follow_ups(rt: Runtime, deal_ids: list[int]) -> None:
    """Salesforce write-back, the Slack confirmation and the owner's DM, once per invoiced deal (dedupe keys); the
    owner's pre-flight message, if any, is re-rendered (it now says invoiced)."""
    if not deal_ids:
        return
    with session_scope(rt.engine) as session:
        for deal_id in deal_ids:
            for kind in (WorkKind.WRITE_BACK_INVOICE, WorkKind.ANNOUNCE_INVOICE, WorkKind.DM_INVOICE_TO_OWNER):
                enqueue(session, kind=kind, payload={"deal_id": deal_id}, dedupe_key=f"{kind}:{deal_id}",
                        clock=rt.clock)
            queue_notice_refresh(session, deal_id=deal_id, clock=rt.clock)
    rt.wake_worker()


def write_back_invoice(rt: Runtime, payload: Payload) -> None:
    """Only the status fields flow back to Salesforce: invoice id, number, status, balance."""
    with session_scope(rt.engine) as session:
        job = invoicing.job_for(session, deal_id=payload["deal_id"])
        deal = require(session, Deal, payload["deal_id"])
        if job is None or job.id is None or job.writeback_done or job.qbo_invoice_id is None:
            return
    rt.salesforce.write_invoice_status(deal.sf_id, invoice_id=job.qbo_invoice_id, invoice_number=job.doc_number,
                                       status=job.qbo_status, balance=job.balance)
    with session_scope(rt.engine) as session:
        invoicing.mark_written_back(session, job_id=job.id, clock=rt.clock)


def announce_invoice(rt: Runtime, payload: Payload) -> None:
    """Confirm in the thread of the deal's approval request, or in the approvals channel without one."""
    with session_scope(rt.engine) as session:
        deal = require(session, Deal, payload["deal_id"])
        job = invoicing.job_for(session, deal_id=payload["deal_id"])
        if job is None:
            raise NotFound(f"deal {payload['deal_id']} has no invoice to announce")
        confirmation = invoice_confirmation(job, account_of(session, deal), qbo_app_url=rt.settings.quickbooks_app_url)
        thread = _approval_thread(session, payload["deal_id"])
    channel, thread_ts = thread or (rt.policy.channels.approvals, None)
    rt.slack.post_message(channel, text=invoice_created_text(confirmation),
                          blocks=invoice_created_blocks(confirmation), thread_ts=thread_ts)


def _approval_thread(session: Session, deal_id: int) -> tuple[str, str] | None:
    statement = (select(ApprovalRequest).where(ApprovalRequest.deal_id == deal_id,
                                               col(ApprovalRequest.slack_ts).is_not(None))
                 .order_by(col(ApprovalRequest.id).desc()))
    request = session.exec(statement).first()
    if request is None or not (request.slack_channel and request.slack_ts):
        return None
    return request.slack_channel, request.slack_ts


# ---- exceptions: work that failed for good, and work that now succeeds -------------------------------

def refresh_exception_message(rt: Runtime, payload: Payload) -> None:
    """An exception closed: the digest that shows it is re-rendered so the item offers no live controls."""
    refresh_message(rt, channel=payload["channel"], ts=payload["ts"])


def record_final_failure(rt: Runtime, item: WorkItem, error: BaseException) -> None:
    """The worker's on_final_failure hook: the step becomes one exception (mapping, duplicate or vendor error).
    A message refresh that failed for good is only logged: the item it shows is closed already."""
    if item.kind in LOGGED_ONLY:
        log.warning("%s failed for good (%s): %s", item.kind, item.payload, error)
        return
    if item.kind == WorkKind.SEND_SLA_PING:
        give_up(rt, item.payload, error)
        return
    if item.kind.startswith(TICK_PREFIX):       # the next tick runs the job again; one log line per failure
        log.error("scheduled job %s failed: %s", item.payload.get("job", item.kind), error)
        return
    classified = classify_failure(error, step=item.kind)
    with session_scope(rt.engine) as session:
        deal = _deal_of(session, item)
        new = exceptions.NewException(
            kind=classified.kind, dedupe_key=work_key(item.kind, _subject(item, deal)), reason=classified.reason,
            fix=classified.fix, code=classified.code, deal_id=deal.id if deal else None,
            account_id=deal.account_id if deal else None, work_item_id=item.id)
        exceptions.open_exception(session, new=new, policy=rt.policy, clock=rt.clock)


def resolve_after_success(rt: Runtime, item: WorkItem) -> None:
    """The worker's on_success hook: a step that failed for good and now succeeded closes its exception."""
    with session_scope(rt.engine) as session:
        exceptions.resolve_for_work(session, work_item_id=stored_id(item), clock=rt.clock,
                                    note=f"{item.kind.replace('_', ' ').capitalize()} succeeded on a later run")


def _deal_of(session: Session, item: WorkItem) -> Deal | None:
    payload = item.payload or {}
    if "deal_id" in payload:
        return session.get(Deal, payload["deal_id"])
    request = session.get(ApprovalRequest, payload["request_id"]) if "request_id" in payload else None
    return session.get(Deal, request.deal_id) if request else None


def _subject(item: WorkItem, deal: Deal | None) -> str:
    return f"deal:{deal.id}" if deal else f"work:{item.id}"
