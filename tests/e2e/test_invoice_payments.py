"""QuickBooks owns payments: a payment recorded there flows back to our invoice job and to Salesforce."""
from __future__ import annotations

from decimal import Decimal

from sqlmodel import select

from app.db import Transactions, session_scope
from app.integrations.exact_json import dumps_exact
from app.integrations.quickbooks_connection import QboCredentials, QuickBooksConnection
from app.integrations.token_store_db import DbTokenStore
from app.invoicing.models import InvoiceJob
from app.invoicing.payments import refresh_payments
from app.sandbox.book import Book, Line
from app.sandbox.quickbooks.demo import DEMO_REALM_ID
from app.sandbox.stack import Stack
from app.work_queue.kinds import WorkKind
from tests.e2e.conftest import eventually, poll


def pay_in_quickbooks(stack: Stack, invoice: dict, amount: Decimal, *, request_id: str) -> None:
    """A bookkeeper records a payment in QuickBooks (through the real python-quickbooks client)."""
    rt = stack.runtime
    connection = QuickBooksConnection(QboCredentials.from_settings(rt.settings),
                                      token_store=DbTokenStore(rt.engine), clock=rt.clock)
    payment = {"CustomerRef": invoice["CustomerRef"], "TotalAmt": amount,
               "Line": [{"Amount": amount, "LinkedTxn": [{"TxnId": invoice["Id"], "TxnType": "Invoice"}]}]}
    connection.call(lambda qb: qb.create_object("Payment", dumps_exact(payment), request_id=request_id))


def job(stack: Stack) -> InvoiceJob:
    with session_scope(stack.runtime.engine) as session:
        return session.exec(select(InvoiceJob)).one()


def test_a_payment_in_quickbooks_reaches_the_job_and_the_opportunity(stack: Stack, book: Book):
    book.add_account("Globex Inc")
    deal_id = book.add_deal("Globex - Support", account="Globex Inc", owner_id=stack.emulators.sf_user_ids["sam"],
                            lines=[Line("Support Plan", Decimal(1))])
    poll(stack)
    invoice = eventually(lambda: stack.emulators.quickbooks.objects(DEMO_REALM_ID, "Invoice"), what="invoice")[0]
    eventually(lambda: job(stack).writeback_done, what="the first write-back")
    rt = stack.runtime

    pay_in_quickbooks(stack, invoice, Decimal("1000.00"), request_id="pay-1")
    partly = refresh_payments(transactions=Transactions(rt.engine), quickbooks=rt.quickbooks, clock=rt.clock,
                              write_back_kind=WorkKind.WRITE_BACK_INVOICE)
    assert partly.updated == 1 and job(stack).balance == Decimal("1400.00")
    rt.wake_worker()
    eventually(lambda: Decimal(str(stack.emulators.salesforce.record("Opportunity", deal_id)["QBO_Balance__c"]))
               == Decimal("1400.00"), what="the partial balance in Salesforce")

    pay_in_quickbooks(stack, invoice, Decimal("1400.00"), request_id="pay-2")
    refresh_payments(transactions=Transactions(rt.engine), quickbooks=rt.quickbooks, clock=rt.clock,
                     write_back_kind=WorkKind.WRITE_BACK_INVOICE)
    rt.wake_worker()
    paid = eventually(lambda: (o := stack.emulators.salesforce.record("Opportunity", deal_id))
                      and o.get("QBO_Invoice_Status__c") == "Paid" and o, what="Paid in Salesforce")
    assert Decimal(str(paid["QBO_Balance__c"])) == Decimal("0.00")
    assert job(stack).qbo_status == "Paid"
    again = refresh_payments(transactions=Transactions(rt.engine), quickbooks=rt.quickbooks, clock=rt.clock,
                             write_back_kind=WorkKind.WRITE_BACK_INVOICE)
    assert again.updated == 0                                    # nothing changed since: nothing re-sent
