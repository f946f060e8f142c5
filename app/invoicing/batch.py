"""Many deals' invoices in ONE QuickBooks batch request, exactly once per deal, as a single create is.

The same three steps as service.py, for up to 30 deals at a time:
  1. one transaction counts an attempt for every deal (`begin_attempt`);
  2. without a transaction: each plan is prepared on its own (customer, items, term; a deal whose preparation
     fails gets its own outcome and never holds up the others); plans that may have reached QuickBooks before
     (any attempt after the first) are looked up first (DocNumber, or the key in the PrivateNote when QuickBooks
     numbers invoices) and the invoices found are adopted; the rest
     go out in one POST /batch (a lone one as a single create). A 6140 duplicate DocNumber means the invoice
     exists already: it is looked up and adopted;
  3. one transaction records every outcome (`record_created`, `record_failure`, or `release_attempt` when our
     own throttle kept the request from leaving).
A batch whose answer is lost is simply a failure of every deal in it: their next attempt is > 1, so it looks
them up before anything is sent again.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Protocol

from sqlalchemy import Engine

from app.clock import Clock
from app.db import session_scope
from app.errors import InvalidTransition, ThrottleFull, VendorUnavailable
from app.integrations.quickbooks_batch import BatchOutcome, InvoiceCreated, InvoiceFailed
from app.integrations.quickbooks_errors import DuplicateDocNumberError
from app.integrations.quickbooks_models import InvoiceDraft, QboInvoice
from app.invoicing import service as invoicing
from app.invoicing.service import InvoicePlan, PreparedInvoice, QuickBooksResult
from app.policy import Policy

Outcome = BaseException | None
"""Per deal: None when the deal has its invoice (made now, adopted, or made before), else why not."""
NewCustomerCheck = Callable[[str], None]
"""Raises when creating a QuickBooks customer with this name would duplicate a look-alike one."""


class BatchQuickBooks(invoicing.QuickBooks, Protocol):
    def find_invoices_by_doc_numbers(self, doc_numbers: Iterable[str]) -> dict[str, QboInvoice]: ...
    def create_invoices(self, batch: Sequence[tuple[str, InvoiceDraft]]) -> list[BatchOutcome]: ...


@dataclass(frozen=True)
class BatchContext:
    engine: Engine
    quickbooks: BatchQuickBooks
    policy: Policy
    clock: Clock
    realm_id: str
    check_new_customer: NewCustomerCheck


def create_invoices(ctx: BatchContext, deal_ids: Sequence[int]) -> list[Outcome]:
    """One outcome per deal id, in order. Raises only when recording the outcomes fails (then every deal is
    retried, and the look-up before the re-send adopts what this run created)."""
    plans, outcomes = _begin(ctx, deal_ids)
    txn_date = ctx.clock.now().astimezone(ctx.policy.zone).date()
    prepared, failed = _prepare_all(ctx, plans, txn_date)
    adopted, to_send, lookup_failed = _recover(ctx, prepared)
    sent, send_failed = _send(ctx, to_send)
    jobs = {plan.deal_id: plan.job_id for plan in plans}
    _record(ctx, created=adopted + sent, failed={**failed, **lookup_failed, **send_failed}, jobs=jobs)
    for result_plan, _ in adopted + sent:
        outcomes[result_plan.deal_id] = None
    for deal_id, error in {**failed, **lookup_failed, **send_failed}.items():
        outcomes[deal_id] = error
    return [outcomes[deal_id] for deal_id in deal_ids]


def _begin(ctx: BatchContext, deal_ids: Sequence[int]) -> tuple[list[InvoicePlan], dict[int, Outcome]]:
    plans: list[InvoicePlan] = []
    outcomes: dict[int, Outcome] = {}
    with session_scope(ctx.engine) as session:
        for deal_id in dict.fromkeys(deal_ids):
            try:
                plan = invoicing.begin_attempt(session, deal_id=deal_id, realm_id=ctx.realm_id, clock=ctx.clock)
            except InvalidTransition as error:      # the deal is gone: nothing was changed for it
                outcomes[deal_id] = error
                continue
            outcomes[deal_id] = None                # invoiced already, unless a plan says otherwise below
            if plan is not None:
                plans.append(plan)
    return plans, outcomes


def _prepare_all(ctx: BatchContext, plans: list[InvoicePlan],
                 txn_date: date) -> tuple[list[PreparedInvoice], dict[int, BaseException]]:
    prepared: list[PreparedInvoice] = []
    failed: dict[int, BaseException] = {}
    checked: dict[str, BaseException | None] = {}   # one look-alike check per new customer name in the batch
    for plan in plans:
        try:
            if plan.qbo_customer_id is None:
                _check_once(ctx, plan.account_name, checked)
            prepared.append(invoicing.prepare_invoice(plan, quickbooks=ctx.quickbooks, policy=ctx.policy,
                                                      txn_date=txn_date))
        except Exception as error:  # this deal's own outcome; the others go on
            failed[plan.deal_id] = error
    return prepared, failed


def _check_once(ctx: BatchContext, account_name: str, checked: dict[str, BaseException | None]) -> None:
    if account_name not in checked:
        try:
            ctx.check_new_customer(account_name)
            checked[account_name] = None
        except Exception as error:  # remembered for the batch's other deals of this account
            checked[account_name] = error
    refused = checked[account_name]
    if refused is not None:
        raise refused


Created = tuple[InvoicePlan, QuickBooksResult]


def _recover(ctx: BatchContext, prepared: list[PreparedInvoice]
             ) -> tuple[list[Created], list[PreparedInvoice], dict[int, BaseException]]:
    """Plans on a later attempt may have reached QuickBooks: adopt the invoices found by their DocNumbers (when we
    number invoices) or by the keys in their PrivateNotes among each customer's recent invoices."""
    retried = [item for item in prepared if item.plan.attempt > 1]
    if not retried:
        return [], prepared, {}
    try:
        found = _found_before(ctx, retried)
    except Exception as error:  # never re-send what we could not look up
        retried_ids = {item.plan.deal_id for item in retried}
        first_tries = [item for item in prepared if item.plan.deal_id not in retried_ids]
        return [], first_tries, {deal_id: error for deal_id in retried_ids}
    adopted = [(item.plan, _adopted(item, found[item.plan.deal_id])) for item in retried
               if item.plan.deal_id in found]
    return adopted, [item for item in prepared if item.plan.deal_id not in found], {}


def _found_before(ctx: BatchContext, retried: list[PreparedInvoice]) -> dict[int, QboInvoice]:
    """deal id -> the invoice an earlier attempt made; one query per 100 DocNumbers, or one per customer."""
    numbered = [item for item in retried if item.draft.doc_number]
    by_number = ctx.quickbooks.find_invoices_by_doc_numbers(item.draft.doc_number or "" for item in numbered)
    found = {item.plan.deal_id: by_number[item.draft.doc_number or ""] for item in numbered
             if item.draft.doc_number in by_number}
    recent: dict[str, list[QboInvoice]] = {}
    for item in retried:
        if not item.draft.doc_number:
            if item.customer_id not in recent:
                recent[item.customer_id] = ctx.quickbooks.recent_invoices_of(item.customer_id)
            invoice = invoicing.invoice_with_key(recent[item.customer_id], item.plan.idempotency_key)
            if invoice is not None:
                found[item.plan.deal_id] = invoice
    return found


def _send(ctx: BatchContext, to_send: list[PreparedInvoice]) -> tuple[list[Created], dict[int, BaseException]]:
    if not to_send:
        return [], {}
    if len(to_send) == 1:                           # a batch of one costs the same request as a single create
        return _send_one(ctx, to_send[0])
    try:
        outcomes = ctx.quickbooks.create_invoices([(item.plan.idempotency_key, item.draft) for item in to_send])
    except Exception as error:  # the whole request failed (throttled, lost, refused): every deal records it
        return [], {item.plan.deal_id: error for item in to_send}
    by_key = {item.plan.idempotency_key: item for item in to_send}
    created = [(by_key[o.key].plan, _made(by_key[o.key], o.invoice)) for o in outcomes if isinstance(o, InvoiceCreated)]
    failed = [o for o in outcomes if isinstance(o, InvoiceFailed)]
    duplicates = [by_key[o.key] for o in failed if isinstance(o.error, DuplicateDocNumberError)]
    errors: dict[int, BaseException] = {by_key[o.key].plan.deal_id: o.error for o in failed
                                        if not isinstance(o.error, DuplicateDocNumberError)}
    adopted, duplicate_errors = _adopt_duplicates(ctx, duplicates)
    return created + adopted, {**errors, **duplicate_errors}


def _send_one(ctx: BatchContext, item: PreparedInvoice) -> tuple[list[Created], dict[int, BaseException]]:
    try:
        invoice = ctx.quickbooks.create_invoice(item.draft, request_id=item.plan.idempotency_key)
    except DuplicateDocNumberError:
        return _adopt_duplicates(ctx, [item])
    except Exception as error:  # recorded on the deal; the worker retries or opens an exception
        return [], {item.plan.deal_id: error}
    return [(item.plan, _made(item, invoice))], {}


def _adopt_duplicates(ctx: BatchContext, items: list[PreparedInvoice]
                      ) -> tuple[list[Created], dict[int, BaseException]]:
    """6140: QuickBooks has an invoice with this DocNumber already (ours, from a run whose answer we lost)."""
    if not items:
        return [], {}
    try:
        found = ctx.quickbooks.find_invoices_by_doc_numbers(item.draft.doc_number or "" for item in items)
    except Exception as error:  # retried later; the look-up comes first then
        return [], {item.plan.deal_id: error for item in items}
    adopted = [(item.plan, _adopted(item, found[item.draft.doc_number or ""])) for item in items
               if item.draft.doc_number in found]
    missing: dict[int, BaseException] = {item.plan.deal_id: VendorUnavailable(
        f"QuickBooks said DocNumber {item.draft.doc_number} is taken but no invoice carries it", vendor="quickbooks")
        for item in items if item.draft.doc_number not in found}
    return adopted, missing


def _made(item: PreparedInvoice, invoice: QboInvoice) -> QuickBooksResult:
    return QuickBooksResult(invoice=invoice, customer_id=item.customer_id, adopted=False,
                            customer_currency=item.customer_currency)


def _adopted(item: PreparedInvoice, invoice: QboInvoice) -> QuickBooksResult:
    return QuickBooksResult(invoice=invoice, customer_id=item.customer_id, adopted=True,
                            customer_currency=item.customer_currency)


def _record(ctx: BatchContext, *, created: list[Created], failed: dict[int, BaseException],
            jobs: dict[int, int]) -> None:
    if not created and not failed:
        return
    with session_scope(ctx.engine) as session:
        invoicing.link_new_customers(session, [(plan.deal_id, result.customer_id) for plan, result in created])
        for plan, result in created:
            invoicing.record_created(session, plan=plan, result=result, clock=ctx.clock)
        for deal_id, error in failed.items():
            if isinstance(error, ThrottleFull):     # never left this process: the next attempt needs no look-up
                invoicing.release_attempt(session, job_id=jobs[deal_id], clock=ctx.clock)
            invoicing.record_failure(session, job_id=jobs[deal_id], error=str(error), final=False, clock=ctx.clock)
