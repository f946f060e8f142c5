"""An exception resolved from the dashboard in headless Chromium (the Debian package, never downloaded): the
finance person, named by the SSO proxy's e-mail header, fills the reason and clicks Resolve; the worker closes the
item and the queue shows it resolved. A CSV download arrives as an attachment. Screenshots go to
test-artifacts/dashboard/."""
from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from typing import Any

import pytest

from app.sandbox.people import ANN
from app.sandbox.stack import Stack
from tests.e2e.conftest import eventually
from tests.e2e.test_dashboard_charts_browser import CHROMIUM_ARGS, chromium_path, screenshot
from tests.web.operations_fixtures import Seeded, seed, start_stack

playwright_api = pytest.importorskip("playwright.sync_api")


@pytest.fixture
def stack(sqlite_url: str) -> Iterator[Stack]:
    chromium_path()
    running = start_stack(sqlite_url)
    yield running
    running.stop()


@pytest.fixture
def finance_page(stack: Stack) -> Iterator[Any]:
    with playwright_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)
        context = browser.new_context(viewport={"width": 1400, "height": 900}, accept_downloads=True,
                                      extra_http_headers={"X-Forwarded-Email": ANN.email})
        yield context.new_page()
        context.close()
        browser.close()


def test_an_exception_resolved_from_the_dashboard(stack: Stack, finance_page: Any) -> None:
    seeded: Seeded = seed(stack)
    page, item_id = finance_page, seeded.items["old_owned"]
    page.goto(stack.app_url + "/dashboard/queue")
    row = page.locator(f"#item-{item_id}")
    row.locator("form.resolve input[name=reason]").fill("PO found in the customer's e-mail")
    screenshot(page, "queue-before-resolve.png")
    row.locator("form.resolve button").click()
    page.wait_for_url("**/dashboard/queue?done=resolve*")
    assert "Resolution queued" in page.locator("p.notice").inner_text()

    def resolved_on_page() -> bool:
        page.goto(stack.app_url + "/dashboard/queue?state=resolved")
        return page.locator(f"#item-{item_id} td.state").count() == 1
    eventually(resolved_on_page, what="the resolved item on the queue page")
    assert "PO found in the customer's e-mail" in page.locator(f"#item-{item_id} td.reason").inner_text()
    screenshot(page, "queue-after-resolve.png")
    page.goto(stack.app_url + "/dashboard/queue?state=open")
    assert page.locator(f"#item-{item_id}").count() == 0

    with page.expect_download() as download_info:
        page.locator("a[download]").click()
    download = download_info.value
    assert download.suggested_filename == "exceptions.csv"
    rows = list(csv.DictReader(io.StringIO(open(download.path(), encoding="utf-8").read())))
    assert [int(row["id"]) for row in rows] == [seeded.items["new_unassigned"]]
