"""Which milestones of a billing schedule are due, and for how much (pure)."""
from __future__ import annotations

from decimal import Decimal

from app.integrations.salesforce_models import SfMilestone
from app.invoicing.milestones import DueMilestone, doc_number_for, due_milestones, key_for
from app.policy import MilestonePolicy

POLICY = MilestonePolicy(item="Implementation")


def test_approved_and_delivered_milestones_are_due_with_their_amount_or_percentage():
    schedule = [SfMilestone("a0M000000000001AAA", "Kick-off", Decimal("3000.00"), None, "Approved"),
                SfMilestone("a0M000000000002AAA", "Go-live", None, Decimal("40"), "delivered"),
                SfMilestone("a0M000000000003AAA", "Hypercare", Decimal("3000.00"), None, "Planned"),
                SfMilestone("a0M000000000004AAA", "Unpriced", None, None, "Approved")]
    assert due_milestones(schedule, deal_amount=Decimal("10000.00"), policy=POLICY) == [
        DueMilestone("a0M000000000001AAA", "Kick-off", 1, Decimal("3000.00")),
        DueMilestone("a0M000000000002AAA", "Go-live", 2, Decimal("4000.00"))]


def test_keys_and_numbers_fit_quickbooks_limits():
    assert key_for("a0M000000000001AAA") == "lb-ms-a0M000000000001AAA"
    assert doc_number_for("006000000000001AAA", 12) == "006000000000001-M12"
    assert len(doc_number_for("006000000000001AAA", 9999)) == 21
