"""Pure exception-queue rules: business-hours SLA clocks, ping timing, keys, causes, classification, paging."""
from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from app.errors import VendorUnavailable
from app.exception_queue import rules
from app.exception_queue.classify import classify_failure
from app.exception_queue.customers import AmbiguousCustomer, company_key, look_alikes
from app.exception_queue.digest import QueueCounts, build_digest, page_bounds
from app.integrations.quickbooks_errors import DuplicateNameError
from app.invoicing.service import MappingFailed
from app.policy import ExceptionKind, load_policy
from app.sandbox.stack import DEMO_POLICY

NY = ZoneInfo("America/New_York")
POLICY = load_policy(DEMO_POLICY)          # 09:00-17:30 mon-fri New York; reminders 2h before, escalate 4h after


def ny(*args: int) -> datetime:
    return datetime(*args, tzinfo=NY)


def test_business_hours_skip_nights_and_weekends():
    hours = POLICY.business_hours
    friday_4pm = ny(2026, 11, 27, 16, 0)
    assert rules.add_business_hours(friday_4pm, 1, business_hours=hours, tz=NY) == ny(2026, 11, 27, 17, 0)
    # 1.5h left on Friday, the other 2.5h on Monday from 09:00
    assert rules.add_business_hours(friday_4pm, 4, business_hours=hours, tz=NY) == ny(2026, 11, 30, 11, 30)
    saturday = ny(2026, 11, 28, 12, 0)
    assert rules.add_business_hours(saturday, 1, business_hours=hours, tz=NY) == ny(2026, 11, 30, 10, 0)
    assert rules.subtract_business_hours(ny(2026, 11, 30, 10, 0), 2, business_hours=hours, tz=NY) == \
        ny(2026, 11, 27, 16, 30)


def test_results_are_utc_and_dst_safe():
    hours = POLICY.business_hours
    before_dst_end = ny(2026, 10, 30, 17, 0)                  # Friday; clocks go back on Sunday 1 Nov
    due = rules.add_business_hours(before_dst_end, 1, business_hours=hours, tz=NY)
    assert due.tzinfo == UTC
    assert due == ny(2026, 11, 2, 9, 30)                      # Monday 09:30 EST (14:30 UTC)
    assert due.hour == 14


def test_naive_times_are_refused():
    with pytest.raises(ValueError, match="aware"):
        rules.add_business_hours(datetime(2026, 11, 27, 9), 1, business_hours=POLICY.business_hours, tz=NY)


def test_sla_due_uses_the_hours_of_the_kind():
    opened = ny(2026, 11, 24, 9, 0)                           # Tuesday
    assert rules.sla_due_at(opened_at=opened, kind=ExceptionKind.VENDOR_ERROR, policy=POLICY) == ny(2026, 11, 24, 13)
    # missing_field: 8 business hours from 09:00
    assert rules.sla_due_at(opened_at=opened, kind=ExceptionKind.MISSING_FIELD, policy=POLICY) == \
        ny(2026, 11, 24, 17, 0)
    assert rules.sla_due_at(opened_at=opened, kind=ExceptionKind.DUPLICATE_CUSTOMER, policy=POLICY) == \
        ny(2026, 11, 26, 16, 0)


def test_pings_come_in_order_and_once():
    due = ny(2026, 11, 24, 15, 0)
    state = rules.PingState(sla_due_at=due)
    assert rules.plan_pings(state, now=ny(2026, 11, 24, 12, 59), policy=POLICY).send == ()
    plan = rules.plan_pings(state, now=ny(2026, 11, 24, 13, 0), policy=POLICY)
    assert plan.send == (rules.Ping.REMINDER,)
    reminded = rules.PingState(sla_due_at=due, reminded_before_at=ny(2026, 11, 24, 13))
    assert rules.plan_pings(reminded, now=ny(2026, 11, 24, 14), policy=POLICY).send == ()
    assert rules.plan_pings(reminded, now=due, policy=POLICY).send == (rules.Ping.BREACH,)
    breached = rules.PingState(sla_due_at=due, reminded_before_at=due, breach_posted_at=due)
    # escalation 4 business hours after 15:00 Tuesday: 17:30 is 2.5h, then 1.5h Wednesday -> 10:30
    assert rules.plan_pings(breached, now=ny(2026, 11, 25, 10, 29), policy=POLICY).send == ()
    assert rules.plan_pings(breached, now=ny(2026, 11, 25, 10, 30), policy=POLICY).send == (rules.Ping.ESCALATION,)


def test_a_missed_reminder_is_settled_not_sent_late():
    state = rules.PingState(sla_due_at=ny(2026, 11, 24, 15, 0))
    plan = rules.plan_pings(state, now=ny(2026, 11, 24, 16, 0), policy=POLICY)
    assert plan.send == (rules.Ping.BREACH,)
    assert set(plan.settle) == {rules.Ping.REMINDER, rules.Ping.BREACH}


def test_dedupe_keys_are_stable_and_bounded():
    assert rules.gate_key(7, "missing_field:po_number") == "gate:7:missing_field:po_number"
    key = rules.gate_key(7, "x" * 500)
    assert key.startswith(rules.gate_key_prefix(7)) and len(key) == 200
    assert rules.work_key("create_invoice", "deal:7") == "work:create_invoice:deal:7"
    assert rules.kind_of_code("unmapped_product:HW-BUNDLE") is ExceptionKind.UNMAPPED_PRODUCT
    assert rules.kind_of_code("weird:thing") is ExceptionKind.VENDOR_ERROR


def test_suggested_cause_follows_the_taxonomy():
    assert rules.suggested_cause(ExceptionKind.MISSING_FIELD, POLICY) == "rep_data_entry"
    assert rules.suggested_cause(ExceptionKind.UNMAPPED_PRODUCT, POLICY) == "new_product"
    assert rules.suggested_cause(ExceptionKind.VENDOR_ERROR, POLICY) == "integration_outage"
    assert rules.cause_label("missing_po", POLICY) == "Customer PO not received"


def test_digest_slot_is_the_latest_scheduled_time():
    digest = POLICY.digest                                         # 08:30 mon-fri
    assert rules.latest_digest_slot(ny(2026, 11, 24, 8, 31), digest, NY) == ny(2026, 11, 24, 8, 30)
    assert rules.latest_digest_slot(ny(2026, 11, 24, 8, 29), digest, NY) == ny(2026, 11, 23, 8, 30)
    assert rules.latest_digest_slot(ny(2026, 11, 30, 7, 0), digest, NY) == ny(2026, 11, 27, 8, 30)   # Monday early


def test_customer_look_alikes():
    assert company_key("Globex, Inc.") == company_key("GLOBEX INC") == "globex"
    found = look_alikes("Globex, Inc.", ["Globex Inc", "Globex Logistics", "Acme Corporation"])
    assert found.candidates == ("Globex Inc",)
    assert look_alikes("Globex Inc", ["Globex Inc"]).candidates == ()


def test_final_failures_are_classified():
    mapping = classify_failure(MappingFailed("QuickBooks has no item named 'Gadget'", code="unmapped_product:Gadget"),
                               step="create_invoice")
    assert (mapping.kind, mapping.code) == (ExceptionKind.UNMAPPED_PRODUCT, "unmapped_product:Gadget")
    duplicate = classify_failure(AmbiguousCustomer("looks like 'Globex Inc'", candidates=("Globex Inc",)),
                                 step="create_invoice")
    assert duplicate.kind is ExceptionKind.DUPLICATE_CUSTOMER and "Globex Inc" in duplicate.reason
    try:                                        # a lookup that failed while handling a 6240 is still a duplicate
        try:
            raise DuplicateNameError("Duplicate Name Exists Error", existing_id="9")
        except DuplicateNameError:
            raise VendorUnavailable("lookup failed", vendor="quickbooks")  # noqa: B904  # chained on purpose
    except VendorUnavailable as chained:
        assert classify_failure(chained, step="create_invoice").kind is ExceptionKind.DUPLICATE_CUSTOMER
    outage = classify_failure(VendorUnavailable("QuickBooks had a server error", vendor="quickbooks"),
                              step="create_invoice")
    assert outage.kind is ExceptionKind.VENDOR_ERROR and "Create invoice failed" in outage.reason


def test_digest_content_caps_items_and_counts_the_rest():
    now = datetime(2026, 11, 24, 13, 35, tzinfo=UTC)
    counts = QueueCounts(total=500, breached=300, due_soon=50, by_kind={"missing_field": 400, "vendor_error": 100},
                         by_cause={"rep_data_entry": 400, None: 100})
    content = build_digest(counts=counts, breached=[], due_soon=[], others=[], policy=POLICY, now=now)
    assert content.not_shown == 500
    assert [c.label for c in content.by_kind] == ["Missing field", "Vendor error"]
    assert [c.label for c in content.by_cause] == ["Sales rep data entry", "Untagged"]


def test_page_bounds():
    assert page_bounds(0, 0, 8) == (0, None, None)
    assert page_bounds(20, 0, 8) == (0, None, 8)
    assert page_bounds(20, 8, 8) == (8, 0, 16)
    assert page_bounds(20, 99, 8) == (16, 8, None)
