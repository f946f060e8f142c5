"""The demo console in real headless Chromium (the Debian package, never downloaded): it stands in for the Slack
client. Approve until the invoice shows; resolve an exception from the digest through its modal; a modal's
validation error shown in the field; ephemeral notes only for their user; times in the viewer's zone; hostile
text shown as text. Screenshots go to test-artifacts/console/ (gitignored); the path is printed."""
from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest

from app.jobs.digest import post_digest
from app.sandbox.book import Book, Line
from app.sandbox.console import create_console
from app.sandbox.people import ANN, SAM
from app.sandbox.quickbooks.demo import DEMO_REALM_ID
from app.sandbox.stack import Stack
from tests.e2e.conftest import approval_messages, eventually, poll

playwright_api = pytest.importorskip("playwright.sync_api")
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "console"
CHROMIUM_ARGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
APPROVALS, DIGEST = "C05APPR0VAL", "C05D1GESTFIN"
HOSTILE = "<script>alert(1)</script>"
WAIT_MS = 20_000


def chromium_path() -> str:
    path = shutil.which("chromium")
    if path is None:
        message = "chromium is not on PATH (Debian package `chromium`; never `playwright install`)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return path


@pytest.fixture(scope="module")
def browser(request: pytest.FixtureRequest) -> Iterator[object]:
    executable = chromium_path()
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with playwright_api.sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        yield launched
        launched.close()
    reporter = request.config.pluginmanager.get_plugin("terminalreporter")
    if reporter is not None:
        reporter.write_line(f"demo console screenshots: {ARTIFACTS}")


@pytest.fixture
def dialogs() -> list[str]:
    return []


@pytest.fixture
def page(browser, dialogs: list[str]) -> Iterator[object]:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    opened = context.new_page()
    opened.set_default_timeout(WAIT_MS)
    opened.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    yield opened
    context.close()


@pytest.fixture
def console(stack: Stack) -> str:
    stack.app.mount("/demo", create_console(stack))
    return stack.app_url + "/demo/"


def shoot(page, name: str) -> None:
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def discounted_deal(stack: Stack, book: Book, name: str = "Globex - Expansion") -> object:
    book.add_account("Globex Inc")
    book.add_deal(name, account="Globex Inc", owner_id=stack.emulators.sf_user_ids["sam"],
                  lines=[Line("Annual Subscription", Decimal(2), discount=Decimal(25))])
    poll(stack)
    return eventually(lambda: approval_messages(stack), what="the approval request")[0]


def message(page, ts: str):
    return page.locator(f'.msg[data-ts="{ts}"]').first


def test_approve_until_the_invoice_shows(page, console: str, stack: Stack, book: Book, dialogs: list[str]):
    request = discounted_deal(stack, book)
    page.goto(f"{console}?as={ANN.slack_id}&c={APPROVALS}")
    card = message(page, request.ts)
    assert "Approval needed: Globex - Expansion" in card.locator(".bk-header").inner_text()
    assert card.locator(".mention").first.inner_text() == "@Sam Seller"          # <@U…> resolved to the name
    assert card.locator("a", has_text="Globex - Expansion").get_attribute("href").endswith("/view")
    card.locator("button.btn.primary", has_text="Approve").click()
    page.wait_for_function("document.querySelector('.msg .bk-context') && "
                           "document.body.innerText.includes('Approved by @Ann Finance')")
    shoot(page, "approved")
    eventually(lambda: stack.emulators.quickbooks.objects(DEMO_REALM_ID, "Invoice"), what="the invoice")
    page.click("text=QuickBooks invoices")
    row = page.locator("#invoices tr").nth(1)
    assert "Globex Inc" in row.inner_text() and "18000" in row.inner_text() and "{" not in row.inner_text()
    shoot(page, "quickbooks")
    assert dialogs == []


def test_reject_shows_the_modal_error_then_takes_a_real_reason(page, console: str, stack: Stack, book: Book):
    request = discounted_deal(stack, book)
    page.goto(f"{console}?as={ANN.slack_id}&c={APPROVALS}")
    message(page, request.ts).locator("button.btn.danger", has_text="Reject").click()
    modal = page.locator(".modal")
    modal.wait_for()
    modal.locator("textarea, input[type=text]").first.fill("no")
    modal.locator("button.btn.primary").click()
    error = page.locator(".modal .bk-error")
    error.wait_for()
    assert "reason they can act on" in error.inner_text()
    assert page.locator(".modal .bk-input.has-error").count() == 1
    shoot(page, "modal-error")
    page.locator(".modal textarea, .modal input[type=text]").first.fill("Needs a 3-year term")
    page.locator(".modal button.btn.primary").click()
    page.wait_for_function("document.body.innerText.includes('Needs a 3-year term') && "
                           "!document.querySelector('.modal')")
    assert "Rejected by @Ann Finance" in message(page, request.ts).inner_text()


def test_resolve_an_exception_from_the_digest(page, console: str, stack: Stack, book: Book):
    book.add_account("Umbrella Health", Segment__c="Enterprise")
    book.add_deal("Umbrella - Clinic rollout", account="Umbrella Health", owner_id=stack.emulators.sf_user_ids["sam"],
                  lines=[Line("Implementation", Decimal(2))])
    poll(stack)
    eventually(lambda: stack.emulators.slack.messages("C05EXCEPT10N"), what="the exception posted")
    post_digest(stack.runtime, now=stack.runtime.clock.now())
    digest = eventually(lambda: stack.emulators.slack.messages(DIGEST), what="the digest")[0]
    page.goto(f"{console}?as={ANN.slack_id}&c={DIGEST}")
    item = message(page, digest.ts)
    assert "Billing exceptions" in item.locator(".bk-header").inner_text()
    item.locator('select[data-action="exception_tag_cause"]').select_option("missing_po")     # Tag cause
    page.wait_for_function("document.body.innerText.includes('Cause: Customer PO not received') && "
                           "!document.body.innerText.includes('(suggested)')")
    message(page, digest.ts).locator('select[data-action="exception_assign"]').select_option(SAM.slack_id)
    page.wait_for_function("document.body.innerText.includes('Owner: @Sam Seller')")           # Assign
    item = message(page, digest.ts)
    item.locator("button", has_text="Resolve").first.click()
    page.locator(".modal").wait_for()
    page.locator(".modal textarea").fill("PO received by email")
    shoot(page, "resolve-modal")
    page.locator(".modal button.btn.primary").click()
    page.wait_for_function("document.body.innerText.includes('by @Ann Finance: PO received by email')")
    assert message(page, digest.ts).locator("button", has_text="Resolve").count() == 0
    shoot(page, "resolved")


def test_notes_are_only_for_their_user_and_times_follow_the_viewer(page, console: str, stack: Stack, book: Book):
    request = discounted_deal(stack, book, name=HOSTILE)
    page.goto(f"{console}?as={SAM.slack_id}&c={APPROVALS}")
    sam_time = message(page, request.ts).locator(".bk-context time").first.get_attribute("title")
    page.locator("#composer select").select_option("/approvals")
    page.locator("#composer input[name=text]").fill("all")
    page.locator("#composer button").click()
    page.wait_for_function("document.querySelector('.msg.ephemeral .bk-header')")
    assert HOSTILE in page.locator(".msg.ephemeral .bk-header").first.inner_text()     # shown as text
    assert "Only visible to you" in page.locator(".msg.ephemeral").first.inner_text()
    page.goto(f"{console}?as={ANN.slack_id}&c={APPROVALS}")
    assert page.locator(".msg.ephemeral").count() == 0
    ann_time = message(page, request.ts).locator(".bk-context time").first.get_attribute("title")
    assert sam_time.endswith("(America/Los_Angeles)") and ann_time.endswith("(America/New_York)")
    assert sam_time[:16] != ann_time[:16]
    page.goto(f"{console}?as=%27%3E%3Cscript%3Ealert(1)%3C/script%3E&c=%3Cscript%3E")
    assert page.locator("#acting select").input_value() == ANN.slack_id
    shoot(page, "hostile")


def test_app_home_opens_for_the_person(page, console: str, stack: Stack, book: Book):
    discounted_deal(stack, book)
    page.goto(f"{console}?as={ANN.slack_id}&c={APPROVALS}")
    page.click("text=Ledgerbridge · Home")
    page.wait_for_function("document.querySelector('.home .bk-header')")
    assert "Waiting for your approval" in page.locator(".home").inner_text()
    shoot(page, "home")
