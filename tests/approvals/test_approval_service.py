"""Approval requests and decisions on real SQL (SQLite and PostgreSQL): sync, field lock, one decision each."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import Engine, func
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from app.approvals.level_service import decide_level
from app.approvals.models import ApprovalDecision, ApprovalRequest, Decision
from app.approvals.rules import ApprovalKind, ApprovalNeed
from app.approvals.service import ApprovalsState, SyncedRequests, requests_for, sync_requests
from app.audit.service import events_for, verify_chain
from app.clock import FixedClock
from app.db import session_scope
from app.deals.models import Deal
from app.deals.service import upsert_from_salesforce
from app.errors import InvalidTransition, NotAllowed
from app.integrations.salesforce_models import SfAccount, SfOpportunity
from app.policy import load_policy

NY = ZoneInfo("America/New_York")
TERMS = ApprovalNeed(ApprovalKind.PAYMENT_TERMS, "finance_approver", 1, ask="Net 60 requested where Net 30 is standard",
                     detail="'Acme renewal' asks for Net 60 instead of Net 30.")
DISCOUNT = ApprovalNeed(ApprovalKind.DISCOUNT, "finance_approver", 1, ask="20% discount where 15% is the limit",
                        detail="Level 1 of 2.")
FP_A, FP_B = "a" * 64, "b" * 64
ANN, BOB, REP = "U05ANNFIN01", "U05BOBFIN02", "U05REPSALE1"
MEMBERS = frozenset({ANN, BOB, REP})
POLICY = load_policy(Path(__file__).resolve().parents[2] / "policy.example.yaml")


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(datetime(2026, 3, 2, 9, 15, tzinfo=NY))


@pytest.fixture
def deal_id(engine: Engine, clock: FixedClock) -> int:
    opportunity = SfOpportunity(
        id="006000000000001AAA", name="Acme renewal", account=SfAccount(id="001000000000001AAA", name="Acme"),
        amount=Decimal("1000.00"), close_date=None, stage_name="Closed Won", is_won=True, is_closed=True,
        owner_id="005000000000001AAA", owner_name="Rita Rep", owner_email="rita@example.com",
        billing_status="Delivered", po_number=None, payment_terms="Net 60", qbo_invoice_id=None,
        qbo_invoice_number=None, qbo_invoice_status=None, qbo_balance=None, system_modstamp=clock.now(),
        last_modified_date=clock.now())
    with session_scope(engine) as session:
        return upsert_from_salesforce(session, opportunity, now=clock.now()).id


def sync(engine: Engine, deal_id: int, clock: FixedClock, needs: tuple[ApprovalNeed, ...],
         fingerprint: str = FP_A) -> SyncedRequests:
    with session_scope(engine) as session:
        deal = session.get(Deal, deal_id)
        return sync_requests(session, deal=deal, needs=needs, fingerprint=fingerprint, clock=clock)


def decide_now(engine: Engine, clock: FixedClock, request_id: int, *, actor: str = ANN, name: str | None = "Ann",
               decision: Decision = Decision.APPROVED, comment: str | None = None) -> ApprovalRequest:
    with session_scope(engine) as session:
        return decide_level(session, request_id=request_id, actor_id=actor, actor_name=name, decision=decision,
                            comment=comment, members_by_role={"finance_approver": MEMBERS}, policy=POLICY,
                            clock=clock).request


def stored(engine: Engine, deal_id: int) -> list[ApprovalRequest]:
    with session_scope(engine) as session:
        return requests_for(session, deal_id=deal_id)


def decisions(engine: Engine, request_id: int) -> list[ApprovalDecision]:
    with session_scope(engine) as session:
        return list(session.exec(select(ApprovalDecision).where(ApprovalDecision.request_id == request_id)))


def actions(engine: Engine, request_id: int) -> list[str]:
    with session_scope(engine) as session:
        return [event.action for event in events_for(session, "approval_request", request_id)]


# --- sync_requests ------------------------------------------------------------------------------------

def test_sync_opens_one_pending_request_per_need_with_the_requester(engine, deal_id, clock):
    synced = sync(engine, deal_id, clock, (TERMS, DISCOUNT))
    assert [request.kind for request in synced.opened] == ["payment_terms", "discount"]
    assert synced.current == synced.opened and synced.superseded == []
    assert synced.state is ApprovalsState.PENDING
    rows = stored(engine, deal_id)
    assert [(row.kind, row.status, row.terms_fingerprint) for row in rows] == [
        ("payment_terms", "pending", FP_A), ("discount", "pending", FP_A)]
    assert (rows[0].requester_sf_user_id, rows[0].requester_email) == ("005000000000001AAA", "rita@example.com")
    assert rows[0].ask == TERMS.ask and rows[0].role == "finance_approver"
    assert rows[0].created_at == clock.now() and rows[0].created_at.utcoffset() == timedelta(0)
    assert actions(engine, rows[0].id) == ["approval.requested"]


def test_repeated_sync_opens_nothing_new(engine, deal_id, clock):
    first = sync(engine, deal_id, clock, (TERMS, DISCOUNT))
    clock.advance(timedelta(minutes=5))
    again = sync(engine, deal_id, clock, (TERMS, DISCOUNT))
    assert again.opened == [] and again.superseded == []
    assert [request.id for request in again.current] == [request.id for request in first.current]
    assert len(stored(engine, deal_id)) == 2
    assert actions(engine, first.current[0].id) == ["approval.requested"]


def test_all_approved_means_granted_and_no_needs_means_granted(engine, deal_id, clock):
    synced = sync(engine, deal_id, clock, (TERMS,))
    decide_now(engine, clock, synced.current[0].id)
    assert sync(engine, deal_id, clock, (TERMS,)).state is ApprovalsState.GRANTED
    assert sync(engine, deal_id, clock, ()).state is ApprovalsState.GRANTED


def test_field_lock_supersedes_an_approved_request_when_the_terms_change(engine, deal_id, clock):
    approved = sync(engine, deal_id, clock, (TERMS,)).current[0]
    decide_now(engine, clock, approved.id)
    changed = sync(engine, deal_id, clock, (TERMS,), fingerprint=FP_B)
    assert [request.id for request in changed.superseded] == [approved.id]
    assert [(request.kind, request.status, request.terms_fingerprint) for request in changed.opened] == [
        ("payment_terms", "pending", FP_B)]
    assert changed.current == changed.opened and changed.state is ApprovalsState.PENDING
    old, new = stored(engine, deal_id)
    assert (old.status, new.status) == ("superseded", "pending")
    assert len(decisions(engine, old.id)) == 1          # the approval itself stays on record
    assert actions(engine, old.id) == ["approval.requested", "approval.level_approved", "approval.approved",
                                       "approval.superseded"]


def test_a_pending_request_for_old_terms_is_superseded_too(engine, deal_id, clock):
    pending = sync(engine, deal_id, clock, (TERMS,)).current[0]
    changed = sync(engine, deal_id, clock, (TERMS,), fingerprint=FP_B)
    assert [request.id for request in changed.superseded] == [pending.id]
    assert len(changed.opened) == 1 and changed.opened[0].id != pending.id


def test_a_need_that_disappears_supersedes_its_live_request(engine, deal_id, clock):
    terms, discount = sync(engine, deal_id, clock, (TERMS, DISCOUNT)).current
    decide_now(engine, clock, terms.id)
    synced = sync(engine, deal_id, clock, (TERMS,))
    assert [request.id for request in synced.superseded] == [discount.id]
    assert [request.id for request in synced.current] == [terms.id] and synced.opened == []
    assert synced.state is ApprovalsState.GRANTED
    assert {row.id: row.status for row in stored(engine, deal_id)} == {terms.id: "approved", discount.id: "superseded"}


def test_a_rejection_holds_until_the_terms_change_then_a_new_request_opens(engine, deal_id, clock):
    rejected = sync(engine, deal_id, clock, (TERMS,)).current[0]
    decide_now(engine, clock, rejected.id, decision=Decision.REJECTED, comment="Net 60 is too long")
    assert sync(engine, deal_id, clock, (TERMS,)).state is ApprovalsState.REJECTED
    fixed = sync(engine, deal_id, clock, (TERMS,), fingerprint=FP_B)
    assert fixed.superseded == [] and len(fixed.opened) == 1 and fixed.state is ApprovalsState.PENDING
    assert {row.id: row.status for row in stored(engine, deal_id)}[rejected.id] == "rejected"


def test_terms_changing_back_leave_a_request_someone_can_decide(engine, deal_id, clock):
    approved = sync(engine, deal_id, clock, (TERMS,)).current[0]
    decide_now(engine, clock, approved.id)
    sync(engine, deal_id, clock, (TERMS,), fingerprint=FP_B)
    back = sync(engine, deal_id, clock, (TERMS,), fingerprint=FP_A)
    assert all(request.status in ("pending", "approved") for request in back.current)
    assert back.state is ApprovalsState.GRANTED or back.opened


# --- decide -------------------------------------------------------------------------------------------

def test_approval_records_who_when_and_an_audit_event(engine, deal_id, clock):
    request_id = sync(engine, deal_id, clock, (TERMS,)).current[0].id
    clock.advance(timedelta(hours=2))
    decide_now(engine, clock, request_id, actor=ANN, name="Ann Finance", comment="fine this once")
    (row,) = decisions(engine, request_id)
    assert (row.slack_user_id, row.slack_user_name, row.decision, row.comment) == (
        ANN, "Ann Finance", "approved", "fine this once")
    assert row.decided_at == datetime(2026, 3, 2, 16, 15, tzinfo=UTC) and row.decided_at.tzinfo is not None
    assert row.decided_at.utcoffset() == timedelta(0)
    (request,) = stored(engine, deal_id)
    assert (request.status, request.decided_at) == ("approved", row.decided_at)
    with session_scope(engine) as session:
        level, event = events_for(session, "approval_request", request_id)[-2:]
        assert (event.action, event.actor, event.actor_name) == ("approval.approved", ANN, "Ann Finance")
        assert event.details == {"deal_id": deal_id, "kind": "payment_terms", "comment": "fine this once",
                                 "terms_fingerprint": FP_A}
        assert (event.deal_id, event.approval_id) == (deal_id, request_id)
        assert (event.before, event.after) == ({"status": "pending"}, {"status": "approved"})
        assert level.action == "approval.level_approved" and (level.deal_id, level.approval_id) == (deal_id, request_id)
        assert level.before == {"level": 1, "role": "finance_approver", "status": "pending"}
        assert level.after == {"level": 1, "role": "finance_approver", "status": "approved", "decided_by": ANN}
        assert verify_chain(session).ok


def test_rejection_records_the_reason(engine, deal_id, clock):
    request_id = sync(engine, deal_id, clock, (TERMS,)).current[0].id
    decide_now(engine, clock, request_id, actor=BOB, name="Bob", decision=Decision.REJECTED, comment="Too long")
    (row,) = decisions(engine, request_id)
    assert (row.decision, row.comment, row.slack_user_id) == ("rejected", "Too long", BOB)
    assert stored(engine, deal_id)[0].status == "rejected"
    assert actions(engine, request_id)[-1] == "approval.rejected"


def assert_nothing_written(engine: Engine, deal_id: int, request_id: int) -> None:
    (request,) = stored(engine, deal_id)
    assert (request.status, request.decided_at) == ("pending", None)
    assert decisions(engine, request_id) == []
    assert actions(engine, request_id) == ["approval.requested"]


def test_a_non_member_is_not_allowed_and_nothing_is_written(engine, deal_id, clock):
    request_id = sync(engine, deal_id, clock, (TERMS,)).current[0].id
    with pytest.raises(NotAllowed, match="Only a Finance approver may decide"):
        decide_now(engine, clock, request_id, actor="U05STRANGER")
    assert_nothing_written(engine, deal_id, request_id)


def test_self_approval_is_not_allowed_and_nothing_is_written(engine, deal_id, clock):
    request_id = sync(engine, deal_id, clock, (TERMS,)).current[0].id
    with session_scope(engine) as session:
        session.get(ApprovalRequest, request_id).requester_slack_id = REP
    with pytest.raises(NotAllowed, match="your own request"):
        decide_now(engine, clock, request_id, actor=REP)
    assert_nothing_written(engine, deal_id, request_id)


@pytest.mark.parametrize("reason", [None, "", "   "])
def test_a_rejection_without_a_reason_is_refused(engine, deal_id, clock, reason):
    request_id = sync(engine, deal_id, clock, (TERMS,)).current[0].id
    with pytest.raises(InvalidTransition, match="needs a reason"):
        decide_now(engine, clock, request_id, decision=Decision.REJECTED, comment=reason)
    assert_nothing_written(engine, deal_id, request_id)


def test_a_decided_request_cannot_be_decided_again(engine, deal_id, clock):
    request_id = sync(engine, deal_id, clock, (TERMS,)).current[0].id
    decide_now(engine, clock, request_id, actor=ANN, name="Ann")
    with pytest.raises(InvalidTransition, match="Already approved by Ann"):
        decide_now(engine, clock, request_id, actor=BOB, name="Bob", decision=Decision.REJECTED, comment="no")
    assert [row.slack_user_id for row in decisions(engine, request_id)] == [ANN]
    assert stored(engine, deal_id)[0].status == "approved"


def test_a_superseded_request_cannot_be_decided(engine, deal_id, clock):
    old = sync(engine, deal_id, clock, (TERMS,)).current[0]
    sync(engine, deal_id, clock, (TERMS,), fingerprint=FP_B)
    with pytest.raises(InvalidTransition, match="out of date"):
        decide_now(engine, clock, old.id)
    assert decisions(engine, old.id) == []


def test_an_unknown_request_is_an_invalid_transition(engine, deal_id, clock):
    with pytest.raises(InvalidTransition, match="does not exist"):
        decide_now(engine, clock, 999_999)


def test_two_sessions_deciding_at_once_leave_exactly_one_decision(engine, deal_id, clock):
    request_id = sync(engine, deal_id, clock, (TERMS,)).current[0].id
    loser = Session(engine, expire_on_commit=False)
    try:
        seen = loser.get(ApprovalRequest, request_id)   # the loser read it pending (and keeps it in its session)
        assert seen.status == "pending"
        decide_now(engine, clock, request_id, actor=ANN, name="Ann")
        with pytest.raises((IntegrityError, InvalidTransition)):
            decide_level(loser, request_id=request_id, actor_id=BOB, actor_name="Bob", decision=Decision.REJECTED,
                         comment="no", members_by_role={"finance_approver": MEMBERS}, policy=POLICY, clock=clock)
            loser.commit()
    finally:
        loser.rollback()
        loser.close()
    with session_scope(engine) as session:
        count = session.exec(select(func.count()).select_from(ApprovalDecision)
                             .where(ApprovalDecision.request_id == request_id)).one()
    assert count == 1
    assert [(row.slack_user_id, row.decision) for row in decisions(engine, request_id)] == [(ANN, "approved")]
    assert actions(engine, request_id) == ["approval.requested", "approval.level_approved", "approval.approved"]


# --- the field lock's values ---------------------------------------------------------------------------

LOCKED = {"payment_terms": "Net 60", "taxability": "taxable", "amount": "1000", "currency": "USD"}


def sync_locked(engine: Engine, deal_id: int, clock: FixedClock, values: dict[str, str],
                tolerance: str = "0") -> SyncedRequests:
    with session_scope(engine) as session:
        deal = session.get(Deal, deal_id)
        return sync_requests(session, deal=deal, needs=(TERMS,), fingerprint=str(hash(tuple(values.items()))),
                             clock=clock, locked=values, tolerance_percent=Decimal(tolerance))


def test_a_locked_value_change_supersedes_the_approval_and_the_new_request_carries_the_diff(engine, deal_id, clock):
    (approved,) = sync_locked(engine, deal_id, clock, LOCKED).opened
    decide_now(engine, clock, approved.id)
    changed = sync_locked(engine, deal_id, clock, {**LOCKED, "taxability": "exempt"})
    old, new = stored(engine, deal_id)
    assert [r.id for r in changed.superseded] == [approved.id] and old.status == "superseded"
    assert old.superseded_why == "Taxability: taxable -> exempt"
    assert new.reapproval_of == old.id and new.locked_values["taxability"] == "exempt"
    assert new.changes == [{"field": "taxability", "label": "Taxability", "old": "taxable", "new": "exempt"}]


def test_the_amount_within_the_tolerance_keeps_the_approval(engine, deal_id, clock):
    (approved,) = sync_locked(engine, deal_id, clock, LOCKED, tolerance="5").opened
    decide_now(engine, clock, approved.id)
    kept = sync_locked(engine, deal_id, clock, {**LOCKED, "amount": "1040"}, tolerance="5")
    assert kept.superseded == [] and kept.opened == [] and kept.state is ApprovalsState.GRANTED


def test_a_request_made_before_the_field_lock_adopts_the_values_instead_of_being_asked_again(engine, deal_id, clock):
    (legacy,) = sync(engine, deal_id, clock, (TERMS,)).opened          # a fingerprint only, no values
    decide_now(engine, clock, legacy.id)
    adopted = sync_locked(engine, deal_id, clock, LOCKED)
    assert adopted.superseded == [] and adopted.opened == [] and adopted.state is ApprovalsState.GRANTED
    assert stored(engine, deal_id)[0].locked_values == LOCKED


# --- expiry of a re-approval ---------------------------------------------------------------------------

def test_an_expired_re_approval_is_asked_again_with_its_diff_lock_and_levels(engine, deal_id, clock):
    from app.pipeline.expiry import expire_due_requests
    approved = sync(engine, deal_id, clock, (TERMS,)).current[0]
    decide_now(engine, clock, approved.id)
    reapproval = sync(engine, deal_id, clock, (TERMS,), fingerprint=FP_B).opened[0]
    with session_scope(engine) as session:
        stored_request = session.get(ApprovalRequest, reapproval.id)
        old_locked, old_changes = stored_request.locked_values, stored_request.changes
        assert stored_request.reapproval_of == approved.id
    clock.advance(timedelta(days=14))                      # far past 40 business hours
    with session_scope(engine) as session:
        (expired,) = expire_due_requests(session, policy=POLICY, clock=clock)
    with session_scope(engine) as session:
        fresh = session.get(ApprovalRequest, expired.fresh_id)
        assert (fresh.reapproval_of, fresh.changes, fresh.locked_values) == (approved.id, old_changes, old_locked)
        assert fresh.terms_fingerprint == FP_B and fresh.status == "pending"
        gone = events_for(session, "approval_request", reapproval.id)[-1]
        assert gone.action == "approval.expired" and (gone.deal_id, gone.approval_id) == (deal_id, reapproval.id)
        assert (gone.before, gone.after) == ({"status": "pending"}, {"status": "expired", "fresh_request_id": fresh.id})
        asked = events_for(session, "approval_request", fresh.id)[-1]
        assert asked.action == "approval.requested" and (asked.deal_id, asked.approval_id) == (deal_id, fresh.id)
        assert verify_chain(session).ok


# --- App Home: what waits for whom ---------------------------------------------------------------------

def test_app_home_lists_a_parallel_request_for_every_open_level_and_names_each_role(engine, deal_id, clock):
    from app.approvals.level_service import open_request_levels
    from app.approvals.levels import LevelSpec
    from app.status.home import home_for
    request = sync(engine, deal_id, clock, (DISCOUNT,)).current[0]
    with session_scope(engine) as session:
        open_request_levels(session, session.get(ApprovalRequest, request.id),
                            (LevelSpec(1, 1, "finance_approver"), LevelSpec(2, 1, "cfo")))
    dana = "U05DANACFO1"
    members = {"finance_approver": frozenset({ANN}), "cfo": frozenset({dana})}
    with session_scope(engine) as session:
        cfo = home_for(session, user_id=dana, members_by_role=members, now=clock.now(), policy=POLICY)
        finance = home_for(session, user_id=ANN, members_by_role=members, now=clock.now(), policy=POLICY)
    assert [row.waiting_for for row in cfo.waiting_approvals] == [("Finance approver", "CFO")]
    assert [row.waiting_for for row in finance.waiting_approvals] == [("Finance approver", "CFO")]
    decide_now(engine, clock, request.id, actor=ANN)           # Ann's level done: only the CFO's is open
    with session_scope(engine) as session:
        cfo = home_for(session, user_id=dana, members_by_role=members, now=clock.now(), policy=POLICY)
        finance = home_for(session, user_id=ANN, members_by_role=members, now=clock.now(), policy=POLICY)
    assert [row.waiting_for for row in cfo.waiting_approvals] == [("CFO",)]
    assert finance.waiting_approvals == ()


# --- the auditors' export: one record per decision, each level included ----------------------------------

def test_the_export_has_one_record_per_level_decision_with_its_level_and_role(engine, deal_id, clock):
    from app.approvals.level_service import open_request_levels
    from app.approvals.levels import LevelSpec
    from app.status.audit_trail import decision_records
    dana = "U05DANACFO1"
    request = sync(engine, deal_id, clock, (DISCOUNT,)).current[0]
    with session_scope(engine) as session:
        open_request_levels(session, session.get(ApprovalRequest, request.id),
                            (LevelSpec(1, 1, "finance_approver"), LevelSpec(2, 2, "cfo")))
    members = {"finance_approver": frozenset({ANN}), "cfo": frozenset({dana})}
    for actor, name in ((ANN, "Ann"), (dana, "Dana")):
        with session_scope(engine) as session:
            decide_level(session, request_id=request.id, actor_id=actor, actor_name=name, decision=Decision.APPROVED,
                         comment=None, members_by_role=members, policy=POLICY, clock=clock)
    with session_scope(engine) as session:
        records = decision_records(session, since=clock.now() - timedelta(days=1), until=clock.now() + timedelta(1))
    assert [(r.slack_user_id, r.decision, r.approval_level, r.approval_role, r.approval_id, r.deal_id)
            for r in records] == [(ANN, "approved", 1, "finance_approver", request.id, deal_id),
                                  (dana, "approved", 2, "cfo", request.id, deal_id)]
