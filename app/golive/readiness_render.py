"""The readiness sections as terminal text, CSV and a standalone HTML page (pure)."""
from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from html import escape

from app.golive.readiness_sections import Section, Table

CSV_HEADER = ("section", "table", "subject", "measure", "value")


def as_text(sections: Sequence[Section], *, title: str) -> str:
    lines = [title, "=" * len(title)]
    for section in sections:
        lines += ["", section.title, "-" * len(section.title), *section.notes]
        for table in section.tables:
            lines += ["", f"{table.title}:", *text_table(table)]
    return "\n".join(lines) + "\n"


def text_table(table: Table) -> list[str]:
    """Columns padded to their widest cell; numbers right-aligned; '(none)' for an empty table."""
    if not table.rows:
        return ["  (none)"]
    widths = [max(len(cell) for cell in column) for column in zip(table.headers, *table.rows, strict=True)]
    numeric = [_numeric([row[i] for row in table.rows]) for i in range(len(widths))]

    def line(cells: Sequence[str]) -> str:
        padded = (cell.rjust(width) if right else cell.ljust(width) for cell, width, right in
                  zip(cells, widths, numeric, strict=True))
        return "  " + "  ".join(padded).rstrip()

    return [line(table.headers), "  " + "  ".join("-" * width for width in widths), *(line(row) for row in table.rows)]


def as_csv(sections: Sequence[Section]) -> str:
    """Long format, one value per line: section, table, subject (the row's first cell), measure (the column), value.
    A note is a line with the measure 'note'."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_HEADER)
    for section in sections:
        writer.writerows((section.title, "", "", "note", note) for note in section.notes)
        for table in section.tables:
            for row in table.rows:
                writer.writerows((section.title, table.title, row[0], header, cell)
                                 for header, cell in zip(table.headers[1:], row[1:], strict=True))
    return out.getvalue()


def as_html(sections: Sequence[Section], *, title: str) -> str:
    body = [f"<h1>{escape(title)}</h1>"]
    for section in sections:
        body.append(f"<section><h2>{escape(section.title)}</h2>")
        body += [f"<p>{escape(note)}</p>" for note in section.notes]
        body += [_html_table(table) for table in section.tables]
        body.append("</section>")
    return (f"<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>{escape(title)}</title>"
            f"<style>{_STYLE}</style></head><body>\n" + "\n".join(body) + "\n</body></html>\n")


def _html_table(table: Table) -> str:
    head = "".join(f"<th>{escape(header)}</th>" for header in table.headers)
    rows = "".join("<tr>" + "".join(f"<td>{escape(cell)}</td>" for cell in row) + "</tr>" for row in table.rows)
    empty = f"<tr><td colspan=\"{len(table.headers)}\">none</td></tr>"
    return f"<table><caption>{escape(table.title)}</caption><thead><tr>{head}</tr></thead>" \
           f"<tbody>{rows or empty}</tbody></table>"


def _numeric(cells: Sequence[str]) -> bool:
    """A column of numbers (or percentages), where '-' stands for none."""
    numbers = [cell for cell in cells if cell != "-"]
    return bool(numbers) and all(cell.rstrip("%").replace(".", "", 1).isdigit() for cell in numbers)


_STYLE = ("body{font-family:system-ui,sans-serif;margin:2rem;color:#1d1c1d}table{border-collapse:collapse;"
          "margin:1rem 0}caption{text-align:left;font-weight:600;padding:.25rem 0}th,td{border:1px solid #ccc;"
          "padding:.25rem .5rem;text-align:left}th{background:#f4f6f8}")
