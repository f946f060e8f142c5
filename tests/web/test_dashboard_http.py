"""The dashboard over real HTTP (the app from create_web_app, a real server, real SQL): bad input gets a 400 with a
clear message, user text is escaped, exceptions are ordered and paginated, and the optional token guards it."""
from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import httpx
import pytest

from app.clock import FixedClock
from app.config import load_settings
from app.db import make_engine, session_scope
from app.db_migrate import upgrade
from app.deals.models import Deal
from app.exception_queue.models import ExceptionItem
from app.invoicing.models import InvoiceJob
from app.processes.web import create_web_app
from app.sandbox.server import RunningServer, serve_in_thread
from app.sandbox.stack import DEMO_POLICY
from app.wiring import build_runtime

NOW = datetime(2026, 11, 24, 15, 0, tzinfo=UTC)               # Tuesday 10:00 in New York
INSTANCE = "https://acme.my.salesforce.com"
HOSTILE = "<script>alert(1)</script>"
TOKEN = "dashboard-token-for-tests"


@dataclass
class Served:
    server: RunningServer
    engine: object

    @property
    def url(self) -> str:
        return self.server.url


def serve(sqlite_url: str, **overrides: object) -> Served:
    settings = load_settings(database_url=sqlite_url, ledgerbridge_policy=DEMO_POLICY, slack_bot_token="xoxb-test",
                             slack_signing_secret="secret", salesforce_instance_url=INSTANCE,
                             salesforce_access_token="token", qbo_client_id="id", qbo_client_secret="secret",
                             qbo_realm_id="realm", ledgerbridge_scheduler_enabled=False, **overrides)
    upgrade(sqlite_url)
    runtime = build_runtime(settings, engine=make_engine(sqlite_url), clock=FixedClock(NOW))
    return Served(serve_in_thread(create_web_app(runtime)), runtime.engine)


@pytest.fixture
def served(sqlite_url: str) -> Iterator[Served]:
    running = serve(sqlite_url)
    yield running
    running.server.stop()
    running.engine.dispose()


@pytest.fixture
def guarded(sqlite_url: str) -> Iterator[Served]:
    running = serve(sqlite_url, ledgerbridge_dashboard_token=TOKEN)
    yield running
    running.server.stop()
    running.engine.dispose()


def seed_exceptions(engine, count: int, *, name: str = "Globex - Renewal") -> list[int]:
    """`count` open exceptions on one deal, due an hour apart from 4.5 hours ago (the first five breached)."""
    with session_scope(engine) as session:
        deal = Deal(sf_id="006000000000000001", name=name, stage="Closed Won", is_won=True, sf_modstamp=NOW,
                    first_seen_at=NOW, won_seen_at=NOW - timedelta(days=1), updated_at=NOW,
                    close_date=date(2026, 11, 20))
        session.add(deal)
        session.flush()
        items = [ExceptionItem(kind="missing_field", dedupe_key=f"k{n}", deal_id=deal.id, reason=f"{HOSTILE} #{n}",
                               created_at=NOW - timedelta(days=1), owner_slack_id="U0SAM",
                               sla_due_at=NOW + timedelta(minutes=60 * n - 270), suggested_root_cause="rep_data_entry")
                 for n in reversed(range(count))]                 # inserted latest-due first
        session.add_all(items)
        session.flush()
        return [item.id for item in items]


def test_bad_query_values_get_a_400_with_a_clear_message(served: Served):
    for path, message in [("/dashboard?days=abc", "days must be one of 7, 30, 90, 365, not &#39;abc&#39;"),
                          ("/dashboard?days=14", "days must be one of 7, 30, 90, 365, not 14"),
                          ("/dashboard?segment=" + HOSTILE, "segment must be one of: none yet (not &#39;&lt;script"),
                          ("/dashboard?realm=9999", "QuickBooks company must be one of: none yet (not &#39;9999&#39;)"),
                          ("/dashboard/exceptions?page=-1", "page must be a whole number from 1 to 100000, not -1"),
                          ("/dashboard/exceptions?page=" + "9" * 30, "page must be a whole number from 1 to 100000"),
                          ("/dashboard/exceptions?page=abc", "page must be a whole number from 1")]:
        response = httpx.get(served.url + path)
        assert response.status_code == 400, path
        assert message in response.text and "text/html" in response.headers["content-type"]
    api = httpx.get(served.url + "/dashboard/api/metrics?days=%3Cb%3E")
    assert api.status_code == 400
    assert api.json() == {"error": "days must be one of 7, 30, 90, 365, not '<b>'"}


def test_metrics_json_gives_decimals_as_strings(served: Served):
    with session_scope(served.engine) as session:
        deal = Deal(sf_id="006000000000000009", name="Paid", stage="Closed Won", is_won=True, sf_modstamp=NOW,
                    first_seen_at=NOW, won_seen_at=NOW - timedelta(days=3), updated_at=NOW,
                    close_date=date(2026, 11, 20))
        session.add(deal)
        session.flush()
        session.add(InvoiceJob(deal_id=deal.id, idempotency_key="k", status="created", attempts=1,
                               qbo_realm_id="r", total=Decimal("1234.56"), created_at=NOW, updated_at=NOW,
                               created_in_qbo_at=NOW - timedelta(days=2)))
    body = httpx.get(served.url + "/dashboard/api/metrics?days=7").json()
    # 20 Nov 00:00 New York (05:00 UTC) -> 22 Nov 15:00 UTC = 2 days 10 hours
    assert body["days_to_invoice"] == {"count": 1, "median": "2.4", "mean": "2.4", "p90": "2.4"}
    assert body["first_pass_acceptance"] == {"part": 1, "whole": 1, "percent": "100.0"}
    assert body["invoices"] == {"count": 1, "total_by_currency": {"USD": "1234.56"},
                                "home_total": {"currency": "USD", "amount": "1234.56",
                                               "converted_at": "the exchange rate QuickBooks stored on each invoice",
                                               "invoices_without_a_rate": 0}}
    assert body["days"] == 7 and body["open_exceptions"] == 0 and body["sla_breach_rate"] == {"percent": None}


def test_exceptions_are_escaped_breached_first_and_paginated(served: Served):
    seed_exceptions(served.engine, 52)
    first = httpx.get(served.url + "/dashboard/exceptions")
    assert first.status_code == 200
    assert "<script>alert" not in first.text and "&lt;script&gt;alert(1)&lt;/script&gt; #0" in first.text
    rows = first.text.split("<tr class=")[1:]
    assert len(rows) == 50 and all('"breached"' in row for row in rows[:5]) and '"open"' in rows[5]
    assert "#0</td>" in rows[0] and "#49</td>" in rows[49]           # soonest due first
    assert f'href="{INSTANCE}/lightning/r/Opportunity/006000000000000001/view"' in rows[0]
    assert "Tue 24 Nov 2026, 05:30 EST" in rows[0]                     # due 10:30 UTC, shown in New York
    second = httpx.get(served.url + "/dashboard/exceptions?page=2")
    assert second.text.count("<tr class=") == 2 and "page 2 of 2" in second.text
    beyond = httpx.get(served.url + "/dashboard/exceptions?page=9")
    assert beyond.status_code == 200 and "past the end" in beyond.text


def test_dashboard_page_shows_the_tiles_and_causes(served: Served):
    seed_exceptions(served.engine, 3, name=HOSTILE)
    page = httpx.get(served.url + "/dashboard?days=90")
    assert page.status_code == 200 and "<script>alert" not in page.text
    assert 'value="90" selected' in page.text
    assert 'data-metric="open_exceptions"' in page.text and "Sales rep data entry" in page.text


def test_without_the_token_the_dashboard_answers_401(guarded: Served):
    for path in ("/dashboard", "/dashboard/exceptions", "/dashboard/api/metrics", "/dashboard?token=wrong"):
        response = httpx.get(guarded.url + path)
        assert response.status_code == 401, path
        assert response.headers["www-authenticate"].startswith("Bearer")
    assert httpx.get(guarded.url + "/healthz").status_code == 200


def test_the_token_once_sets_an_httponly_cookie_and_leaves_the_address(guarded: Served):
    with httpx.Client(base_url=guarded.url) as client:
        login = client.get("/dashboard?days=7&token=" + TOKEN)
        assert login.status_code == 303 and login.headers["location"] == "/dashboard?days=7"
        cookie = login.headers["set-cookie"]
        assert "HttpOnly" in cookie and TOKEN not in cookie and "Path=/dashboard" in cookie
        assert client.get("/dashboard/exceptions").status_code == 200       # the cookie, from now on
    bearer = httpx.get(guarded.url + "/dashboard/api/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
    assert bearer.status_code == 200 and bearer.json()["days"] == 30
    forged = httpx.get(guarded.url + "/dashboard", cookies={"ledgerbridge_dashboard": TOKEN})
    assert forged.status_code == 401
