"""Sign in with Slack, roles and CSRF in real headless Chromium; /metrics scraped and parsed.

The whole product runs against the emulators with Sign in with Slack on: the browser goes through the Slack
emulator's authorize page (a list of the workspace's people), the app exchanges the code with
openid.connect.token and reads openid.connect.userInfo through slack_sdk. Dana (CFO) is finance and sees every
deal; Sam (sales) sees only the deal he owns. Chromium is the system package (never downloaded).
"""
from __future__ import annotations

import csv
import io
import socket
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from app.sandbox.book import Book, Line
from app.sandbox.people import DANA, SAM
from app.sandbox.slack.openid import DEMO_CLIENT_ID, DEMO_CLIENT_SECRET
from app.sandbox.stack import Stack, sandbox_settings, start_app, start_emulators
from app.slack.ids import SlashCommand
from tests.e2e.conftest import eventually, poll
from tests.e2e.test_dashboard_browser import CHROMIUM_ARGS, chromium_path, open_exceptions

playwright_api = pytest.importorskip("playwright.sync_api")

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "signin"
MACHINE_TOKEN = "machine-token-for-the-json-api-0123"
SESSION_SECRET = "session-secret-for-tests-" + "s" * 32
SAMS_DEAL, ANNS_DEAL = "Acme - Clinic rollout", "Globex - Net 45"


@dataclass
class Site:
    stack: Stack

    @property
    def url(self) -> str:
        return self.stack.app_url


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    database = f"sqlite:///{tmp_path_factory.mktemp('signin') / 'ledgerbridge.db'}"
    listening = socket.socket()
    listening.bind(("127.0.0.1", 0))
    public_url = f"http://127.0.0.1:{listening.getsockname()[1]}"
    emulators = start_emulators()
    emulators.slack.set_rate_limit(rate=1000.0, burst=1000)
    try:
        settings = sandbox_settings(emulators, database_url=database, slack_client_id=DEMO_CLIENT_ID,
                                    slack_client_secret=DEMO_CLIENT_SECRET, ledgerbridge_session_secret=SESSION_SECRET,
                                    ledgerbridge_public_url=public_url, ledgerbridge_dashboard_token=MACHINE_TOKEN)
        stack = start_app(emulators, settings, sock=listening)
    except BaseException:
        emulators.stop()
        raise
    book = Book(stack.emulators.salesforce)
    book.seed_products()
    book.add_account("Globex Inc")
    book.add_account("Acme Corporation", Segment__c="Enterprise")
    book.add_deal(SAMS_DEAL, account="Acme Corporation", owner_id=emulators.sf_user_ids["sam"],
                  CloseDate=date(2026, 11, 1), lines=[Line("Implementation", Decimal(2))])     # no PO number
    book.add_deal(ANNS_DEAL, account="Globex Inc", owner_id=emulators.sf_user_ids["ann"],
                  Payment_Terms__c="Net 45", lines=[Line("Support Plan", Decimal(1))])      # unmapped terms
    poll(stack)
    eventually(lambda: len(open_exceptions(stack)) == 2, what="two exceptions")
    yield Site(stack)
    stack.stop()


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    executable = chromium_path()
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with playwright_api.sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@pytest.fixture
def page(browser) -> Iterator[object]:
    context = browser.new_context(viewport={"width": 1200, "height": 800})
    yield context.new_page()
    context.close()


def sign_in_as(page, site: Site, real_name: str, start: str = "/dashboard") -> None:
    page.goto(site.url + start)
    page.click("#sign-in-with-slack")
    assert "/openid/connect/authorize" in page.url          # the Slack emulator's authorize page
    page.get_by_role("button", name=real_name).click()
    page.wait_for_load_state()


def test_anonymous_is_sent_to_sign_in_and_health_stays_open(page, site: Site) -> None:
    page.goto(site.url + "/dashboard/exceptions?page=1")
    assert page.url.startswith(site.url + "/signin?next=")
    assert page.locator("#sign-in-with-slack").is_visible()
    page.screenshot(path=str(ARTIFACTS / "anonymous.png"))
    assert httpx.get(site.url + "/healthz").status_code == 200
    assert httpx.get(site.url + "/readyz").status_code in (200, 503)
    assert httpx.get(site.url + "/docs", follow_redirects=False).status_code == 303
    assert httpx.get(site.url + "/dashboard/api/metrics").status_code == 401


def test_finance_signs_in_with_slack_and_sees_every_deal(page, site: Site) -> None:
    sign_in_as(page, site, DANA.real_name, start="/dashboard/exceptions")
    assert page.url == site.url + "/dashboard/exceptions"
    body = page.inner_text("body")
    assert SAMS_DEAL in body and ANNS_DEAL in body
    page.goto(site.url + "/dashboard")
    assert page.url == site.url + "/dashboard" and "Cannot show" not in page.inner_text("body")
    cookie = next(c for c in page.context.cookies() if c["name"] == "ledgerbridge_session")
    assert cookie["httpOnly"] and cookie["sameSite"] == "Lax" and not cookie["secure"]   # plain-HTTP localhost
    page.screenshot(path=str(ARTIFACTS / "finance-exceptions.png"), full_page=True)


def test_a_seller_sees_only_the_deals_he_owns(page, site: Site) -> None:
    sign_in_as(page, site, SAM.real_name)
    assert page.url == site.url + "/dashboard/exceptions"        # the overview is for finance roles
    body = page.inner_text("body")
    assert SAMS_DEAL in body and ANNS_DEAL not in body
    assert page.goto(site.url + "/dashboard/api/metrics").status == 403
    page.screenshot(path=str(ARTIFACTS / "seller-exceptions.png"), full_page=True)


def downloaded_csv(page, site: Site) -> list[dict[str, str]]:
    with page.expect_download() as download:
        page.evaluate("url => { const a = document.createElement('a'); a.href = url; a.download = ''; "
                      "document.body.appendChild(a); a.click(); }", site.url + "/dashboard/exceptions.csv")
    path = download.value.path()
    assert download.value.suggested_filename.startswith("exceptions-")
    return list(csv.DictReader(io.StringIO(Path(path).read_text(encoding="utf-8"))))


def test_csv_export_of_the_exceptions_follows_the_same_roles(page, site: Site) -> None:
    sign_in_as(page, site, DANA.real_name, start="/dashboard/exceptions")
    everything = downloaded_csv(page, site)
    assert sorted(row["deal"] for row in everything) == sorted([SAMS_DEAL, ANNS_DEAL])
    assert all(row["sla_due_at_utc"].endswith("+00:00") and row["opportunity_url"] for row in everything)
    page.context.clear_cookies()
    sign_in_as(page, site, SAM.real_name)
    assert [row["deal"] for row in downloaded_csv(page, site)] == [SAMS_DEAL]
    assert httpx.get(site.url + "/dashboard/exceptions.csv").status_code == 303          # anonymous: sign in


def test_a_forged_post_is_refused_and_the_real_form_signs_out(page, site: Site) -> None:
    sign_in_as(page, site, SAM.real_name)
    forged = page.request.post(site.url + "/signout", form={"csrf_token": "forged"}, max_redirects=0)
    assert forged.status == 403
    no_token = page.request.post(site.url + "/signout", form={}, max_redirects=0)
    assert no_token.status == 403
    page.goto(site.url + "/signin")
    assert "Sam Seller" in page.inner_text("#signed-in")
    page.click("#sign-out")
    page.wait_for_load_state()
    page.goto(site.url + "/dashboard/exceptions")
    assert page.url.startswith(site.url + "/signin?next=")


def test_a_forged_cross_site_form_is_refused(page, site: Site, tmp_path: Path) -> None:
    """Another site's page posting to ours: the browser keeps the SameSite=Lax session cookie home, and without
    it (or the token) the POST changes nothing: it is sent to sign in."""
    sign_in_as(page, site, DANA.real_name)
    evil = tmp_path / "evil.html"
    evil.write_text(f'<form id="f" method="post" action="{site.url}/signout"></form>'
                    '<script>document.getElementById("f").submit()</script>')
    with page.expect_response(lambda response: response.url.endswith("/signout")) as answered:
        page.goto(evil.as_uri())
    assert answered.value.status == 303
    assert answered.value.headers["location"].startswith("/signin?next=")
    page.goto(site.url + "/dashboard/exceptions")
    assert page.url == site.url + "/dashboard/exceptions"          # still signed in: nothing changed


def test_the_machine_token_still_reads_the_json_api(site: Site) -> None:
    answer = httpx.get(site.url + "/dashboard/api/metrics", headers={"Authorization": f"Bearer {MACHINE_TOKEN}"})
    assert answer.status_code == 200 and answer.json()["days"] == 30
    assert httpx.get(site.url + "/dashboard/api/metrics",
                     headers={"Authorization": "Bearer wrong"}).status_code == 401


def scrape(site: Site) -> dict[str, list]:
    answer = httpx.get(site.url + "/metrics", headers={"Authorization": f"Bearer {MACHINE_TOKEN}"})
    assert answer.status_code == 200
    return {family.name: family.samples for family in text_string_to_metric_families(answer.text)}


def test_metrics_count_signed_slack_requests_and_read_the_queue(site: Site) -> None:
    assert httpx.get(site.url + "/metrics").status_code == 401
    before = scrape(site)
    acked = site.stack.slack_side.send_slash_command(SAM.slack_id, SlashCommand.INVOICE_STATUS.value, SAMS_DEAL)
    assert acked.status_code == 200
    families = scrape(site)

    def slash_count(found: dict[str, list]) -> float:
        return sum(sample.value for sample in found.get("ledgerbridge_http_requests", [])
                   if sample.name == "ledgerbridge_http_requests_total"
                   and sample.labels == {"route": "/slack/events", "method": "POST", "status": "200",
                                         "payload_type": "slash_command"})
    assert slash_count(families) == slash_count(before) + 1
    ack_counts = [sample for sample in families["ledgerbridge_http_ack_seconds"]
                  if sample.name == "ledgerbridge_http_ack_seconds_count"
                  and sample.labels == {"route": "/slack/events", "payload_type": "slash_command"}]
    assert ack_counts and ack_counts[0].value >= 1
    for name in ("ledgerbridge_queue_depth", "ledgerbridge_queue_oldest_age_seconds", "ledgerbridge_throttle_waits",
                 "ledgerbridge_work_failures", "ledgerbridge_sla_breaches", "ledgerbridge_poll_lag_seconds"):
        assert name in families, name
    assert families["ledgerbridge_sla_breaches"][0].value == 0          # both exceptions opened just now
    assert families["ledgerbridge_poll_lag_seconds"][0].value >= 0      # the fixture polled once
