"""The dashboard's exception queue, actions, approval log, audit trail and CSV downloads over real HTTP against the
whole stack (emulators, web app, worker, real SQL). The acting person is the one the SSO proxy names by e-mail,
matched to a Slack user through the Slack emulator."""
from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from datetime import timedelta

import pytest
from sqlmodel import select

from app.audit.models import AuditEvent
from app.db import session_scope
from app.exception_queue.models import ExceptionItem
from app.exception_queue.team_snapshot import UsergroupSnapshot
from app.sandbox.people import ANN, ERIN
from app.sandbox.stack import Stack
from app.slack.intents import CloseException, ExceptionControl
from app.work_queue.models import WorkItem
from tests.e2e.conftest import eventually
from tests.web.operations_fixtures import FORMULA, NOW, Seeded, as_person, csrf_token, seed, start_stack


@pytest.fixture
def stack(sqlite_url: str) -> Iterator[Stack]:
    running = start_stack(sqlite_url)
    yield running
    running.stop()


@pytest.fixture
def seeded(stack: Stack) -> Seeded:
    return seed(stack)


def queue_ids(stack: Stack, query: str) -> list[int]:
    page = as_person(stack, None).get(f"/dashboard/queue?{query}")
    assert page.status_code == 200, page.text
    return [int(found) for found in re.findall(r'<tr id="item-(\d+)"', page.text)]


def parse_csv(response) -> list[dict[str, str]]:
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/csv")
    assert response.headers["content-disposition"].startswith("attachment; filename=")
    return list(csv.DictReader(io.StringIO(response.text)))


def work(stack: Stack, kind: str) -> list[WorkItem]:
    with session_scope(stack.runtime.engine) as session:
        return list(session.exec(select(WorkItem).where(WorkItem.kind == kind)).all())


def test_queue_filters_by_state_cause_owner_and_age(stack: Stack, seeded: Seeded) -> None:
    items = seeded.items
    assert queue_ids(stack, "") == [items["old_owned"], items["new_unassigned"]]        # open, soonest SLA first
    assert queue_ids(stack, "state=resolved") == [items["closed"]]
    assert queue_ids(stack, "state=all") == [items["closed"], items["old_owned"], items["new_unassigned"]]
    assert queue_ids(stack, "cause=rep_data_entry") == [items["old_owned"]]             # the suggested cause counts
    assert queue_ids(stack, "owner=unassigned") == [items["new_unassigned"]]
    assert queue_ids(stack, "owner=U05SAMSALES") == [items["old_owned"]]
    assert queue_ids(stack, "age=3") == [items["old_owned"]]
    bad = as_person(stack, None).get("/dashboard/queue?state=lost&age=x")
    assert bad.status_code == 400 and "state must be one of open, resolved, dismissed, all" in bad.text


def test_exceptions_csv_reads_back_with_formulas_defused(stack: Stack, seeded: Seeded) -> None:
    rows = parse_csv(as_person(stack, None).get("/dashboard/queue.csv?state=all"))
    by_id = {int(row["id"]): row for row in rows}
    assert set(by_id) == set(seeded.items.values())
    owned = by_id[seeded.items["old_owned"]]
    assert owned["reason"] == "'" + FORMULA
    assert owned["sla_due_at_utc"] == "2026-11-24T13:00:00Z"
    assert owned["zone"] == "America/New_York" and owned["sla_due_local"] == "2026-11-24T08:00:00-05:00"
    assert owned["breached"] == "true" and by_id[seeded.items["closed"]]["resolution"] == "PO added"


def test_metrics_csv_has_plain_decimals(stack: Stack, seeded: Seeded) -> None:
    rows = {row["metric"]: row for row in parse_csv(as_person(stack, None).get("/dashboard/metrics.csv?days=30"))}
    assert rows["open_exceptions"]["value"] == "2"
    assert rows["exceptions_opened"]["value"] == "3"             # all three were opened within the 30 days
    assert rows["invoiced_amount"]["unit"] == "USD"
    assert re.fullmatch(r"\d+(\.\d+)?", rows["invoiced_amount"]["value"])
    assert rows["open_exceptions"]["since_utc"].endswith("Z") and rows["open_exceptions"]["period_days"] == "30"
    assert as_person(stack, None).get("/dashboard/metrics.csv?days=8").status_code == 400


def test_approval_log_filters_and_csv(stack: Stack, seeded: Seeded) -> None:
    client = as_person(stack, None)
    page = client.get("/dashboard/approvals?days=30")
    assert page.status_code == 200
    assert page.text.count('<tr class="decision">') == 2
    assert "Ann Finance" in page.text and "Bob Fisher" in page.text          # people by their real name
    ann_only = client.get(f"/dashboard/approvals?person={ANN.slack_id}")
    assert ann_only.text.count('<tr class="decision">') == 1 and "Bob Fisher</td>" not in ann_only.text
    rejected = parse_csv(client.get("/dashboard/approvals.csv?outcome=rejected"))
    assert [(row["decision"], row["approval_kind"], row["person"], row["comment"]) for row in rejected] == [
        ("rejected", "payment_terms", "Bob Fisher", "Net 90 is too long")]
    assert rejected[0]["decided_at_utc"] == "2026-11-24T15:00:00Z" and rejected[0]["qbo_invoice_id"] == "4242"
    by_kind = parse_csv(client.get("/dashboard/approvals.csv?kind=discount"))
    assert [row["decision"] for row in by_kind] == ["approved"]
    assert client.get("/dashboard/approvals?outcome=maybe").status_code == 400


def test_audit_trail_of_one_deal_links_each_decision(stack: Stack, seeded: Seeded) -> None:
    page = as_person(stack, None).get(f"/dashboard/audit?deal={seeded.sf_id}")
    assert page.status_code == 200, page.text
    rows = re.findall(r'<tr class="event" data-action="(approval\.\w+)">(.*?)</tr>', page.text, re.S)
    assert [action for action, _ in rows] == ["approval.approved", "approval.rejected"]
    salesforce = str(stack.runtime.settings.salesforce_base_url).rstrip("/")
    for _, row in rows:
        assert 'href="https://slack.com/archives/C05APPR0VAL/p1764000000123456"' in row
        assert f'href="{salesforce}/lightning/r/Opportunity/{seeded.sf_id}/view"' in row
        assert "/app/invoice?txnId=4242" in row
    assert "Ann Finance" in rows[0][1] and "Bob Fisher" in rows[1][1]
    by_approval = as_person(stack, None).get(f"/dashboard/audit?approval={seeded.approval_ids[1]}")
    assert by_approval.text.count('<tr class="event"') == 1 and "approval.rejected" in by_approval.text
    assert as_person(stack, None).get("/dashboard/audit?deal=006NOPE").status_code == 404
    assert as_person(stack, None).get("/dashboard/audit").status_code == 400


def test_finance_resolves_from_the_dashboard_through_the_worker(stack: Stack, seeded: Seeded) -> None:
    client = as_person(stack, ANN.email)
    item_id = seeded.items["old_owned"]
    answer = client.post(f"/dashboard/exceptions/{item_id}/resolve",
                         data={"csrf_token": csrf_token(client), "reason": "PO found in the e-mail",
                               "outcome": "resolved"})
    assert answer.status_code == 303 and answer.headers["location"].startswith("/dashboard/queue?done=resolve")
    recorded = work(stack, "close_exception")
    assert [CloseException.from_payload(item.payload).user_id for item in recorded] == [ANN.slack_id]

    def closed() -> ExceptionItem | None:
        with session_scope(stack.runtime.engine) as session:
            item = session.get(ExceptionItem, item_id)
            return item if item is not None and item.status == "resolved" else None
    item = eventually(closed, what="the worker resolving the exception")
    assert (item.resolved_by, item.resolution) == (ANN.slack_id, "PO found in the e-mail")
    with session_scope(stack.runtime.engine) as session:
        audited = session.exec(select(AuditEvent).where(AuditEvent.exception_id == item_id)).all()
    assert [(event.action, event.actor) for event in audited] == [("exception.resolved", ANN.slack_id)]


def test_retry_tag_and_assign_record_the_slack_intents(stack: Stack, seeded: Seeded) -> None:
    client = as_person(stack, ANN.email)
    token, item_id = csrf_token(client), seeded.items["new_unassigned"]
    for action, extra in (("retry", {}), ("tag", {"cause": "missing_po"}), ("assign", {"owner": ANN.slack_id})):
        answer = client.post(f"/dashboard/exceptions/{item_id}/{action}", data={"csrf_token": token, **extra})
        assert answer.status_code == 303, answer.text
    intents = [ExceptionControl.from_payload(item.payload) for item in work(stack, "exception_control")]
    assert [(i.control, i.item_id, i.user_id, i.cause, i.owner) for i in intents] == [
        ("retry", item_id, ANN.slack_id, None, None), ("tag", item_id, ANN.slack_id, "missing_po", None),
        ("assign", item_id, ANN.slack_id, None, ANN.slack_id)]

    def changed() -> bool:
        with session_scope(stack.runtime.engine) as session:
            item = session.get(ExceptionItem, item_id)
            return item is not None and (item.root_cause, item.owner_slack_id, item.retry_count) == (
                "missing_po", ANN.slack_id, 1)
    eventually(changed, what="the worker retrying, tagging and assigning")
    with session_scope(stack.runtime.engine) as session:
        item = session.get(ExceptionItem, item_id)
        assert item is not None and item.last_retry_by == ANN.slack_id and item.last_retry_result
        actions = [(event.action, event.actor) for event in session.exec(
            select(AuditEvent).where(AuditEvent.exception_id == item_id).order_by(AuditEvent.seq)).all()]
    assert set(actions) >= {("exception.retried", ANN.slack_id), ("exception.tagged", ANN.slack_id),
                            ("exception.assigned", ANN.slack_id)}
    eventually(lambda: {item.status for item in work(stack, "exception_control")} == {"done"},
               what="every recorded control done, none failed")


def test_non_finance_viewer_is_refused_and_nothing_is_recorded(stack: Stack, seeded: Seeded) -> None:
    client = as_person(stack, ERIN.email)
    answer = client.post(f"/dashboard/exceptions/{seeded.items['old_owned']}/resolve",
                         data={"csrf_token": csrf_token(client), "reason": "looks fine to me"})
    assert answer.status_code == 403
    assert "Only the finance team (an approver role in the policy) or the exception&#39;s owner may resolve" \
        in answer.text
    assert work(stack, "close_exception") == []


def test_forms_need_a_csrf_token_and_a_known_person(stack: Stack, seeded: Seeded) -> None:
    item_id = seeded.items["old_owned"]
    finance = as_person(stack, ANN.email)
    csrf_token(finance)                                                     # the browser has its binding cookie
    forged = finance.post(f"/dashboard/exceptions/{item_id}/retry", data={"csrf_token": "0" * 64})
    assert forged.status_code == 403 and "This form has expired" in forged.text
    nobody = as_person(stack, None)
    anonymous = nobody.post(f"/dashboard/exceptions/{item_id}/retry", data={"csrf_token": csrf_token(nobody)})
    assert anonymous.status_code == 403 and "needs to know who you are" in anonymous.text
    no_reason = finance.post(f"/dashboard/exceptions/{item_id}/resolve", data={"csrf_token": csrf_token(finance)})
    assert no_reason.status_code == 400 and "a reason is needed" in no_reason.text
    assert work(stack, "exception_control") == [] and work(stack, "close_exception") == []


def test_when_only_slack_can_say_the_worker_refuses_by_dm(stack: Stack, seeded: Seeded) -> None:
    """The finance group's snapshot is an hour old: the web process cannot refuse, so it records the control; the
    worker reads the group from Slack, refuses, and tells the person by DM. The item stays as it was."""
    with session_scope(stack.runtime.engine) as session:
        snapshot = session.get(UsergroupSnapshot, "S05FINTEAM1")
        assert snapshot is not None
        snapshot.read_at = NOW - timedelta(hours=1)
        session.add(snapshot)
    client = as_person(stack, ERIN.email)
    item_id = seeded.items["new_unassigned"]
    answer = client.post(f"/dashboard/exceptions/{item_id}/tag",
                         data={"csrf_token": csrf_token(client), "cause": "missing_po"})
    assert answer.status_code == 303
    dm = stack.emulators.slack.open_dm(ERIN.slack_id)
    told = eventually(lambda: stack.emulators.slack.messages(dm), what="the refusal by DM")
    assert told[0].text.startswith(":no_entry: Only the finance team") and "Nothing was changed." in told[0].text
    eventually(lambda: [item.status for item in work(stack, "exception_control")] == ["done"],
               what="the refused control done, not failed")
    with session_scope(stack.runtime.engine) as session:
        item = session.get(ExceptionItem, item_id)
        assert item is not None and item.root_cause == "new_product"
