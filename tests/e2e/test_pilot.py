"""A pilot filter: deals outside it are skipped (no approvals, invoice or exceptions) and /invoice-status says why."""
from __future__ import annotations

from decimal import Decimal

from sqlmodel import select

from app.db import session_scope
from app.exception_queue.models import ExceptionItem
from app.policy import PilotScope
from app.sandbox.book import Book, Line
from app.sandbox.quickbooks.demo import DEMO_REALM_ID
from app.sandbox.stack import Stack
from tests.e2e.conftest import approval_messages, eventually, poll
from tests.e2e.test_invoice_status import ask


def test_out_of_scope_deals_are_skipped_and_invoice_status_says_why(stack: Stack, book: Book):
    stack.runtime.policy = stack.runtime.policy.model_copy(update={"pilot": PilotScope(
        segments=("SMB",), business_units=("EMEA",), record_types=("New Business",), max_amount=Decimal(10000))})
    new_business = stack.emulators.salesforce.seed("RecordType", {"Name": "New Business",
                                                                  "SobjectType": "Opportunity"})
    owner = stack.emulators.sf_user_ids["sam"]
    book.add_account("Globex Inc")
    book.add_account("Umbrella Corp", Segment__c="Enterprise")
    book.add_deal("Globex - Pilot", account="Globex Inc", owner_id=owner, lines=[Line("Support Plan", Decimal(1))],
                  Business_Unit__c="EMEA", RecordTypeId=new_business)
    # Outside on four counts; inside it would need a discount approval and a PO number (an exception).
    book.add_deal("Umbrella - Outside", account="Umbrella Corp", owner_id=owner,
                  lines=[Line("Annual Subscription", Decimal(2), discount=Decimal(25))], Business_Unit__c="AMER")
    poll(stack)

    made = eventually(lambda: stack.emulators.quickbooks.objects(DEMO_REALM_ID, "Invoice"), what="the pilot invoice")
    assert [invoice["PrivateNote"].count("Globex - Pilot") for invoice in made] == [1]
    answer = ask(stack, "Umbrella - Outside")[1]
    assert "Skipped: outside the pilot" in answer and "Why it is skipped" in answer
    assert "segment Enterprise is not in the pilot (SMB)" in answer
    assert "business unit AMER is not in the pilot (EMEA)" in answer
    assert "record type (none) is not in the pilot (New Business)" in answer
    assert "above the pilot" in answer
    assert approval_messages(stack) == []
    with session_scope(stack.runtime.engine) as session:
        assert list(session.exec(select(ExceptionItem))) == []
    assert len(stack.emulators.quickbooks.objects(DEMO_REALM_ID, "Invoice")) == 1
