"""The sandbox's people: the same person in Slack and Salesforce (matched by email, as in production)."""
from __future__ import annotations

from dataclasses import dataclass

from app.sandbox.salesforce.state import SalesforceState
from app.sandbox.slack.state import SlackState


@dataclass(frozen=True)
class Person:
    slack_id: str
    name: str
    real_name: str
    email: str
    tz: str = "America/New_York"
    """Their Slack profile's time zone: Slack (and the demo console) shows them every time in it."""
    does: str = ""


# Ids match app/sandbox/demo_policy.yaml (and policy.example.yaml).
ANN = Person("U05ANNFIN01", "ann", "Ann Finance", "ann@ledgerbridge.example",
             does="finance approver")
BOB = Person("U05BOBFIN02", "bob", "Bob Fisher", "bob@ledgerbridge.example", tz="America/Chicago",
             does="finance approver who also sells")
CARL = Person("U05CARLCTL1", "carl", "Carl Controller", "carl@ledgerbridge.example", does="controller")
DANA = Person("U05DANACFO1", "dana", "Dana Chief", "dana@ledgerbridge.example", tz="Europe/London", does="CFO")
SAM = Person("U05SAMSALES", "sam", "Sam Seller", "sam@ledgerbridge.example", tz="America/Los_Angeles",
             does="sales rep, owns most deals")
ERIN = Person("U05ERINOPS1", "erin", "Erin Ops", "erin@ledgerbridge.example", does="operations, no approver role")
PEOPLE = (ANN, BOB, CARL, DANA, SAM, ERIN)
FINANCE_GROUP = "S05FINTEAM1"
CHANNELS = {"C05APPR0VAL": "finance-approvals", "C05EXCEPT10N": "billing-exceptions", "C05D1GESTFIN": "finance"}


def seed_people(*, slack: SlackState, salesforce: SalesforceState) -> dict[str, str]:
    """Seed both emulators; returns Salesforce User ids by Slack name (for OwnerId)."""
    for channel_id, name in CHANNELS.items():
        slack.add_channel(channel_id, name)
    for person in PEOPLE:
        slack.add_user(person.slack_id, person.name, real_name=person.real_name, email=person.email,
                       tz=person.tz)
    slack.add_usergroup(FINANCE_GROUP, [ANN.slack_id, BOB.slack_id])
    return {person.name: salesforce.seed("User", {"Name": person.real_name, "Email": person.email,
                                                  "Username": person.email, "IsActive": True})
            for person in PEOPLE}
