"""Policy for approval levels and the controls around them: the order of a kind's levels, separation of
duties beyond "not your own deal", and when a pending request expires."""
from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, ConfigDict

from app.policy.fields import Hours, SalesforceFieldName


class LevelOrder(StrEnum):
    """How the levels of one request are decided.

    sequence: one after another, in the order listed (a level waits until the one before approved);
    parallel: all at once, in any order; highest (discounts only): only the highest level crossed decides."""

    SEQUENCE = "sequence"
    PARALLEL = "parallel"
    HIGHEST = "highest"


class ApprovalControls(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    expire_after_hours: Hours | None = None
    """Business hours (see `business_hours`, `timezone`) a request may wait; then it expires and a fresh one is
    posted. None: requests never expire."""
    separate_activation_and_credit_limit: bool = False
    """True: one person may not decide both the customer activation and the credit limit of one account."""
    submitter_field: SalesforceFieldName | None = None
    """The Opportunity field (a lookup to User, e.g. `Submitted_By__c`) naming whoever submitted the deal: like
    the owner, they decide no level of its requests. None: only the owner is kept off."""
