"""Charts as inline SVG: data in, markup out (pure: no I/O, no JavaScript, nothing from a CDN).

Each chart is a <figure> with an SVG (`role="img"`, a <title> and a <desc>, axis labels), a legend, and the same
numbers as a table in a <details> element, so a screen reader or a printout gets every value. Each point of a
line series is a `circle.point`, each bar a `rect.bar`, both in a `g.series[data-series]` with `data-value`.
"""
from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from html import escape

Number = Decimal | int | float | None
WIDTH, HEIGHT = 640, 280
LEFT, RIGHT, TOP, BOTTOM = 78, 16, 16, 56
TICKS = 4
PALETTE = ("#1f6feb", "#d1242f", "#1a7f37", "#9a6700", "#8250df", "#bf3989", "#0e7490", "#57606a")


@dataclass(frozen=True, slots=True)
class Series:
    name: str
    values: Sequence[Number]


@dataclass(frozen=True, slots=True)
class Axes:
    chart_id: str
    title: str
    x_label: str
    y_label: str
    unit: str = ""
    """Printed after each value in the table and the tooltips ('%', ' days')."""


def nice_step(value: float) -> float:
    """The smallest of 1, 2, 5 x 10^k at or above `value` (whole numbers for counts above 1)."""
    if value <= 0:
        return 1.0
    power = 10 ** math.floor(math.log10(value))
    return float(next(step * power for step in (1, 2, 5, 10) if step * power >= value))


def axis_top(largest: float) -> float:
    """The top of the value axis: TICKS nice steps, at or above the largest value (TICKS for nothing)."""
    return nice_step(largest / TICKS) * TICKS if largest > 0 else float(TICKS)


def tick_label(value: float) -> str:
    """12, 2.5, 750k, 1.5M: short enough for the axis."""
    for size, suffix in ((1e6, "M"), (1e3, "k")):
        if abs(value) >= size:
            return f"{value / size:g}{suffix}"
    return f"{value:g}"


def fmt(value: Number, unit: str = "") -> str:
    if value is None:
        return "—"
    if isinstance(value, int):
        return f"{value:,}{unit}"
    number = Decimal(str(value))
    text = f"{number:,.0f}" if number == number.to_integral_value() and abs(number) >= 1000 else f"{number:,}"
    return f"{text}{unit}"


def _plot_x(index: int, count: int) -> float:
    span = WIDTH - LEFT - RIGHT
    return LEFT + span * (index + 0.5) / max(count, 1)


def _plot_y(value: float, top: float) -> float:
    return TOP + (HEIGHT - TOP - BOTTOM) * (1 - value / top)


def _axes(axes: Axes, categories: Sequence[str], top: float) -> list[str]:
    base = HEIGHT - BOTTOM
    parts = [f'<line class="axis" x1="{LEFT}" y1="{base}" x2="{WIDTH - RIGHT}" y2="{base}" stroke="#57606a"/>',
             f'<line class="axis" x1="{LEFT}" y1="{TOP}" x2="{LEFT}" y2="{base}" stroke="#57606a"/>']
    for step in range(TICKS + 1):
        value = top * step / TICKS
        y = _plot_y(value, top)
        parts.append(f'<line x1="{LEFT}" y1="{y:.1f}" x2="{WIDTH - RIGHT}" y2="{y:.1f}" stroke="#d0d7de" '
                     f'stroke-dasharray="2 3"/>')
        parts.append(f'<text x="{LEFT - 6}" y="{y + 4:.1f}" text-anchor="end" font-size="11">'
                     f'{escape(tick_label(value))}</text>')
    every = max(1, math.ceil(len(categories) / 12))
    for index, name in enumerate(categories):
        if index % every == 0:
            parts.append(f'<text x="{_plot_x(index, len(categories)):.1f}" y="{base + 16}" text-anchor="middle" '
                         f'font-size="11">{escape(name)}</text>')
    parts.append(f'<text class="x-label" x="{(LEFT + WIDTH - RIGHT) / 2}" y="{HEIGHT - 8}" text-anchor="middle" '
                 f'font-size="12">{escape(axes.x_label)}</text>')
    parts.append(f'<text class="y-label" transform="translate(14 {(TOP + HEIGHT - BOTTOM) / 2}) rotate(-90)" '
                 f'text-anchor="middle" font-size="12">{escape(axes.y_label)}</text>')
    return parts


def _top(values: Sequence[float]) -> float:
    return axis_top(max([*values, 0.0]))


def _numbers(series: Sequence[Series]) -> list[float]:
    return [float(value) for one in series for value in one.values if value is not None]


def line_chart(axes: Axes, categories: Sequence[str], series: Sequence[Series]) -> str:
    top = _top(_numbers(series))
    parts = _axes(axes, categories, top)
    for number, one in enumerate(series):
        color = PALETTE[number % len(PALETTE)]
        points = [(index, value) for index, value in enumerate(one.values) if value is not None]
        group = [f'<g class="series" data-series="{escape(one.name)}" fill="{color}" stroke="{color}">']
        coords = " ".join(f"{_plot_x(i, len(categories)):.1f},{_plot_y(float(v), top):.1f}" for i, v in points)
        if len(points) > 1:
            group.append(f'<polyline points="{coords}" fill="none" stroke-width="2"/>')
        for index, value in points:
            group.append(f'<circle class="point" cx="{_plot_x(index, len(categories)):.1f}" '
                         f'cy="{_plot_y(float(value), top):.1f}" r="3.5" data-value="{escape(str(value))}">'
                         f'<title>{escape(one.name)}, {escape(categories[index])}: {fmt(value, axes.unit)}</title>'
                         '</circle>')
        parts.extend([*group, "</g>"])
    return _figure(axes, categories, series, parts)


def bar_chart(axes: Axes, categories: Sequence[str], series: Sequence[Series], *, stacked: bool = False) -> str:
    """Grouped bars (one per series in each category), or `stacked` ones. A bar is drawn for every value (0 and
    None as height 0), so every category has one bar per series."""
    totals = [sum(float(one.values[i] or 0) for one in series) for i in range(len(categories))]
    top = _top(totals if stacked else _numbers(series))
    parts = _axes(axes, categories, top)
    slot = (WIDTH - LEFT - RIGHT) / max(len(categories), 1)
    width = slot * 0.7 / (1 if stacked else max(len(series), 1))
    heights = [0.0] * len(categories)
    for number, one in enumerate(series):
        color = PALETTE[number % len(PALETTE)]
        parts.append(f'<g class="series" data-series="{escape(one.name)}" fill="{color}">')
        for index, value in enumerate(one.values):
            amount = float(value or 0)
            x = LEFT + slot * index + slot * 0.15 + (0 if stacked else width * number)
            y = _plot_y(heights[index] + amount, top)
            height = _plot_y(heights[index], top) - y
            if stacked:
                heights[index] += amount
            parts.append(f'<rect class="bar" x="{x:.1f}" y="{y:.1f}" width="{width:.1f}" height="{height:.1f}" '
                         f'data-value="{escape(str(value if value is not None else 0))}"><title>{escape(one.name)}, '
                         f'{escape(categories[index])}: {fmt(value, axes.unit)}</title></rect>')
        parts.append("</g>")
    return _figure(axes, categories, series, parts)


def _figure(axes: Axes, categories: Sequence[str], series: Sequence[Series], parts: list[str]) -> str:
    cid = escape(axes.chart_id)
    description = (f"{escape(axes.y_label)} by {escape(axes.x_label.lower())}: "
                   + "; ".join(escape(one.name) for one in series) + ". The numbers are in the table below.")
    svg = (f'<svg class="chart-svg" role="img" viewBox="0 0 {WIDTH} {HEIGHT}" width="100%" '
           f'aria-labelledby="{cid}-title {cid}-desc" xmlns="http://www.w3.org/2000/svg">'
           f'<title id="{cid}-title">{escape(axes.title)}</title><desc id="{cid}-desc">{description}</desc>'
           + "".join(parts) + "</svg>")
    legend = "".join(f'<li><span class="swatch" style="background:{PALETTE[n % len(PALETTE)]}"></span>'
                     f'{escape(one.name)}</li>' for n, one in enumerate(series))
    return (f'<figure class="chart" id="{cid}" data-chart="{cid}"><figcaption>{escape(axes.title)}</figcaption>'
            f'{svg}<ul class="legend">{legend}</ul>{data_table(axes, categories, series)}</figure>')


def data_table(axes: Axes, categories: Sequence[str], series: Sequence[Series]) -> str:
    head = "".join(f'<th scope="col">{escape(one.name)}</th>' for one in series)
    rows = "".join(f'<tr><th scope="row">{escape(name)}</th>'
                   + "".join(f"<td>{escape(fmt(one.values[i], axes.unit))}</td>" for one in series) + "</tr>"
                   for i, name in enumerate(categories))
    return (f'<details><summary>Data table: {escape(axes.title)}</summary><table class="chart-data">'
            f'<caption>{escape(axes.title)} ({escape(axes.y_label)})</caption><thead><tr>'
            f'<th scope="col">{escape(axes.x_label)}</th>{head}</tr></thead><tbody>{rows}</tbody></table></details>')
