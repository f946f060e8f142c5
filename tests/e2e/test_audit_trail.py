"""The audit trail end to end: a decision made by a signed Slack click is audited with its links, the Salesforce
user matched by e-mail and the policy version; the export joins it to the QuickBooks invoice (read back through
python-quickbooks); on PostgreSQL the whole flow runs as a role that may not UPDATE or DELETE audit rows."""
from __future__ import annotations

import csv
import json
import subprocess
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from intuitlib.client import AuthClient
from quickbooks import QuickBooks
from quickbooks.objects.invoice import Invoice
from sqlalchemy import create_engine, make_url, text
from sqlalchemy.exc import ProgrammingError
from sqlalchemy.pool import NullPool
from sqlmodel import Session, select

from app.audit.models import AuditEvent
from app.audit.policy_versions import POLICY_CHANGED, policy_hash
from app.cli import main as ledgerbridge
from app.db import session_scope
from app.db_migrate import upgrade
from app.integrations.http import LoopbackHttpAdapter
from app.sandbox.book import Book
from app.sandbox.people import ANN
from app.sandbox.quickbooks import DEMO_CLIENT_ID, DEMO_CLIENT_SECRET
from app.sandbox.quickbooks.demo import DEMO_REALM_ID
from app.sandbox.stack import Stack
from app.slack.ids import ActionId
from tests.e2e.conftest import approval_messages, eventually, poll, start_stack
from tests.e2e.test_golden_path import discounted_deal, invoice_jobs

REPO_ROOT = Path(__file__).resolve().parents[2]
APPROVALS = "C05APPR0VAL"


def qbo_client(stack: Stack) -> QuickBooks:
    """The real python-quickbooks client on the stack's QuickBooks emulator."""
    server_url = stack.emulators.url("quickbooks")
    token = stack.emulators.quickbooks.issue_refresh_token(DEMO_CLIENT_ID, DEMO_REALM_ID)
    auth = AuthClient(DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, "http://localhost/cb",
                      environment=server_url + "/.well-known/openid_configuration")
    client = QuickBooks(auth_client=auth, refresh_token=token, company_id=DEMO_REALM_ID, minorversion=75,
                        use_decimal=True)
    netloc = server_url.split("://", 1)[1]
    client.api_url_v3 = f"https://{netloc}/v3"
    client.session.mount(f"https://{netloc}", LoopbackHttpAdapter(server_url, 5.0))
    return client


def approve_and_invoice(stack: Stack) -> str:
    deal_id = discounted_deal(stack, Book(stack.emulators.salesforce))
    poll(stack)
    request = eventually(lambda: approval_messages(stack), what="the approval request")[0]
    stack.slack_side.click_button(ANN.slack_id, APPROVALS, request.ts, ActionId.APPROVE)
    eventually(lambda: [j for j in invoice_jobs(stack) if j.status == "created"], what="the invoice job")
    return deal_id


def export(database_url: str, tmp_path: Path, fmt: str) -> Path:
    output = tmp_path / f"decisions.{fmt}"
    today = datetime.now(UTC).date().isoformat()
    code = ledgerbridge(["audit", "export", "--from", today, "--to", today, "--format", fmt,
                         "--output", str(output), "--url", database_url])
    assert code == 0
    return output


def assert_export_matches_quickbooks(stack: Stack, rows: list[dict], deal_id: str) -> None:
    invoices = {invoice.Id: invoice for invoice in Invoice.all(qb=qbo_client(stack))}
    assert len(rows) == 1
    row = rows[0]
    invoice = invoices[row["qbo_invoice_id"]]                       # the row joins to a real QuickBooks invoice
    assert row["qbo_invoice_number"] == invoice.DocNumber == deal_id
    assert (row["decision"], row["approval_kind"], row["opportunity_id"]) == ("approved", "discount", deal_id)
    assert (row["slack_user_id"], row["slack_user_name"]) == (ANN.slack_id, "ann")
    assert row["salesforce_user_id"] == stack.emulators.sf_user_ids["ann"]     # matched by e-mail
    assert row["policy_version"] == policy_hash(stack.runtime.policy)
    for moment in (row["decided_at"], row["invoice_created_at"]):
        assert moment.endswith("Z") and datetime.fromisoformat(moment).tzinfo is not None
    assert row["decided_at"] <= row["invoice_created_at"]


def test_a_decision_is_audited_linked_and_exported_with_its_quickbooks_invoice(sqlite_url: str,
                                                                              tmp_path: Path) -> None:
    stack = start_stack(sqlite_url)
    try:
        deal_id = approve_and_invoice(stack)
        with Session(stack.runtime.engine) as session:
            approved = session.exec(select(AuditEvent).where(AuditEvent.action == "approval.approved")).one()
            started = session.exec(select(AuditEvent).where(AuditEvent.action == POLICY_CHANGED)).all()
        assert (approved.before, approved.after) == ({"status": "pending"}, {"status": "approved"})
        assert approved.deal_id is not None and approved.approval_id == int(approved.subject_id)
        assert approved.actor_sf_id == stack.emulators.sf_user_ids["ann"]
        assert approved.policy_version == policy_hash(stack.runtime.policy)
        assert len(started) == 1                     # the web app and the worker started: one change recorded

        rows = [json.loads(line) for line in export(sqlite_url, tmp_path, "jsonl").read_text().splitlines()]
        assert_export_matches_quickbooks(stack, rows, deal_id)
        with export(sqlite_url, tmp_path, "csv").open(newline="") as handle:
            csv_rows = list(csv.DictReader(handle))
        assert [r["qbo_invoice_id"] for r in csv_rows] == [rows[0]["qbo_invoice_id"]]
        assert ledgerbridge(["audit", "verify", "--url", sqlite_url]) == 0
    finally:
        stack.stop()


@pytest.fixture
def app_role_url(fresh_pg_database: str) -> Iterator[str]:
    """The database migrated by its owner, then alembic/sql/app_role.sql run by psql as documented; yields the
    URL the app uses (the restricted role). The role is dropped afterwards (roles are cluster-wide)."""
    owner_url = make_url(fresh_pg_database)
    upgrade(fresh_pg_database)
    role = f"lb_app_{uuid.uuid4().hex[:12]}"
    libpq = owner_url.set(drivername="postgresql").render_as_string(hide_password=False)
    subprocess.run(["psql", libpq, "-q", "-v", f"app_role={role}", "-f", str(REPO_ROOT / "alembic/sql/app_role.sql")],
                   check=True, capture_output=True, text=True, timeout=60)
    try:
        yield owner_url.set(username=role, password=None).render_as_string(hide_password=False)
    finally:
        owner = create_engine(fresh_pg_database, isolation_level="AUTOCOMMIT", poolclass=NullPool)
        with owner.connect() as connection:
            connection.execute(text(f'DROP OWNED BY "{role}" CASCADE'))
            connection.execute(text(f'DROP ROLE "{role}"'))
        owner.dispose()


def test_the_app_runs_as_a_role_that_can_only_append_to_the_audit_log(app_role_url: str, tmp_path: Path) -> None:
    stack = start_stack(app_role_url)
    try:
        deal_id = approve_and_invoice(stack)
        rows = [json.loads(line) for line in export(app_role_url, tmp_path, "jsonl").read_text().splitlines()]
        assert_export_matches_quickbooks(stack, rows, deal_id)
        assert ledgerbridge(["audit", "verify", "--url", app_role_url]) == 0
    finally:
        stack.stop()
    as_app = create_engine(app_role_url, poolclass=NullPool)
    try:
        for statement in ("UPDATE audit_event SET actor = 'U0MAL'", "DELETE FROM audit_event",
                          "TRUNCATE audit_event", "UPDATE alembic_version SET version_num = 'x'",
                          "CREATE TABLE public.sneaky (id int)", "DROP TABLE audit_event",
                          "ALTER TABLE audit_event DISABLE TRIGGER ALL"):
            with pytest.raises(ProgrammingError, match="permission denied|must be owner"), \
                    session_scope(as_app) as session:
                session.execute(text(statement))
        with session_scope(as_app) as session:
            untouched = session.execute(text("SELECT count(*) FROM audit_event WHERE actor = 'U0MAL'")).scalar()
            deals = session.execute(text("UPDATE deal SET updated_at = updated_at")).rowcount
            throttles = session.execute(text("SELECT count(*) FROM pg_tables WHERE schemaname = "
                                             "'ledgerbridge_runtime'")).scalar()
        assert untouched == 0 and deals == 1            # other tables keep their normal rights
        assert throttles > 0                            # the throttle's own tables, outside `public`
    finally:
        as_app.dispose()
