"""Approval levels, separation of duties, expiry and the refusal wording, through signed Slack requests against the
emulators: the app posts to the Slack emulator, people click there, the worker decides."""
from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import yaml
from sqlmodel import col, select

from app.approvals.level_models import ApprovalLevel
from app.approvals.models import ApprovalDecision, ApprovalRequest
from app.audit.models import AuditEvent
from app.clock import FixedClock
from app.db import session_scope
from app.jobs.scheduler import approval_expiry
from app.sandbox.book import Book, Line
from app.sandbox.people import ANN, BOB, CARL, DANA, ERIN
from app.sandbox.stack import DEMO_POLICY, Stack
from app.slack.ids import ActionId, BlockId
from tests.e2e.conftest import FIXED_START, approval_messages, eventually, settle, start_stack
from tests.e2e.test_approvals_command import answer_to
from tests.e2e.test_corrections import correction_request, corrections, invoiced_deal, last_view, qbo, submit_form
from tests.e2e.test_golden_path import buttons, deal_row, qbo_invoices

APPROVALS = "C05APPR0VAL"
NEW_YORK = ZoneInfo("America/New_York")


def levels_policy(folder: Path, **controls: Any) -> Path:
    """The demo policy with levels: a discount over 30% needs a finance approver, then the CFO (Ann and Bob are
    both; Ann also a CFO); non-standard terms need a finance approver and the controller, in parallel."""
    data = yaml.safe_load(DEMO_POLICY.read_text())
    data["approver_roles"]["cfo"]["users"] = [DANA.slack_id, ANN.slack_id, BOB.slack_id]
    data["approval_rules"]["discount"]["order"] = "sequence"
    data["approval_rules"]["payment_terms"].update({"also": ["controller"], "order": "parallel"})
    data["approval_controls"] = controls
    path = folder / "policy.yaml"
    path.write_text(yaml.safe_dump(data))
    return path


@pytest.fixture
def lstack(sqlite_url: str, tmp_path: Path) -> Iterator[Stack]:
    running = start_stack(sqlite_url, policy_path=levels_policy(tmp_path))
    yield running
    running.stop()


def deal(stack: Stack, *, owner: str = "sam", discount: int | None = 35, terms: str = "Net 30",
         **fields: Any) -> str:
    book = Book(stack.emulators.salesforce)
    book.add_account("Globex Inc", Segment__c="SMB")
    line = Line("Annual Subscription", Decimal(2), discount=Decimal(discount) if discount else None)
    return book.add_deal("Globex - Expansion", account="Globex Inc", owner_id=stack.emulators.sf_user_ids[owner],
                         lines=[line], Payment_Terms__c=terms, **fields)


def posted_request(stack: Stack) -> Any:
    stack.poll()
    return eventually(lambda: approval_messages(stack), what="the approval request")[0]


def shown(stack: Stack, ts: str) -> str:
    return json.dumps(stack.emulators.slack.find_message(APPROVALS, ts).blocks)


def click(stack: Stack, who: Any, ts: str, action: ActionId = ActionId.APPROVE) -> None:
    assert stack.slack_side.click_button(who.slack_id, APPROVALS, ts, action).status_code == 200


def notes(stack: Stack, who: Any, count: int = 1) -> list[str]:
    found = eventually(lambda: len(texts := [note.text for note in stack.emulators.slack.ephemerals(who.slack_id)])
                       >= count and texts, what=f"{count} note(s) for {who.name}")
    return found


def levels(stack: Stack) -> list[ApprovalLevel]:
    with session_scope(stack.runtime.engine) as session:
        return list(session.exec(select(ApprovalLevel).order_by(col(ApprovalLevel.request_id),
                                                                 col(ApprovalLevel.position))))


def audited(stack: Stack) -> list[str]:
    with session_scope(stack.runtime.engine) as session:
        return [event.action for event in session.exec(select(AuditEvent).order_by(col(AuditEvent.id)))]


def dms(stack: Stack, who: Any) -> list[Any]:
    slack = stack.emulators.slack
    return slack.messages(slack.open_dm(who.slack_id))


def test_a_two_level_discount_needs_two_people_and_one_of_them_cannot_take_both(lstack: Stack):
    deal_id = deal(lstack)
    request = posted_request(lstack)
    assert "Level 1 (Finance approver)" in shown(lstack, request.ts)
    assert "Level 2 (CFO)" in shown(lstack, request.ts)

    click(lstack, ANN, request.ts)
    eventually(lambda: "approved by <@U05ANNFIN01> <!date^" in shown(lstack, request.ts), what="level 1 shown done")
    assert buttons(lstack.emulators.slack.find_message(APPROVALS, request.ts)) == [ActionId.APPROVE, ActionId.REJECT]
    thread = eventually(lambda: [m for m in lstack.emulators.slack.messages(APPROVALS) if m.thread_ts == request.ts],
                        what="the ping in the thread")
    assert "Level 2 (CFO)" in thread[0].text and f"<@{DANA.slack_id}>" in thread[0].text
    assert f"<@{ANN.slack_id}>" not in thread[0].text.split("Over to")[1]     # Ann decided level 1: not pinged
    assert "Level 2 (CFO)" in eventually(lambda: dms(lstack, DANA), what="Dana's DM")[0].text

    click(lstack, ANN, request.ts)                       # Ann is a CFO too, but decided level 1 already
    assert "You already decided level 1 of this request, and nobody decides two levels" in notes(lstack, ANN)[0]
    assert f"<@{DANA.slack_id}>" in notes(lstack, ANN)[0]
    settle(lstack)
    assert qbo_invoices(lstack) == []

    click(lstack, DANA, request.ts)
    eventually(lambda: qbo_invoices(lstack), what="the invoice")
    assert [(level.position, level.decided_by) for level in levels(lstack)] == [(1, ANN.slack_id),
                                                                                 (2, DANA.slack_id)]
    assert audited(lstack).count("approval.level_approved") == 2 and "approval.approved" in audited(lstack)
    eventually(lambda: deal_row(lstack, deal_id).gate_status == "invoiced", what="the deal invoiced")
    assert len(qbo_invoices(lstack)) == 1


def test_the_owner_may_decide_no_level(lstack: Stack):
    deal(lstack, owner="bob")                            # Bob sells; he is a finance approver and a CFO
    request = posted_request(lstack)

    click(lstack, BOB, request.ts)
    assert notes(lstack, BOB)[0].startswith(":no_entry: You cannot approve your own request")
    click(lstack, ANN, request.ts)
    eventually(lambda: "approved by <@U05ANNFIN01>" in shown(lstack, request.ts), what="level 1 approved")
    click(lstack, BOB, request.ts)
    second = notes(lstack, BOB, 2)[1]
    assert second.startswith(":no_entry: You cannot approve your own request: a CFO other than you decides it")
    assert f"<@{BOB.slack_id}>" not in second and f"<@{DANA.slack_id}>" in second
    settle(lstack)
    assert [level.decided_by for level in levels(lstack)] == [ANN.slack_id, None]


def test_parallel_levels_are_decided_in_any_order_and_both_are_needed(lstack: Stack):
    deal(lstack, discount=None, terms="Net 90")
    request = posted_request(lstack)
    assert "(in parallel)" in shown(lstack, request.ts)
    assert answer_to(lstack, CARL.slack_id)["text"].startswith("1 approval request")    # /approvals: his level
    assert answer_to(lstack, ANN.slack_id)["text"].startswith("1 approval request")

    click(lstack, CARL, request.ts)                      # the controller's level first
    eventually(lambda: "approved by <@U05CARLCTL1>" in shown(lstack, request.ts), what="level 2 approved")
    settle(lstack)
    assert qbo_invoices(lstack) == []
    assert dms(lstack, ANN) == []                        # level 1 was open already: nobody new to ping

    assert "Nothing is waiting" in answer_to(lstack, CARL.slack_id)["text"]          # decided his level
    click(lstack, ANN, request.ts)
    eventually(lambda: qbo_invoices(lstack), what="the invoice")
    assert {level.decided_by for level in levels(lstack)} == {ANN.slack_id, CARL.slack_id}


def test_a_rejection_at_level_one_ends_the_request(lstack: Stack):
    deal_id = deal(lstack)
    request = posted_request(lstack)

    click(lstack, ANN, request.ts, ActionId.REJECT)
    modal = eventually(lambda: lstack.emulators.slack.views, what="the reject modal")
    view_id = next(iter(modal)) if isinstance(modal, dict) else modal[0]["id"]
    lstack.slack_side.submit_view(ANN.slack_id, view_id, {
        "approval_reject_reason_input": {"approval_reject_reason_text": "35% needs a three-year term"}})

    eventually(lambda: "Rejected" in shown(lstack, request.ts), what="the rejected message")
    assert buttons(lstack.emulators.slack.find_message(APPROVALS, request.ts)) == []
    eventually(lambda: deal_row(lstack, deal_id).gate_status == "rejected", what="the deal rejected")
    assert [level.status for level in levels(lstack)] == ["rejected", "pending"]
    with session_scope(lstack.runtime.engine) as session:
        assert session.exec(select(ApprovalRequest)).one().status == "rejected"
        assert len(session.exec(select(ApprovalDecision)).all()) == 1
    settle(lstack)
    assert dms(lstack, DANA) == [] and qbo_invoices(lstack) == []


def test_the_same_refusal_reads_the_same_from_approve_and_from_reject(lstack: Stack):
    deal(lstack)
    request = posted_request(lstack)

    click(lstack, ERIN, request.ts)
    from_approve = notes(lstack, ERIN)[0]
    click(lstack, ERIN, request.ts, ActionId.REJECT)     # the web process cannot know Erin's roles: the modal opens
    modal = eventually(lambda: lstack.emulators.slack.views, what="the reject modal")
    view_id = next(iter(modal)) if isinstance(modal, dict) else modal[0]["id"]
    lstack.slack_side.submit_view(ERIN.slack_id, view_id, {
        "approval_reject_reason_input": {"approval_reject_reason_text": "I do not like it at all"}})
    from_reject = notes(lstack, ERIN, 2)[1]

    assert from_approve == from_reject == (
        ":no_entry: Only a Finance approver may decide this request now. Ask <@U05ANNFIN01>, <@U05BOBFIN02> or "
        "<!subteam^S05FINTEAM1>. Nothing was changed.")
    assert "finance_approver" not in from_approve and "Finance approver" in from_approve


def test_an_expired_request_is_posted_again_once(sqlite_url: str, tmp_path: Path):
    stack = start_stack(sqlite_url, clock=FixedClock(FIXED_START),
                        policy_path=levels_policy(tmp_path, expire_after_hours=2))
    try:
        deal(stack)
        first = posted_request(stack)                    # Tuesday 08:35 New York: the clock starts at 09:00
        stack.runtime.clock.set(datetime(2026, 11, 24, 10, 59, tzinfo=NEW_YORK))
        approval_expiry(stack.runtime)
        settle(stack)
        assert len(approval_messages(stack)) == 1

        stack.runtime.clock.set(datetime(2026, 11, 24, 11, 1, tzinfo=NEW_YORK))
        replicas = [threading.Thread(target=approval_expiry, args=(stack.runtime,)) for _ in range(3)]
        for replica in replicas:
            replica.start()
        for replica in replicas:
            replica.join()
        approval_expiry(stack.runtime)                   # a later tick: nothing left to expire
        eventually(lambda: "Expired" in shown(stack, first.ts), what="the expired message")
        fresh = eventually(lambda: [m for m in approval_messages(stack) if m.ts != first.ts], what="a fresh request")
        settle(stack)
        stack.runtime.clock.advance(timedelta(minutes=5))
        approval_expiry(stack.runtime)
        stack.poll()                                     # a poll does not bring the expired request back
        settle(stack)

        assert [m.ts for m in approval_messages(stack) if m.ts != first.ts] == [fresh[0].ts]
        assert buttons(stack.emulators.slack.find_message(APPROVALS, first.ts)) == []
        with session_scope(stack.runtime.engine) as session:
            statuses = [request.status for request in session.exec(select(ApprovalRequest).order_by(
                col(ApprovalRequest.id)))]
        assert statuses == ["expired", "pending"]
        assert audited(stack).count("approval.expired") == 1
        click(stack, ANN, fresh[0].ts)                   # the fresh request is decided as any other
        eventually(lambda: "approved by <@U05ANNFIN01>" in shown(stack, fresh[0].ts), what="level 1 of the fresh one")
    finally:
        stack.stop()


def test_a_credit_memo_crossing_two_bands_needs_both_levels_and_never_its_proposer(sqlite_url: str,
                                                                                    tmp_path: Path):
    data = yaml.safe_load(levels_policy(tmp_path).read_text())
    data["corrections"]["order"] = "sequence"          # more than 5,000: a finance approver, then the controller
    (tmp_path / "policy.yaml").write_text(yaml.safe_dump(data))
    stack = start_stack(sqlite_url, policy_path=tmp_path / "policy.yaml")
    try:
        deal_id, _invoice = invoiced_deal(stack, Book(stack.emulators.salesforce), "Globex - Rollout",
                                          [Line("Implementation", Decimal(1)), Line("Support Plan", Decimal(1))])
        stack.slack_side.send_slash_command(ANN.slack_id, "/correct-invoice", deal_id)
        submit_form(stack, ANN.slack_id, last_view(stack), kind="amount", amount="6000",
                    reason="Implementation was cut by the customer")
        request = correction_request(stack, "Credit memo")
        assert "Level 1 (Finance approver)" in shown(stack, request.ts) and "Level 2 (Controller)" in shown(
            stack, request.ts)

        click(stack, ANN, request.ts)                    # the proposer (her first note says it was proposed)
        assert notes(stack, ANN, 2)[1].startswith(":no_entry: You cannot approve your own request")
        click(stack, BOB, request.ts)
        eventually(lambda: "approved by <@U05BOBFIN02>" in shown(stack, request.ts), what="level 1 approved")
        assert "Level 2 (Controller)" in eventually(lambda: dms(stack, CARL), what="Carl's DM")[0].text
        settle(stack)
        assert qbo(stack, "CreditMemo") == [] and corrections(stack)[0].status == "proposed"

        click(stack, CARL, request.ts)
        eventually(lambda: qbo(stack, "CreditMemo"), what="the credit memo")
        assert Decimal(str(qbo(stack, "CreditMemo")[0]["TotalAmt"])) >= Decimal(6000)
        assert [level.decided_by for level in levels(stack)] == [BOB.slack_id, CARL.slack_id]
    finally:
        stack.stop()


def test_one_person_may_not_decide_both_the_activation_and_the_credit_limit_of_an_account(sqlite_url: str,
                                                                                           tmp_path: Path):
    data = yaml.safe_load(levels_policy(tmp_path, separate_activation_and_credit_limit=True).read_text())
    data["approver_roles"]["cfo"]["users"].append(CARL.slack_id)     # Carl: the controller, and a CFO
    (tmp_path / "policy.yaml").write_text(yaml.safe_dump(data))
    stack = start_stack(sqlite_url, policy_path=tmp_path / "policy.yaml")
    try:
        book = Book(stack.emulators.salesforce)
        book.add_account("Initech Labs", Credit_Limit__c=Decimal(80000))     # new to QuickBooks, high limit
        book.add_deal("Initech - Pilot", account="Initech Labs", owner_id=stack.emulators.sf_user_ids["sam"],
                      lines=[Line("Support Plan", Decimal(1))])
        stack.poll()
        asks = eventually(lambda: len(found := approval_messages(stack)) == 2 and found, what="two requests")
        activation = next(m for m in asks if "New customer" in json.dumps(m.blocks))
        credit = next(m for m in asks if "Credit limit" in json.dumps(m.blocks))

        click(stack, CARL, activation.ts)                # Approve opens the activation modal; Carl submits it
        view = eventually(lambda: next((v for v in stack.emulators.slack.views
                                        if v.get("callback_id") == "customer_activation"), None), what="the modal")
        stack.slack_side.submit_view(CARL.slack_id, view["id"], {
            BlockId.ACTIVATION_TERMS_INPUT.value: {ActionId.ACTIVATION_TERMS.value: "Net 30"},
            BlockId.ACTIVATION_CREDIT_LIMIT_INPUT.value: {ActionId.ACTIVATION_CREDIT_LIMIT.value: ""}})
        eventually(lambda: "Approved" in shown(stack, activation.ts), what="the activation approved")
        click(stack, CARL, credit.ts)
        refusal = notes(stack, CARL)[0]
        assert "You decided this account's customer activation" in refusal and "a different CFO" in refusal
        assert f"<@{CARL.slack_id}>" not in refusal and f"<@{DANA.slack_id}>" in refusal
        click(stack, DANA, credit.ts)
        eventually(lambda: "Approved" in shown(stack, credit.ts), what="the credit limit approved by Dana")
        with session_scope(stack.runtime.engine) as session:
            deciders = {(request.kind, decision.slack_user_id) for request, decision in session.exec(
                select(ApprovalRequest, ApprovalDecision).where(ApprovalDecision.request_id == ApprovalRequest.id))}
        assert deciders == {("customer_activation", CARL.slack_id), ("credit_limit", DANA.slack_id)}
    finally:
        stack.stop()


def test_the_deals_submitter_may_decide_no_level(sqlite_url: str, tmp_path: Path):
    """Sam owns the deal, Ann (a finance approver and a CFO) submitted it: she is refused on both levels, in
    words that name her as the submitter; Bob and Dana decide it."""
    stack = start_stack(sqlite_url, policy_path=levels_policy(tmp_path, submitter_field="Submitted_By__c"))
    try:
        deal_id = deal(stack, Submitted_By__c=stack.emulators.sf_user_ids["ann"])
        request = posted_request(stack)
        with session_scope(stack.runtime.engine) as session:
            stored = session.exec(select(ApprovalRequest)).one()
            assert (stored.submitter_sf_user_id, stored.submitter_email) == (stack.emulators.sf_user_ids["ann"],
                                                                             ANN.email)
        assert deal_row(stack, deal_id).submitter_email == ANN.email

        click(stack, ANN, request.ts)
        first = notes(stack, ANN)[0]
        assert first.startswith(":no_entry: You submitted this deal, so you cannot approve its requests: "
                                "a Finance approver other than you decides it")
        assert f"<@{ANN.slack_id}>" not in first and f"<@{BOB.slack_id}>" in first
        click(stack, BOB, request.ts)
        eventually(lambda: "approved by <@U05BOBFIN02>" in shown(stack, request.ts), what="level 1 approved")

        click(stack, ANN, request.ts)                    # Ann is a CFO too: still the submitter
        second = notes(stack, ANN, 2)[1]
        assert second.startswith(":no_entry: You submitted this deal, so you cannot approve its requests: "
                                 "a CFO other than you decides it")
        assert f"<@{ANN.slack_id}>" not in second and f"<@{DANA.slack_id}>" in second
        settle(stack)
        assert qbo_invoices(stack) == []

        click(stack, DANA, request.ts)
        eventually(lambda: qbo_invoices(stack), what="the invoice")
        assert [(level.position, level.decided_by) for level in levels(stack)] == [(1, BOB.slack_id),
                                                                                  (2, DANA.slack_id)]
    finally:
        stack.stop()
