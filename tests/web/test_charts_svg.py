"""The SVG chart builder is pure: data in, markup out. Parsed back as XML here, never matched as text."""
from __future__ import annotations

import xml.etree.ElementTree as ET
from decimal import Decimal

import pytest

from app.web.charts import Axes, Series, axis_top, bar_chart, data_table, line_chart, tick_label

SVG = "{http://www.w3.org/2000/svg}"
WEEKS = ["02 Nov", "09 Nov", "16 Nov", "23 Nov"]


def parse(markup: str) -> ET.Element:
    return ET.fromstring(markup)


def groups(figure: ET.Element) -> dict[str, ET.Element]:
    svg = figure.find(f"{SVG}svg")
    assert svg is not None
    return {group.get("data-series", ""): group for group in svg.iter(f"{SVG}g")}


def test_a_line_chart_has_one_point_per_value_and_gaps_for_weeks_with_nothing_to_measure():
    figure = parse(line_chart(Axes("dti", "Days to invoice", "Week", "Days", " days"), WEEKS,
                              [Series("Median", [Decimal("2.5"), None, Decimal("4.0"), Decimal("1.0")]),
                               Series("p90", [Decimal("9.0"), None, None, Decimal("3.5")])]))
    series = groups(figure)
    median = [point.get("data-value") for point in series["Median"].iter(f"{SVG}circle")]
    p90 = [point.get("data-value") for point in series["p90"].iter(f"{SVG}circle")]
    assert median == ["2.5", "4.0", "1.0"] and p90 == ["9.0", "3.5"]
    svg = figure.find(f"{SVG}svg")
    assert svg is not None and svg.get("role") == "img"
    assert svg.find(f"{SVG}title").text == "Days to invoice"                         # type: ignore[union-attr]
    labels = {text.get("class"): text.text for text in svg.iter(f"{SVG}text") if text.get("class")}
    assert labels == {"x-label": "Week", "y-label": "Days"}


def test_the_data_table_holds_every_value_with_its_unit_and_a_dash_for_none():
    figure = parse(line_chart(Axes("fp", "First pass", "Week", "Percent", "%"), WEEKS[:2],
                              [Series("First pass", [Decimal("75.0"), None])]))
    table = figure.find("details/table")
    assert table is not None
    rows = [[cell.text for cell in row] for row in table.iter("tr")]
    assert rows == [["Week", "First pass"], ["02 Nov", "75.0%"], ["09 Nov", "—"]]


def test_stacked_bars_have_one_bar_per_week_per_series_and_stack_on_each_other():
    figure = parse(bar_chart(Axes("opened", "Opened", "Week", "Exceptions"), WEEKS[:3],
                             [Series("Missing PO", [1, 0, 2]), Series("Outage", [3, 1, 0])], stacked=True))
    series = groups(figure)
    bars = {name: list(group.iter(f"{SVG}rect")) for name, group in series.items()}
    assert [bar.get("data-value") for bar in bars["Missing PO"]] == ["1", "0", "2"]
    assert [bar.get("data-value") for bar in bars["Outage"]] == ["3", "1", "0"]
    first, second = bars["Missing PO"][0], bars["Outage"][0]
    assert float(second.get("y", 0)) + float(second.get("height", 0)) == pytest.approx(float(first.get("y", 0)))


def test_user_text_is_escaped_everywhere():
    hostile = "<script>alert(1)</script>"
    markup = bar_chart(Axes("x", hostile, hostile, hostile), [hostile], [Series(hostile, [1])])
    assert "<script>" not in markup
    parse(markup)                                   # still well-formed XML


@pytest.mark.parametrize("largest, top", [(0, 4), (3, 4), (5, 8), (8, 8), (9, 20), (100, 200), (7_012_940, 8_000_000)])
def test_the_value_axis_ends_on_four_nice_steps(largest: float, top: float):
    assert axis_top(largest) == top


def test_tick_labels_are_short():
    assert [tick_label(v) for v in (0, 2.5, 750_000, 1_500_000)] == ["0", "2.5", "750k", "1.5M"]


def test_an_empty_chart_still_renders_its_axes_and_an_empty_table():
    figure = parse(bar_chart(Axes("e", "Empty", "Week", "Invoices"), [], []))
    svg = figure.find(f"{SVG}svg")
    assert svg is not None and len([line for line in svg.iter(f"{SVG}line") if line.get("class") == "axis"]) == 2
    assert [[cell.text for cell in row] for row in figure.iter("tr")] == [["Week"]]
    assert parse(data_table(Axes("e", "Empty", "Week", "Invoices"), [], [])).tag == "details"
