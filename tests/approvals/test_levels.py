"""Approval levels as pure rules: which levels a request needs, which is next, who may decide it, and how a
refusal reads (no I/O)."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
import yaml

from app.approvals.levels import (
    LevelSpec,
    LevelState,
    LevelStatus,
    Outcome,
    RefusalReason,
    choose_level,
    decide,
    levels_needed,
    may_open,
    open_levels,
    outcome,
)
from app.approvals.wording import refusal_text
from app.pipeline.expiry import expires_at
from app.policy import Policy, load_policy, policy_from_data

EXAMPLE = Path(__file__).resolve().parents[2] / "policy.example.yaml"
POLICY = load_policy(EXAMPLE)
ANN, BOB, CARL, DANA, SAM = "U05ANNFIN01", "U05BOBFIN02", "U05CARLCTL1", "U05DANACFO1", "U05SAMSALES"
MEMBERS = {"finance_approver": frozenset({ANN, BOB}), "controller": frozenset({CARL}),
           "cfo": frozenset({DANA, ANN})}
AT = datetime(2026, 11, 24, 15, 0, tzinfo=UTC)


def policy_with(change: dict) -> Policy:
    policy, problems = policy_from_data(changed_example(change))
    assert policy is not None, problems
    return policy


def problems_with(change: dict) -> list[str]:
    policy, problems = policy_from_data(changed_example(change))
    assert policy is None
    return [f"{problem.path}: {problem.message}" for problem in problems]


def changed_example(change: dict) -> dict:
    data = yaml.safe_load(EXAMPLE.read_text())
    for path, value in change.items():
        target = data
        *parents, last = path.split(".")
        for key in parents:
            target = target[key]
        target[last] = value
    return data


def states(*specs: LevelSpec) -> tuple[LevelState, ...]:
    return tuple(LevelState(spec.position, spec.step, spec.role) for spec in specs)


TWO_IN_SEQUENCE = states(LevelSpec(1, 1, "finance_approver"), LevelSpec(2, 2, "cfo"))


# ---- which levels ----------------------------------------------------------------------------------------------

def test_a_discount_in_sequence_needs_every_level_crossed_smallest_first():
    assert levels_needed("discount", "cfo", POLICY, discount_percent=Decimal(35)) == (
        LevelSpec(1, 1, "finance_approver"), LevelSpec(2, 2, "cfo"))
    assert levels_needed("discount", "finance_approver", POLICY, discount_percent=Decimal(20)) == (
        LevelSpec(1, 1, "finance_approver"),)


def test_a_discount_in_parallel_opens_every_level_crossed_at_once():
    policy = policy_with({"approval_rules.discount.order": "parallel"})
    assert levels_needed("discount", "cfo", policy, discount_percent=Decimal(35)) == (
        LevelSpec(1, 1, "finance_approver"), LevelSpec(2, 1, "cfo"))


def test_highest_keeps_the_single_level_of_the_highest_role_crossed():
    policy = policy_with({"approval_rules.discount.order": "highest"})
    assert levels_needed("discount", "cfo", policy, discount_percent=Decimal(35)) == (LevelSpec(1, 1, "cfo"),)


def test_a_kind_without_levels_is_one_level_of_its_role():
    assert levels_needed("payment_terms", "finance_approver", POLICY) == (LevelSpec(1, 1, "finance_approver"),)
    assert levels_needed("credit_memo", "controller", POLICY) == (LevelSpec(1, 1, "controller"),)


def test_also_adds_levels_after_the_role_in_the_order_given():
    policy = policy_with({"approval_rules.payment_terms.also": ["controller"],
                          "approval_rules.payment_terms.order": "parallel"})
    assert levels_needed("payment_terms", "finance_approver", policy) == (
        LevelSpec(1, 1, "finance_approver"), LevelSpec(2, 1, "controller"))


@pytest.mark.parametrize(("change", "path"), [
    ({"approval_rules.payment_terms.also": ["cfoo"]}, "approval_rules.payment_terms.also"),
    ({"approval_rules.credit_limit.order": "highest"}, "approval_rules.credit_limit.order"),
    ({"approval_rules.discount.order": "random"}, "approval_rules.discount.order"),
    ({"approval_controls.expire_after_hours": 0}, "approval_controls.expire_after_hours"),
    ({"approval_controls.unknown": True}, "approval_controls.unknown"),
])
def test_check_names_each_mistake_in_the_level_syntax_by_its_path(change, path):
    assert any(problem.startswith(path) for problem in problems_with(change)), problems_with(change)


# ---- which level is next, and the outcome -----------------------------------------------------------------------

def test_sequential_levels_open_one_after_another():
    assert [level.position for level in open_levels(TWO_IN_SEQUENCE)] == [1]
    after = decide(TWO_IN_SEQUENCE, TWO_IN_SEQUENCE[0], decision=LevelStatus.APPROVED, actor_id=ANN,
                   actor_name="Ann", at=AT)
    assert [level.position for level in open_levels(after)] == [2]
    assert outcome(after) == Outcome.PENDING
    done = decide(after, after[1], decision=LevelStatus.APPROVED, actor_id=DANA, actor_name="Dana", at=AT)
    assert outcome(done) == Outcome.APPROVED and open_levels(done) == ()


def test_a_rejection_at_level_one_ends_the_request():
    after = decide(TWO_IN_SEQUENCE, TWO_IN_SEQUENCE[0], decision=LevelStatus.REJECTED, actor_id=ANN,
                   actor_name="Ann", at=AT, comment="too deep")
    assert outcome(after) == Outcome.REJECTED
    assert open_levels(after) == ()


def test_parallel_levels_are_open_together():
    parallel = states(LevelSpec(1, 1, "finance_approver"), LevelSpec(2, 1, "controller"))
    assert [level.position for level in open_levels(parallel)] == [1, 2]


# ---- who may decide ---------------------------------------------------------------------------------------------

def test_the_member_of_the_open_level_decides_it():
    choice = choose_level(actor_id=BOB, levels=TWO_IN_SEQUENCE, requesters=(SAM,), members_by_role=MEMBERS)
    assert choice.refusal is None and choice.level is not None and choice.level.position == 1


def test_nobody_decides_two_levels_of_one_request():
    after = decide(TWO_IN_SEQUENCE, TWO_IN_SEQUENCE[0], decision=LevelStatus.APPROVED, actor_id=ANN,
                   actor_name="Ann", at=AT)
    choice = choose_level(actor_id=ANN, levels=after, requesters=(SAM,), members_by_role=MEMBERS)
    assert choice.refusal is not None and choice.refusal.reason == RefusalReason.SECOND_LEVEL
    assert choice.refusal.decided_position == 1


def test_the_requester_decides_no_level():
    for levels in (TWO_IN_SEQUENCE, decide(TWO_IN_SEQUENCE, TWO_IN_SEQUENCE[0], decision=LevelStatus.APPROVED,
                                           actor_id=BOB, actor_name="Bob", at=AT)):
        choice = choose_level(actor_id=ANN, levels=levels, requesters=(ANN,), members_by_role=MEMBERS)
        assert choice.refusal is not None and choice.refusal.reason == RefusalReason.OWN_REQUEST


def test_the_submitter_decides_no_level_and_is_told_they_submitted_it():
    for levels in (TWO_IN_SEQUENCE, decide(TWO_IN_SEQUENCE, TWO_IN_SEQUENCE[0], decision=LevelStatus.APPROVED,
                                           actor_id=BOB, actor_name="Bob", at=AT)):
        choice = choose_level(actor_id=ANN, levels=levels, requesters=(SAM,), submitters=(ANN,),
                              members_by_role=MEMBERS)
        assert choice.level is None and choice.refusal is not None
        assert choice.refusal.reason == RefusalReason.SUBMITTED and ANN in choice.refusal.excluded
        text = refusal_text(choice.refusal, POLICY)
        assert text.startswith("You submitted this deal, so you cannot approve its requests: ")
        assert "<@U05ANNFIN01>" not in text
    refused = may_open(actor_id=ANN, levels=TWO_IN_SEQUENCE, requesters=(SAM,), submitters=(ANN,))
    assert refused is not None and refused.reason == RefusalReason.SUBMITTED
    other = choose_level(actor_id=BOB, levels=TWO_IN_SEQUENCE, requesters=(SAM,), submitters=(ANN,),
                         members_by_role=MEMBERS)
    assert other.refusal is None and other.level == TWO_IN_SEQUENCE[0]


def test_the_submitter_field_is_an_optional_validated_policy_key():
    assert POLICY.approval_controls.submitter_field is None
    named = policy_with({"approval_controls.submitter_field": "Submitted_By__c"})
    assert named.approval_controls.submitter_field == "Submitted_By__c"
    problems = problems_with({"approval_controls.submitter_field": "Submitted By"})
    assert any("approval_controls.submitter_field" in problem for problem in problems), problems


@pytest.mark.parametrize("requester", [None, SAM])
def test_an_empty_actor_or_an_empty_role_never_decides(requester):
    nobody = choose_level(actor_id="", levels=TWO_IN_SEQUENCE, requesters=(requester,),
                          members_by_role={"finance_approver": frozenset({""})})
    assert nobody.level is None and nobody.refusal is not None
    empty = choose_level(actor_id=ANN, levels=TWO_IN_SEQUENCE, requesters=(requester,),
                         members_by_role={"finance_approver": frozenset()})
    assert empty.level is None and empty.refusal is not None and empty.refusal.reason == RefusalReason.NOT_IN_ROLE


def test_a_later_level_is_not_decided_before_its_turn():
    choice = choose_level(actor_id=DANA, levels=TWO_IN_SEQUENCE, requesters=(SAM,), members_by_role=MEMBERS)
    assert choice.refusal is not None and choice.refusal.reason == RefusalReason.NOT_IN_ROLE
    assert choice.refusal.roles == ("finance_approver",)


def test_in_parallel_each_member_takes_the_level_of_their_role():
    parallel = states(LevelSpec(1, 1, "finance_approver"), LevelSpec(2, 1, "controller"))
    choice = choose_level(actor_id=CARL, levels=parallel, requesters=(SAM,), members_by_role=MEMBERS)
    assert choice.level is not None and choice.level.position == 2


def test_another_control_can_bar_a_member():
    choice = choose_level(actor_id=DANA, levels=states(LevelSpec(1, 1, "cfo")), requesters=(SAM,),
                          members_by_role=MEMBERS, barred={DANA})
    assert choice.refusal is not None and choice.refusal.reason == RefusalReason.OTHER_CONTROL


def test_before_a_modal_opens_only_what_needs_no_slack_is_refused():
    assert may_open(actor_id=SAM, levels=TWO_IN_SEQUENCE, requesters=(SAM,)) is not None
    assert may_open(actor_id="U05ERINOPS1", levels=TWO_IN_SEQUENCE, requesters=(SAM,)) is None


# ---- wording ----------------------------------------------------------------------------------------------------

def test_a_refusal_names_the_role_by_its_label_and_who_may_decide_instead():
    choice = choose_level(actor_id="U05ERINOPS1", levels=TWO_IN_SEQUENCE, requesters=(SAM,), members_by_role=MEMBERS)
    assert choice.refusal is not None
    text = refusal_text(choice.refusal, POLICY)
    assert text == ("Only a Finance approver may decide this request now. "
                    "Ask <@U05ANNFIN01>, <@U05BOBFIN02> or <!subteam^S05FINTEAM1>")
    assert "finance_approver" not in text


def test_the_requester_is_never_suggested_as_who_may_decide():
    choice = choose_level(actor_id=BOB, levels=TWO_IN_SEQUENCE, requesters=(BOB,), members_by_role=MEMBERS)
    assert choice.refusal is not None
    text = refusal_text(choice.refusal, POLICY)
    assert text.startswith("You cannot approve your own request: a Finance approver other than you decides it.")
    assert "<@U05BOBFIN02>" not in text and "<@U05ANNFIN01>" in text


# ---- expiry -----------------------------------------------------------------------------------------------------

def test_expiry_counts_business_hours_in_the_policy_zone():
    policy = policy_with({"approval_controls.expire_after_hours": 4})
    friday_4pm_new_york = datetime(2026, 11, 27, 21, 0, tzinfo=UTC)
    # 1.5 hours on Friday (to 17:30), then 2.5 hours from Monday 09:00
    assert expires_at(friday_4pm_new_york, policy) == datetime(2026, 11, 30, 16, 30, tzinfo=UTC)
    assert expires_at(AT, policy_with({"approval_controls": {}})) is None
    assert expires_at(AT, policy) == AT + timedelta(hours=4)        # Tuesday 10:00 -> 14:00, one working day


# ---- corrections: amount bands as levels ------------------------------------------------------------------------

def test_correction_bands_crossed_become_levels_when_the_policy_says_so():
    assert levels_needed("credit_memo", "controller", POLICY, amount=Decimal(6000)) == (
        LevelSpec(1, 1, "controller"),)                                     # the example keeps `highest`
    policy = policy_with({"corrections.order": "sequence"})
    assert levels_needed("credit_memo", "controller", policy, amount=Decimal(6000)) == (
        LevelSpec(1, 1, "finance_approver"), LevelSpec(2, 2, "controller"))
    assert levels_needed("credit_memo", "finance_approver", policy, amount=Decimal(100)) == (
        LevelSpec(1, 1, "finance_approver"),)
    assert levels_needed("write_off", "cfo", policy_with({"corrections.order": "parallel"}),
                         amount=Decimal(20000)) == (LevelSpec(1, 1, "controller"), LevelSpec(2, 1, "cfo"))


def test_a_refusal_with_no_open_level_reads_as_plain_english():
    from app.approvals.levels import Refusal
    text = refusal_text(Refusal(RefusalReason.NOT_IN_ROLE, ()), POLICY)
    assert text == "Only an approver may decide this request now"
