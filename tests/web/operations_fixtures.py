"""A running stack (emulators, web app, worker) on a fixed clock, and the records the dashboard's audit, approvals
and queue pages read: a deal with an invoice, approval decisions audited, and exceptions in several states."""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import httpx

from app.approvals.models import ApprovalRequest
from app.audit.service import Links, record_event
from app.clock import FixedClock
from app.db import session_scope
from app.deals.models import Deal
from app.exception_queue.models import ExceptionItem
from app.exception_queue.team_snapshot import record_members
from app.invoicing.models import InvoiceJob
from app.sandbox.people import ANN, BOB
from app.sandbox.stack import Stack, sandbox_settings, start_app, start_emulators

NOW = datetime(2026, 11, 24, 15, 0, tzinfo=UTC)               # Tuesday 10:00 in New York
FORMULA = "=HYPERLINK(\"http://evil.example\",\"click\")"
APPROVAL_TS = "1764000000.123456"


@dataclass
class Seeded:
    deal_id: int
    sf_id: str
    approval_ids: tuple[int, int]
    items: dict[str, int]


def start_stack(database_url: str) -> Stack:
    emulators = start_emulators()
    try:
        return start_app(emulators, sandbox_settings(emulators, database_url=database_url), clock=FixedClock(NOW))
    except BaseException:
        emulators.stop()
        raise


def seed(stack: Stack) -> Seeded:
    clock = stack.runtime.clock
    with session_scope(stack.runtime.engine) as session:
        deal = Deal(sf_id="006000000000000777", name="Globex - Renewal", stage="Closed Won", is_won=True,
                    sf_modstamp=NOW, first_seen_at=NOW, won_seen_at=NOW - timedelta(days=6), updated_at=NOW,
                    close_date=date(2026, 11, 17))
        session.add(deal)
        session.flush()
        assert deal.id is not None
        session.add(InvoiceJob(deal_id=deal.id, idempotency_key="ik-777", qbo_realm_id="realm", status="created",
                               qbo_invoice_id="4242", doc_number="1042", created_at=NOW - timedelta(days=2),
                               updated_at=NOW - timedelta(days=2), created_in_qbo_at=NOW - timedelta(days=2),
                               total=Decimal("1200.50"), currency="USD"))
        requests = [ApprovalRequest(deal_id=deal.id, kind=kind, role="finance_approver", ask="ok?",
                                    terms_fingerprint=kind, slack_channel="C05APPR0VAL", slack_ts=APPROVAL_TS,
                                    created_at=NOW - timedelta(days=3)) for kind in ("discount", "payment_terms")]
        session.add_all(requests)
        items = {
            "old_owned": ExceptionItem(kind="missing_field", dedupe_key="a", deal_id=deal.id, reason=FORMULA,
                                       created_at=NOW - timedelta(days=5), owner_slack_id="U05SAMSALES",
                                       sla_due_at=NOW - timedelta(hours=2), suggested_root_cause="rep_data_entry"),
            "new_unassigned": ExceptionItem(kind="unmapped_product", dedupe_key="b", deal_id=deal.id,
                                            reason="No QuickBooks item for Hardware Bundle",
                                            created_at=NOW - timedelta(days=1), sla_due_at=NOW + timedelta(hours=5),
                                            root_cause="new_product"),
            "closed": ExceptionItem(kind="missing_field", dedupe_key="c", deal_id=deal.id, reason="No PO",
                                    created_at=NOW - timedelta(days=9), sla_due_at=NOW - timedelta(days=8),
                                    status="resolved", open_marker=None, resolved_by=ANN.slack_id,
                                    resolution="PO added", root_cause="rep_data_entry"),
        }
        session.add_all(items.values())
        session.flush()
        for request, (who, action, comment) in zip(requests, [(ANN, "approval.approved", "fine"),
                                                              (BOB, "approval.rejected", "Net 90 is too long")],
                                                   strict=True):
            record_event(session, actor=who.slack_id, actor_name=who.real_name, action=action,
                         subject_type="approval_request", subject_id=str(request.id), details={"comment": comment},
                         clock=clock, links=Links(deal_id=deal.id, approval_id=request.id, invoice_id="4242"))
        record_members(session, usergroup_id="S05FINTEAM1", members=[ANN.slack_id, BOB.slack_id], clock=clock)
        return Seeded(deal_id=deal.id, sf_id=deal.sf_id, approval_ids=(requests[0].id or 0, requests[1].id or 0),
                      items={name: item.id or 0 for name, item in items.items()})


def as_person(stack: Stack, email: str | None) -> httpx.Client:
    headers = {"X-Forwarded-Email": email} if email else {}
    return httpx.Client(base_url=stack.app_url, headers=headers, timeout=15, follow_redirects=False)


def csrf_token(client: httpx.Client) -> str:
    page = client.get("/dashboard/queue")
    assert page.status_code == 200, page.text
    found = re.search(r'name="csrf_token" value="([0-9a-f]{64})"', page.text)
    assert found, "the queue page carries no CSRF token"
    return found.group(1)
