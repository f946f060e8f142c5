"""The dashboard's charts in real headless Chromium (the system package, never downloaded): each series has the
points the known history gives (tests/metrics/history_fixture.py, answers worked out by hand), the filters reload
the charts, every chart has a title, axis labels and a data table, and the demo's seeded history is said to be
demo data. Screenshots go to test-artifacts/dashboard/ (gitignored); their paths are printed."""
from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from app.sandbox.history import seed_history
from tests.metrics.history_fixture import NOW, seed_known_history
from tests.web.test_dashboard_http import Served, serve

playwright_api = pytest.importorskip("playwright.sync_api")
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "dashboard"
CHROMIUM_ARGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
CHARTS = ("invoices-per-week", "amount-per-week", "days-to-invoice", "first-pass", "exceptions-opened",
          "exceptions-closed", "sla-breach", "aging", "backlog", "conversion")


def chromium_path() -> str:
    path = shutil.which("chromium")
    if path is None:
        message = "chromium is not on PATH (Debian package `chromium`; never `playwright install`)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return path


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    executable = chromium_path()
    with playwright_api.sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    yield context.new_page()
    context.close()


@pytest.fixture
def known(sqlite_url: str) -> Iterator[Served]:
    running = serve(sqlite_url)
    seed_known_history(running.engine)
    yield running
    running.server.stop()
    running.engine.dispose()


def values(page: Any, chart: str, series: str, shape: str) -> list[str]:
    found = page.locator(f'figure[data-chart="{chart}"] g.series[data-series="{series}"] {shape}')
    return [found.nth(n).get_attribute("data-value") for n in range(found.count())]


def screenshot(page: Any, name: str) -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / name
    page.screenshot(path=str(path), full_page=True)
    print(f"screenshot: {path}")
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    return path


def test_each_series_has_the_points_of_the_known_history(page: Any, known: Served):
    page.goto(known.url + "/dashboard?days=30")
    assert page.locator("figure.chart").count() == len(CHARTS)
    assert values(page, "invoices-per-week", "Invoices", "rect.bar") == ["0", "0", "2", "2", "1", "0"]
    assert values(page, "amount-per-week", "Invoiced (USD)", "rect.bar") == [
        "0.00", "0.00", "1500.00", "12000.00", "300.00", "0.00"]
    assert values(page, "days-to-invoice", "Median", "circle.point") == ["2.3", "2.5", "2.0"]   # weeks with invoices
    assert values(page, "days-to-invoice", "p90", "circle.point") == ["2.5", "4.0", "2.0"]
    assert values(page, "first-pass", "First-pass acceptance", "circle.point") == ["50.0", "0.0", "0.0"]
    assert values(page, "first-pass", "Error rate", "circle.point") == ["50.0", "50.0", "25.0"]
    assert values(page, "sla-breach", "SLA breach rate", "circle.point") == ["100.0", "0.0", "100.0"]
    opened = page.locator('figure[data-chart="exceptions-opened"] g.series')
    assert opened.count() == 3 and page.locator('figure[data-chart="exceptions-opened"] rect.bar').count() == 18
    assert values(page, "conversion", "Deals", "rect.bar") == ["9", "8", "5"]
    assert values(page, "aging", "31-60 days", "rect.bar") == ["2000.00", "700.00"]      # Enterprise, SMB
    assert page.locator('.tile[data-metric="credit_memos_issued"] .value').inner_text() == "2"
    assert page.locator('.tile[data-metric="manual_hours"] .value').inner_text() == "1.6 h"
    assert page.locator("#seeded-history").count() == 0                  # not the demo's history: no notice
    screenshot(page, "known-history-30-days.png")


def test_every_chart_is_labelled_and_has_its_data_table(page: Any, known: Served):
    page.goto(known.url + "/dashboard")
    for chart in CHARTS:
        figure = page.locator(f'figure[data-chart="{chart}"]')
        assert figure.locator("svg[role=img] > title").count() == 1
        assert figure.locator("text.x-label").count() == 1 and figure.locator("text.y-label").count() == 1
        figure.locator("details > summary").click()
        assert figure.locator("details table").is_visible()
    assert page.locator("dl.definitions dt").count() >= 11
    assert "credit memo" in page.locator("#def-first_pass + dd").inner_text()


def test_the_filters_reload_the_charts_without_javascript_needed(page: Any, known: Served):
    page.goto(known.url + "/dashboard?days=30")
    page.select_option("#segment", "SMB")
    page.click("#period button[type=submit]")
    page.wait_for_url(lambda url: "segment=SMB" in url)
    assert values(page, "invoices-per-week", "Invoices", "rect.bar") == ["0", "0", "2", "0", "1", "0"]
    page.select_option("#segment", "")
    page.select_option("#realm", "R2")
    page.click("#period button[type=submit]")
    page.wait_for_url(lambda url: "realm=R2" in url)
    assert values(page, "invoices-per-week", "Invoices", "rect.bar") == ["0", "0", "0", "0", "1", "0"]
    page.goto(known.url + "/dashboard?days=365")
    assert page.locator('figure[data-chart="invoices-per-week"] rect.bar').count() == 53
    screenshot(page, "known-history-365-days.png")


def test_the_demo_history_gives_every_chart_a_shape_and_says_it_is_demo_data(page: Any, sqlite_url: str):
    running = serve(sqlite_url)
    try:
        seeded = seed_history(running.engine, now=NOW, realm_id="realm")
        assert seeded.deals == 320 and seeded.invoices > 150 and seeded.exceptions > 20 and seeded.credit_memos > 3
        page.goto(running.url + "/dashboard?days=90")
        assert "seeded by the demo" in page.locator("#seeded-history").inner_text()
        for chart in ("invoices-per-week", "days-to-invoice", "first-pass", "exceptions-opened", "aging"):
            drawn = page.locator(f'figure[data-chart="{chart}"] [data-value]')
            shown = [float(drawn.nth(n).get_attribute("data-value") or 0) for n in range(drawn.count())]
            assert len(set(shown)) > 2, chart                          # a shape, not a flat line
        screenshot(page, "demo-history-90-days.png")
    finally:
        running.server.stop()
        running.engine.dispose()
