"""The Resolve form opens only for someone who may resolve, decided before it is shown, and never by a Slack call
in the web process: from the user-group snapshot the worker keeps in the database when it is fresh, else by the
worker (which reads the group and opens the form with the click's trigger_id). Signed requests, real emulators."""
from __future__ import annotations

from sqlmodel import col, select

from app.db import session_scope
from app.exception_queue.team_snapshot import UsergroupSnapshot
from app.sandbox.book import Book
from app.sandbox.people import ANN, BOB, ERIN, FINANCE_GROUP
from app.sandbox.stack import Stack
from app.slack.ids import ActionId, BlockId
from app.work_queue.kinds import WorkKind
from app.work_queue.models import WorkItem
from tests.e2e.conftest import eventually
from tests.e2e.test_exceptions import DIGEST, digest_message, items
from tests.e2e.test_exceptions_guarded import reply_to, two_problems

OUTCOME, NOTE = BlockId.EXCEPTION_CLOSE_OUTCOME.value, BlockId.EXCEPTION_CLOSE_NOTE.value


def queued_kinds(stack: Stack) -> list[str]:
    with session_scope(stack.runtime.engine) as session:
        return list(session.exec(select(WorkItem.kind).order_by(col(WorkItem.id))).all())


def group_reads(stack: Stack) -> int:
    return len(stack.emulators.slack.calls_to("usergroups.users.list"))


def snapshot(stack: Stack) -> list[str] | None:
    with session_scope(stack.runtime.engine) as session:
        found = session.get(UsergroupSnapshot, FINANCE_GROUP)
        return None if found is None else list(found.members)


def test_someone_outside_the_finance_team_never_sees_the_form(cstack: Stack, cbook: Book):
    po, _ = two_problems(cstack, cbook)
    message, side, slack = digest_message(cstack), cstack.slack_side, cstack.emulators.slack
    assert snapshot(cstack) is None                     # nobody has read the finance group yet

    first = side.click_button(ERIN.slack_id, DIGEST, message.ts, ActionId.EXCEPTION_RESOLVE)

    refusal = reply_to(cstack, first)                   # the worker read the group, then refused
    assert refusal.startswith(":no_entry: Only the finance team") and f"resolve exception #{po}" in refusal
    assert WorkKind.OPEN_CLOSE_FORM in queued_kinds(cstack)
    assert sorted(snapshot(cstack)) == sorted([ANN.slack_id, BOB.slack_id]) and slack.views == []
    reads = group_reads(cstack)

    again = side.click_button(ERIN.slack_id, DIGEST, message.ts, ActionId.EXCEPTION_RESOLVE)

    assert reply_to(cstack, again) == refusal           # refused by the web process from the fresh snapshot
    assert queued_kinds(cstack).count(WorkKind.OPEN_CLOSE_FORM) == 1 and group_reads(cstack) == reads
    assert slack.views == [] and slack.calls_to("views.open") == []
    assert items(cstack, id=po)[0].status == "open"


def test_a_member_of_the_finance_group_gets_the_form_from_the_worker_then_from_the_web(cstack: Stack, cbook: Book):
    po, unmapped = two_problems(cstack, cbook)
    slack, side = cstack.emulators.slack, cstack.slack_side
    slack.add_usergroup(FINANCE_GROUP, [ANN.slack_id, BOB.slack_id, ERIN.slack_id])    # Erin: by the group only
    message = digest_message(cstack)

    click = side.click_button(ERIN.slack_id, DIGEST, message.ts, ActionId.EXCEPTION_RESOLVE)

    assert click.status_code == 200
    form = eventually(lambda: slack.views, what="the form, opened by the worker")[0]
    assert all(call.monotonic > click.answered_at for call in slack.calls_to("views.open"))
    assert queued_kinds(cstack).count(WorkKind.OPEN_CLOSE_FORM) == 1
    outcomes = next(b for b in form["blocks"] if b.get("block_id") == OUTCOME)["element"]["options"]
    assert [option["value"] for option in outcomes] == ["resolved", "dismissed"]     # the finance team's choices
    side.submit_view(ERIN.slack_id, form["id"], {NOTE: {ActionId.EXCEPTION_CLOSE_NOTE: "PO received by email"}})
    closed = eventually(lambda: (i := items(cstack, id=po)[0]).status == "resolved" and i, what="the resolution")
    assert closed.resolved_by == ERIN.slack_id

    side.click_button(ERIN.slack_id, DIGEST, message.ts, ActionId.EXCEPTION_RESOLVE,
                      block_id=f"exception_actions:{unmapped}")
    eventually(lambda: len(slack.calls_to("views.open")) == 2, what="the second form, opened by the web process")
    assert queued_kinds(cstack).count(WorkKind.OPEN_CLOSE_FORM) == 1            # the snapshot answered this time
