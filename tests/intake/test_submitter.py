"""The deal's submitter (the policy's `approval_controls.submitter_field`), read through the real client against
the Salesforce emulator: selected when the org has the field, its User's e-mail read once per page."""
from __future__ import annotations

from sqlmodel import Session, select

from app.clock import FixedClock
from app.db import Transactions
from app.deals.models import Deal
from app.intake.service import poll_changes
from app.integrations.salesforce import SalesforceGateway, build_salesforce
from app.sandbox.salesforce import SalesforceState
from app.sandbox.server import RunningServer
from tests.approvals.test_levels import policy_with
from tests.integrations.test_salesforce_wrapper import settings_for

POLICY = policy_with({"approval_controls.submitter_field": "Submitted_By__c"})


class NoCustomers:
    def find_customer_by_display_name(self, display_name: str) -> None:
        return None


def gateway(sf_server: RunningServer, sf_clock: FixedClock) -> SalesforceGateway:
    return SalesforceGateway(build_salesforce(settings_for(sf_server)), clock=sf_clock,
                             submitter_field="Submitted_By__c")


def seed(sf_state: SalesforceState) -> tuple[str, str]:
    ann = sf_state.seed("User", {"Name": "Ann Finance", "Email": "ann@ledgerbridge.example",
                                 "Username": "ann@ledgerbridge.example", "IsActive": True})
    sam = sf_state.seed("User", {"Name": "Sam Sales", "Email": "sam@ledgerbridge.example",
                                 "Username": "sam@ledgerbridge.example", "IsActive": True})
    sf_state.seed("Opportunity", {"Name": "Submitted", "StageName": "Prospecting", "CloseDate": "2026-11-20",
                                  "OwnerId": sam, "Submitted_By__c": ann})
    sf_state.seed("Opportunity", {"Name": "Not submitted", "StageName": "Prospecting", "CloseDate": "2026-11-20",
                                  "OwnerId": sam})
    return ann, sam


def submitters(engine) -> dict[str, tuple[str | None, str | None]]:
    with Session(engine) as session:
        return {deal.name: (deal.submitter_sf_id, deal.submitter_email) for deal in session.exec(select(Deal))}


def test_intake_stores_the_submitters_id_and_email(sf_server: RunningServer, sf_state: SalesforceState,
                                                   sf_clock: FixedClock, engine) -> None:
    ann, _ = seed(sf_state)
    salesforce = gateway(sf_server, sf_clock)
    assert "Submitted_By__c" in salesforce.org_fields().opportunity
    assert salesforce.user_emails_by_ids([ann]) == {ann[:15]: "ann@ledgerbridge.example"}
    poll_changes(transactions=Transactions(engine), source=salesforce, customers=NoCustomers(), policy=POLICY,
                 clock=sf_clock)
    assert submitters(engine) == {"Submitted": (ann, "ann@ledgerbridge.example"), "Not submitted": (None, None)}


def test_an_org_without_the_field_reads_no_submitter(sf_server: RunningServer, sf_state: SalesforceState,
                                                     sf_clock: FixedClock, engine) -> None:
    seed(sf_state)
    sf_state.remove_field("Opportunity", "Submitted_By__c")
    salesforce = gateway(sf_server, sf_clock)
    assert "Submitted_By__c" not in salesforce.org_fields().opportunity
    poll_changes(transactions=Transactions(engine), source=salesforce, customers=NoCustomers(), policy=POLICY,
                 clock=sf_clock)
    assert submitters(engine) == {"Submitted": (None, None), "Not submitted": (None, None)}
