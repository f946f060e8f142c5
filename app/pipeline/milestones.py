"""A deal with a billing schedule: one invoice per approved or delivered milestone, each exactly once."""
from __future__ import annotations

from datetime import timedelta

from sqlmodel import Session

from app.db import require, session_scope
from app.deals.models import Deal
from app.deals.service import account_of, deal_facts
from app.integrations.salesforce_models import MilestoneFields
from app.invoicing import milestones as billing
from app.invoicing import service as invoicing
from app.invoicing.mapping import idempotency_key_for
from app.policy import MilestonePolicy
from app.runtime import Runtime
from app.work_queue.kinds import WorkKind
from app.work_queue.service import enqueue

RECHECK = timedelta(hours=1)
"""How often a deal whose schedule has milestones not yet due is read again."""


def invoice_milestones(rt: Runtime, *, deal_id: int) -> bool:
    """False when the policy has no milestones or the deal has no schedule (it is invoiced whole). Otherwise each
    due milestone not yet invoiced gets its invoice (the first failure raises after it is recorded: the worker
    retries, and the look-up before a re-send keeps it once); milestones not yet due are read again later."""
    policy = rt.policy.milestones
    if policy is None:
        return False
    with session_scope(rt.engine) as session:
        deal = require(session, Deal, deal_id)
        sf_id, amount = deal.sf_id, deal.amount
    schedule = rt.salesforce.billing_milestones(sf_id, fields=_fields(policy))
    if not schedule:
        return False
    due = billing.due_milestones(schedule, deal_amount=amount, policy=policy)
    for milestone in due:
        _invoice_one(rt, deal_id, milestone, policy)
    with session_scope(rt.engine) as session:
        done = {row.milestone_sf_id for row in billing.invoiced_milestones(session, deal_id=deal_id)
                if row.status == "created"}
        complete = done >= {milestone.id for milestone in schedule}
        billing.mark_deal(session, deal_id=deal_id, all_invoiced=complete, clock=rt.clock)
        if not complete:
            enqueue(session, kind=WorkKind.CREATE_INVOICE, payload={"deal_id": deal_id}, delay=RECHECK,
                    dedupe_key=f"create_invoice:{deal_id}:milestones:{len(done)}:{rt.clock.now():%Y%m%d%H}",
                    clock=rt.clock)
    return True


def _invoice_one(rt: Runtime, deal_id: int, milestone: billing.DueMilestone, policy: MilestonePolicy) -> None:
    with session_scope(rt.engine) as session:
        row = billing.begin(session, deal_id=deal_id, due=milestone, realm_id=rt.settings.qbo_realm_id or "",
                            clock=rt.clock)
        if row is None:
            return
        plan = _plan(session, rt, deal_id)
        row_id = billing.persisted(row)
        session.expunge(row)
    try:
        result = billing.create_in_quickbooks(plan, row, quickbooks=rt.quickbooks, policy=rt.policy,
                                              milestones=policy,
                                              txn_date=rt.clock.now().astimezone(rt.policy.zone).date())
    except Exception as error:
        with session_scope(rt.engine) as session:
            billing.record_failure(session, row_id=row_id, error=str(error), clock=rt.clock)
        raise
    with session_scope(rt.engine) as session:
        billing.record_created(session, row_id=row_id, result=result, clock=rt.clock)


def _plan(session: Session, rt: Runtime, deal_id: int) -> invoicing.InvoicePlan:
    deal = require(session, Deal, deal_id)
    account = account_of(session, deal)
    return invoicing.InvoicePlan(
        job_id=0, deal_id=deal_id, attempt=1, idempotency_key=idempotency_key_for(deal.sf_id),
        facts=deal_facts(session, deal), account_name=account.name if account else deal.name,
        qbo_customer_id=account.qbo_customer_id if account else None,
        billing_address=invoicing.address_of(account) if account else invoicing.QboAddress(),
        realm_id=rt.settings.qbo_realm_id or "", qbo_currency=account.qbo_currency if account else None)


def _fields(policy: MilestonePolicy) -> MilestoneFields:
    return MilestoneFields(object=policy.object, parent=policy.parent_field, amount=policy.amount_field,
                           percent=policy.percent_field, status=policy.status_field)
