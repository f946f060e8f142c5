"""The web dashboard in real headless Chromium, over the whole product run against the three emulators.

One stack per module on a FixedClock: batch A is seeded on Tuesday 3 Nov 2026, batch B ten days later, so the
7-day and 30-day periods differ. Expected numbers are worked out here from the scenario and the emulators, not
with the metrics code. Chromium is the system package (never downloaded): skipped without it, failed under CI.
"""
from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from statistics import mean, median
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import select

from app.clock import FixedClock
from app.db import session_scope
from app.deals.models import Deal
from app.exception_queue.models import ExceptionItem
from app.invoicing.models import InvoiceJob
from app.sandbox.book import Book, Line
from app.sandbox.people import ANN
from app.sandbox.quickbooks.demo import DEMO_REALM_ID
from app.sandbox.stack import Stack, sandbox_settings, start_app, start_emulators
from app.slack.ids import ActionId
from tests.e2e.conftest import approval_messages, eventually, poll

playwright_api = pytest.importorskip("playwright.sync_api")

T0 = datetime(2026, 11, 3, 15, 0, tzinfo=UTC)                 # Tuesday 10:00 in New York
T1 = T0 + timedelta(days=10)                                   # Friday 13 Nov, 10:00 in New York
HOSTILE = "<script>alert(1)</script>"
NEW_YORK = ZoneInfo("America/New_York")
CHROMIUM_ARGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
# Midnight of each close date in New York, written out in UTC (1 Nov is still daylight time at midnight).
CLOSE_MIDNIGHT_UTC = {"2026-11-01": datetime(2026, 11, 1, 4, tzinfo=UTC),
                      "2026-11-10": datetime(2026, 11, 10, 5, tzinfo=UTC),
                      "2026-11-12": datetime(2026, 11, 12, 5, tzinfo=UTC)}


@dataclass
class Scenario:
    stack: Stack
    deal_ids: dict[str, str]


def chromium_path() -> str:
    path = shutil.which("chromium")
    if path is None:
        message = "chromium is not on PATH (Debian package `chromium`; never `playwright install`)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return path


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    executable = chromium_path()
    with playwright_api.sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@pytest.fixture
def dialogs() -> list[str]:
    """Messages of every alert/confirm/prompt a page opened (there must be none)."""
    return []


@pytest.fixture
def page(browser, dialogs: list[str]) -> Iterator[object]:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    opened = context.new_page()
    opened.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    yield opened
    context.close()


def invoices(stack: Stack) -> list[dict]:
    return list(stack.emulators.quickbooks.objects(DEMO_REALM_ID, "Invoice"))


def open_exceptions(stack: Stack) -> list[ExceptionItem]:
    with session_scope(stack.runtime.engine) as session:
        return list(session.exec(select(ExceptionItem).where(ExceptionItem.status == "open")).all())


def seed_batch_a(stack: Stack, book: Book, owner: str) -> None:
    book.add_account("Globex Inc")
    book.add_account("Acme Corporation", Segment__c="Enterprise")
    book.add_deal("Globex - Support renewal", account="Globex Inc", owner_id=owner, CloseDate=date(2026, 11, 1),
                  lines=[Line("Support Plan", Decimal(1))])
    book.add_deal("Acme - Clinic rollout", account="Acme Corporation", owner_id=owner, CloseDate=date(2026, 11, 1),
                  lines=[Line("Implementation", Decimal(2))])                         # Enterprise, no PO number
    book.add_deal("Globex - Net 45", account="Globex Inc", owner_id=owner, Payment_Terms__c="Net 45",
                  lines=[Line("Support Plan", Decimal(1))])                           # unmapped terms
    poll(stack)
    eventually(lambda: len(invoices(stack)) == 1 and len(open_exceptions(stack)) == 2, what="batch A")


def seed_batch_b(stack: Stack, book: Book, owner: str) -> None:
    salesforce = stack.emulators.salesforce
    salesforce.advance_clock(timedelta(seconds=1))
    salesforce.user_edit("Opportunity", book.deal_ids["Acme - Clinic rollout"], {"PO_Number__c": "ACME-77"})
    book.add_deal("Globex - Expansion", account="Globex Inc", owner_id=owner, CloseDate=date(2026, 11, 10),
                  lines=[Line("Annual Subscription", Decimal(2), discount=Decimal(25))])
    book.add_deal("Globex - Support add-on", account="Globex Inc", owner_id=owner, CloseDate=date(2026, 11, 12),
                  lines=[Line("Support Plan", Decimal(1))])
    book.add_deal("Acme - Hardware refresh", account="Acme Corporation", owner_id=owner, PO_Number__c="PO-4190",
                  lines=[Line("Hardware Bundle", Decimal(10))])                       # unmapped product
    book.add_deal(HOSTILE, account="Globex Inc", owner_id=owner, lines=[Line("Hardware Bundle", Decimal(1))])
    poll(stack)
    request = eventually(lambda: approval_messages(stack), what="the discount approval request")[0]
    stack.slack_side.click_button(ANN.slack_id, "C05APPR0VAL", request.ts, ActionId.APPROVE)
    eventually(lambda: len(invoices(stack)) == 4 and len(open_exceptions(stack)) == 3, what="batch B")


@pytest.fixture(scope="module")
def scenario(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Scenario]:
    chromium_path()                                            # no stack to build when the browser is missing
    clock = FixedClock(T0)
    emulators = start_emulators()
    emulators.slack.retry_after_override = 0
    emulators.slack.set_rate_limit(rate=1000.0, burst=1000)
    database = f"sqlite:///{tmp_path_factory.mktemp('dashboard') / 'ledgerbridge.db'}"
    try:
        stack = start_app(emulators, sandbox_settings(emulators, database_url=database), clock=clock)
    except BaseException:
        emulators.stop()
        raise
    try:
        book, owner = Book(emulators.salesforce), emulators.sf_user_ids["sam"]
        seed_batch_a(stack, book, owner)
        clock.advance(T1 - T0)
        seed_batch_b(stack, book, owner)
        yield Scenario(stack, book.deal_ids)
    finally:
        stack.stop()


def one_decimal(value: float) -> str:
    return str(Decimal(repr(value)).quantize(Decimal("0.1"), ROUND_HALF_UP))


def expected_tiles(scenario: Scenario, *, days: int) -> dict[str, str]:
    """The tile values, worked out from the invoices and the scenario's facts."""
    since = T1 - timedelta(days=days)
    with session_scope(scenario.stack.runtime.engine) as session:
        rows = session.exec(select(Deal, InvoiceJob).join(InvoiceJob, InvoiceJob.deal_id == Deal.id)).all()
        spans = [(job.created_in_qbo_at - CLOSE_MIDNIGHT_UTC[deal.close_date.isoformat()]).total_seconds() / 86400
                 for deal, job in rows if job.created_in_qbo_at >= since]
    totals = sum(Decimal(str(invoice["TotalAmt"])) for invoice in invoices(scenario.stack)
                 if invoice["DocNumber"] != scenario.deal_ids["Globex - Support renewal"] or days == 30)
    ordered = sorted(spans)                      # with 3 or 4 values the nearest-rank p90 is the largest
    # invoiced: renewal (A, clean), clinic rollout (A's exception, then B), expansion (approved), add-on (clean)
    # won: those four plus Net 45 (A), hardware refresh (B) and the hostile one (B); four of them had exceptions
    first_pass, error_rate = {30: ("75.0%", "57.1%"), 7: ("66.7%", "50.0%")}[days]
    return {"days_to_invoice": f"{one_decimal(median(ordered))} days", "first_pass": first_pass,
            "error_rate": error_rate, "invoices": str(len(spans)), "open_exceptions": "3",
            "sla_breach_rate": {30: "100.0%", 7: "—"}[days], "exceptions_opened": {30: "4", 7: "2"}[days],
            "detail_days": f"mean {one_decimal(mean(ordered))} days · p90 {one_decimal(ordered[-1])} days",
            "total": f"${totals:,.2f}"}


def tile_values(page) -> dict[str, str]:
    return {tile.get_attribute("data-metric"): tile.locator(".value").inner_text()
            for tile in page.locator(".tile").all()}


def detail(page, key: str) -> str:
    return page.locator(f'.tile[data-metric="{key}"] .detail').inner_text()


def check_tiles(page, scenario: Scenario, days: int) -> None:
    expected = expected_tiles(scenario, days=days)
    shown = tile_values(page)
    for key in ("days_to_invoice", "first_pass", "error_rate", "invoices", "open_exceptions", "sla_breach_rate",
                "exceptions_opened"):
        assert shown[key] == expected[key], (days, key, shown)
    assert detail(page, "days_to_invoice").startswith(expected["detail_days"])
    assert detail(page, "invoices") == expected["total"]


def test_tiles_match_the_scenario_and_the_period_selector_reloads(page, scenario: Scenario):
    page.goto(scenario.stack.app_url + "/dashboard")
    check_tiles(page, scenario, 30)
    assert page.locator("#days").input_value() == "30"
    assert page.locator('#causes tr[data-cause="Non-standard terms agreed"] .count').inner_text() == "1"

    page.select_option("#days", "7")                           # a real choice in the browser's select
    page.wait_for_url(lambda url: "/dashboard?days=7&" in url)      # with the segment and company filters
    check_tiles(page, scenario, 7)
    assert page.locator("#days").input_value() == "7"
    assert page.locator("h1").inner_text().endswith("the last 7 days")


def test_open_exceptions_are_breached_first_with_salesforce_links_and_hostile_names_as_text(
        page, dialogs: list[str], scenario: Scenario):
    page.goto(scenario.stack.app_url + "/dashboard/exceptions")
    rows = page.locator("#exceptions tbody tr")
    assert rows.count() == 3
    first = rows.nth(0)
    assert first.get_attribute("class") == "breached" and "SLA breached" in first.locator(".due").inner_text()
    assert first.locator(".deal").inner_text() == "Globex - Net 45"
    net45 = scenario.deal_ids["Globex - Net 45"]
    assert first.locator(".deal a").get_attribute("href").endswith(f"/lightning/r/Opportunity/{net45}/view")
    due = next(item.sla_due_at for item in open_exceptions(scenario.stack) if item.kind == "unmapped_terms")
    assert first.locator(".due").inner_text().startswith(f"{due.astimezone(NEW_YORK):%a %d %b %Y, %H:%M} EST")
    later = {rows.nth(n).locator(".deal").inner_text() for n in (1, 2)}
    assert later == {"Acme - Hardware refresh", HOSTILE}                          # shown as text, not run
    assert [rows.nth(n).get_attribute("class") for n in (1, 2)] == ["open", "open"]
    page.goto(scenario.stack.app_url + "/dashboard")
    assert dialogs == []


def test_a_screenshot_of_the_dashboard_is_a_png(page, scenario: Scenario, tmp_path: Path):
    page.goto(scenario.stack.app_url + "/dashboard?days=90")
    shot = tmp_path / "dashboard.png"
    page.screenshot(path=str(shot), full_page=True)
    data = shot.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 10_000
