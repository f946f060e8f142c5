"""A deal with a billing schedule: one invoice per approved or delivered milestone, each once across retries."""
from __future__ import annotations

from decimal import Decimal

from sqlmodel import select

from app.db import session_scope
from app.deals.models import Deal
from app.policy import MilestonePolicy
from app.sandbox.book import Book, Line
from app.sandbox.quickbooks.demo import DEMO_REALM_ID
from app.sandbox.stack import Stack
from tests.e2e.conftest import eventually, poll
from tests.e2e.test_invoice_status import ask


def invoices(stack: Stack) -> list[dict]:
    return stack.emulators.quickbooks.objects(DEMO_REALM_ID, "Invoice")


def test_each_due_milestone_is_invoiced_once_across_a_lost_answer_and_later_runs(stack: Stack, book: Book):
    stack.runtime.policy = stack.runtime.policy.model_copy(
        update={"milestones": MilestonePolicy(item="Implementation")})
    stack.emulators.quickbooks.inject_fault("lost_response", count=1, path_contains="invoice")
    book.add_account("Globex Inc")
    deal = book.add_deal("Globex - Rollout", account="Globex Inc", owner_id=stack.emulators.sf_user_ids["sam"],
                         lines=[Line("Implementation", Decimal(2))])                        # 10,000.00
    seed = stack.emulators.salesforce.seed
    seed("Billing_Milestone__c", {"Name": "1 Kick-off", "Opportunity__c": deal, "Amount__c": 3000,
                                  "Status__c": "Approved"})
    seed("Billing_Milestone__c", {"Name": "2 Go-live", "Opportunity__c": deal, "Percent__c": 40,
                                  "Status__c": "Delivered"})
    hypercare = seed("Billing_Milestone__c", {"Name": "3 Hypercare", "Opportunity__c": deal, "Amount__c": 3000,
                                              "Status__c": "Planned"})
    poll(stack)

    eventually(lambda: len(invoices(stack)) == 2, timeout=30, what="the two due milestones' invoices")
    answer = eventually(lambda: (text := ask(stack, deal)[1]).count(f"invoice {deal[:15]}-M") == 2 and text,
                        timeout=30, what="both milestone invoices listed")
    assert sorted(invoice["DocNumber"] for invoice in invoices(stack)) == [f"{deal[:15]}-M1", f"{deal[:15]}-M2"]
    assert sorted(Decimal(str(invoice["TotalAmt"])) for invoice in invoices(stack)) == [Decimal(3000), Decimal(4000)]
    assert "1. 1 Kick-off" in answer and "2. 2 Go-live" in answer and "Milestones" in answer

    stack.emulators.salesforce.user_edit("Billing_Milestone__c", hypercare, {"Status__c": "Approved"})
    deal_id = _deal_id(stack, deal)
    for _ in range(2):                              # the hourly re-check, run now, twice: the third once
        stack.runtime.run_step("create_invoice", {"deal_id": deal_id})
    assert len(invoices(stack)) == 3
    assert "3. 3 Hypercare" in ask(stack, deal)[1]


def _deal_id(stack: Stack, sf_id: str) -> int:
    with session_scope(stack.runtime.engine) as session:
        return session.exec(select(Deal.id).where(Deal.sf_id == sf_id)).one()
