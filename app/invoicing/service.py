"""Invoice creation, exactly once per deal.

Three steps with a vendor call between two short transactions:
  1. `begin_attempt` (transaction): get or create the deal's InvoiceJob, count the attempt.
  2. `create_in_quickbooks` (no transaction): customer (stored mapping, then exact DisplayName, else
     create), items and term by the policy, then the invoice with the job's idempotency key as
     `requestid`. On any attempt after the first it looks the invoice up first (by DocNumber when we number
     invoices, else by the key in its PrivateNote), so a crash between QuickBooks' answer and our commit adopts
     the invoice QuickBooks already has.
  3. `record_created` (transaction): store id, number, amounts; the deal is invoiced.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Protocol

from sqlmodel import Session, select

from app.audit.service import Links, record_event
from app.clock import Clock
from app.db import persisted_id, require
from app.deals.facts import DealFacts
from app.deals.models import Account, Deal, DealStatus
from app.deals.service import account_of, deal_facts
from app.errors import InvalidTransition
from app.integrations.quickbooks_models import (
    InvoiceDraft,
    QboAddress,
    QboCustomer,
    QboCustomerDraft,
    QboInvoice,
    QboItem,
    QboTerm,
)
from app.invoicing.mapping import (
    SaleExtras,
    carries_key,
    customer_request_id_for,
    idempotency_key_for,
    invoice_draft,
    item_names,
    term_name,
    uses_custom_doc_numbers,
)
from app.invoicing.models import InvoiceJob, InvoiceJobStatus
from app.invoicing.taxes import (
    MappingFailed,
    billing_address,
    check_customer_currency,
    check_customer_taxability,
    customer_draft,
    foreign_currency,
    sale_tax,
    shipping_address,
)
from app.policy import Policy


class QuickBooks(Protocol):
    def find_or_create_customer(self, display_name: str, *, request_id: str, email: str | None = None,
                                company_name: str | None = None, billing_address: QboAddress | None = None,
                                draft: QboCustomerDraft | None = None) -> QboCustomer: ...
    def get_customer(self, customer_id: str) -> QboCustomer: ...
    def find_item_by_name(self, name: str) -> QboItem | None: ...
    def find_term_by_name(self, name: str) -> QboTerm | None: ...
    def find_tax_code_by_name(self, name: str) -> str | None: ...
    def find_invoice_by_doc_number(self, doc_number: str) -> QboInvoice | None: ...
    def recent_invoices_of(self, customer_id: str, *, limit: int = ...) -> list[QboInvoice]: ...
    def create_invoice(self, draft: InvoiceDraft, *, request_id: str) -> QboInvoice: ...


@dataclass(frozen=True)
class InvoicePlan:
    job_id: int
    deal_id: int
    attempt: int
    idempotency_key: str
    facts: DealFacts
    account_name: str
    qbo_customer_id: str | None
    billing_address: QboAddress
    realm_id: str = ""
    qbo_currency: str | None = None


@dataclass(frozen=True)
class QuickBooksResult:
    invoice: QboInvoice
    customer_id: str
    adopted: bool
    customer_currency: str | None = None


@dataclass(frozen=True)
class PreparedInvoice:
    plan: InvoicePlan
    draft: InvoiceDraft
    customer_id: str
    customer_currency: str | None = None


def job_for(session: Session, *, deal_id: int) -> InvoiceJob | None:
    return session.exec(select(InvoiceJob).where(InvoiceJob.deal_id == deal_id)).first()


def begin_attempt(session: Session, *, deal_id: int, realm_id: str, clock: Clock) -> InvoicePlan | None:
    """Count one attempt; None when the deal already has its invoice (nothing to do)."""
    deal = session.get(Deal, deal_id)
    if deal is None:
        raise InvalidTransition(f"Deal {deal_id} does not exist")
    job = job_for(session, deal_id=deal_id) or _new_job(session, deal, realm_id=realm_id, clock=clock)
    if job.status == InvoiceJobStatus.CREATED:
        return None
    job.attempts += 1
    job.status = InvoiceJobStatus.CREATING
    job.updated_at = clock.now()
    session.add(job)
    session.flush()
    account = account_of(session, deal) or Account(sf_id="", name=deal.name, created_at=clock.now(),
                                                   updated_at=clock.now())
    return InvoicePlan(job_id=persisted_id(job), deal_id=deal_id, attempt=job.attempts,
                       idempotency_key=job.idempotency_key, facts=deal_facts(session, deal), account_name=account.name,
                       qbo_customer_id=account.qbo_customer_id, billing_address=_address(account),
                       realm_id=job.qbo_realm_id, qbo_currency=account.qbo_currency)


def create_in_quickbooks(plan: InvoicePlan, *, quickbooks: QuickBooks, policy: Policy,
                         txn_date: date) -> QuickBooksResult:
    """The vendor calls. Idempotent: requestid replay plus a DocNumber lookup on every retry."""
    prepared = prepare_invoice(plan, quickbooks=quickbooks, policy=policy, txn_date=txn_date)
    draft, customer_id, currency = prepared.draft, prepared.customer_id, prepared.customer_currency
    if plan.attempt > 1:
        existing = find_sent_before(prepared, quickbooks=quickbooks)
        if existing is not None:
            return QuickBooksResult(invoice=existing, customer_id=customer_id, adopted=True,
                                    customer_currency=currency)
    invoice = quickbooks.create_invoice(draft, request_id=plan.idempotency_key)
    return QuickBooksResult(invoice=invoice, customer_id=customer_id, adopted=False, customer_currency=currency)


def find_sent_before(prepared: PreparedInvoice, *, quickbooks: QuickBooks) -> QboInvoice | None:
    """The invoice an earlier attempt may have made: by its DocNumber when we number invoices, else by the
    idempotency key in the PrivateNote among the customer's recent invoices (QuickBooks chose the number)."""
    if prepared.draft.doc_number:
        return quickbooks.find_invoice_by_doc_number(prepared.draft.doc_number)
    return invoice_with_key(quickbooks.recent_invoices_of(prepared.customer_id), prepared.plan.idempotency_key)


def invoice_with_key(invoices: list[QboInvoice], idempotency_key: str) -> QboInvoice | None:
    """The first made (lowest Id) of the invoices whose PrivateNote carries this exact key."""
    carrying = [invoice for invoice in invoices if carries_key(invoice.private_note, idempotency_key)]
    return min(carrying, key=lambda invoice: int(invoice.id) if invoice.id.isdigit() else 0, default=None)


def prepare_invoice(plan: InvoicePlan, *, quickbooks: QuickBooks, policy: Policy, txn_date: date) -> PreparedInvoice:
    """Everything but the create: the company check, the customer (stored, found or created, in the deal's
    currency), items, term, tax codes and addresses."""
    _check_company(plan, policy)
    customer_id, currency = _customer(plan, quickbooks, policy)
    tax = sale_tax(plan.facts, policy=policy, quickbooks=quickbooks)
    account = plan.facts.account
    extras = SaleExtras(line_codes=tax.line_codes, transaction_code=tax.transaction_code,
                        calculation=tax.calculation, currency=foreign_currency(plan.facts, policy),
                        bill_address=billing_address(account) if policy.tax is not None else None,
                        ship_address=shipping_address(account) if policy.tax is not None else None)
    draft = invoice_draft(plan.facts, customer_id=customer_id, item_ids=_item_ids(plan.facts, quickbooks, policy),
                          term_id=_term_id(plan.facts, quickbooks, policy), txn_date=txn_date, extras=extras,
                          idempotency_key=plan.idempotency_key, own_number=uses_custom_doc_numbers(policy))
    return PreparedInvoice(plan=plan, draft=draft, customer_id=customer_id, customer_currency=currency)


def _customer(plan: InvoicePlan, quickbooks: QuickBooks, policy: Policy) -> tuple[str, str | None]:
    """(customer id, its currency): the stored mapping, else found by name or created from the account. A customer
    in another currency than the deal's is refused with the fix named (a customer has one currency)."""
    facts = plan.facts
    if plan.qbo_customer_id is not None:
        currency = plan.qbo_currency
        if currency is None and facts.currency != policy.currency.home:      # not seen yet: ask once
            currency = quickbooks.get_customer(plan.qbo_customer_id).currency or policy.currency.home
        check_customer_currency(deal=facts, customer_name=plan.account_name, customer_currency=currency,
                                policy=policy)
        return plan.qbo_customer_id, currency
    customer = quickbooks.find_or_create_customer(
        plan.account_name, request_id=customer_request_id_for(facts.account.account_id or str(plan.deal_id)),
        draft=customer_draft(facts, display_name=plan.account_name, policy=policy))
    currency = customer.currency or policy.currency.home
    check_customer_currency(deal=facts, customer_name=customer.display_name, customer_currency=currency,
                            policy=policy)
    check_customer_taxability(deal=facts, customer_name=customer.display_name, taxable=customer.taxable,
                              policy=policy)
    return customer.id, currency


def record_created(session: Session, *, plan: InvoicePlan, result: QuickBooksResult, clock: Clock) -> InvoiceJob:
    job = require(session, InvoiceJob, plan.job_id)
    deal = require(session, Deal, plan.deal_id)
    invoice, now = result.invoice, clock.now()
    job.status, job.qbo_customer_id, job.qbo_invoice_id = InvoiceJobStatus.CREATED, result.customer_id, invoice.id
    job.doc_number, job.total, job.balance = invoice.doc_number, invoice.total, invoice.balance
    job.due_date, job.qbo_status, job.last_error = invoice.due_date, invoice.status, None
    job.tax_total, job.currency = invoice.total_tax, invoice.currency or deal.currency
    job.exchange_rate, job.home_total = invoice.exchange_rate, invoice.home_total
    job.created_in_qbo_at = job.created_in_qbo_at or now
    job.updated_at = now
    deal.gate_status, deal.updated_at = DealStatus.INVOICED, now
    account = account_of(session, deal)
    if account is not None and account.qbo_customer_id is None:
        account.qbo_customer_id = result.customer_id
    if account is not None and account.qbo_customer_id == result.customer_id and result.customer_currency:
        account.qbo_currency = result.customer_currency
    if account is not None:
        session.add(account)
    session.add_all([job, deal])
    record_event(session, actor="system", action="invoice.created", subject_type="deal", subject_id=deal.sf_id,
                 details={"invoice_id": invoice.id, "doc_number": invoice.doc_number, "total": invoice.total,
                          "tax": invoice.total_tax, "currency": job.currency, "adopted_existing": result.adopted,
                          "attempt": plan.attempt}, clock=clock,
                 after={"status": job.status, "doc_number": invoice.doc_number, "total": invoice.total},
                 links=Links(deal_id=deal.id, invoice_id=invoice.id))
    session.flush()
    return job


def link_new_customers(session: Session, customers: list[tuple[int, str]]) -> None:
    """Store each (deal id, QuickBooks customer id) on the deal's account where none is stored yet, in account
    order and before any audit event: a batch then takes its row locks in one order, and never while it holds
    the audit chain's lock that another batch waits for (no deadlock between two workers' batches)."""
    deals = [(require(session, Deal, deal_id), customer_id) for deal_id, customer_id in customers]
    linked: set[int] = set()
    for deal, customer_id in sorted((pair for pair in deals if pair[0].account_id),
                                    key=lambda pair: pair[0].account_id or 0):
        account = account_of(session, deal)
        if account is not None and account.qbo_customer_id is None and account.id not in linked:
            account.qbo_customer_id = customer_id
            linked.add(account.id or 0)
            session.add(account)
    session.flush()


def release_attempt(session: Session, *, job_id: int, clock: Clock) -> None:
    """The attempt never left this process (our own throttle had no slot): QuickBooks saw nothing, so the next
    attempt needs no DocNumber look-up first."""
    job = require(session, InvoiceJob, job_id)
    job.attempts = max(job.attempts - 1, 0)
    job.updated_at = clock.now()
    session.add(job)
    session.flush()


def record_failure(session: Session, *, job_id: int, error: str, final: bool, clock: Clock) -> None:
    job = require(session, InvoiceJob, job_id)
    job.last_error = error[:2000]
    job.status = InvoiceJobStatus.FAILED if final else InvoiceJobStatus.CREATING
    job.updated_at = clock.now()
    session.add(job)
    session.flush()


def mark_written_back(session: Session, *, job_id: int, clock: Clock) -> None:
    job = require(session, InvoiceJob, job_id)
    job.writeback_done, job.updated_at = True, clock.now()
    session.add(job)
    session.flush()


def _check_company(plan: InvoicePlan, policy: Policy) -> None:
    """Never book a deal into the wrong company: the policy's entity mapping must name the connected one."""
    segment = plan.facts.account.segment
    wanted = policy.mappings.realm_for(segment)
    if plan.realm_id and wanted != plan.realm_id:
        raise MappingFailed(f"The policy books {segment or 'these'} deals in QuickBooks company {wanted}, but "
                            f"Ledgerbridge is connected to company {plan.realm_id} (QBO_REALM_ID)",
                            code=f"invalid_field:quickbooks_company:{wanted}")


def _new_job(session: Session, deal: Deal, *, realm_id: str, clock: Clock) -> InvoiceJob:
    now = clock.now()
    job = InvoiceJob(deal_id=persisted_id(deal), idempotency_key=idempotency_key_for(deal.sf_id), qbo_realm_id=realm_id,
                     created_at=now, updated_at=now)
    session.add(job)
    session.flush()
    return job


def _item_ids(facts: DealFacts, quickbooks: QuickBooks, policy: Policy) -> dict[str, str]:
    names, problems = item_names(facts, policy)
    if problems:
        raise MappingFailed(problems[0].message, code=problems[0].code)
    ids = {}
    for label, name in names.items():
        item = quickbooks.find_item_by_name(name)
        if item is None:
            raise MappingFailed(f"QuickBooks has no item named '{name}' (mapped from '{label}')",
                                code=f"unmapped_product:{label}")
        ids[label] = item.id
    return ids


def _term_id(facts: DealFacts, quickbooks: QuickBooks, policy: Policy) -> str | None:
    name, problems = term_name(facts, policy)
    if problems:
        raise MappingFailed(problems[0].message, code=problems[0].code)
    if name is None:
        return None
    term = quickbooks.find_term_by_name(name)
    if term is None:
        raise MappingFailed(f"QuickBooks has no term named '{name}'", code=f"unmapped_terms:{name}")
    return term.id


def address_of(account: Account) -> QboAddress:
    return _address(account)


def _address(account: Account) -> QboAddress:
    return QboAddress(line1=account.billing_street, city=account.billing_city, region=account.billing_state,
                      postal_code=account.billing_postal_code, country=account.billing_country)
