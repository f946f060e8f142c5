"""Policy for rolling out in phases: how invoices are numbered, live or shadow mode, and the pilot's scope."""
from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field, model_validator

from app.policy.fields import Money, NonEmptyText, SalesforceFieldName, policy_error


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class InvoiceNumbering(StrEnum):
    QUICKBOOKS = "quickbooks"
    """QuickBooks numbers each invoice in its own sequence (no DocNumber is sent)."""
    OPPORTUNITY = "opportunity"
    """DocNumber is the Salesforce opportunity id (needs Custom transaction numbers on)."""


class RolloutMode(StrEnum):
    LIVE = "live"
    SHADOW = "shadow"
    """Everything runs but nothing is written to QuickBooks or Salesforce: would-be invoices are recorded."""


class PilotScope(_Strict):
    """The deals in scope: every list given must contain the deal's value (an empty list does not filter)."""

    business_units: tuple[NonEmptyText, ...] = ()
    """Values of the opportunity's Business_Unit__c."""
    record_types: tuple[NonEmptyText, ...] = ()
    owners: tuple[NonEmptyText, ...] = ()
    """Salesforce user ids or e-mail addresses of deal owners."""
    accounts: tuple[NonEmptyText, ...] = ()
    """Salesforce account ids or account names."""
    segments: tuple[NonEmptyText, ...] = ()
    min_amount: Money | None = None
    max_amount: Money | None = None

    @model_validator(mode="after")
    def _range(self) -> PilotScope:
        if self.min_amount is not None and self.max_amount is not None and self.min_amount > self.max_amount:
            raise policy_error(f"must be at least min_amount ({self.min_amount})", at=".max_amount")
        return self


class ShadowReportPolicy(_Strict):
    match_window_days: int = Field(default=14, ge=0, le=365)
    """A hand-made invoice matches a would-be one when its date is within this many days of it."""


class MilestonePolicy(_Strict):
    """Where a deal's billing schedule lives in Salesforce: child records of the opportunity, one invoice each."""

    object: SalesforceFieldName = "Billing_Milestone__c"
    parent_field: SalesforceFieldName = "Opportunity__c"
    amount_field: SalesforceFieldName = "Amount__c"
    percent_field: SalesforceFieldName = "Percent__c"
    """Used when the amount is empty: this percentage of the opportunity's amount."""
    status_field: SalesforceFieldName = "Status__c"
    ready_values: tuple[NonEmptyText, ...] = ("Approved", "Delivered")
    item: NonEmptyText
    """The QuickBooks item each milestone invoice bills."""
