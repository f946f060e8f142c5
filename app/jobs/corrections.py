"""Queued correction work: make an approved correction in QuickBooks exactly once, then write the invoice's new
status back to Salesforce and tell the approval thread, the proposer and the deal owner (one post per item)."""
from __future__ import annotations

from typing import Any

from sqlmodel import Session

from app.approvals.models import ApprovalRequest
from app.approvals.service import decision_for
from app.db import require, session_scope
from app.deals.models import Deal
from app.errors import IntegrationError
from app.invoicing import corrections
from app.invoicing.correction_done import record_done
from app.invoicing.correction_models import Correction, CorrectionKind
from app.invoicing.correction_qbo import make_correction
from app.invoicing.models import InvoiceJob
from app.runtime import Runtime
from app.slack.blocks.correction import CorrectionNews, correction_blocks, correction_text
from app.work_queue.kinds import WorkKind
from app.work_queue.service import enqueue

Payload = dict[str, Any]
AUDIENCES = ("thread", "proposer", "owner")
KIND_LABELS = {CorrectionKind.CREDIT_MEMO: "Credit memo", CorrectionKind.WRITE_OFF: "Write-off",
               CorrectionKind.REBILL: "Credit memo and corrected invoice"}


def create_correction(rt: Runtime, payload: Payload) -> None:
    with session_scope(rt.engine) as session:
        plan = corrections.begin_attempt(session, correction_id=payload["correction_id"], clock=rt.clock)
    if plan is None:
        return
    try:
        outcome = make_correction(plan, quickbooks=rt.quickbooks, policy=rt.policy,
                                  txn_date=rt.clock.now().astimezone(rt.policy.zone).date())
    except Exception as error:
        final = not (isinstance(error, IntegrationError) and error.retryable)
        with session_scope(rt.engine) as session:
            corrections.record_failure(session, correction_id=plan.correction_id, error=str(error), final=final,
                                       clock=rt.clock)
        raise
    with session_scope(rt.engine) as session:
        record_done(session, plan=plan, outcome=outcome, clock=rt.clock)
        enqueue(session, kind=WorkKind.WRITE_BACK_INVOICE, payload={"deal_id": plan.deal_id}, clock=rt.clock,
                dedupe_key=f"{WorkKind.WRITE_BACK_INVOICE}:{plan.deal_id}:correction:{plan.correction_id}")
        _queue_announcements(session, plan.correction_id, plan.deal_id, rt)
    rt.wake_worker()


def announce_correction(rt: Runtime, payload: Payload) -> None:
    """Without an audience: queue one post per audience (so a retry repeats one post, never all)."""
    audience = payload.get("to")
    if audience is None:
        with session_scope(rt.engine) as session:
            _queue_announcements(session, payload["correction_id"], payload.get("deal_id"), rt)
        rt.wake_worker()
        return
    with session_scope(rt.engine) as session:
        news, where = _news(session, payload["correction_id"], audience, rt)
    if where is None:
        return
    channel, thread_ts = where
    if thread_ts is None and channel.startswith(("U", "W")):
        channel = rt.slack.open_dm(channel)
    rt.slack.post_message(channel, text=correction_text(news), blocks=correction_blocks(news), thread_ts=thread_ts)


def _queue_announcements(session: Session, correction_id: int, deal_id: int | None, rt: Runtime) -> None:
    for audience in AUDIENCES:
        enqueue(session, kind=WorkKind.ANNOUNCE_CORRECTION, clock=rt.clock,
                payload={"correction_id": correction_id, "deal_id": deal_id, "to": audience},
                dedupe_key=f"{WorkKind.ANNOUNCE_CORRECTION}:{correction_id}:{audience}")


def _news(session: Session, correction_id: int, audience: str,
          rt: Runtime) -> tuple[CorrectionNews, tuple[str, str | None] | None]:
    correction = require(session, Correction, correction_id)
    deal = require(session, Deal, correction.deal_id)
    job = require(session, InvoiceJob, correction.invoice_job_id)
    request = session.get(ApprovalRequest, correction.approval_request_id) if correction.approval_request_id else None
    decided = decision_for(session, request_id=request.id) if request is not None else None
    news = CorrectionNews(
        deal_name=deal.name, kind_label=KIND_LABELS.get(CorrectionKind(correction.kind), correction.kind),
        status=correction.status, amount=correction.amount, currency=correction.currency,
        invoice_number=correction.invoice_doc_number or correction.invoice_id,
        credit_memo_number=correction.doc_number if correction.qbo_credit_memo_id else None,
        credit_total=correction.credit_total, invoice_balance=job.balance, rebill_number=correction.rebill_doc_number,
        decided_by=(decided.slack_user_name or decided.slack_user_id) if decided else None,
        comment=decided.comment if decided else None)
    return news, _where(audience, correction, deal, request, rt)


def _where(audience: str, correction: Correction, deal: Deal, request: ApprovalRequest | None,
           rt: Runtime) -> tuple[str, str | None] | None:
    if audience == "thread":
        if request is not None and request.slack_channel and request.slack_ts:
            return request.slack_channel, request.slack_ts
        return rt.policy.channels.approvals, None
    if audience == "proposer":
        return (correction.proposer_slack_id, None) if correction.proposer_slack_id else None
    owner = rt.slack.lookup_user_by_email(deal.owner_email) if deal.owner_email else None
    if owner is None or owner.id == correction.proposer_slack_id:
        return None
    return owner.id, None
