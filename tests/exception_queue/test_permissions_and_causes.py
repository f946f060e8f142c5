"""Pure rules added after the verifier's report: who may act, the cause a problem suggests, 'due soon' in
business hours, and a re-rendered digest keeping its sections."""
from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from app.exception_queue import rules
from app.exception_queue.digest import ItemView, split_by_due
from app.exception_queue.permissions import Control, finance_team, may_act, refusal
from app.policy import ExceptionKind, load_policy
from app.sandbox.stack import DEMO_POLICY

POLICY = load_policy(DEMO_POLICY)
NY = ZoneInfo("America/New_York")
FINANCE = finance_team([frozenset({"U05ANNFIN01", "U05BOBFIN02"}), frozenset({"U05CARLCTL1"})])
ALL = tuple(Control)


@pytest.mark.parametrize("control", ALL)
def test_the_finance_team_may_do_everything(control):
    assert may_act(control, actor="U05CARLCTL1", owner="U05SAMSALES", finance=FINANCE)


def test_the_owner_may_tag_resolve_and_retry_their_own_item_only():
    allowed = {c for c in ALL if may_act(c, actor="U05SAMSALES", owner="U05SAMSALES", finance=FINANCE)}
    assert allowed == {Control.LIST, Control.TAG, Control.RESOLVE, Control.RETRY}
    assert {c for c in ALL if may_act(c, actor="U05SAMSALES", owner="U05ERINOPS1", finance=FINANCE)} == {Control.LIST}


def test_anyone_else_may_only_list():
    assert {c for c in ALL if may_act(c, actor="U05ERINOPS1", owner=None, finance=FINANCE)} == {Control.LIST}
    assert {c for c in ALL if may_act(c, actor="", owner="", finance=FINANCE)} == {Control.LIST}   # no owner != ""
    assert "finance team" in refusal(Control.DISMISS, item_id=7, owner=None)
    assert "owner" in refusal(Control.RESOLVE, item_id=7, owner="U05SAMSALES")


@pytest.mark.parametrize(("code", "kind", "cause"), [
    ("missing_field:po_number", ExceptionKind.MISSING_FIELD, "missing_po"),          # named by the problem
    ("missing_field:bill_to_address", ExceptionKind.MISSING_FIELD, "rep_data_entry"),  # the kind's first cause
    ("unmapped_product:HW-BUNDLE", ExceptionKind.UNMAPPED_PRODUCT, "new_product"),
    ("duplicate_customer", ExceptionKind.DUPLICATE_CUSTOMER, "duplicate_account"),
    ("vendor_error:create_invoice", ExceptionKind.VENDOR_ERROR, "integration_outage"),
    (None, ExceptionKind.MISSING_FIELD, "rep_data_entry"),
])
def test_the_suggested_cause_follows_the_problem_then_the_kind(code, kind, cause):
    assert rules.suggested_cause(kind, POLICY, code) == cause


def test_a_cause_matches_only_when_all_its_words_are_in_the_code():
    assert rules.cause_matching("missing_field:po_number", POLICY) == "missing_po"
    assert rules.cause_matching("invalid_field:po_number", POLICY) is None     # 'missing' is not in it
    assert rules.cause_matching("MISSING_FIELD:PO_NUMBER", POLICY) == "missing_po"


def test_due_soon_counts_business_hours_like_the_sla():
    friday_4pm = datetime(2026, 11, 27, 16, 0, tzinfo=NY)
    # 1.5 hours left on Friday (until 17:30), then 2.5 on Monday from 09:00
    assert rules.due_soon_until(friday_4pm, POLICY) == datetime(2026, 11, 30, 11, 30, tzinfo=NY).astimezone(UTC)
    monday_10am = datetime(2026, 11, 30, 10, 0, tzinfo=NY)
    assert rules.is_due_soon(monday_10am, friday_4pm, POLICY)           # 66 wall hours away, 2.5 business hours
    assert not rules.is_due_soon(datetime(2026, 11, 30, 12, 0, tzinfo=NY), friday_4pm, POLICY)
    assert not rules.is_due_soon(datetime(2026, 11, 27, 15, 0, tzinfo=NY), friday_4pm, POLICY)  # breached


def _view(item_id: int, due: datetime, status: str = "open") -> ItemView:
    return ItemView(id=item_id, kind="missing_field", deal_name=None, opportunity_id=None, opportunity_url=None,
                    reason="r", fix="f", owner_slack_id=None, root_cause=None, root_cause_label=None,
                    cause_is_suggestion=True, sla_due_at=due, status=status, breached=False)


def test_a_re_rendered_digest_keeps_each_item_in_the_section_it_was_posted_in():
    posted = datetime(2026, 11, 24, 13, 30, tzinfo=UTC)
    views = [_view(1, datetime(2026, 11, 24, 12, 0, tzinfo=UTC)), _view(2, datetime(2026, 11, 24, 15, 0, tzinfo=UTC),
             "resolved"), _view(3, datetime(2026, 11, 26, 15, 0, tzinfo=UTC))]
    breached, soon, others = split_by_due(views, at=posted, soon_until=rules.due_soon_until(posted, POLICY))
    assert ([v.id for v in breached], [v.id for v in soon], [v.id for v in others]) == ([1], [2], [3])
